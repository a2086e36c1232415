package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/metrics"
)

// comparisonsInsert is transform's INSERT into indicator_comparisons (042), column for column.
const comparisonsInsert = `INSERT INTO indicator_comparisons (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator,
value, status, n, num, den, promoters, detractors, prev_value, prev_n, delta, test, z, p, p_adjusted, verdict, target, target_deviation, target_flag, target_load_id)`

// comparisonRows evaluates the people indicators of prev (2026Q2) and cur (2026Q3) with the default
// bands, compares them (metrics.CompareResults, Benjamini–Hochberg at 5 %) and checks cur against
// targets (metrics.CheckTarget), as transform does, and returns cur's rows of indicator_comparisons
// for agency's run. It also returns the changes by indicator, for the hand checks.
func comparisonRows(t *testing.T, agency, run string, computed time.Time, prev, cur map[string]metrics.Input, targets map[string]string) ([][]any, map[string]metrics.Change) {
	t.Helper()
	bands, err := metrics.DefaultBands(metrics.People)
	if err != nil {
		t.Fatal(err)
	}
	inds := metrics.DefaultCatalog().ByStandard(metrics.People)
	rp, rc := map[string]metrics.Result{}, map[string]metrics.Result{}
	for _, ind := range inds {
		if in, ok := prev[ind.Code]; ok {
			rp[ind.Code] = bands.Evaluate(ind, in)
		}
		if in, ok := cur[ind.Code]; ok {
			rc[ind.Code] = bands.Evaluate(ind, in)
		}
	}
	changes := map[string]metrics.Change{}
	for _, c := range metrics.CompareResults(inds, rp, rc, metrics.DefaultAlpha) {
		changes[c.Code] = c
	}
	var rows [][]any
	q3 := tenanttest.Quarters[1]
	for _, ind := range inds {
		r, ok := rc[ind.Code]
		if !ok {
			continue
		}
		c := changes[ind.Code]
		var target, deviation *float64
		flag := ""
		if s, ok := targets[ind.Code]; ok {
			tc := metrics.CheckTarget(ind, r, metrics.MustParseDecimal(s), "load-1")
			target, deviation, flag = tc.Target.NullFloat64(), tc.Deviation.NullFloat64(), string(tc.Flag)
		}
		rows = append(rows, []any{run, computed, q3.Q, q3.Start, "people", agency, ind.Code,
			r.Value.NullFloat64(), string(r.Status), uint64(r.N), uint64(r.Tally.Num), uint64(r.Tally.Den), uint64(r.Tally.Promoters), uint64(r.Tally.Detractors),
			c.Prev.NullFloat64(), uint64(c.PrevN), c.Delta.NullFloat64(), string(c.Test), c.Z, c.P, c.Adjusted, string(c.Verdict), target, deviation, flag, "load-1"})
	}
	return rows, changes
}

// The hand-computed data set of mvd, people standard, 2026Q2 → 2026Q3:
//
//   - satisfaction 600/1000 = 60,0 % → 540/1000 = 54,0 %: pooled p = 1140/2000 = 0,57,
//     se = √(0,57·0,43·(1/1000 + 1/1000)) = 0,022140, z = −0,06/0,022140 = −2,710, p = 0,00673;
//     Wilson 95 % of 540/1000: (0,54 + 1,96²/2000 ± 1,96·√(0,54·0,46/1000 + 1,96²/4·10⁶))/(1 + 1,96²/1000)
//     = 0,53985 ± 0,03083 → 50,9…57,1; target 57,2 lies 0,1 above the interval: worse than target,
//     deviation 54,0 − 57,2 = −3,2;
//   - ease 70/100 = 70,0 % → 72/100 = 72,0 %: pooled 0,71, se = √(0,71·0,29·0,02) = 0,064172,
//     z = 0,02/0,064172 = 0,3117, p = 0,7553; Wilson of 72/100 = 0,71186 ± 0,08674 → 62,5…79,9;
//     target 79,9 is the upper bound itself (bounds belong to the interval): within, deviation −7,9;
//   - Benjamini–Hochberg over the two tested p-values: 0,00673·2/1 = 0,01346 ≤ 0,05 (satisfaction:
//     significant decline), 0,7553·2/2 = 0,7553 (ease: no significant change);
//   - repeat requests (census, lower is better) 40/500 = 8,0 % → 26/400 = 6,5 %: −1,5, untested;
//     target 7,0: a census value has no interval, so any difference counts, and 6,5 below 7,0 is
//     better than target, deviation −0,5;
//   - digital NPS: 25 promoters and 10 detractors of 50 (NPS 30,0) → 10 and 4 of 20 (NPS 30,0) with
//     min_n 30: not assessed, no comparison, no target.
var (
	mvdPrev = map[string]metrics.Input{
		"satisfaction_positive_share": {Num: 600, Den: 1000},
		"ease_positive_share":         {Num: 70, Den: 100},
		"repeat_request_rate":         {Num: 40, Den: 500},
		"digital_touchpoint_nps":      {Promoters: 25, Detractors: 10, N: 50},
	}
	mvdCur = map[string]metrics.Input{
		"satisfaction_positive_share": {Num: 540, Den: 1000},
		"ease_positive_share":         {Num: 72, Den: 100},
		"repeat_request_rate":         {Num: 26, Den: 400},
		"digital_touchpoint_nps":      {Promoters: 10, Detractors: 4, N: 20},
	}
	mvdTargets = map[string]string{"satisfaction_positive_share": "57.2", "ease_positive_share": "79.9", "repeat_request_rate": "7.0"}
)

// wantChanges is the changes panel of mvd for the data set above, in lang: significant changes
// first, then flagged target deviations, then the rest by adjusted p-value. NULL is "-".
func wantChanges(lang dashboards.Lang) []string {
	n := dashboards.DefaultIndicatorNames(lang)
	if lang == dashboards.EN {
		return []string{
			n["satisfaction_positive_share"] + " | 60 | 54 | -6 | significant decline | 57.2 | -3.2 | worse than target",
			n["repeat_request_rate"] + " | 8 | 6.5 | -1.5 | change (census, not tested) | 7 | -0.5 | better than target",
			n["ease_positive_share"] + " | 70 | 72 | 2 | no significant change | 79.9 | -7.9 | target within the interval",
			n["digital_touchpoint_nps"] + " | - | 30 | - | not assessed: sample 20 below min_n | - | - | ",
		}
	}
	return []string{
		n["satisfaction_positive_share"] + " | 60 | 54 | -6 | значимое ухудшение | 57.2 | -3.2 | хуже цели",
		n["repeat_request_rate"] + " | 8 | 6.5 | -1.5 | изменение (сплошной учёт, без проверки) | 7 | -0.5 | лучше цели",
		n["ease_positive_share"] + " | 70 | 72 | 2 | нет значимого изменения | 79.9 | -7.9 | в пределах ДИ от цели",
		n["digital_touchpoint_nps"] + " | - | 30 | - | не оценено: выборка 20 меньше min_n | - | - | ",
	}
}

// seedChanges stores the data set as two runs of 2026Q3, each over every agency as assess writes
// them: run-q3-a holds mvd's rows of wantChanges and fns.77's satisfaction 200/500 → 300/500 (40 →
// 60 %, a significant improvement); the later recomputation run-q3-b holds mvd's rows with
// satisfaction at 600/1000 (no change).
func seedChanges(t *testing.T, conn driver.Conn) {
	t.Helper()
	at := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	a, ch := comparisonRows(t, "mvd", "run-q3-a", at, mvdPrev, mvdCur, mvdTargets)
	// The hand-computed statistics, so that the data set is what the comment says.
	for _, c := range []struct {
		code      string
		z, p, adj float64
		verdict   metrics.Verdict
	}{
		{"satisfaction_positive_share", -2.710, 0.00673, 0.01346, metrics.SignificantDecline},
		{"ease_positive_share", 0.3117, 0.7553, 0.7553, metrics.NoSignificantChange},
	} {
		got := ch[c.code]
		if math.Abs(got.Z-c.z) > 0.001 || math.Abs(got.P-c.p) > 0.0001 || math.Abs(got.Adjusted-c.adj) > 0.0001 || got.Verdict != c.verdict {
			t.Fatalf("%s: z %.4f p %.5f adjusted %.5f %s, want %.4f %.5f %.5f %s", c.code, got.Z, got.P, got.Adjusted, got.Verdict, c.z, c.p, c.adj, c.verdict)
		}
	}
	cur := map[string]metrics.Input{}
	for k, v := range mvdCur {
		cur[k] = v
	}
	cur["satisfaction_positive_share"] = metrics.Input{Num: 600, Den: 1000}
	b, _ := comparisonRows(t, "mvd", "run-q3-b", at.Add(time.Hour), mvdPrev, cur, mvdTargets)
	f, _ := comparisonRows(t, "fns.77", "run-q3-a", at, map[string]metrics.Input{"satisfaction_positive_share": {Num: 200, Den: 500}},
		map[string]metrics.Input{"satisfaction_positive_share": {Num: 300, Den: 500}}, nil)
	chtest.Insert(t, conn, comparisonsInsert, append(append(a, b...), f...))
}

// closeQ3 publishes 2026Q3's revision 1 with run as its official run.
func closeQ3(t *testing.T, conn driver.Conn, run string) {
	t.Helper()
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)", [][]any{
		{"2026Q3", tenanttest.Quarters[1].Start, uint32(1), time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC), "", run, "", []string{}, "", "", "[]"},
	})
}

// agencyTarget returns the target JSON (variables replaced by vars) and the title of the panel of
// agency's dashboard in lang (agency "": the all-agencies dashboard) whose SQL contains marker.
func agencyTarget(t *testing.T, lang dashboards.Lang, agency, marker string, vars map[string]string) (string, string) {
	t.Helper()
	return boardTarget(t, lang, fmt.Sprintf("the dashboard of %q", agency), func(b renderedBoard) bool {
		return b.agency() == agency && (agency != "" || b.UID == dashboards.AllAgenciesUID)
	}, marker, vars)
}

// changesTarget is agencyTarget of the changes panel.
func changesTarget(t *testing.T, lang dashboards.Lang, agency string, vars map[string]string) (string, string) {
	t.Helper()
	return agencyTarget(t, lang, agency, "FROM indicator_comparisons_latest", vars)
}

// TestChangesPanel runs the agency dashboard's changes panel through the real plugin on 18.16 with
// mvd's own datasource (its tenant user, which reads only its database) over the hand-computed data
// set: before 2026Q3 is closed it shows the newest run (satisfaction unchanged at 60 %, so no
// significant change at all); once 2026Q3 is closed with the earlier run, exactly wantChanges, in
// Russian and English. mvd's user gets no row of fns.77 even when asking for it, while the Project
// Office's all-agencies dashboard shows fns.77's significant improvement (so the check can fail).
func TestChangesPanel(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	seedChanges(t, conn)
	_, po, ag := provision(t, conn, dsn, "changes-secret")
	sources := pushedDatasources(t, po, ag)
	run := func(ds plugintest.Datasource, target string) []string {
		t.Helper()
		return targetRows(t, p, ds, target)
	}
	vars := func(agency string) map[string]string {
		return map[string]string{"agency": agency, "standard": "people", "quarter": "2026Q3"}
	}

	// Not closed: the newest run, run-q3-b, where satisfaction did not move.
	target, title := changesTarget(t, dashboards.RU, "mvd", vars("mvd"))
	if title != "Изменения к прошлому кварталу и цели" {
		t.Errorf("panel title %q", title)
	}
	got := run(sources["mvd"], target)
	sat := dashboards.DefaultIndicatorNames(dashboards.RU)["satisfaction_positive_share"]
	if len(got) != 4 || strings.Contains(strings.Join(got, "\n"), "значимое") ||
		!strings.Contains(strings.Join(got, "\n"), sat+" | 60 | 60 | 0 | нет значимого изменения | 57.2 | 2.8 | в пределах ДИ от цели") {
		t.Errorf("before closing, mvd's panel shows\n%s\nwant the recomputation's 4 rows, satisfaction 60 → 60 without a significant change", strings.Join(got, "\n"))
	}

	// Closed with the earlier run: its rows, whatever was computed later.
	closeQ3(t, conn, "run-q3-a")
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		target, title := changesTarget(t, lang, "mvd", vars("mvd"))
		if lang == dashboards.EN && title != "Changes since last quarter and targets" {
			t.Errorf("panel title %q", title)
		}
		if got, want := run(sources["mvd"], target), wantChanges(lang); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: mvd's changes panel\n%s\nwant\n%s", lang, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	// Tenancy: mvd's datasource with the agency variable set to fns.77 gets nothing, and its copy
	// holds no other agency's row; the Project Office's all-agencies dashboard shows fns.77's row.
	target, _ = changesTarget(t, dashboards.RU, "mvd", vars("fns.77"))
	if got := run(sources["mvd"], target); len(got) != 0 {
		t.Errorf("mvd's datasource shows fns.77's changes:\n%s", strings.Join(got, "\n"))
	}
	res, err := p.Query(context.Background(), sources["mvd"], plugintest.Query{SQL: "SELECT agency_id, run_id FROM indicator_comparisons", Format: dashboards.FormatTable, From: pluginFrom, To: pluginTo})
	if err != nil {
		t.Fatal(err)
	}
	if l := leak("mvd", frameCells(res)); l != "" || res.Rows() != 8 || res.Error != "" {
		t.Errorf("mvd's indicator_comparisons: %d rows (error %q, other agency's cell %q), want its own 8 (2 runs × 4)", res.Rows(), res.Error, l)
	}
	target, _ = changesTarget(t, dashboards.EN, "", vars("fns.77"))
	if got, want := strings.Join(run(sources[""], target), "\n"), dashboards.DefaultIndicatorNames(dashboards.EN)["satisfaction_positive_share"]+
		" | 40 | 60 | 20 | significant improvement | - | - | "; got != want {
		t.Errorf("the Project Office's panel for fns.77: %q, want %q", got, want)
	}
}

// TestChangesPanelOnCurrentClickHouse runs the changes panel on current ClickHouse (chDB) in mvd's
// agency database (AgencyDDL) over the same data set with 2026Q3 closed with run-q3-a: the same
// rows as on 18.16.
func TestChangesPanelOnCurrentClickHouse(t *testing.T) {
	c := chdbtest.DB(t)
	seedChanges(t, c)
	closeQ3(t, c, "run-q3-a")
	tn := tenanttest.AgencyViews(t, c, c.Database(), "mvd", []byte("chdb"))
	ac, err := chdbtest.Open(tn.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		d, err := dashboards.AgencyDashboard(dashboards.Agency{ID: "mvd"}, dashboards.WithLang(lang))
		if err != nil {
			t.Fatal(err)
		}
		sql := dashboards.InterpolateVars(panelSQL(t, d, "FROM indicator_comparisons_latest"), map[string]string{"agency": "mvd", "standard": "people", "quarter": "2026Q3"})
		cell := func(col string) string { return "ifNull(toString(" + col + "), '-')" }
		got := chtest.Strings(t, ac, "SELECT concat(indicator_name, ' | ', "+cell("prev_value")+", ' | ', "+cell("value")+", ' | ', "+cell("delta")+", ' | ', change, ' | ', "+
			cell("target")+", ' | ', "+cell("target_deviation")+", ' | ', target_check) FROM ("+sql+")")
		if want := wantChanges(lang); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s on chDB:\n%s\nwant\n%s", lang, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestChangesPanelHighlight reads the rendered changes panel: every column has its header in the
// dashboard's language, and only the change column carries colours — a value mapping of exactly
// the two significant verdicts (decline red, improvement green) applied to the whole row over a
// transparent default — so that of wantChanges's rows only satisfaction's decline is highlighted.
func TestChangesPanelHighlight(t *testing.T) {
	headers := map[dashboards.Lang][]string{
		dashboards.RU: {"Показатель", "Прошлый квартал", "Значение", "Изменение", "Вывод об изменении", "Цель", "Отклонение от цели", "Сравнение с целью"},
		dashboards.EN: {"Indicator", "Previous quarter", "Value", "Change", "Verdict", "Target", "Deviation from target", "Against target"},
	}
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		d, err := dashboards.AgencyDashboard(dashboards.Agency{ID: "mvd"}, dashboards.WithLang(lang))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := dashboards.JSON(d)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Panels []struct {
				Title       string `json:"title"`
				FieldConfig struct {
					Overrides []struct {
						Matcher struct {
							ID      string `json:"id"`
							Options string `json:"options"`
						} `json:"matcher"`
						Properties []struct {
							ID    string          `json:"id"`
							Value json.RawMessage `json:"value"`
						} `json:"properties"`
					} `json:"overrides"`
				} `json:"fieldConfig"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		var names, colours []string
		coloured := map[string]bool{}
		for _, p := range m.Panels {
			if p.Title != map[dashboards.Lang]string{dashboards.RU: "Изменения к прошлому кварталу и цели", dashboards.EN: "Changes since last quarter and targets"}[lang] {
				continue
			}
			for _, o := range p.FieldConfig.Overrides {
				for _, pr := range o.Properties {
					var buf bytes.Buffer
					if err := json.Compact(&buf, pr.Value); err != nil {
						t.Fatal(err)
					}
					v := buf.String()
					switch pr.ID {
					case "displayName":
						names = append(names, o.Matcher.Options+"="+strings.Trim(v, `"`))
					case "mappings":
						var ms []struct {
							Type    string                       `json:"type"`
							Options map[string]map[string]string `json:"options"`
						}
						if err := json.Unmarshal(pr.Value, &ms); err != nil || len(ms) != 1 || ms[0].Type != "value" {
							t.Fatalf("%s: mappings %s (%v)", lang, v, err)
						}
						for text, res := range ms[0].Options {
							colours = append(colours, o.Matcher.Options+": "+text+"="+res["color"])
							coloured[text] = true
						}
					default:
						colours = append(colours, o.Matcher.Options+": "+pr.ID+"="+v)
					}
				}
			}
		}
		var want []string
		cols := []string{"indicator_name", "prev_value", "value", "delta", "change", "target", "target_deviation", "target_check"}
		for i, c := range cols {
			want = append(want, c+"="+headers[lang][i])
		}
		if strings.Join(names, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s: headers %q, want %q", lang, names, want)
		}
		wantColours := []string{
			`change: color={"mode":"fixed","fixedColor":"transparent"}`,
			"change: " + metrics.SignificantDecline.Label(lang) + "=red",
			"change: " + metrics.SignificantImprovement.Label(lang) + "=green",
			`change: custom.cellOptions={"type":"color-background","applyToRow":true}`,
		}
		sort.Strings(colours)
		sort.Strings(wantColours)
		if strings.Join(colours, "\n") != strings.Join(wantColours, "\n") {
			t.Errorf("%s: colours\n%s\nwant\n%s", lang, strings.Join(colours, "\n"), strings.Join(wantColours, "\n"))
		}
		var lit []string
		for _, r := range wantChanges(lang) {
			if cells := strings.Split(r, " | "); coloured[cells[4]] {
				lit = append(lit, cells[0])
			}
		}
		if sat := dashboards.DefaultIndicatorNames(lang)["satisfaction_positive_share"]; len(lit) != 1 || lit[0] != sat {
			t.Errorf("%s: highlighted rows %q, want satisfaction's only", lang, lit)
		}
	}
}
