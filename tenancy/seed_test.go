package tenancy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
)

// seed inserts the assessments of tenanttest.Seed and the follow-up items of seedFollowUps.
func seed(t testing.TB, conn driver.Conn, agencies []string) {
	t.Helper()
	tenanttest.Seed(t, conn, agencies)
	seedFollowUps(t, conn, agencies)
}

// seedFollowUps gives each agency two detractor answers and a passive one, the first detractor
// answer delivered twice, and a follow-up step for each detractor's request: d1 answered Monday
// 2026-08-03 10:00 Moscow and followed up two days later (in time), d2 answered Tuesday and
// followed up 16 days later (late). Each agency's followup_status shows "<id>-d1 1 1" and
// "<id>-d2 1 0".
func seedFollowUps(t testing.TB, conn driver.Conn, agencies []string) {
	t.Helper()
	const insRating = "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, ingested_at, source)"
	ing := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(d, h int) time.Time { return time.Date(2026, 8, d, h, 0, 0, 0, time.UTC) }
	var ratings, again, steps [][]any
	for _, a := range agencies {
		ratings = append(ratings,
			[]any{a + "-d1", at(3, 7), a, "person", "c1", "nps", uint8(2), "s1", a + "-r1", ing, "seed"},
			[]any{a + "-d2", at(4, 7), a, "person", "c2", "satisfaction", uint8(1), "s1", a + "-r2", ing, "seed"},
			[]any{a + "-p1", at(4, 7), a, "person", "c3", "nps", uint8(9), "s1", a + "-r3", ing, "seed"})
		again = append(again, []any{a + "-d1", at(3, 7), a, "person", "c1", "nps", uint8(2), "s1", a + "-r1", ing.Add(time.Hour), "seed again"})
		steps = append(steps,
			[]any{a + "-f1", at(5, 7), a, "person", "c1", a + "-r1", "s1", "followed_up", "phone", ing, "seed"},
			[]any{a + "-f2", at(20, 7), a, "person", "c2", a + "-r2", "s1", "followed_up", "phone", ing, "seed"})
	}
	chtest.Insert(t, conn, insRating, ratings)
	chtest.Insert(t, conn, insRating, again)
	chtest.Insert(t, conn, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, status, channel, ingested_at, source)", steps)
}

// followUpRows reads db's followup_status as "event followed_up within" lines, in event order.
func followUpRows(t testing.TB, conn driver.Conn, table string) string {
	t.Helper()
	out := chtest.Strings(t, conn, "SELECT concat(event_id, ' ', toString(followed_up), ' ', toString(within_5_working_days)) FROM "+table+" ORDER BY event_id")
	return strings.Join(out, ", ")
}
