package dashboards_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
)

// seedAgencies are the agencies of the tests, with names (tenanttest.Agencies).
var seedAgencies = []dashboards.Agency{{ID: "mvd", Name: "МВД"}, {ID: "fns.77", Name: "ФНС 77"}, {ID: "pfr"}}

// seed inserts the assessments of tenanttest.Seed, the priority lists, the pending revisions and
// the follow-up items.
func seed(t testing.TB, conn driver.Conn, agencies []dashboards.Agency) {
	t.Helper()
	tenanttest.Seed(t, conn, dashboards.IDs(agencies))
	computed := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)

	// Priority lists: two ranked life situations per agency, quarter and standard (the reason names
	// the agency, so a row shown to another agency would be caught), and the national list ('').
	var prio [][]any
	for _, a := range append(append([]dashboards.Agency(nil), agencies...), dashboards.Agency{}) {
		for _, qq := range tenanttest.Quarters {
			for _, std := range []string{"people", "business"} {
				for r := 1; r <= 2; r++ {
					who := a.ID
					if who == "" {
						who = "national"
					}
					prio = append(prio, []any{"run-" + who + "-prio", computed, qq.Q, qq.Start, std, a.ID, fmt.Sprintf("ls-%d", r), "life_situation", "",
						uint16(r), float64(100 / r), uint64(1000 / r), uint8(0), "причина " + who, "reason " + who, "PR-2026.1", "P-2022-04-18.1"})
				}
			}
		}
	}
	chtest.Insert(t, conn, "INSERT INTO priorities (run_id, computed_at, quarter, quarter_start, standard, agency_id, life_situation_id, kind, item_id, rank, score, clients, below_min_n, why_ru, why_en, weights_version, bands_version)", prio)
	seedComparisons(t, conn, agencies, computed)
	seedPending(t, conn)
	seedFollowUps(t, conn, agencies)
}

// seedFollowUps gives each agency one detractor answer per client type in 2026Q3 (the person's
// delivered twice), the person's followed up two days later.
func seedFollowUps(t testing.TB, conn driver.Conn, agencies []dashboards.Agency) {
	t.Helper()
	ing := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 8, 3, 7, 0, 0, 0, time.UTC)
	var ratings, steps [][]any
	for _, a := range agencies {
		for _, ct := range []string{"person", "business"} {
			ratings = append(ratings, []any{a.ID + "-d-" + ct, at, a.ID, ct, "c-" + ct, "nps", uint8(3), "s1", a.ID + "-r-" + ct, ing, "seed"})
		}
		ratings = append(ratings, []any{a.ID + "-d-person", at, a.ID, "person", "c-person", "nps", uint8(3), "s1", a.ID + "-r-person", ing.Add(time.Hour), "seed again"})
		steps = append(steps, []any{a.ID + "-f", at.Add(48 * time.Hour), a.ID, "person", "c-person", a.ID + "-r-person", "s1", "followed_up", "phone", ing, "seed"})
	}
	chtest.Insert(t, conn, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, ingested_at, source)", ratings)
	chtest.Insert(t, conn, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, status, channel, ingested_at, source)", steps)
}

// seedComparisons writes indicator_comparisons for 2026Q3 against 2026Q2 (the values of seed): the
// indicators whose level changes (odd ii) are significant changes, except repeat_request_rate
// (ii = 3), which changes as much but is not significant; the others do not change.
func seedComparisons(t testing.TB, conn driver.Conn, agencies []dashboards.Agency, computed time.Time) {
	t.Helper()
	var rows [][]any
	qq := tenanttest.Quarters[1]
	for ai, a := range agencies {
		for _, std := range []string{"people", "business"} {
			for ii, ind := range tenanttest.Indicators {
				prev, val := tenanttest.Value(ai, 0, ii), tenanttest.Value(ai, 1, ii)
				delta := val - prev
				verdict := "no_significant_change"
				switch {
				case ii%2 == 0 || ii == 3:
				case delta > 0:
					verdict = "significant_improvement"
				default:
					verdict = "significant_decline"
				}
				rows = append(rows, []any{"run-" + a.ID + "-cmp", computed, qq.Q, qq.Start, std, a.ID, ind.Code, &val, "assessed", uint64(100),
					uint64(0), uint64(0), uint64(0), uint64(0), &prev, uint64(100), &delta, "two_proportion", 0.0, 0.5, 0.5, verdict, nil, nil, "", ""})
			}
		}
	}
	chtest.Insert(t, conn, `INSERT INTO indicator_comparisons (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator,
value, status, n, num, den, promoters, detractors, prev_value, prev_n, delta, test, z, p, p_adjusted, verdict, target, target_deviation, target_flag, target_load_id)`, rows)
}

// seedPending closes 2026Q1 (no assessments of its own, so the other quarters' views are
// untouched) with revisions 1 and 2 and records three checks: one of revision 1 and an older one
// of revision 2 (both superseded, their rows must not show) and the newest: mvd's satisfaction
// 66.7 % 2★ → 42.9 % 0★ because 2 ratings arrived after closing.
func seedPending(t testing.TB, conn driver.Conn) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)", [][]any{
		{"2026Q1", start, uint32(1), day(4, 10), "", "run-q1-1", "", []string{}, "", "", "[]"},
		{"2026Q1", start, uint32(2), day(5, 10), "late survey batch", "run-q1-2", "", []string{}, "", "", "[]"},
	})
	chtest.Insert(t, conn, "INSERT INTO official_checks (quarter, quarter_start, revision, check_id, checked_at, checked_ns, differences, late_events, changed_inputs)", [][]any{
		{"2026Q1", start, uint32(1), "check-r1", day(4, 20), uint64(day(4, 20).UnixNano()), uint32(1), uint64(5), []string{}},
		{"2026Q1", start, uint32(2), "check-r2-old", day(5, 20), uint64(day(5, 20).UnixNano()), uint32(1), uint64(1), []string{}},
		{"2026Q1", start, uint32(2), "check-r2", day(5, 21), uint64(day(5, 21).UnixNano()), uint32(1), uint64(2), []string{"ratings: 11 → 13 rows"}},
	})
	f := func(v float64) *float64 { return &v }
	l := func(v uint8) *uint8 { return &v }
	nf, nl := (*float64)(nil), (*uint8)(nil)
	chtest.Insert(t, conn, "INSERT INTO official_pending (quarter, quarter_start, revision, check_id, checked_at, kind, standard, agency_id, indicator, old_value, old_level, new_value, new_level, source_table, events, why_en, why_ru)", [][]any{
		{"2026Q1", start, uint32(1), "check-r1", day(4, 20), "difference", "people", "pfr", "ease_positive_share", f(80), l(3), f(70), l(2), "", uint64(0), "superseded revision", "устаревшая редакция"},
		{"2026Q1", start, uint32(2), "check-r2-old", day(5, 20), "late", "", "pfr", "", nf, nl, nf, nl, "appeals", uint64(1), "older check", "старая проверка"},
		{"2026Q1", start, uint32(2), "check-r2", day(5, 21), "difference", "people", "mvd", "satisfaction_positive_share", f(66.7), l(2), f(42.9), l(0), "", uint64(0),
			"ratings: 2 event(s) of this agency arrived after closing", "ratings: после закрытия поступило событий этого органа: 2"},
		{"2026Q1", start, uint32(2), "check-r2", day(5, 21), "late", "", "mvd", "", nf, nl, nf, nl, "ratings", uint64(2), "2 event(s) arrived after closing", "после закрытия поступило событий: 2"},
	})
}
