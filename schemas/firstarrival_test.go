package schemas_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/schemas"
)

// TestFirstArrivalKeptBy034 migrates a database up to 033, stores answer e1 at 10:00, a
// redelivery of it at 12:00 and merges the raw table (only the 12:00 copy is left), then runs the
// later migrations: event_first_arrival still says e1 first arrived at 10:00 (034 copies
// event_first_seen, it does not refill from the raw table), and an answer stored after the upgrade
// is recorded by the new feed.
func TestFirstArrivalKeptBy034(t *testing.T) {
	ctx := context.Background()
	_, dsn := chtest.DB(t)
	conn, _ := siblingDB(t, dsn, "_fa")
	all, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	migrateUpTo(t, conn, all, 33, nil)
	at := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
	first, again, later := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 2, 8, 0, 0, 0, time.UTC)
	rating := func(id string, ingested time.Time) {
		t.Helper()
		chtest.Insert(t, conn, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, ingested_at, source)",
			[][]any{{id, at, "a1", "person", "c1", "satisfaction", uint8(4), ingested, "test"}})
	}
	rating("e1", first)
	rating("e1", again)
	exec(t, conn, "OPTIMIZE TABLE ratings FINAL")
	var stored time.Time
	if err := conn.QueryRow(ctx, "SELECT min(ingested_at) FROM ratings WHERE event_id = 'e1'").Scan(&stored); err != nil || !stored.Equal(again) {
		t.Fatalf("after the merge the raw table has e1 from %s (%v), want only the copy of %s", stored, err, again)
	}
	if _, err := store.Migrate(ctx, conn); err != nil {
		t.Fatalf("migrate from 033: %v", err)
	}
	rating("e2", later)
	got := strings.Join(chtest.Strings(t, conn, `SELECT concat(source_table, ' ', toString(event_hash = cityHash64('e1')), ' ', toString(minMerge(first_ingested_at)))
		FROM event_first_arrival GROUP BY source_table, agency_id, occurred_at, event_hash ORDER BY source_table, event_hash = cityHash64('e1') DESC`), "\n")
	if want := "ratings 1 2026-10-01 10:00:00\nratings 0 2026-10-02 08:00:00"; got != want {
		t.Errorf("event_first_arrival after the upgrade:\n%s\nwant:\n%s", got, want)
	}
	var old uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'event_first_seen%'").Scan(&old); err != nil || old != 0 {
		t.Errorf("%d event_first_seen tables or views left after 034 (%v), want 0", old, err)
	}
}
