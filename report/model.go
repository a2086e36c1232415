package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// ui holds the report's fixed strings per language.
var ui = map[Lang]map[string]string{
	RU: {
		"title":        "Оценка клиентоцентричности органов власти",
		"quarter":      "Квартал",
		"generated":    "Сформирован",
		"bands":        "Версия порогов",
		"summary":      "Сводка: уровни по показателям",
		"agency":       "Орган",
		"indicator":    "Показатель",
		"value":        "Значение",
		"ci":           "95% ДИ",
		"n":            "n",
		"level":        "Уровень",
		"band":         "Достигнутый порог",
		"next":         "До следующего уровня",
		"trend":        "Динамика",
		"agencies":     "Органы власти",
		"notassessed":  "Не оценено и почему",
		"status":       "Статус",
		"reason":       "Причина",
		"none":         "Все показатели оценены.",
		"empty":        "Нет оценок за этот квартал: запустите расчёт показателей (cxstar assess) и повторите.",
		"top":          "наивысший уровень",
		"below1":       "ниже 1★",
		"noladder":     "шкала не задана",
		"pp":           "п.п.",
		"pts":          "пункта",
		"more":         "свыше",
		"assessed":     "оценён",
		"not_assessed": "не оценён",
		"no_data":      "нет данных",
		"people":       "Стандарт «Государство для людей»",
		"business":     "Стандарт «Государство для бизнеса»",
		"of":           "из",
		"legend":       "★ — достигнутый уровень (из 5), ☆ — недостигнутый, «н/д» — показатель не оценён (см. раздел ниже).",
		"na":           "н/д",
		"contents":     "Содержание",
		"start":        "С чего начать",
		"startnat":     "С чего начать: по стране",
		"startnone":    "Нет рассчитанных приоритетов за этот квартал (cxstar priorities).",
		"startnote":    "Жизненные ситуации, где недобор по показателям, определяющим уровень, затрагивает больше всего клиентов (балл — клиенты × взвешенный недобор до порога следующей звезды и до медианы по стране).",
	},
	EN: {
		"title":        "Client-centricity assessment of government agencies",
		"quarter":      "Quarter",
		"generated":    "Generated",
		"bands":        "Bands version",
		"summary":      "Summary: levels by indicator",
		"agency":       "Agency",
		"indicator":    "Indicator",
		"value":        "Value",
		"ci":           "95% CI",
		"n":            "n",
		"level":        "Level",
		"band":         "Band met",
		"next":         "To the next level",
		"trend":        "Trend",
		"agencies":     "Agencies",
		"notassessed":  "Not assessed, and why",
		"status":       "Status",
		"reason":       "Reason",
		"none":         "Every indicator was assessed.",
		"empty":        "No assessments for this quarter: run the indicator computation (cxstar assess) and try again.",
		"top":          "highest level",
		"below1":       "below 1★",
		"noladder":     "no ladder",
		"pp":           "pp",
		"pts":          "points",
		"more":         "above",
		"assessed":     "assessed",
		"not_assessed": "not assessed",
		"no_data":      "no data",
		"people":       "Standard «Government for People»",
		"business":     "Standard «Government for Business»",
		"of":           "of",
		"legend":       "★ level reached (of 5), ☆ not reached, “n/a” not assessed (see the section below).",
		"na":           "n/a",
		"contents":     "Contents",
		"start":        "Where to start",
		"startnat":     "Where to start: national",
		"startnone":    "No priorities computed for this quarter (cxstar priorities).",
		"startnote":    "The life situations where the shortfall on the indicators that decide the level affects the most clients (score: clients × weighted shortfall to the next star's band and to the national median).",
	},
}

type page struct {
	Lang, Title, Quarter, Generated string
	T                               map[string]string
	Versions                        string
	Summaries                       []summary
	Agencies                        []agencySection
	NotAssessed                     []naRow
	Empty                           bool
	// Official is the line naming the official revision of a closed quarter; Pending the line
	// saying that data arrived after closing ("" when none).
	Official, Pending string
	// National is the national «С чего начать» list.
	National []startRow
}

// startRow is one life situation of a «С чего начать» list.
type startRow struct {
	Rank, LifeSituation, Standard, Score, Why string
}

type colHead struct{ ID, Short, Name string }

type summary struct {
	Name       string
	Indicators []colHead
	Rows       []summaryRow
}

type summaryRow struct {
	Agency, Anchor string
	Cells          []cell
}

type cell struct {
	Stars, Class, Title string
}

type agencySection struct {
	ID, Anchor string
	Standards  []agencyStd
	Start      []startRow
}

type agencyStd struct {
	Name string
	Rows []indRow
}

type indRow struct {
	ID, Name, Value, CI, N, Stars, StarsTitle, Band, Next, Class string
	Trend                                                        trend
}

type naRow struct {
	Agency, Anchor, Standard, ID, Name, Status, Reason, N string
}

type trend struct {
	W, H   int
	Line   string
	Points []trendPoint
	Labels []trendLabel
	Empty  bool
}

type trendPoint struct {
	X, Y  string
	Title string
}

type trendLabel struct {
	X, Y, Text, Anchor string
}

type key struct{ std, agency, ind string }

// build turns the loaded rows into the page the template renders.
func build(d *Data, lang Lang, cat Catalog, generated string) page {
	T := ui[lang]
	p := page{Lang: string(lang), T: T, Title: T["title"], Quarter: d.Quarter.String(), Generated: generated}
	if o := d.Official; o != nil {
		p.Official, p.Pending = officialLines(o, d.Quarter.String(), lang)
	}
	cur := d.Quarter.String()
	history := map[key]map[string]*float64{}
	var rows []Assessment
	versions := map[string]bool{}
	for _, a := range d.Rows {
		k := key{a.Standard, a.AgencyID, a.Indicator}
		if history[k] == nil {
			history[k] = map[string]*float64{}
		}
		history[k][a.Quarter] = a.Value
		if a.Quarter == cur {
			rows = append(rows, a)
			if a.BandsVersion != "" {
				versions[a.BandsVersion] = true
			}
		}
	}
	if len(rows) == 0 {
		p.Empty = true
		return p
	}
	var vs []string
	for v := range versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	p.Versions = strings.Join(vs, ", ")

	info := func(std, code string) Indicator {
		if ind, ok := cat.Indicator(std, code); ok {
			return ind
		}
		return Indicator{ID: code, Table: 99, Row: 99, Name: map[Lang]string{lang: code}, Short: map[Lang]string{lang: code}}
	}
	// Indicators and agencies per standard, in catalog order.
	stds := []string{}
	inds := map[string][]string{}
	agencies := map[string][]string{}
	seenInd := map[[2]string]bool{}
	seenAg := map[[2]string]bool{}
	byKey := map[key]Assessment{}
	for _, a := range rows {
		if !contains(stds, a.Standard) {
			stds = append(stds, a.Standard)
		}
		if !seenInd[[2]string{a.Standard, a.Indicator}] {
			seenInd[[2]string{a.Standard, a.Indicator}] = true
			inds[a.Standard] = append(inds[a.Standard], a.Indicator)
		}
		if !seenAg[[2]string{a.Standard, a.AgencyID}] {
			seenAg[[2]string{a.Standard, a.AgencyID}] = true
			agencies[a.Standard] = append(agencies[a.Standard], a.AgencyID)
		}
		byKey[key{a.Standard, a.AgencyID, a.Indicator}] = a
	}
	sort.Slice(stds, func(i, j int) bool { return stdOrder(stds[i]) < stdOrder(stds[j]) })
	for _, std := range stds {
		list := inds[std]
		sort.SliceStable(list, func(i, j int) bool {
			a, b := info(std, list[i]), info(std, list[j])
			if a.Table != b.Table {
				return a.Table < b.Table
			}
			if a.Row != b.Row {
				return a.Row < b.Row
			}
			return list[i] < list[j]
		})
		sort.Strings(agencies[std])
	}

	var allAgencies []string
	for _, std := range stds {
		s := summary{Name: T[std]}
		if s.Name == "" {
			s.Name = std
		}
		for _, code := range inds[std] {
			ind := info(std, code)
			s.Indicators = append(s.Indicators, colHead{ID: ind.ID, Short: ind.Short[lang], Name: ind.Name[lang]})
		}
		for _, ag := range agencies[std] {
			if !contains(allAgencies, ag) {
				allAgencies = append(allAgencies, ag)
			}
			r := summaryRow{Agency: ag, Anchor: anchor(ag)}
			for _, code := range inds[std] {
				a, ok := byKey[key{std, ag, code}]
				ind := info(std, code)
				switch {
				case !ok:
					r.Cells = append(r.Cells, cell{Stars: "", Class: "missing"})
				case a.Level == nil:
					r.Cells = append(r.Cells, cell{Stars: T["na"], Class: "na", Title: ind.ID + ": " + T[a.Status] + reasonSuffix(a.Reason, lang)})
				default:
					max := maxLevel(ind)
					r.Cells = append(r.Cells, cell{Stars: stars(int(*a.Level), max), Class: fmt.Sprintf("l%d", *a.Level),
						Title: fmt.Sprintf("%s: %d %s %d", ind.ID, *a.Level, T["of"], max)})
				}
			}
			s.Rows = append(s.Rows, r)
		}
		p.Summaries = append(p.Summaries, s)
	}
	sort.Strings(allAgencies)

	start := map[string][]startRow{}
	for _, pr := range d.Priorities {
		why := pr.WhyRU
		if lang == EN {
			why = pr.WhyEN
		}
		start[pr.AgencyID] = append(start[pr.AgencyID], startRow{Rank: strconv.Itoa(int(pr.Rank)), LifeSituation: pr.LifeSituation,
			Standard: T[pr.Standard], Score: num(pr.Score, lang), Why: why})
	}
	p.National = start[""]
	for _, ag := range allAgencies {
		sec := agencySection{ID: ag, Anchor: anchor(ag), Start: start[ag]}
		for _, std := range stds {
			as := agencyStd{Name: T[std]}
			for _, code := range inds[std] {
				a, ok := byKey[key{std, ag, code}]
				if !ok {
					continue
				}
				ind := info(std, code)
				row := indRow{ID: ind.ID, Name: ind.Name[lang], N: strconv.FormatUint(a.N, 10), Value: "—", CI: "—", Stars: T["na"], Class: "na",
					Band: T[a.Status] + reasonSuffix(a.Reason, lang)}
				if a.Value != nil {
					row.Value = num(*a.Value, lang) + unitSuffix(ind.Unit)
				}
				if a.CILow != nil && a.CIHigh != nil {
					row.CI = "[" + num(*a.CILow, lang) + "; " + num(*a.CIHigh, lang) + "]"
				}
				if a.Level != nil {
					max := maxLevel(ind)
					row.Stars = stars(int(*a.Level), max)
					row.StarsTitle = fmt.Sprintf("%d %s %d", *a.Level, T["of"], max)
					row.Class = fmt.Sprintf("l%d", *a.Level)
					row.Band = bandText(ind, int(*a.Level), T)
					row.Next = nextBand(ind, int(*a.Level), a.Value, lang)
				}
				row.Trend = buildTrend(d.Quarters, history[key{std, ag, code}], ind.Unit, lang)
				as.Rows = append(as.Rows, row)
				if a.Status != "assessed" || a.Level == nil {
					p.NotAssessed = append(p.NotAssessed, naRow{Agency: ag, Anchor: anchor(ag), Standard: T[std], ID: ind.ID,
						Name: ind.Short[lang], Status: T[a.Status], Reason: metrics.ReasonText(a.Reason, lang), N: row.N})
				}
			}
			if len(as.Rows) > 0 {
				sec.Standards = append(sec.Standards, as)
			}
		}
		p.Agencies = append(p.Agencies, sec)
	}
	return p
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func stdOrder(s string) int {
	switch s {
	case "people":
		return 0
	case "business":
		return 1
	}
	return 2
}

// anchor is an HTML id for an agency: "ag-" and the id with every character outside [a-z0-9-_]
// replaced by its code point, so that two agencies never share an anchor.
func anchor(id string) string {
	var b strings.Builder
	b.WriteString("ag-")
	for _, r := range id {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, ".%x.", r)
		}
	}
	return b.String()
}

func maxLevel(ind Indicator) int {
	m := 5
	for _, b := range ind.Bands {
		if b.Level > m {
			m = b.Level
		}
	}
	return m
}

// stars renders a level as filled and empty star glyphs: 3 of 5 → ★★★☆☆.
func stars(level, max int) string {
	if level < 0 {
		level = 0
	}
	if level > max {
		level = max
	}
	return strings.Repeat("★", level) + strings.Repeat("☆", max-level)
}

// reasonSuffix is ": reason" in lang, or nothing without a reason.
func reasonSuffix(r string, lang Lang) string {
	if r == "" {
		return ""
	}
	return ": " + metrics.ReasonText(r, lang)
}

// num formats a value with one decimal, with a decimal comma in Russian.
func num(v float64, lang Lang) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	if lang == RU {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func unitSuffix(unit string) string {
	if unit == "percent" {
		return " %"
	}
	return ""
}

func bandFor(ind Indicator, level int) (Band, bool) {
	for _, b := range ind.Bands {
		if b.Level == level {
			return b, true
		}
	}
	return Band{}, false
}

func bandText(ind Indicator, level int, T map[string]string) string {
	if level == 0 {
		return T["below1"]
	}
	if b, ok := bandFor(ind, level); ok {
		return b.Text
	}
	return ""
}

// nextBand says what the next level needs: its band text and, when the band is one condition on
// the value, the distance from the current value (+3,2 п.п. for a minimum, −1,5 for a maximum).
func nextBand(ind Indicator, level int, value *float64, lang Lang) string {
	T := ui[lang]
	if len(ind.Bands) == 0 {
		return T["noladder"]
	}
	nb, ok := bandFor(ind, level+1)
	if !ok {
		return T["top"]
	}
	head := fmt.Sprintf("%d★ «%s»", nb.Level, nb.Text)
	if !nb.OnValue || value == nil {
		return head
	}
	unit := T["pts"]
	if ind.Unit == "percent" {
		unit = T["pp"]
	}
	v := *value
	var d float64
	sign, prefix := "+", ""
	switch {
	case nb.Min != nil:
		d = *nb.Min - v
	case nb.Above != nil:
		d, prefix = *nb.Above-v, T["more"]+" "
	case nb.Max != nil:
		d, sign = v-*nb.Max, "−"
	case nb.Below != nil:
		d, sign, prefix = v-*nb.Below, "−", T["more"]+" "
	default:
		return head
	}
	d = math.Round(d*10) / 10
	if d <= 0 {
		return head
	}
	return fmt.Sprintf("%s: %s%s%s %s", head, prefix, sign, num(d, lang), unit)
}

// buildTrend draws the indicator's value over the trend quarters as an inline SVG line: x is the
// quarter, y the value on a fixed scale (0–100 for percentages, −100–100 for NPS points, else the
// data's own range).
func buildTrend(quarters []quarter.Quarter, values map[string]*float64, unit string, lang Lang) trend {
	const W, H, padX, padTop, padBottom = 200, 64, 14, 8, 16
	t := trend{W: W, H: H}
	lo, hi := 0.0, 100.0
	switch unit {
	case "percent":
	case "nps_points":
		lo = -100
	default:
		first := true
		for _, v := range values {
			if v == nil {
				continue
			}
			if first || *v < lo {
				lo = *v
			}
			if first || *v > hi {
				hi = *v
			}
			first = false
		}
		if hi-lo < 1 {
			hi, lo = hi+1, lo-1
		}
	}
	step := 0.0
	if len(quarters) > 1 {
		step = float64(W-2*padX) / float64(len(quarters)-1)
	}
	var line []string
	for i, q := range quarters {
		x := float64(padX) + step*float64(i)
		if len(quarters) == 1 {
			x = W / 2
		}
		if i == 0 || i == len(quarters)-1 {
			anchor := "start"
			if i == len(quarters)-1 && len(quarters) > 1 {
				anchor = "end"
			}
			if len(quarters) == 1 {
				anchor = "middle"
			}
			lx := x - padX/2
			if anchor == "end" {
				lx = x + padX/2
			} else if anchor == "middle" {
				lx = x
			}
			t.Labels = append(t.Labels, trendLabel{X: coord(lx), Y: coord(H - 3), Text: q.String(), Anchor: anchor})
		}
		v := values[q.String()]
		if v == nil {
			continue
		}
		c := math.Max(lo, math.Min(hi, *v))
		y := float64(padTop) + (hi-c)/(hi-lo)*float64(H-padTop-padBottom)
		line = append(line, coord(x)+","+coord(y))
		t.Points = append(t.Points, trendPoint{X: coord(x), Y: coord(y), Title: q.String() + ": " + num(*v, lang) + unitSuffix(unit)})
	}
	t.Line = strings.Join(line, " ")
	t.Empty = len(t.Points) == 0
	return t
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func officialLines(o *Official, q string, lang Lang) (string, string) {
	closed := o.ClosedAt.UTC().Format("2006-01-02 15:04 UTC")
	var line, pending string
	if lang == EN {
		line = fmt.Sprintf("Official revision %d, closed %s", o.Revision, closed)
		if o.LateEvents > 0 {
			pending = fmt.Sprintf("Pending revision: %d event(s) of this quarter arrived after closing; `cxstar assess --quarter %s` lists the differences.", o.LateEvents, q)
		}
	} else {
		line = fmt.Sprintf("Официальная редакция %d, квартал закрыт %s", o.Revision, closed)
		if o.LateEvents > 0 {
			pending = fmt.Sprintf("Ожидающая редакция: после закрытия поступило событий за квартал: %d; различия показывает `cxstar assess --quarter %s`.", o.LateEvents, q)
		}
	}
	if o.Reason != "" {
		line += " (" + o.Reason + ")"
	}
	return line + ".", pending
}
