package schemas_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/schemas"
)

// TestUpgradeFromFirst022 migrates a database the way a user's 18.16 database was migrated when
// migration 022 sorted client_service_events by (g, cs1, cs2) alone (the file as it shipped differed
// from today's only in that ORDER BY and the comment above it), then runs `cxstar migrate` on it: 023 and the later ones run, and the database ends with the same
// objects and the same assessment inputs as a database migrated from scratch today, including the
// events inserted before the upgrade and those inserted after it.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestUpgradeFromFirst022(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fresh, dsn := chtest.DB(t)
	freshDB := dbOf(dsn)
	old, oldDB := siblingDB(t, dsn, "_up")

	// The database as `cxstar migrate` left it with the first 022: every statement up to 022 and
	// the ledger saying so.
	all, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	migrateUpTo(t, old, all, 22, map[int]string{22: firstMigration022(t, all)})
	if got := sortingKey(t, old, oldDB, "client_service_events"); got != "g, cs1, cs2" {
		t.Fatalf("the first 022 sorts client_service_events by %q; want g, cs1, cs2 (is firstMigration022 not the file as shipped?)", got)
	}

	// Events before the upgrade (fed into the old layout), then the upgrade, then more events.
	before, after := serviceRows(0, 300), serviceRows(300, 120)
	for _, c := range []driver.Conn{fresh, old} {
		chtest.Insert(t, c, insertServiceEvents, before)
	}
	// Migrate applies 023 and whatever came after it, exactly as on any database at version 22.
	migrateFrom(t, ctx, old, all, 22, "023_client_service_events_key")
	for _, c := range []driver.Conn{fresh, old} {
		chtest.Insert(t, c, insertServiceEvents, after)
	}

	if got := sortingKey(t, old, oldDB, "client_service_events"); got != "g, cs1, cs2" {
		t.Errorf("after the migrations client_service_events is sorted by %q, want g, cs1, cs2 (051)", got)
	}
	lf, lo := layout(t, fresh, freshDB, true), layout(t, old, oldDB, true)
	if lf != lo {
		t.Errorf("objects of the upgraded database differ from a new one:\nnew:\n%s\nupgraded:\n%s", lf, lo)
	}
	cf, co := inputs(t, fresh), inputs(t, old)
	if len(cf) == 0 || strings.Join(cf, "\n") != strings.Join(co, "\n") {
		t.Errorf("client_service_events of the upgraded database (%d rows) differs from a new one (%d rows)", len(co), len(cf))
	}
	t.Logf("client_service_events: %d client × service × month rows, the same in both databases", len(cf))
}

// TestMigrationsOnCurrentClickHouse applies every migration on current ClickHouse (chDB), then
// once more (nothing left to apply), and finds the same tables, engines, partition and sorting keys
// and column types as on the 18.16 server (the text of views is each engine's own formatting).
func TestMigrationsOnCurrentClickHouse(t *testing.T) {
	ctx := context.Background()
	cur := chdbtest.DB(t)
	all, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := cur.QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n); err != nil || n != uint64(len(all)) {
		t.Fatalf("schema_migrations on chDB has %d rows (%v), want %d", n, err, len(all))
	}
	if again, err := store.Migrate(ctx, cur); err != nil || len(again) != 0 {
		t.Errorf("second migrate on chDB applied %v (%v), want nothing", again, err)
	}
	old, dsn := chtest.DB(t)
	lo, lc := layout(t, old, dbOf(dsn), false), layout(t, cur, cur.Database(), false)
	if lo != lc {
		t.Errorf("objects differ between 18.16 and chDB %s:\n18.16:\n%s\nchDB:\n%s", cur.EngineVersion(), lo, lc)
	}
	t.Logf("%d migrations, %d objects alike on both engines", len(all), strings.Count(lo, "\n")-strings.Count(lo, "\n  "))
}

const insertServiceEvents = "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)"

// serviceRows returns n status events numbered from first: 3 agencies, 2 client types, 7 clients,
// 4 services, 2 events per request, over three months; every 10th event is delivered twice.
func serviceRows(first, n int) [][]any {
	var rows [][]any
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		req := i / 2
		ct := []string{"person", "business"}[req%2]
		status := []string{"submitted", "completed"}[i%2]
		ls, scen := "", ""
		if req%3 == 0 {
			ls = fmt.Sprintf("ls%d", req%2)
		}
		if req%5 == 0 {
			scen = "sc1"
		}
		row := []any{fmt.Sprintf("e%d", i), base.Add(time.Duration(i) * 7 * time.Hour), fmt.Sprintf("ag%d", req%3), ct, fmt.Sprintf("c%d", req%7),
			fmt.Sprintf("r%d", req), fmt.Sprintf("s%d", req%4), "service", status, "portal", ls, scen, "", uint8(0), base, "test"}
		rows = append(rows, row)
		if i%10 == 0 {
			rows = append(rows, row)
		}
	}
	return rows
}

// firstMigration022 returns migration 022 as it first shipped: today's text with the sorting key of
// client_service_events as it was, (g, cs1, cs2).
func firstMigration022(t *testing.T, all []schemas.Migration) string {
	t.Helper()
	const now, first = "ORDER BY (agency_id, g, cs1, cs2);", "ORDER BY (g, cs1, cs2);"
	for _, m := range all {
		if m.Version == 22 {
			if strings.Count(m.SQL, now) != 1 {
				t.Fatalf("%s has %d times %q, want once", m.Name, strings.Count(m.SQL, now), now)
			}
			return strings.Replace(m.SQL, now, first, 1)
		}
	}
	t.Fatal("no migration 022")
	return ""
}

// siblingDB opens database <dsn's database><suffix> on dsn's server, empty, and drops it when the
// test ends (unless CXSTAR_KEEP_TEST_DB is set, as chtest keeps its databases).
func siblingDB(t *testing.T, dsn, suffix string) (driver.Conn, string) {
	t.Helper()
	db := dbOf(dsn) + suffix
	conn, err := store.Open(context.Background(), strings.Replace(dsn, "/"+dbOf(dsn), "/"+db, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv("CXSTAR_KEEP_TEST_DB") == "" {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		}
		conn.Close()
	})
	return conn, db
}

// migrateFrom runs `cxstar migrate` (store.Migrate) on conn, a database at version from, and
// fails unless it applied exactly the migrations after from, the first of them named first.
func migrateFrom(t *testing.T, ctx context.Context, conn driver.Conn, all []schemas.Migration, from int, first ...string) {
	t.Helper()
	applied, err := store.Migrate(ctx, conn)
	if err != nil {
		t.Fatalf("migrate the database at version %d: %v", from, err)
	}
	var got, want []string
	for _, a := range applied {
		got = append(got, a.Name)
	}
	for _, m := range all {
		if m.Version > from {
			want = append(want, m.Name)
		}
	}
	if len(want) < len(first) || strings.Join(want[:len(first)], ",") != strings.Join(first, ",") || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("migrate applied %v, want %v (from %v on)", got, want, first)
	}
}

// migrateUpTo leaves conn as `cxstar migrate` of an older release did: every statement of the
// migrations up to version upTo, and the ledger saying so. sql replaces the text of a migration by
// its version (the file as it shipped then).
func migrateUpTo(t *testing.T, conn driver.Conn, all []schemas.Migration, upTo int, sql map[int]string) {
	t.Helper()
	exec(t, conn, `CREATE TABLE IF NOT EXISTS schema_migrations
		(version UInt32, name String, applied_at DateTime('UTC'))
		ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`)
	for _, m := range all {
		if m.Version > upTo {
			continue
		}
		if s, ok := sql[m.Version]; ok {
			m.SQL = s
		}
		for _, s := range m.Statements() {
			exec(t, conn, s)
		}
		chtest.Insert(t, conn, "INSERT INTO schema_migrations (version, name, applied_at)", [][]any{{uint32(m.Version), m.Name, time.Now().UTC()}})
	}
}

func dbOf(dsn string) string {
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	if i := strings.IndexByte(db, '?'); i >= 0 {
		db = db[:i]
	}
	return db
}

func exec(t *testing.T, c driver.Conn, stmt string) {
	t.Helper()
	if err := c.Exec(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", strings.SplitN(strings.TrimSpace(stmt), "\n", 2)[0], err)
	}
}

func sortingKey(t *testing.T, c driver.Conn, db, table string) string {
	t.Helper()
	var key string
	if err := c.QueryRow(context.Background(), fmt.Sprintf("SELECT sorting_key FROM system.tables WHERE database = '%s' AND name = '%s'", db, table)).Scan(&key); err != nil {
		t.Fatalf("sorting key of %s: %v", table, err)
	}
	return key
}

// layout lists every object of the database but the ledger: name, engine, partition and sorting
// keys, columns and, with views set, the query of each view (with the database name taken out).
func layout(t *testing.T, c driver.Conn, db string, views bool) string {
	t.Helper()
	ctx := context.Background()
	query := "''"
	if views {
		query = fmt.Sprintf("if(engine LIKE '%%View', replaceAll(create_table_query, '%s.', ''), '')", db)
	}
	rows, err := c.Query(ctx, fmt.Sprintf(`SELECT name, engine, partition_key, sorting_key, %s
		FROM system.tables WHERE database = '%s' AND name != 'schema_migrations' ORDER BY name`, query, db))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		var name, engine, part, sort, query string
		if err := rows.Scan(&name, &engine, &part, &sort, &query); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s partition(%s) order(%s) %s\n", name, engine, part, sort, query)
	}
	rows.Close()
	rows, err = c.Query(ctx, fmt.Sprintf("SELECT table, name, type FROM system.columns WHERE database = '%s' AND table != 'schema_migrations' ORDER BY table, name", db))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, name, typ string
		if err := rows.Scan(&table, &name, &typ); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s.%s %s\n", table, name, typ)
	}
	rows.Close()
	return b.String()
}

// inputs returns client_service_events after FINAL, one line per row, with each row's events (a
// request value and a time value side by side, migration 054) sorted: their order inside a state
// depends on insert order, which no reader relies on.
func inputs(t *testing.T, c driver.Conn) []string {
	t.Helper()
	rows, err := c.Query(context.Background(), `WITH finalizeAggregation(ev_bits) AS ev
		SELECT month, g, cs1, cs2,
			arraySort(arrayMap((r, t) -> concat(toString(r), ':', toString(t)),
				arrayFilter((x, i) -> i % 2 = 1, ev, arrayEnumerate(ev)), arrayFilter((x, i) -> i % 2 = 0, ev, arrayEnumerate(ev))))
		FROM client_service_events FINAL ORDER BY g, cs1, cs2, month`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var month uint32
		var g, cs1, cs2 uint64
		var events []string
		if err := rows.Scan(&month, &g, &cs1, &cs2, &events); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(month, g, cs1, cs2, events))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
