package tenancy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/tenancy"
)

// The data of the tests, as in the dashboards tests: two quarters, three agencies (one with a
// dot, as agency ids may have), both standards, a few indicators with levels, NPS intervals and
// drill-down rows.
var (
	seedAgencies = []string{"mvd", "fns.77", "pfr"}
	seedQuarters = []struct {
		q     string
		start time.Time
	}{
		{"2026Q2", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"2026Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
	}
	seedIndicators = []struct {
		code  string
		table uint8
	}{
		{"scenario_coverage", 1}, {"ease_positive_share", 1}, {"nps_positive_service_share", 1},
		{"repeat_request_rate", 1}, {"satisfaction_positive_share", 1}, {"sat_feedback_channels", 2},
		{"digital_touchpoint_nps", 2}, {"social_media_response_time", 2},
	}
)

// seedLevel is the level of agency ai, quarter qi, indicator ii: it differs between quarters for
// every second indicator, so the overview has movers.
func seedLevel(ai, qi, ii int) uint8 { return uint8((ai + ii + qi*(ii%2)) % 6) }

// seedValue is the indicator's value: 40 + 5·level + agency index.
func seedValue(ai, qi, ii int) float64 { return 40 + 5*float64(seedLevel(ai, qi, ii)) + float64(ai) }

// seed inserts one assessment run per agency, quarter and standard (and an older, superseded run
// for the first agency, which the _latest views must hide), plus drill-down rows.
func seed(t testing.TB, conn driver.Conn, agencies []string) {
	t.Helper()
	var assessments, details [][]any
	computed := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	for ai, a := range agencies {
		for qi, qq := range seedQuarters {
			for _, std := range []string{"people", "business"} {
				runs := []time.Time{computed}
				if ai == 0 {
					runs = append(runs, computed.Add(-24*time.Hour)) // superseded run
				}
				for ri, at := range runs {
					run := fmt.Sprintf("run-%s-%s-%s-%d", a, qq.q, std, ri)
					for ii, ind := range seedIndicators {
						lvl, val := seedLevel(ai, qi, ii), seedValue(ai, qi, ii)
						if ri > 0 {
							lvl, val = 0, 1 // the superseded run has other numbers
						}
						level, status, reason := &lvl, "assessed", ""
						if ind.code == "sat_feedback_channels" && ai == 1 {
							level, status, reason = nil, "not_assessed", "n < min_n"
						}
						lo, hi := val-3, val+3
						assessments = append(assessments, []any{run, at, qq.q, qq.start, std, a, ind.code, ind.table, &val, level, uint64(100 + ii), &lo, &hi, status, reason, "P-2022-04-18.1"})
						for _, dim := range []string{"service", "life_situation"} {
							for k := 1; k <= 2; k++ {
								v := val + float64(k)
								details = append(details, []any{run, at, qq.q, qq.start, std, a, ind.code, dim, fmt.Sprintf("%s-%d", dim, k), &v, uint64(50 + k), &lo, &hi})
							}
						}
					}
				}
			}
		}
	}
	chtest.Insert(t, conn, "INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)", assessments)
	chtest.Insert(t, conn, "INSERT INTO indicator_details (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, dimension, dimension_id, value, n, ci_low, ci_high)", details)
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
	rows, err := conn.Query(context.Background(), "SELECT event_id, followed_up, within_5_working_days FROM "+table+" ORDER BY event_id")
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		var f, w uint8
		if err := rows.Scan(&id, &f, &w); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %d", id, f, w))
	}
	return strings.Join(out, ", ")
}

// usersDir is the users.d folder of the server scripts/clickhouse.sh starts.
func usersDir() string {
	d := os.Getenv("CXSTAR_CH_DIR")
	if d == "" {
		home, _ := os.UserHomeDir()
		d = filepath.Join(home, ".cache", "cxstar", "clickhouse")
	}
	return filepath.Join(d, "users.d")
}

// cleanupTenancy drops the agency databases and the users file when the test ends.
func cleanupTenancy(t testing.TB, conn driver.Conn, cfg tenancy.Config, agencies []string) {
	t.Cleanup(func() {
		if os.Getenv("CXSTAR_KEEP_TEST_DB") != "" {
			return
		}
		_, ag, _ := cfg.Tenants(agencies)
		for _, tn := range ag {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+tn.Database+"`")
		}
		_ = os.Remove(filepath.Join(cfg.UsersDir, tenancy.UsersFile(cfg.MainDB)))
	})
}
