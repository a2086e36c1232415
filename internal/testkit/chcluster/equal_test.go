package chcluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chcluster"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/registry"
	"github.com/cxstar/cxstar/simulate"
	"github.com/cxstar/cxstar/transform"
)

// edge holds the cases a sharding key can get wrong, besides the simulated data: a completion and
// the client's next requests at exactly 28 days and one second later (A10 repeat window, inclusive
// end), the same client's request across the Q1/Q2 boundary (23:59:59 and 00:00:00 Moscow time),
// an answer superseded by the client's answer in the next quarter (A24), and anonymous appeals.
const edge = `{"schema":"service_event.v1","event_id":"ke-1","occurred_at":"2026-03-02T10:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k01","request_id":"k-r1","service_id":"k-edge.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"ke-2","occurred_at":"2026-03-03T10:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k01","request_id":"k-r1","service_id":"k-edge.s1","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"ke-3","occurred_at":"2026-03-31T10:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k01","request_id":"k-r2","service_id":"k-edge.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"ke-4","occurred_at":"2026-03-31T10:00:01+03:00","agency_id":"k-edge","client_type":"person","client_id":"k01","request_id":"k-r3","service_id":"k-edge.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"ke-5","occurred_at":"2026-03-31T23:59:59+03:00","agency_id":"k-edge","client_type":"person","client_id":"k02","request_id":"k-r4","service_id":"k-edge.s1","status":"submitted","channel":"mfc"}
{"schema":"service_event.v1","event_id":"ke-6","occurred_at":"2026-04-01T00:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k02","request_id":"k-r4","service_id":"k-edge.s1","status":"completed","channel":"mfc"}
{"schema":"service_event.v1","event_id":"ke-7","occurred_at":"2026-04-20T00:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k02","request_id":"k-r5","service_id":"k-edge.s1","status":"submitted","channel":"portal"}
{"schema":"rating.v1","event_id":"ke-8","occurred_at":"2026-03-20T10:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k01","question":"satisfaction","score":1,"service_id":"k-edge.s1","request_id":"k-r1"}
{"schema":"rating.v1","event_id":"ke-9","occurred_at":"2026-04-05T10:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k01","question":"satisfaction","score":4,"service_id":"k-edge.s1","request_id":"k-r1"}
{"schema":"rating.v1","event_id":"ke-10","occurred_at":"2026-04-06T10:00:00+03:00","agency_id":"k-edge","client_type":"person","client_id":"k02","question":"nps","score":9,"service_id":"k-edge.s1"}
{"schema":"appeal.v1","event_id":"ke-11","occurred_at":"2026-05-05T10:00:00+03:00","agency_id":"k-edge","client_type":"person","appeal_id":"k-a1","step":"received","message_type":"mention","channel":"social_network"}
{"schema":"appeal.v1","event_id":"ke-12","occurred_at":"2026-05-05T11:00:00+03:00","agency_id":"k-edge","client_type":"person","appeal_id":"k-a1","step":"replied","channel":"social_network","reply_text":"Добрый день! Ответили в личном кабинете."}
{"schema":"appeal.v1","event_id":"ke-13","occurred_at":"2026-06-30T23:30:00+03:00","agency_id":"k-edge","client_type":"person","appeal_id":"k-a2","step":"received","message_type":"official_appeal","channel":"public_chat"}
{"schema":"appeal.v1","event_id":"ke-14","occurred_at":"2026-07-01T00:30:00+03:00","agency_id":"k-edge","client_type":"person","appeal_id":"k-a2","step":"replied","channel":"public_chat","reply_text":"Добрый день! Ответ направлен."}
`

// dataset writes the simulated files, the edge cases and a redelivery file (every 15th line of
// every file again, loaded later in inserts of its own) and returns the two groups of paths and
// the registry file.
func dataset(t *testing.T, seed uint64, now time.Time) (first, redelivery []string, regPath string) {
	t.Helper()
	dir := t.TempDir()
	g := simulate.New(simulate.WithSeed(seed), simulate.WithAgencies(4), simulate.WithRequests(400),
		simulate.WithQuarters(quarter.Quarter{Year: 2026, Q: 1}, quarter.Quarter{Year: 2026, Q: 3}),
		simulate.WithInvalidShare(0.005), simulate.WithDuplicateShare(0.02), simulate.WithFollowUpShare(0.6),
		simulate.WithClock(func() time.Time { return now }))
	sink, err := simulate.NewFileSink(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Run(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	edgePath := filepath.Join(dir, "edge.jsonl")
	if err := os.WriteFile(edgePath, []byte(edge), 0o644); err != nil {
		t.Fatal(err)
	}
	first = append(sink.Paths(), edgePath)
	var again strings.Builder
	for _, p := range first {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for i := 0; sc.Scan(); i++ {
			if i%15 == 0 {
				again.WriteString(sc.Text())
				again.WriteByte('\n')
			}
		}
		f.Close()
	}
	redeliveryPath := filepath.Join(dir, "redelivery.jsonl")
	if err := os.WriteFile(redeliveryPath, []byte(again.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := json.Marshal(g.Registry())
	if err != nil {
		t.Fatal(err)
	}
	regPath = filepath.Join(dir, "registry.json")
	if err := os.WriteFile(regPath, reg, 0o644); err != nil {
		t.Fatal(err)
	}
	return first, []string{redeliveryPath}, regPath
}

// load runs the production path (ingest.Loader → ingest.Writer) into conn: the files, then the
// redeliveries in inserts of their own, then one batch written twice with identical rows (a retry
// of an insert whose acknowledgement was lost), then the registry import.
func load(t *testing.T, conn driver.Conn, first, redelivery []string, regPath string, now time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return now }
	var inserted int64
	for _, paths := range [][]string{first, redelivery} {
		st, err := ingest.NewLoader(ingest.NewValidator(ingest.WithClock(clock)), ingest.NewWriter(conn), ingest.WithRejects(io.Discard),
			ingest.WithBatchRows(2000)).Load(ctx, paths)
		if err != nil {
			t.Fatalf("load %v: %v", paths, err)
		}
		inserted += st.Inserted
	}
	for range 2 {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, ingested_at, source)")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
		for i, st := range []string{"submitted", "completed"} {
			if err := b.Append(fmt.Sprintf("kr-%d", i), at.Add(time.Duration(i)*time.Hour), "k-edge", "person", "k03", "k-r9", "k-edge.s1",
				"service", st, "portal", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), "retry"); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatalf("identical batch: %v", err)
		}
	}
	if _, err := registry.Import(ctx, conn, regPath, now); err != nil {
		t.Fatalf("registry import: %v", err)
	}
	return inserted
}

var quarters = []string{"2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"}

// assessAll returns, per quarter, every report (both standards: each agency's indicators with
// value, level, n, interval, status) and every drill-down row, as sorted JSON lines.
func assessAll(t *testing.T, conn driver.Conn, now time.Time) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range quarters {
		run, err := transform.Assess(context.Background(), conn, transform.Request{Quarter: q, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatalf("assess %s: %v", q, err)
		}
		var lines []string
		for _, r := range run.Scorecards {
			for _, a := range r.Agencies {
				b, err := json.Marshal(a)
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, fmt.Sprintf("report %s %s", r.Standard, b))
			}
		}
		for _, d := range run.Details {
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, "detail "+string(b))
		}
		sort.Strings(lines)
		out[q] = strings.Join(lines, "\n")
	}
	return out
}

// diff returns the quarters whose results differ, with the first differing line of each.
func diff(want, got map[string]string) []string {
	var out []string
	for _, q := range quarters {
		if want[q] == got[q] {
			continue
		}
		w, g := strings.Split(want[q], "\n"), strings.Split(got[q], "\n")
		i := 0
		for i < len(w) && i < len(g) && w[i] == g[i] {
			i++
		}
		line := func(s []string) string {
			if i < len(s) {
				return s[i]
			}
			return "(none)"
		}
		out = append(out, fmt.Sprintf("%s: %d vs %d lines; first difference:\n  single:  %.400s\n  cluster: %.400s", q, len(w), len(g), line(w), line(g)))
	}
	return out
}

// syncReplicas waits until every replica of every replicated table of db has fetched what its
// peers have, so that a read served by any replica sees every insert. It first waits (up to 60 s)
// for replicas that are read-only: a replica whose ZooKeeper session expired (ZooKeeper or the
// node was down) stays so until ClickHouse opens a new session, a few seconds later on its own
// schedule, and SYSTEM SYNC REPLICA fails on it meanwhile ("Session expired").
func syncReplicas(t testing.TB, dsn, db string) {
	t.Helper()
	waitWritable(t, dsn, db, 60*time.Second)
	for n := 1; n <= 4; n++ {
		c := chcluster.Node(t, dsn, n, "")
		for _, name := range chtest.Strings(t, c, "SELECT name FROM system.tables WHERE database = '"+db+"' AND engine LIKE 'Replicated%'") {
			if err := c.Exec(context.Background(), "SYSTEM SYNC REPLICA "+db+"."+name); err != nil {
				t.Fatalf("node %d: sync %s: %v", n, name, err)
			}
		}
	}
}

// waitWritable waits until no replicated table of db on any of the four nodes is read-only (its
// ZooKeeper session restored), and fails the test after timeout, naming the tables still read-only.
func waitWritable(t testing.TB, dsn, db string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for n := 1; n <= 4; n++ {
		c := chcluster.Node(t, dsn, n, "")
		start := time.Now()
		for {
			ro := chtest.Strings(t, c, "SELECT table FROM system.replicas WHERE database = '"+db+"' AND (is_readonly OR is_session_expired) ORDER BY table")
			if len(ro) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d: still read-only after waiting %v: %v", n, timeout, ro)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if waited := time.Since(start); waited > time.Second {
			t.Logf("node %d: waited %v for its replicas to leave read-only", n, waited.Round(100*time.Millisecond))
		}
	}
}

// optimizeFinal merges every part of every MergeTree table: on the single node directly, on the
// cluster on one replica of each shard (the others fetch the merged part).
func optimizeFinal(t *testing.T, conns []driver.Conn, db string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range conns {
		// Tables with parts only: OPTIMIZE of an empty replicated table fails on 18.16.
		for _, n := range chtest.Strings(t, c, "SELECT DISTINCT table FROM system.parts WHERE database = '"+db+"' AND active") {
			if err := c.Exec(ctx, "OPTIMIZE TABLE "+db+"."+n+" FINAL"); err != nil {
				t.Fatalf("optimize %s: %v", n, err)
			}
		}
	}
}

func dbOf(dsn string) string { return dsn[strings.LastIndex(dsn, "/")+1:] }

// TestClusterEqualsSingleNode loads the same data through the production path into a single node
// and into the 2 × 2 cluster and compares every assessment value, level, n, interval and
// drill-down row of both standards in every quarter: as loaded, after OPTIMIZE … FINAL, and with
// the cluster's reads balanced in_order and randomly over the replicas, started from either shard.
// A negative control shards the raw tables by event id instead and must differ; and no client
// (nor appeal, answer key or client × service) is found on both shards.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestClusterEqualsSingleNode(t *testing.T) {
	now := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	first, redelivery, regPath := dataset(t, 20261201, now)

	start := time.Now()
	single, singleDSN := chtest.DB(t)
	clus, clusDSN := chcluster.DB(t)
	t.Logf("databases migrated in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	nSingle := load(t, single, first, redelivery, regPath, now)
	t.Logf("single node: %d rows loaded in %v", nSingle, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	nClus := load(t, clus, first, redelivery, regPath, now)
	t.Logf("cluster: %d rows loaded in %v", nClus, time.Since(start).Round(time.Millisecond))
	if nSingle != nClus || nSingle < 5000 {
		t.Fatalf("rows inserted: single %d, cluster %d (want equal and ≥ 5000)", nSingle, nClus)
	}
	syncReplicas(t, clusDSN, dbOf(clusDSN))

	start = time.Now()
	want := assessAll(t, single, now)
	t.Logf("single node: %d quarters assessed in %v", len(quarters), time.Since(start).Round(time.Millisecond))
	if strings.Count(want["2026Q2"], "\n") < 20 {
		t.Fatalf("too few results to compare in 2026Q2:\n%s", want["2026Q2"])
	}
	for _, tc := range []struct {
		node int
		user string // in_order: load_balancing in_order; default: random
	}{{1, "in_order"}, {3, ""}, {2, ""}} {
		lb := "random"
		if tc.user == "in_order" {
			lb = "in_order"
		}
		t.Run(fmt.Sprintf("node%d-%s", tc.node, lb), func(t *testing.T) {
			c := chcluster.Node(t, clusDSN, tc.node, tc.user)
			if d := diff(want, assessAll(t, c, now)); len(d) > 0 {
				t.Errorf("cluster differs from the single node:\n%s", strings.Join(d, "\n"))
			}
		})
	}

	t.Run("no-key-on-two-shards", func(t *testing.T) {
		db := dbOf(clusDSN)
		for _, c := range []struct{ table, key string }{
			{"service_events_local", "(agency_id, client_id)"},
			{"service_events_local", "event_id"},
			{"ratings_local", "(agency_id, client_id)"},
			{"appeals_local", "appeal_id"},
			{"rating_answers_local", "(k1, k2)"},
			{"client_service_events_local", "(cs1, cs2)"},
			{"followup_items_local", "(agency_id, event_id)"},
			{"followups_local", "(agency_id, request_id)"},
		} {
			q := fmt.Sprintf(`SELECT
				(SELECT uniqExact(%[1]s) FROM remote('%[3]s', %[4]s, %[2]s)),
				(SELECT uniqExact(%[1]s) FROM remote('%[5]s', %[4]s, %[2]s)),
				(SELECT count() FROM (SELECT DISTINCT %[1]s AS k FROM remote('%[3]s', %[4]s, %[2]s))
				 WHERE k IN (SELECT %[1]s FROM remote('%[5]s', %[4]s, %[2]s)))`,
				c.key, c.table, chcluster.Addr(1), db, chcluster.Addr(3))
			var a, b, both uint64
			if err := clus.QueryRow(context.Background(), q).Scan(&a, &b, &both); err != nil {
				t.Fatalf("%s %s: %v", c.table, c.key, err)
			}
			t.Logf("%s by %s: shard 1 has %d keys, shard 2 has %d, both %d", c.table, c.key, a, b, both)
			if a == 0 || b == 0 || both != 0 {
				t.Errorf("%s by %s: shard 1 has %d keys, shard 2 has %d, %d on both (want both shards used, none shared)", c.table, c.key, a, b, both)
			}
		}
	})

	// cxstar compact on the cluster: one replica of each shard merges its local partitions, the
	// other replicas fetch the merged parts; the results stay the single node's.
	t.Run("after-compact", func(t *testing.T) {
		ctx := context.Background()
		nodes, local, done, err := store.DataNodes(ctx, clus, clusDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		if len(nodes) != 2 || local("x") != "x_local" {
			t.Fatalf("data nodes of the cluster: %d, tables named %s; want one replica of each of 2 shards, x_local", len(nodes), local("x"))
		}
		merged := 0
		for _, q := range quarters {
			m, err := transform.Compact(ctx, nodes, local, transform.Request{Quarter: q, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatalf("compact %s: %v", q, err)
			}
			merged += len(m)
		}
		if merged == 0 {
			t.Fatal("compact merged no partition of the cluster's shards")
		}
		syncReplicas(t, clusDSN, dbOf(clusDSN))
		for _, n := range []int{2, 3} {
			c := chcluster.Node(t, clusDSN, n, "")
			if d := diff(want, assessAll(t, c, now)); len(d) > 0 {
				t.Errorf("cluster (from node %d) differs from the single node after compact:\n%s", n, strings.Join(d, "\n"))
			}
		}
		t.Logf("compact merged %d partitions on the shards", merged)
	})

	t.Run("after-optimize-final", func(t *testing.T) {
		optimizeFinal(t, []driver.Conn{single}, dbOf(singleDSN))
		optimizeFinal(t, []driver.Conn{chcluster.Node(t, clusDSN, 1, ""), chcluster.Node(t, clusDSN, 3, "")}, dbOf(clusDSN))
		syncReplicas(t, clusDSN, dbOf(clusDSN))
		again := assessAll(t, single, now)
		if d := diff(want, again); len(d) > 0 {
			t.Fatalf("OPTIMIZE FINAL changed the single node's results:\n%s", strings.Join(d, "\n"))
		}
		for _, n := range []int{1, 4} {
			c := chcluster.Node(t, clusDSN, n, "")
			if d := diff(want, assessAll(t, c, now)); len(d) > 0 {
				t.Errorf("cluster (from node %d) differs from the single node after OPTIMIZE FINAL:\n%s", n, strings.Join(d, "\n"))
			}
		}
	})

	// The negative control: the same data with the raw tables sharded by event id, which splits a
	// client's requests and answers over the shards. The comparison above must catch it.
	t.Run("negative-control-event-id", func(t *testing.T) {
		bad, badDSN := chcluster.DB(t)
		db := dbOf(badDSN)
		for _, table := range []string{"service_events", "ratings"} {
			for _, stmt := range []string{
				fmt.Sprintf("DROP TABLE %s.%s ON CLUSTER %s", db, table, chcluster.Name),
				fmt.Sprintf("CREATE TABLE %[1]s.%[2]s ON CLUSTER %[3]s AS %[1]s.%[2]s_local ENGINE = Distributed(%[3]s, %[1]s, %[2]s_local, cityHash64(event_id))", db, table, chcluster.Name),
			} {
				if err := bad.Exec(context.Background(), stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
		}
		load(t, bad, first, redelivery, regPath, now)
		syncReplicas(t, badDSN, db)
		d := diff(want, assessAll(t, bad, now))
		if len(d) == 0 {
			t.Fatal("sharding by event id gave the single node's results: the comparison cannot tell a wrong sharding key")
		}
		t.Logf("sharding by event id differs in %d quarters, e.g. %s", len(d), d[0])
	})
}
