// Package tenanttest seeds a test database with the assessments of a few agencies and removes
// their ClickHouse tenancy afterwards: the set-up the dashboards and tenancy tests share.
package tenanttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/tenancy"
)

// The data of the tests: two quarters, three agencies (one with a dot, as agency ids may have),
// both standards, a few indicators with levels, NPS intervals and drill-down rows.
var (
	// Agencies are the agencies Seed is usually given.
	Agencies = []string{"mvd", "fns.77", "pfr"}
	// Quarters are the quarters Seed writes, with their first day.
	Quarters = []struct {
		Q     string
		Start time.Time
	}{
		{"2026Q2", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"2026Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
	}
	// Indicators are the indicators Seed writes, with their table of the standard.
	Indicators = []struct {
		Code  string
		Table uint8
	}{
		{"scenario_coverage", 1}, {"ease_positive_share", 1}, {"nps_positive_service_share", 1},
		{"repeat_request_rate", 1}, {"satisfaction_positive_share", 1}, {"sat_feedback_channels", 2},
		{"digital_touchpoint_nps", 2}, {"social_media_response_time", 2},
	}
)

// Level is the level of agency ai, quarter qi, indicator ii: it differs between quarters for
// every second indicator, so the overview has movers.
func Level(ai, qi, ii int) uint8 { return uint8((ai + ii + qi*(ii%2)) % 6) }

// Value is the indicator's value: 40 + 5·level + agency index.
func Value(ai, qi, ii int) float64 { return 40 + 5*float64(Level(ai, qi, ii)) + float64(ai) }

// Seed inserts one assessment run per agency, quarter and standard (and an older, superseded run
// for the first agency, which the _latest views must hide), plus drill-down rows. The levels are
// Level's, the values Value's; sat_feedback_channels of the second agency is not assessed.
func Seed(t testing.TB, conn driver.Conn, agencies []string) {
	t.Helper()
	var assessments, details [][]any
	computed := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	for ai, a := range agencies {
		for qi, qq := range Quarters {
			for _, std := range []string{"people", "business"} {
				runs := []time.Time{computed}
				if ai == 0 {
					runs = append(runs, computed.Add(-24*time.Hour)) // superseded run
				}
				for ri, at := range runs {
					run := fmt.Sprintf("run-%s-%s-%s-%d", a, qq.Q, std, ri)
					for ii, ind := range Indicators {
						lvl, val := Level(ai, qi, ii), Value(ai, qi, ii)
						if ri > 0 {
							lvl, val = 0, 1 // the superseded run has other numbers
						}
						level, status, reason := &lvl, "assessed", ""
						if ind.Code == "sat_feedback_channels" && ai == 1 {
							level, status, reason = nil, "not_assessed", "n < min_n"
						}
						lo, hi := val-3, val+3
						assessments = append(assessments, []any{run, at, qq.Q, qq.Start, std, a, ind.Code, ind.Table, &val, level, uint64(100 + ii), &lo, &hi, status, reason, "P-2022-04-18.1"})
						for _, dim := range []string{"service", "life_situation"} {
							for k := 1; k <= 2; k++ {
								v := val + float64(k)
								details = append(details, []any{run, at, qq.Q, qq.Start, std, a, ind.Code, dim, fmt.Sprintf("%s-%d", dim, k), &v, uint64(50 + k), &lo, &hi})
							}
						}
					}
				}
			}
		}
	}
	chtest.Insert(t, conn, "INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)", assessments)
	chtest.Insert(t, conn, "INSERT INTO indicator_details (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, dimension, dimension_id, value, n, ci_low, ci_high)", details)
}

// UsersDir is the users.d folder of the server scripts/clickhouse.sh starts.
func UsersDir() string {
	d := os.Getenv("CXSTAR_CH_DIR")
	if d == "" {
		home, _ := os.UserHomeDir()
		d = filepath.Join(home, ".cache", "cxstar", "clickhouse")
	}
	return filepath.Join(d, "users.d")
}

// Cleanup drops the agency databases and the users file of cfg when the test ends.
func Cleanup(t testing.TB, conn driver.Conn, cfg tenancy.Config, agencies []string) {
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

// MainDB returns the database of dsn.
func MainDB(t testing.TB, dsn string) string {
	o, err := store.Options(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return o.Auth.Database
}

// AgencyViews creates agency's database of tenancy.AgencyDDL beside mainDB on conn (its views over
// mainDB's tables, without users: chDB has no access management) and drops it when the test ends.
func AgencyViews(t testing.TB, conn driver.Conn, mainDB, agency string, secret []byte) tenancy.Tenant {
	t.Helper()
	tn, err := tenancy.AgencyTenant(mainDB, agency, secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+tn.Database+"`") })
	for _, stmt := range tenancy.AgencyDDL(mainDB, tn) {
		if err := conn.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%.70s…: %v", stmt, err)
		}
	}
	return tn
}
