package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
)

// targetRows runs a panel's query target (JSON) through the plugin with ds over the tests' time
// range and returns frameRows of the answer; an error of the plugin fails the test.
func targetRows(t *testing.T, p *plugintest.Plugin, ds plugintest.Datasource, target string) []string {
	t.Helper()
	res, err := p.Query(context.Background(), ds, plugintest.Query{Target: json.RawMessage(target), From: pluginFrom, To: pluginTo, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != "" {
		t.Fatalf("the plugin answered an error: %s\nSQL executed:\n%s", res.Error, res.Executed)
	}
	return frameRows(res)
}

// frameRows returns the rows of the first frame, each as its cells' text joined by " | " (NULL as "-").
func frameRows(res plugintest.Result) []string {
	if len(res.Frames) == 0 {
		return nil
	}
	f := res.Frames[0]
	n, _ := f.RowLen()
	out := make([]string, n)
	for i := 0; i < n; i++ {
		var cells []string
		for _, fld := range f.Fields {
			v, ok := fld.ConcreteAt(i)
			switch {
			case !ok:
				cells = append(cells, "-")
			case fld.Name == "checked_at":
				cells = append(cells, v.(time.Time).UTC().Format(time.RFC3339))
			default:
				cells = append(cells, fmt.Sprint(v))
			}
		}
		out[i] = strings.Join(cells, " | ")
	}
	return out
}

// overviewTarget returns the title and the target JSON (variables replaced by vars) of the
// overview panel in lang whose SQL contains marker.
func overviewTarget(t *testing.T, lang dashboards.Lang, marker string, vars map[string]string) (string, string) {
	t.Helper()
	js, title := boardTarget(t, lang, "the overview", func(b renderedBoard) bool { return b.UID == dashboards.OverviewUID }, marker, vars)
	return title, js
}

// TestPendingRevisionPanel runs the overview's pending-revision panel through the real plugin with
// the Project Office's datasource: on the seeded closed quarter it shows exactly the newest check of
// the newest revision (mvd's satisfaction 66.7 % 2★ → 42.9 % 0★ and its 2 late ratings), in
// Russian by default and in English; after a newer check that found nothing, it shows no row. The
// official-revision panel names 2026Q1's revision 2 and says 2026Q3 is not closed.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestPendingRevisionPanel(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	_, po, ag := provision(t, conn, dsn, "pending-secret")
	ds := pushedDatasources(t, po, ag)[""]
	panel := func(lang dashboards.Lang) (string, string) {
		t.Helper()
		return overviewTarget(t, lang, "FROM official_pending_latest", nil)
	}
	run := func(target string) []string { t.Helper(); return targetRows(t, p, ds, target) }
	names := map[dashboards.Lang]string{dashboards.RU: dashboards.DefaultIndicatorNames(dashboards.RU)["satisfaction_positive_share"], dashboards.EN: dashboards.DefaultIndicatorNames(dashboards.EN)["satisfaction_positive_share"]}
	for _, c := range []struct {
		lang  dashboards.Lang
		title string
		want  []string
	}{
		{dashboards.RU, "Ожидающие редакции закрытых кварталов", []string{
			"2026Q1 | 2 | people | mvd | изменение значения | " + names[dashboards.RU] + " | 66.7 | 2 | 42.9 | 0 | 0 | ratings: после закрытия поступило событий этого органа: 2 | 2026-05-21T12:00:00Z",
			"2026Q1 | 2 |  | mvd | данные после закрытия | ratings | - | - | - | - | 2 | после закрытия поступило событий: 2 | 2026-05-21T12:00:00Z",
		}},
		{dashboards.EN, "Pending revisions of closed quarters", []string{
			"2026Q1 | 2 | people | mvd | value changes | " + names[dashboards.EN] + " | 66.7 | 2 | 42.9 | 0 | 0 | ratings: 2 event(s) of this agency arrived after closing | 2026-05-21T12:00:00Z",
			"2026Q1 | 2 |  | mvd | data after closing | ratings | - | - | - | - | 2 | 2 event(s) arrived after closing | 2026-05-21T12:00:00Z",
		}},
	} {
		title, target := panel(c.lang)
		if title != c.title {
			t.Errorf("%s: panel title %q, want %q", c.lang, title, c.title)
		}
		if got := run(target); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: pending panel rows:\n%s\nwant:\n%s", c.lang, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}

	// The official revision panel: 2026Q1's newest revision, and 2026Q3 not closed.
	for _, c := range []struct {
		lang          dashboards.Lang
		quarter, want string
	}{
		{dashboards.RU, "2026Q1", "редакция 2, закрыт 2026-05-10 12:00:00 UTC (late survey batch); последняя проверка 2026-05-21 12:00:00 UTC: 1 значени(е/я) изменит пересчёт, 2 событий после закрытия"},
		{dashboards.EN, "2026Q1", "revision 2, closed 2026-05-10 12:00:00 UTC (late survey batch); last check 2026-05-21 12:00:00 UTC: 1 value(s) a recomputation changes, 2 event(s) after closing"},
		{dashboards.RU, "2026Q3", "квартал не закрыт: показан последний расчёт"},
		{dashboards.EN, "2026Q3", "not closed: the newest run is shown"},
	} {
		_, target := overviewTarget(t, c.lang, "FROM official_revisions\n", map[string]string{"quarter": c.quarter, "standard": "people"})
		if got := run(target); strings.Join(got, "\n") != c.want {
			t.Errorf("%s %s: official revision panel shows %q, want %q", c.lang, c.quarter, got, c.want)
		}
	}

	// A newer check of revision 2 found nothing pending: the panel is empty.
	at := time.Date(2026, 5, 22, 12, 0, 0, 0, time.UTC)
	chtest.Insert(t, conn, "INSERT INTO official_checks (quarter, quarter_start, revision, check_id, checked_at, checked_ns, differences, late_events, changed_inputs)", [][]any{
		{"2026Q1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), uint32(2), "check-r2-clean", at, uint64(at.UnixNano()), uint32(0), uint64(0), []string{}},
	})
	_, target := panel(dashboards.RU)
	if got := run(target); len(got) != 0 {
		t.Errorf("after a check that found nothing, the panel shows:\n%s", strings.Join(got, "\n"))
	}
	_, target = overviewTarget(t, dashboards.EN, "FROM official_revisions\n", map[string]string{"quarter": "2026Q1"})
	if got, want := strings.Join(run(target), ""), "revision 2, closed 2026-05-10 12:00:00 UTC (late survey batch); last check 2026-05-22 12:00:00 UTC: 0 value(s) a recomputation changes, 0 event(s) after closing"; got != want {
		t.Errorf("official revision panel after the clean check: %q, want %q", got, want)
	}
	// A revision 3 never checked says so.
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)", [][]any{
		{"2026Q1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), uint32(3), at.Add(time.Hour), "", "run-q1-3", "", []string{}, "", "", "[]"},
	})
	if got, want := strings.Join(run(target), ""), "revision 3, closed 2026-05-22 13:00:00 UTC; not checked since closing (cxstar assess --quarter Q)"; got != want {
		t.Errorf("official revision panel for an unchecked revision: %q, want %q", got, want)
	}
}

// TestPendingPanelOnCurrentClickHouse runs the pending-revision panel's SQL and view on current
// ClickHouse (chDB) over the same seeded checks: the same two rows of the newest check; and the
// official-revision panel names the same revision.
func TestPendingPanelOnCurrentClickHouse(t *testing.T) {
	c := chdbtest.DB(t)
	seedPending(t, c)
	ov, err := dashboards.OverviewDashboard(dashboards.WithIndicatorNames(map[string]string{}), dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	sql := panelSQL(t, ov, "official_pending_latest")
	got := chtest.Strings(t, c, "SELECT concat(quarter, ' ', change, ' ', agency_id, ' ', indicator_name, ' ', ifNull(toString(old_value), '-'), ' → ', ifNull(toString(new_value), '-'), ' ', toString(late_events)) FROM ("+sql+")")
	want := "2026Q1 value changes mvd satisfaction_positive_share 66.7 → 42.9 0\n2026Q1 data after closing mvd ratings - → - 2"
	if strings.Join(got, "\n") != want {
		t.Errorf("on chDB:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	for _, q := range dashboards.Queries(ov) {
		if !strings.Contains(q.SQL, "FROM official_revisions\n") {
			continue
		}
		var rev string
		if err := c.QueryRow(context.Background(), dashboards.InterpolateVars(q.SQL, map[string]string{"quarter": "2026Q1"})).Scan(&rev); err != nil {
			t.Fatal(err)
		}
		if rev != "revision 2, closed 2026-05-10 12:00:00 UTC (late survey batch); last check 2026-05-21 12:00:00 UTC: 1 value(s) a recomputation changes, 2 event(s) after closing" {
			t.Errorf("official revision panel on chDB: %q", rev)
		}
		return
	}
	t.Error("the overview has no official revision panel")
}
