package chcluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/export"
	"github.com/cxstar/cxstar/internal/testkit/chcluster"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/official"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/transform"
)

// TestOfficialPendingOnCluster closes 2026Q3 on the cluster, loads late answers through the
// Distributed table, records the pending revision and reads official_pending_latest from a node
// of the other shard: the same difference a single node gives (75.0 % 3★ → 60.4 % 2★) and the
// late count (9 events, answers spread over both shards; a redelivered answer stored before
// closing is not late, after a merge too).
func TestOfficialPendingOnCluster(t *testing.T) {
	ctx := context.Background()
	conn, dsn := chcluster.DB(t)
	loaded := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	closedAt := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	at := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	insert := func(rows [][]any) {
		t.Helper()
		b, err := conn.PrepareBatch(ctx, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := b.Append(r...); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	rating := func(i int, client, request string, score uint8, occurred, ingested time.Time) []any {
		return []any{fmt.Sprintf("e%d", i), occurred, "po-a", "person", client, "satisfaction", score, "svc", request, "", "", "portal", ingested, "test"}
	}
	// 30 positive and 10 negative answers → 75.0 % → 3★.
	var rows [][]any
	for i := 1; i <= 40; i++ {
		score := uint8(4 - i%2)
		if i > 30 {
			score = uint8(1 + i%2)
		}
		rows = append(rows, rating(i, fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", i), score, at, loaded))
	}
	insert(rows)
	// The insert returned once one replica of each shard had the rows; the assessment reads
	// through the Distributed table, which may pick the other replica, so wait for replication.
	syncReplicas(t, dsn, dbOf(dsn))
	rev, _, err := official.Close(ctx, conn, transform.Request{Quarter: "2026Q3", Now: func() time.Time { return closedAt }}, "")
	if err != nil {
		t.Fatal(err)
	}
	// 8 new negative answers and c1's superseding 1 for r1 → 29/48 = 60.4 % → 2★.
	late := closedAt.Add(24 * time.Hour)
	rows = nil
	for i := 41; i <= 48; i++ {
		rows = append(rows, rating(i, fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", i), 1, at, late))
	}
	rows = append(rows, rating(49, "c1", "r1", 1, at.Add(time.Hour), late))
	// And Kafka redelivers e5 (stored before closing); the merge keeps only the redelivered copy,
	// yet e5 is neither late nor counted twice.
	rows = append(rows, rating(5, "c5", "r5", 3, at, late))
	insert(rows)
	syncReplicas(t, dsn, dbOf(dsn))
	for _, n := range []int{1, 3} { // one replica of each shard (OPTIMIZE … ON CLUSTER fails on 18.16's replicated tables)
		if err := chcluster.Node(t, dsn, n, "").Exec(ctx, "OPTIMIZE TABLE ratings_local FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	syncReplicas(t, dsn, dbOf(dsn))
	var e5 uint64
	var e5At time.Time
	if err := conn.QueryRow(ctx, "SELECT count(), min(ingested_at) FROM ratings WHERE event_id = 'e5'").Scan(&e5, &e5At); err != nil || e5 != 1 || !e5At.Equal(late) {
		t.Fatalf("after OPTIMIZE FINAL e5 has %d copies, the oldest stored %s (%v): want only the redelivered one, stored %s", e5, e5At, err, late)
	}
	if _, err := official.Refresh(ctx, conn, transform.Request{Quarter: "2026Q3", Store: true, Now: func() time.Time { return late.Add(time.Hour) }}, rev); err != nil {
		t.Fatal(err)
	}
	syncReplicas(t, dsn, dbOf(dsn))
	var shards uint64
	if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT uniqExact(host) FROM
		(SELECT '1' AS host FROM remote('%s', %s, ratings_local) LIMIT 1
		 UNION ALL SELECT '2' AS host FROM remote('%s', %s, ratings_local) LIMIT 1)`, chcluster.Addr(1), dbOf(dsn), chcluster.Addr(3), dbOf(dsn))).Scan(&shards); err != nil || shards != 2 {
		t.Fatalf("ratings on %d shards (%v), want both", shards, err)
	}
	for _, n := range []int{1, 4} {
		got := pendingRows(t, chcluster.Node(t, dsn, n, ""))
		want := "difference people po-a satisfaction_positive_share 75/3 → 60.4/2 0\nlate  po-a ratings -/- → -/- 9"
		if got != want {
			t.Errorf("node %d: official_pending_latest:\n%s\nwant:\n%s", n, got, want)
		}
	}
	// Open data of the closed quarter: the 40 answers first stored by closing (e5 once, although
	// only its redelivered copy is left), 30 positive = 75.0 %; the late answers stay out.
	od, err := export.BuildOpenData(ctx, conn, quarter.Quarter{Year: 2026, Q: 3}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var total string
	for _, c := range od.Cells {
		if c.AgencyID == "po-a" && c.Total && c.Satisfaction.Value != nil && c.Satisfaction.Answers != nil {
			total = fmt.Sprintf("%v on %d", *c.Satisfaction.Value, *c.Satisfaction.Answers)
		}
	}
	if total != "75 on 40" {
		t.Errorf("open data of the closed quarter on the cluster: satisfaction %q, want 75 on 40", total)
	}
}

func pendingRows(t *testing.T, c driver.Conn) string {
	t.Helper()
	return strings.Join(chtest.Strings(t, c, `SELECT concat(toString(kind), ' ', toString(standard), ' ', agency_id, ' ', indicator, source_table, ' ',
		ifNull(toString(old_value), '-'), '/', ifNull(toString(old_level), '-'), ' → ', ifNull(toString(new_value), '-'), '/', ifNull(toString(new_level), '-'), ' ', toString(events))
		FROM official_pending_latest ORDER BY kind, agency_id, indicator`), "\n")
}
