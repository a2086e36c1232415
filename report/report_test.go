package report

import (
	"bytes"
	"context"
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/browsertest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

func ptr[T any](v T) *T { return &v }

func TestStars(t *testing.T) {
	for _, c := range []struct {
		level, max int
		want       string
	}{{0, 5, "☆☆☆☆☆"}, {3, 5, "★★★☆☆"}, {5, 5, "★★★★★"}, {7, 5, "★★★★★"}} {
		if got := stars(c.level, c.max); got != c.want {
			t.Errorf("stars(%d,%d) = %s, want %s", c.level, c.max, got, c.want)
		}
	}
}

func TestNextBand(t *testing.T) {
	cat, err := MetricsCatalog()
	if err != nil {
		t.Fatal(err)
	}
	get := func(std, code string) Indicator {
		ind, ok := cat.Indicator(std, code)
		if !ok {
			t.Fatalf("%s/%s not in the catalog", std, code)
		}
		return ind
	}
	cases := []struct {
		std, code string
		level     int
		value     float64
		lang      metrics.Lang
		want      string
	}{
		// ease: level 4 needs min 80.1; 80.1 − 72.5 = 7.6.
		{"people", "ease_positive_share", 3, 72.5, metrics.RU, "4★ «от 80,1% до 90%»: +7,6 п.п."},
		{"people", "ease_positive_share", 3, 72.5, metrics.EN, "4★ «от 80,1% до 90%»: +7.6 pp"},
		// repeat requests, lower is better: level 3 needs ≤ 4.0; 5.5 − 4.0 = 1.5 to shed.
		{"people", "repeat_request_rate", 2, 5.5, metrics.RU, "3★ «от 1,1% до 4%»: −1,5 п.п."},
		// NPS: level 5 needs > 50; 50 − 42 = 8 points, strictly more.
		{"people", "digital_touchpoint_nps", 4, 42, metrics.RU, "5★ «NPS свыше 50%»: свыше +8,0 пункта"},
		{"people", "scenario_coverage", 5, 95, metrics.RU, "наивысший уровень"},
		// Level 0 of ease (below 50.1): 1★ needs 50.1 − 45 = 5.1.
		{"people", "ease_positive_share", 0, 45, metrics.RU, "1★ «от 50,1% до 60%»: +5,1 п.п."},
		// Composite ladder (cumulative, flags): only the band text.
		{"people", "appointment_booking", 2, 3, metrics.RU, "3★ «24 часа 7 дней в неделю любым удобным для клиента способом»"},
	}
	for _, c := range cases {
		v := c.value
		if got := nextBand(get(c.std, c.code), c.level, &v, c.lang); got != c.want {
			t.Errorf("%s level %d value %v (%s): %q, want %q", c.code, c.level, c.value, c.lang, got, c.want)
		}
	}
}

const insertAssessment = `INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id,
		indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)`

const evilAgency = `<script>alert("x")</script>&Co`

// seed writes the assessments the report tests read (values chosen so that every expected string
// below can be computed by hand).
func seed(t *testing.T, conn driver.Conn) {
	t.Helper()
	var rows [][]any
	at := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	q := func(s string) (string, time.Time) {
		x, _ := quarter.Parse(s, nil)
		return x.String(), x.Start()
	}
	add := func(run string, computed time.Time, quarter, std, agency, code string, table uint8, value *float64, level *uint8, n uint64, lo, hi *float64, status, reason string) {
		qs, start := q(quarter)
		rows = append(rows, []any{run, computed, qs, start, std, agency, code, table, value, level, n, lo, hi, status, reason, "P-2022-04-18.1"})
	}
	none := (*float64)(nil)
	nolevel := (*uint8)(nil)
	// An older run of 2026Q3 for mfc-tula: superseded, must not appear (value 10.0).
	add("old", at.Add(-time.Hour), "2026Q3", "people", "mfc-tula", "ease_positive_share", 1, ptr(10.0), ptr(uint8(0)), 400, ptr(8.0), ptr(12.0), "assessed", "")
	// The current run.
	add("r1", at, "2026Q3", "people", "mfc-tula", "ease_positive_share", 1, ptr(72.5), ptr(uint8(3)), 410, ptr(68.1), ptr(76.4), "assessed", "")
	add("r1", at, "2026Q3", "people", "mfc-tula", "repeat_request_rate", 1, ptr(5.5), ptr(uint8(2)), 2000, none, none, "assessed", "")
	add("r1", at, "2026Q3", "people", "mfc-tula", "digital_touchpoint_nps", 2, ptr(42.0), ptr(uint8(4)), 300, ptr(35.2), ptr(48.8), "assessed", "")
	add("r1", at, "2026Q3", "people", "mfc-tula", "scenario_coverage", 1, ptr(95.0), ptr(uint8(5)), 40, none, none, "assessed", "")
	add("r1", at, "2026Q3", "people", "mfc-tula", "satisfaction_positive_share", 1, none, nolevel, 12, none, none, "not_assessed", "n = 12 < min_n 30")
	add("r1", at, "2026Q3", "people", evilAgency, "ease_positive_share", 1, ptr(55.0), ptr(uint8(1)), 90, ptr(45.0), ptr(65.0), "assessed", "")
	add("r1", at, "2026Q3", "people", evilAgency, "repeat_request_rate", 1, none, nolevel, 0, none, none, "no_data", `no service_event with status "completed" <b>bold</b>`)
	add("r1", at, "2026Q3", "business", "fns-77", "ease_positive_share", 1, ptr(91.3), ptr(uint8(5)), 120, ptr(85.0), ptr(95.2), "assessed", "")
	// Trend of mfc-tula ease: 2025Q4 60.0, 2026Q1 65.0, no 2026Q2, 2026Q3 72.5 (above).
	add("r0", at.AddDate(0, -9, 0), "2025Q4", "people", "mfc-tula", "ease_positive_share", 1, ptr(60.0), ptr(uint8(1)), 380, ptr(55.0), ptr(65.0), "assessed", "")
	add("r0", at.AddDate(0, -6, 0), "2026Q1", "people", "mfc-tula", "ease_positive_share", 1, ptr(65.0), ptr(uint8(2)), 390, ptr(60.0), ptr(70.0), "assessed", "")
	// Outside the 4-quarter window (2025Q3): not drawn.
	add("r0", at.AddDate(-1, 0, 0), "2025Q3", "people", "mfc-tula", "ease_positive_share", 1, ptr(20.0), ptr(uint8(0)), 380, ptr(15.0), ptr(25.0), "assessed", "")
	chtest.Insert(t, conn, insertAssessment, rows)

	// Priorities: mfc-tula's ranks 1, 2 and 4 (the 4th is not shown), an older run (superseded),
	// a row below min_n (rank 0) and the national list's first life situation.
	var pr [][]any
	qs, start := q("2026Q3")
	padd := func(run string, computed time.Time, agency, ls, kind string, rank uint16, score float64, clients uint64, ru, en string) {
		pr = append(pr, []any{run, computed, qs, start, "people", agency, ls, kind, "", rank, score, clients, uint8(0), ru, en, "PR-2026.1", "P-2022-04-18.1"})
	}
	padd("p0", at.Add(-time.Hour), "mfc-tula", "old-situation", "life_situation", 1, 999, 9, "устаревший расчёт", "stale run")
	padd("p1", at, "mfc-tula", "birth", "life_situation", 1, 394.5, 1000, "1 000 клиентов; удовлетворённость 60,0 % при 70,1 % для 3★", "1,000 clients; satisfaction 60.0 % against 70.1 % for 3★")
	padd("p1", at, "mfc-tula", "move", "life_situation", 2, 25.5, 500, "500 клиентов; удовлетворённость 65,0 % при 70,1 % для 3★", "500 clients; satisfaction 65.0 % against 70.1 % for 3★")
	padd("p1", at, "mfc-tula", "fourth", "life_situation", 4, 1, 10, "четвёртая", "fourth")
	padd("p1", at, "mfc-tula", "pension", "life_situation", 0, 0, 300, "300 клиентов; мало ответов", "300 clients; too few answers")
	padd("p1", at, "", "birth", "life_situation", 1, 800.26, 2000, "2 000 клиентов; по стране", "2,000 clients; national")
	chtest.Insert(t, conn, `INSERT INTO priorities (run_id, computed_at, quarter, quarter_start, standard, agency_id, life_situation_id, kind, item_id,
		rank, score, clients, below_min_n, why_ru, why_en, weights_version, bands_version)`, pr)

	// Comparisons of mfc-tula: ease 65.0 → 72.5 significant; repeat requests 6.0 → 5.5 not
	// significant but worse than its target 4.0 (a census value); the NPS within its target's
	// interval (not shown).
	var cmp [][]any
	cadd := func(code string, value, prev float64, verdict string, padj float64, target float64, flag string) {
		delta := value - prev
		cmp = append(cmp, []any{"r1", at, qs, start, "people", "mfc-tula", code, &value, "assessed", uint64(100), uint64(0), uint64(0), uint64(0), uint64(0),
			&prev, uint64(100), &delta, "two_proportion", 2.5, padj, padj, verdict, &target, ptr(value - target), flag, "L1"})
	}
	cadd("ease_positive_share", 72.5, 65.0, "significant_improvement", 0.012, 70.1, "within_interval")
	cadd("repeat_request_rate", 5.5, 6.0, "no_significant_change", 0.4, 4.0, "worse_than_target")
	cadd("digital_touchpoint_nps", 42.0, 30.0, "no_significant_change", 0.3, 40.0, "within_interval")
	chtest.Insert(t, conn, `INSERT INTO indicator_comparisons (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator,
		value, status, n, num, den, promoters, detractors, prev_value, prev_n, delta, test, z, p, p_adjusted, verdict, target, target_deviation, target_flag, target_load_id)`, cmp)
}

var fixed = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

func render(t *testing.T, conn driver.Conn, lang string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(context.Background(), conn, "2026Q3", lang, &buf, WithClock(fixed)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// rowOf returns the <tr> of indicator indID in the section of agency anchorID, with HTML entities
// decoded (html/template writes + as &#43;).
func rowOf(t *testing.T, page, anchorID, indID string) string {
	t.Helper()
	i := strings.Index(page, `<section class="agency" id="`+anchorID+`">`)
	if i < 0 {
		t.Fatalf("no section %s", anchorID)
	}
	sec := page[i:]
	sec = sec[:strings.Index(sec, "</section>")]
	j := strings.Index(sec, `<span class="ind-id">`+indID+`</span>`)
	if j < 0 {
		t.Fatalf("no row %s in section %s", indID, anchorID)
	}
	start := strings.LastIndex(sec[:j], "<tr")
	end := strings.Index(sec[j:], "</tr>")
	return stdhtml.UnescapeString(sec[start : j+end])
}

// TestReportContent renders the report of the seeded data and finds each figure where it belongs:
// values, intervals, levels, distances to the next band, trend points and the not-assessed reasons.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestReportContent(t *testing.T) {
	conn, _ := chtest.DB(t)
	seed(t, conn)
	html := render(t, conn, "ru")

	ease := rowOf(t, html, "ag-mfc-tula", "P-T1-2")
	for _, want := range []string{
		"72,5 %", "[68,1; 76,4]", ">410<", "★★★☆☆", "от 70,1% до 80%", // band met: level 3
		"4★ «от 80,1% до 90%»: +7,6 п.п.", // 80.1 − 72.5
		// Trend: x = 14 + i·(200−28)/3 for i = 0, 1, 3; y = 8 + (100 − v)/100·40 → 24.0, 22.0, 19.0.
		`points="14.0,24.0 71.3,22.0 186.0,19.0"`, "2025Q4", "2026Q3",
		"<title>2026Q1: 65,0 %</title>",
	} {
		if !strings.Contains(ease, want) {
			t.Errorf("ease row lacks %q:\n%s", want, ease)
		}
	}
	if strings.Contains(html, "10,0 %") || strings.Contains(html, "20,0 %") {
		t.Error("a superseded run or a quarter outside the trend window is shown")
	}
	rep := rowOf(t, html, "ag-mfc-tula", "P-T1-3")
	for _, want := range []string{"5,5 %", "★★☆☆☆", "от 4,1% до 7%", "3★ «от 1,1% до 4%»: −1,5 п.п.", ">2000<"} {
		if !strings.Contains(rep, want) {
			t.Errorf("repeat row lacks %q:\n%s", want, rep)
		}
	}
	nps := rowOf(t, html, "ag-mfc-tula", "P-T2-5")
	for _, want := range []string{"42,0<", "★★★★☆", "5★ «NPS свыше 50%»: свыше +8,0 пункта"} {
		if !strings.Contains(nps, want) {
			t.Errorf("NPS row lacks %q:\n%s", want, nps)
		}
	}
	if cov := rowOf(t, html, "ag-mfc-tula", "P-T1-1"); !strings.Contains(cov, "★★★★★") || !strings.Contains(cov, "наивысший уровень") {
		t.Errorf("coverage row: %s", cov)
	}
	sat := rowOf(t, html, "ag-mfc-tula", "P-T1-5")
	if !strings.Contains(sat, "н/д") || !strings.Contains(sat, "не оценён: n = 12 < min_n 30") {
		t.Errorf("not assessed row: %s", sat)
	}
	// Summary: mfc-tula's people row has 5 indicators of its own; the evil agency's row is escaped.
	sumStart := strings.Index(html, `id="summary"`)
	summary := html[sumStart:strings.Index(html, "</ul>\n\n<h3>")]
	for _, want := range []string{"Стандарт «Государство для людей»", `<span class="ind-id">P-T1-2</span> Простота получения услуг`,
		`title="Простота получения услуг: Оценка клиентами`, ">P-T1-2</th>", "★★★☆☆", "★☆☆☆☆", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;Co"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if !strings.Contains(html, "Стандарт «Государство для бизнеса»") || !strings.Contains(rowOf(t, html, "ag-fns-77", "B-T1-2"), "91,3 %") {
		t.Error("business standard missing")
	}
	// Not-assessed section: both rows, with reasons, escaped.
	na := html[strings.Index(html, `id="not-assessed"`):]
	for _, want := range []string{"P-T1-5", "n = 12 &lt; min_n 30", "нет данных", `no service_event with status &#34;completed&#34; &lt;b&gt;bold&lt;/b&gt;`} {
		if !strings.Contains(na, want) {
			t.Errorf("not-assessed section lacks %q", want)
		}
	}
	if n := strings.Count(na, "<tr>") - 1; n != 2 {
		t.Errorf("not-assessed rows: %d, want 2", n)
	}
	// «С чего начать»: mfc-tula's ranks 1 and 2 in order, not the 4th, the superseded run or the
	// unranked row; the national list.
	tula := html[strings.Index(html, `<section class="agency" id="ag-mfc-tula">`):]
	tula = tula[:strings.Index(tula, "</section>")]
	i, j := strings.Index(tula, "<strong>birth</strong>"), strings.Index(tula, "<strong>move</strong>")
	if !strings.Contains(tula, "<h3>С чего начать</h3>") || i < 0 || j < i || !strings.Contains(tula, "394,5") ||
		!strings.Contains(tula, "удовлетворённость 60,0 % при 70,1 % для 3★") {
		t.Errorf("mfc-tula's «С чего начать» is missing or out of order:\n%s", tula[:min(len(tula), 1500)])
	}
	for _, bad := range []string{"fourth", "old-situation", "pension"} {
		if strings.Contains(tula, bad) {
			t.Errorf("mfc-tula's list shows %q", bad)
		}
	}
	// Significant changes and target deviations of mfc-tula: only ease changed significantly, only
	// repeat requests miss their target beyond the interval.
	changes := tula[strings.Index(tula, "<h3>Значимые изменения к прошлому кварталу</h3>"):]
	changes = stdhtml.UnescapeString(changes[:strings.Index(changes, "</ul>")])
	if !strings.Contains(changes, "Простота получения услуг: 65,0 % → 72,5 % (+7,5 п.п.) — <strong>значимое улучшение</strong>") || strings.Count(changes, "<li>") != 1 {
		t.Errorf("mfc-tula's significant changes:\n%s", changes)
	}
	targets := tula[strings.Index(tula, "<h3>Отклонения от целей Проектного офиса</h3>"):]
	targets = stdhtml.UnescapeString(targets[:strings.Index(targets, "</ul>")])
	if !strings.Contains(targets, "5,5 %, цель 4,0 % — <strong>хуже цели</strong>") || strings.Count(targets, "<li>") != 1 {
		t.Errorf("mfc-tula's target deviations:\n%s", targets)
	}
	nat := html[strings.Index(html, `<h2 id="start">`):]
	nat = nat[:strings.Index(nat, "</ol>")]
	if !strings.Contains(nat, "<strong>birth</strong>") || !strings.Contains(nat, "800,3") || !strings.Contains(nat, "2 000 клиентов; по стране") {
		t.Errorf("national «С чего начать»: %s", nat)
	}
	// Self-contained and script-free: no script element, no external reference.
	if strings.Contains(html, "<script") || regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(html) || strings.Contains(html, "@import") {
		t.Error("report has a script or an external reference")
	}

	en := render(t, conn, "en")
	easeEN := rowOf(t, en, "ag-mfc-tula", "P-T1-2")
	for _, want := range []string{"72.5 %", "[68.1; 76.4]", "+7.6 pp", `<html lang="en">`} {
		if !strings.Contains(easeEN+en[:200], want) {
			t.Errorf("English report lacks %q", want)
		}
	}
	if !strings.Contains(en, "Where to start: national") || !strings.Contains(en, "1,000 clients; satisfaction 60.0 % against 70.1 % for 3★") {
		t.Error("English «Where to start» missing")
	}
	if !strings.Contains(en, "Ease of getting services") || !strings.Contains(en, "Not assessed, and why") {
		t.Error("English labels missing")
	}
}

func TestReportEmptyQuarter(t *testing.T) {
	conn, _ := chtest.DB(t)
	html := render(t, conn, "ru")
	if !strings.Contains(html, `<p id="empty">`) {
		t.Fatal("empty quarter: no explanation")
	}
	if err := Write(context.Background(), conn, "2026Q9", "ru", &bytes.Buffer{}); err == nil {
		t.Fatal("bad quarter accepted")
	}
	if err := Write(context.Background(), conn, "2026Q3", "de", &bytes.Buffer{}); err == nil {
		t.Fatal("bad language accepted")
	}
}

// TestReportInChromium opens the report in a real headless Chromium: no console message of level
// warning or error, no exception, no resource fetched, every trend chart laid out, and a
// full-page screenshot written (its path is logged; set CXSTAR_ARTIFACTS to keep it).
func TestReportInChromium(t *testing.T) {
	conn, _ := chtest.DB(t)
	seed(t, conn)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	if a := os.Getenv("CXSTAR_ARTIFACTS"); a != "" {
		dir = a
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := browsertest.Start(ctx)
	if err != nil {
		t.Fatalf("headless Chromium is required (CI: apt-get install -y chromium): %v", err)
	}
	defer b.Close()
	for _, lang := range []string{"ru", "en"} {
		path := filepath.Join(dir, "report-"+lang+".html")
		if err := os.WriteFile(path, []byte(render(t, conn, lang)), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := b.Load(ctx, "file://"+path, 1280, 900)
		if err != nil {
			t.Fatal(err)
		}
		if errs := p.Errors(); len(errs) > 0 {
			t.Errorf("%s: console errors: %v", lang, errs)
		}
		var facts struct {
			Title     string
			Summaries int
			Charts    int
			LaidOut   int
			Resources int
			Stars     string
			Start     int
			Changes   int
		}
		err = p.Eval(ctx, `({
			title: document.title,
			summaries: document.querySelectorAll("table.summary").length,
			charts: document.querySelectorAll("svg.trend").length,
			laidOut: [...document.querySelectorAll("svg.trend polyline")].filter(e => e.getBBox().width > 100).length,
			resources: performance.getEntriesByType("resource").length,
			stars: document.querySelector("#ag-mfc-tula .stars").textContent,
			start: [...document.querySelectorAll("ol.start li")].filter(e => e.getBoundingClientRect().height > 0).length,
			changes: [...document.querySelectorAll("ul.changes li, ul.targets li")].filter(e => e.getBoundingClientRect().height > 0).length
		})`, &facts)
		if err != nil {
			t.Fatal(err)
		}
		// 2 standards → 2 summary tables; 8 indicator rows → 8 charts; only mfc-tula's ease has
		// several points (a polyline 172 px wide); nothing fetched.
		// «С чего начать»: 2 life situations of mfc-tula + 1 national, each laid out; one significant
		// change and one target deviation.
		if facts.Summaries != 2 || facts.Charts != 8 || facts.LaidOut != 1 || facts.Resources != 0 || !strings.Contains(facts.Title, "2026Q3") || facts.Start != 3 || facts.Changes != 2 {
			t.Errorf("%s: page facts %+v", lang, facts)
		}
		if facts.Stars == "" {
			t.Errorf("%s: no stars rendered", lang)
		}
		png, err := p.Screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(dir, "report-"+lang+".png")
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		if len(png) < 20_000 {
			t.Errorf("%s: screenshot only %d bytes: blank page?", lang, len(png))
		}
		t.Logf("%s: screenshot %s (%d bytes)", lang, shot, len(png))
		p.Close(ctx)
	}
}
