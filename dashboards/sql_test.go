package dashboards_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

func TestExpandSQL(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // 1735689600 s
	to := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC) // 1798675200 s
	vars := map[string]string{"agency": "mvd", "agency_name": "X", "quarter": "2026Q3"}
	for _, c := range []struct{ in, want string }{
		{"agency_id = '$agency'", "agency_id = 'mvd'"},
		{"'${agency}' '$agency_name'", "'mvd' 'X'"},
		{"quarter_start >= toDate($__fromTime)", "quarter_start >= toDate(toDateTime(intDiv(1735689600000,1000)))"},
		{"x <= $__toTime", "x <= toDateTime(intDiv(1798675200000,1000))"},
		{"$__timeFilter(ts)", "ts >= '1735689600' AND ts <= '1798675200'"},
		{"$__timeFilter_ms(ts)", "ts >= '1735689600000' AND ts <= '1798675200000'"},
		{"$__timeInterval(ts) / $__interval_s", "toStartOfInterval(toDateTime(ts), INTERVAL 3600 second) / 3600"},
	} {
		if got := dashboards.ExpandSQL(c.in, vars, from, to, time.Hour); got != c.want {
			t.Errorf("ExpandSQL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// panelSQL returns the SQL of the last panel query of d that contains marker (a table or column
// name); the test fails when none does.
func panelSQL(t testing.TB, d dashboard.Dashboard, marker string) string {
	t.Helper()
	var sql string
	for _, q := range dashboards.Queries(d) {
		if strings.Contains(q.SQL, marker) {
			sql = q.SQL
		}
	}
	if sql == "" {
		t.Fatalf("dashboard %s has no panel reading %s", *d.Uid, marker)
	}
	return sql
}

// runAll runs every query of d, expanded, on c and fails when one errors or returns no rows.
func runAll(t *testing.T, c driver.Conn, d dashboard.Dashboard, vars map[string]string) {
	t.Helper()
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	qs := dashboards.Queries(d)
	if len(qs) < 3 {
		t.Fatalf("dashboard %s has only %d queries", *d.Uid, len(qs))
	}
	for _, q := range qs {
		sql := dashboards.ExpandSQL(q.SQL, vars, from, to, time.Hour)
		if strings.Contains(sql, "$") {
			t.Errorf("%s / %s: unexpanded variable in %s", *d.Uid, q.Panel, sql)
			continue
		}
		rows, err := c.Query(context.Background(), sql)
		if err != nil {
			t.Errorf("%s / %s: %v\n%s", *d.Uid, q.Panel, err, sql)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s / %s: %v", *d.Uid, q.Panel, err)
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s / %s returned no rows:\n%s", *d.Uid, q.Panel, sql)
		}
	}
}

// TestPanelSQLRuns runs every panel's SQL as Grafana would send it, as the tenant users the
// datasources log in with, against the seeded data, in both languages and both standards.
func TestPanelSQLRuns(t *testing.T) {
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: tenanttest.UsersDir(), Secret: []byte("sql-secret"), Addr: chtest.Addr()}
	tenanttest.Cleanup(t, conn, cfg, dashboards.IDs(seedAgencies))
	po, ag, err := tenancy.Provision(context.Background(), conn, cfg, dashboards.IDs(seedAgencies))
	if err != nil {
		t.Fatal(err)
	}
	poc, err := tenancy.Conn(chtest.Addr(), po)
	if err != nil {
		t.Fatal(err)
	}
	defer poc.Close()
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		for _, std := range []string{"people", "business"} {
			vars := map[string]string{"standard": std, "quarter": "2026Q3"}
			for i, tn := range ag {
				d, err := dashboards.AgencyDashboard(seedAgencies[i], dashboards.WithLang(lang))
				if err != nil {
					t.Fatal(err)
				}
				c, err := tenancy.Conn(chtest.Addr(), tn)
				if err != nil {
					t.Fatal(err)
				}
				vars["agency"] = tn.AgencyID
				runAll(t, c, d, vars)
				c.Close()
			}
			ov, err := dashboards.OverviewDashboard(dashboards.WithLang(lang))
			if err != nil {
				t.Fatal(err)
			}
			runAll(t, poc, ov, vars)
			all, err := dashboards.AllAgenciesDashboard(dashboards.WithLang(lang))
			if err != nil {
				t.Fatal(err)
			}
			vars["agency"] = "fns.77"
			runAll(t, poc, all, vars)
		}
	}
}

// TestBandsPanel checks the band texts against metrics/bands/people.yaml: agency 0 (mvd),
// 2026Q3 (qi=1), ease_positive_share (ii=1) has level (0+1+1·1) % 6 = 2, band «от 60,1% до 70%»,
// next star «от 70,1% до 80%»; scenario_coverage (ii=0) has level 0: no band, next «до 35%».
func TestBandsPanel(t *testing.T) {
	conn, _ := chtest.DB(t)
	seed(t, conn, seedAgencies[:1])
	d, err := dashboards.AgencyDashboard(seedAgencies[0], dashboards.WithIndicatorNames(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	sql := dashboards.ExpandSQL(panelSQL(t, d, "next_band"), map[string]string{"agency": "mvd", "standard": "people", "quarter": "2026Q3"}, time.Now(), time.Now(), time.Hour)
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][2]string{}
	for rows.Next() {
		var name, band, next, status string
		var value *float64
		var level *uint8
		var n uint64
		if err := rows.Scan(&name, &value, &level, &band, &next, &n, &status); err != nil {
			t.Fatal(err)
		}
		got[name] = [2]string{band, next}
	}
	for code, want := range map[string][2]string{
		"ease_positive_share": {"от 60,1% до 70%", "от 70,1% до 80%"},
		"scenario_coverage":   {"", "до 35%"},
	} {
		if got[code] != want {
			t.Errorf("%s: band, next = %q, want %q", code, got[code], want)
		}
	}
}
