package tenancy_test

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

// closeQuarter publishes revision rev of 2026Q3 with run as its official run.
func closeQuarter(t testing.TB, conn driver.Conn, rev uint32, run string) {
	t.Helper()
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)", [][]any{
		{"2026Q3", tenanttest.Quarters[1].Start, rev, time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC).Add(time.Duration(rev) * time.Hour), "", run, "", []string{}, "", "", "[]"},
	})
}

// latestRuns returns "run rows sum(value)" per run of 2026Q3 in view (rows matching where).
func latestRuns(t testing.TB, c driver.Conn, view, where string) []string {
	t.Helper()
	return chtest.Strings(t, c, "SELECT concat(run_id, ' ', toString(count()), ' ', toString(sum(value))) FROM "+view+
		" WHERE quarter = '2026Q3'"+where+" GROUP BY run_id ORDER BY run_id")
}

// TestAgencyLatestIsOfficial closes 2026Q3 with mvd's older run (value 1 for each of its 8 people
// indicators) while a newer recomputation is stored: the agency's assessments_latest and
// indicator_details_latest, read with mvd's own user, show the official run, exactly as the main
// database's views do; revision 2, published after provisioning with the newer run, switches both.
func TestAgencyLatestIsOfficial(t *testing.T) {
	ctx := context.Background()
	conn, dsn := chtest.DB(t)
	tenanttest.Seed(t, conn, tenanttest.Agencies)
	closeQuarter(t, conn, 1, "run-mvd-2026Q3-people-1")
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: tenanttest.UsersDir(), Secret: []byte("official-secret"), Addr: chtest.Addr()}
	tenanttest.Cleanup(t, conn, cfg, tenanttest.Agencies)
	_, ag, err := tenancy.Provision(ctx, conn, cfg, tenanttest.Agencies)
	if err != nil {
		t.Fatal(err)
	}
	mvd, err := tenancy.Conn(chtest.Addr(), ag[0])
	if err != nil {
		t.Fatal(err)
	}
	defer mvd.Close()
	check := func(when string, runs, details []string) {
		t.Helper()
		for _, v := range []struct {
			view string
			want []string
		}{{"assessments_latest", runs}, {"indicator_details_latest", details}} {
			got := latestRuns(t, mvd, v.view, "")
			if len(got) != len(v.want) || len(got) > 0 && got[0] != v.want[0] {
				t.Errorf("%s: mvd's %s shows %q, want %q", when, v.view, got, v.want)
			}
			if main := latestRuns(t, conn, "`"+cfg.MainDB+"`."+v.view, " AND agency_id = 'mvd'"); len(main) != len(got) || len(got) > 0 && main[0] != got[0] {
				t.Errorf("%s: mvd's %s shows %q, the main database's %q", when, v.view, got, main)
			}
		}
	}
	// Revision 1 is the older run: 8 indicators of value 1; its drill-down rows 8 × 2 dimensions ×
	// 2 ids of values 1+1 and 1+2: 80. The business run of 2026Q3 is not official: not shown.
	check("revision 1", []string{"run-mvd-2026Q3-people-1 8 8"}, []string{"run-mvd-2026Q3-people-1 32 80"})
	// Revision 2 is the newer run: values 40 + 5·level with the levels (i + i mod 2) mod 6 of
	// indicators i = 0…7, i.e. 0,2,2,4,4,0,0,2: 8·40 + 5·14 = 390; drill-down 4·390 + 8·(2+4) = 1608.
	closeQuarter(t, conn, 2, "run-mvd-2026Q3-people-0")
	check("revision 2", []string{"run-mvd-2026Q3-people-0 8 390"}, []string{"run-mvd-2026Q3-people-0 32 1608"})
	// 2026Q2 is not closed: its newest runs, both standards.
	if got := chtest.Strings(t, mvd, "SELECT run_id FROM assessments_latest WHERE quarter = '2026Q2' GROUP BY run_id ORDER BY run_id"); len(got) != 2 || got[0] != "run-mvd-2026Q2-business-0" || got[1] != "run-mvd-2026Q2-people-0" {
		t.Errorf("mvd's unclosed 2026Q2 shows runs %q, want the newest of each standard", got)
	}
}
