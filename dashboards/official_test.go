package dashboards_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
)

// agencyRevisionTarget returns the target JSON (variables replaced by vars) of the official
// revision panel of agency's dashboard in lang (agency "": the all-agencies dashboard).
func agencyRevisionTarget(t *testing.T, lang dashboards.Lang, agency string, vars map[string]string) string {
	t.Helper()
	target, _ := agencyTarget(t, lang, agency, "FROM official_revisions\n", vars)
	return target
}

// TestAgencyRevisionPanel runs each agency dashboard's official revision panel through the real
// plugin with that agency's own datasource (its tenant user, which reads only its database): the
// seeded 2026Q1 shows revision 2 with its closing time and reason, 2026Q3 (not closed) says so, in
// Russian and English; a revision published after provisioning reaches every agency through the
// feed. Another agency's user cannot read the first agency's official values nor the revisions'
// reports (which hold every agency's values), while the Project Office can (so the check can fail).
func TestAgencyRevisionPanel(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	main, po, ag := provision(t, conn, dsn, "revision-secret")
	sources := pushedDatasources(t, po, ag)
	query := func(ds plugintest.Datasource, q plugintest.Query) plugintest.Result {
		t.Helper()
		q.From, q.To, q.Interval = pluginFrom, pluginTo, time.Hour
		res, err := p.Query(context.Background(), ds, q)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	panel := func(agency string, lang dashboards.Lang, quarter string) string {
		t.Helper()
		res := query(sources[agency], plugintest.Query{Target: json.RawMessage(agencyRevisionTarget(t, lang, agency, map[string]string{"quarter": quarter, "standard": "people", "agency": agency}))})
		if res.Error != "" {
			t.Fatalf("%s %s %s: the plugin answered an error: %s\nSQL executed:\n%s", agency, lang, quarter, res.Error, res.Executed)
		}
		return strings.Join(frameRows(res), "\n")
	}
	cases := []struct {
		lang          dashboards.Lang
		quarter, want string
	}{
		{dashboards.RU, "2026Q1", "редакция 2, закрыт 2026-05-10 12:00:00 UTC (late survey batch)"},
		{dashboards.EN, "2026Q1", "revision 2, closed 2026-05-10 12:00:00 UTC (late survey batch)"},
		{dashboards.RU, "2026Q3", "квартал не закрыт: показан последний расчёт"},
		{dashboards.EN, "2026Q3", "not closed: the newest run is shown"},
	}
	for _, tn := range ag {
		for _, c := range cases {
			if got := panel(tn.AgencyID, c.lang, c.quarter); got != c.want {
				t.Errorf("%s %s %s: official revision panel shows %q, want %q", tn.AgencyID, c.lang, c.quarter, got, c.want)
			}
		}
	}

	// 2026Q3 closed after provisioning with a run holding mvd's official satisfaction 66.7, its
	// reports holding it too: every agency's panel names revision 1 (the feed copied it), mvd's
	// dashboard shows the official value, and no other agency reads it.
	closed := time.Date(2026, 10, 20, 9, 30, 0, 0, time.UTC)
	q3 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	v, lo, hi, lvl := 66.7, 60.0, 73.0, uint8(2)
	chtest.Insert(t, conn, "INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)", [][]any{
		{"run-q3-official", closed.Add(-time.Hour), "2026Q3", q3, "people", "mvd", "satisfaction_positive_share", uint8(1), &v, &lvl, uint64(150), &lo, &hi, "assessed", "", "P-2022-04-18.1"},
	})
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)", [][]any{
		{"2026Q3", q3, uint32(1), closed, "", "run-q3-official", "R1", []string{"P-2022-04-18.1"}, "C1", "v1", `[{"agency":"mvd","official-values":"66.7"}]`},
	})
	for _, tn := range ag {
		if got, want := panel(tn.AgencyID, dashboards.RU, "2026Q3"), "редакция 1, закрыт 2026-10-20 09:30:00 UTC"; got != want {
			t.Errorf("%s after closing 2026Q3: %q, want %q", tn.AgencyID, got, want)
		}
	}
	if got, want := panel("", dashboards.EN, "2026Q3"), "revision 1, closed 2026-10-20 09:30:00 UTC"; got != want {
		t.Errorf("the Project Office's all-agencies panel after closing 2026Q3: %q, want %q", got, want)
	}

	mvd := ag[0]
	if mvd.AgencyID != "mvd" {
		t.Fatalf("first tenant is %s, want mvd", mvd.AgencyID)
	}
	// mvd's own official value is what its dashboard reads (the positive control of the leak check
	// below): the official run's one row, not the newer seeded runs of 2026Q3.
	res := query(sources["mvd"], plugintest.Query{SQL: "SELECT run_id, value FROM assessments_latest WHERE quarter = '2026Q3'", Format: dashboards.FormatTable})
	if got := strings.Join(frameRows(res), "; "); got != "run-q3-official | 66.7" || res.Error != "" {
		t.Errorf("mvd's own 2026Q3 values: %q (error %q), want the official run's 66.7 only", got, res.Error)
	}
	curious := []string{
		"SELECT * FROM official_revisions",
		"SELECT reports FROM official_revisions",
		"SELECT * FROM `" + main + "`.official_revisions",
		"SELECT * FROM `" + main + "`.official_revisions_latest",
		"SELECT * FROM `" + main + "`.official_pending_latest",
		"SELECT * FROM `" + main + "`.assessments_latest WHERE agency_id = 'mvd'",
		"SELECT * FROM `" + mvd.Database + "`.assessments_latest",
		"SELECT * FROM `" + mvd.Database + "`.official_revisions",
	}
	// leaks says what of mvd's official values the cells hold: its reports, its official or pending
	// values (66.7 → 42.9 in 2026Q1's check), its id or one of its run ids.
	leaks := func(cells []string) string {
		for _, c := range cells {
			if strings.Contains(c, "official-values") || c == "66.7" || c == "42.9" || c == "mvd" || strings.Contains(c, "run-mvd-") {
				return c
			}
		}
		return ""
	}
	for _, tn := range ag[1:] {
		for _, sql := range curious {
			res := query(sources[tn.AgencyID], plugintest.Query{SQL: sql, Format: dashboards.FormatTable})
			if l := leaks(frameCells(res)); l != "" {
				t.Errorf("%s through the plugin: %q returned %q, mvd's", tn.AgencyID, sql, l)
			}
		}
		// Its own copy of the revisions holds the metadata only.
		res := query(sources[tn.AgencyID], plugintest.Query{SQL: "SELECT quarter, revision, reason FROM official_revisions ORDER BY quarter, revision", Format: dashboards.FormatTable})
		if got, want := strings.Join(frameRows(res), "; "), "2026Q1 | 1 | ; 2026Q1 | 2 | late survey batch; 2026Q3 | 1 | "; got != want || res.Error != "" {
			t.Errorf("%s's official_revisions: %q (error %q), want %q", tn.AgencyID, got, res.Error, want)
		}
	}
	// The detector works: the Project Office reads the reports and mvd's pending values.
	for _, sql := range []string{"SELECT reports FROM official_revisions", "SELECT * FROM official_pending_latest"} {
		if res := query(sources[""], plugintest.Query{SQL: sql, Format: dashboards.FormatTable}); leaks(frameCells(res)) == "" {
			t.Errorf("the Project Office's %q shows nothing of mvd (%d rows, %q): the leak check cannot fail", sql, res.Rows(), res.Error)
		}
	}
}

// TestAgencyRevisionPanelOnCurrentClickHouse runs an agency database of AgencyDDL on current
// ClickHouse (chDB) with the agency dashboard's official revision panel: the seeded 2026Q1 is
// revision 2 and 2026Q3 is not closed, as on 18.16.
func TestAgencyRevisionPanelOnCurrentClickHouse(t *testing.T) {
	ctx := context.Background()
	c := chdbtest.DB(t)
	seedPending(t, c)
	tn := tenanttest.AgencyViews(t, c, c.Database(), "mvd", []byte("chdb"))
	d, err := dashboards.AgencyDashboard(dashboards.Agency{ID: "mvd"}, dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range dashboards.Queries(d) {
		if !strings.Contains(q.SQL, "FROM official_revisions\n") {
			continue
		}
		for quarter, want := range map[string]string{
			"2026Q1": "revision 2, closed 2026-05-10 12:00:00 UTC (late survey batch)",
			"2026Q3": "not closed: the newest run is shown",
		} {
			sql := strings.Replace(dashboards.InterpolateVars(q.SQL, map[string]string{"quarter": quarter}), "FROM official_revisions", "FROM `"+tn.Database+"`.official_revisions", 1)
			var got string
			if err := c.QueryRow(ctx, sql).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s on chDB: %q, want %q", quarter, got, want)
			}
		}
		return
	}
	t.Error("the agency dashboard has no official revision panel")
}
