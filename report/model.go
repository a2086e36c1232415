package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cxstar/cxstar/metrics"
)

type page struct {
	Lang, Title, Quarter, Generated string
	T                               map[string]string
	Versions                        string
	Summaries                       []summary
	Agencies                        []agencySection
	NotAssessed                     []naRow
	Empty                           bool
	// Official is the line naming the official revision of a closed quarter; Pending the line
	// counting its pending revision's differences and late events ("" when none), PendingRows
	// the differences.
	Official, Pending string
	PendingRows       []pendingRow
	// National is the national «С чего начать» list.
	National []startRow
}

// startRow is one life situation of a «С чего начать» list.
type startRow struct {
	Rank, LifeSituation, Standard, Score, Why string
}

// pendingRow is one value of the pending revision: official → recomputed, and why.
type pendingRow struct {
	Standard, Agency, ID, Name, Old, New, Why string
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
	// Changes are the significant changes since the previous quarter; Targets the values whose
	// target lies outside their interval.
	Changes, Targets []changeRow
}

// changeRow is one line of an agency's significant changes or target deviations.
type changeRow struct {
	Standard, ID, Name, Text, Label string
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

type key struct{ std, agency, ind string }

// build turns the loaded rows into the page the template renders.
func build(d *Data, lang metrics.Lang, cat Catalog, generated string) page {
	T := ui[lang]
	p := page{Lang: string(lang), T: T, Title: T["title"], Quarter: d.Quarter.String(), Generated: generated}
	if o := d.Official; o != nil {
		p.Official, p.Pending = officialLines(o, d.Quarter.String(), lang)
		p.PendingRows = pendingRows(o, lang, cat)
	}
	l := newLayout(d, lang, cat)
	if len(l.byKey) == 0 {
		p.Empty = true
		return p
	}
	p.Versions = l.versions
	p.Summaries = l.summaries()
	start := l.startRows()
	p.National = start[""]
	p.Agencies, p.NotAssessed = l.sections(start)
	return p
}

// startRows are the «С чего начать» lists by agency ("" for the national one).
func (l *layout) startRows() map[string][]startRow {
	start := map[string][]startRow{}
	for _, pr := range l.d.Priorities {
		why := pr.WhyRU
		if l.lang == metrics.EN {
			why = pr.WhyEN
		}
		start[pr.AgencyID] = append(start[pr.AgencyID], startRow{Rank: strconv.Itoa(int(pr.Rank)), LifeSituation: pr.LifeSituation,
			Standard: l.T[pr.Standard], Score: num(pr.Score, l.lang), Why: why})
	}
	return start
}

// layout indexes the report quarter's rows: standards, their indicators in catalog order and
// their agencies, each row by key, and every quarter's value for the trends.
type layout struct {
	d        *Data
	lang     metrics.Lang
	T        map[string]string
	cat      Catalog
	history  map[key]map[string]*float64
	byKey    map[key]Assessment
	stds     []string
	inds     map[string][]string // per standard, in catalog order
	agencies map[string][]string // per standard, sorted
	versions string              // the band versions of the quarter, comma-separated
}

func newLayout(d *Data, lang metrics.Lang, cat Catalog) *layout {
	l := &layout{d: d, lang: lang, T: ui[lang], cat: cat, history: map[key]map[string]*float64{}, byKey: map[key]Assessment{},
		inds: map[string][]string{}, agencies: map[string][]string{}}
	cur := d.Quarter.String()
	versions := map[string]bool{}
	seenInd := map[[2]string]bool{}
	seenAg := map[[2]string]bool{}
	for _, a := range d.Rows {
		k := key{a.Standard, a.AgencyID, a.Indicator}
		if l.history[k] == nil {
			l.history[k] = map[string]*float64{}
		}
		l.history[k][a.Quarter] = a.Value
		if a.Quarter != cur {
			continue
		}
		if a.BandsVersion != "" {
			versions[a.BandsVersion] = true
		}
		if !contains(l.stds, a.Standard) {
			l.stds = append(l.stds, a.Standard)
		}
		if !seenInd[[2]string{a.Standard, a.Indicator}] {
			seenInd[[2]string{a.Standard, a.Indicator}] = true
			l.inds[a.Standard] = append(l.inds[a.Standard], a.Indicator)
		}
		if !seenAg[[2]string{a.Standard, a.AgencyID}] {
			seenAg[[2]string{a.Standard, a.AgencyID}] = true
			l.agencies[a.Standard] = append(l.agencies[a.Standard], a.AgencyID)
		}
		l.byKey[k] = a
	}
	var vs []string
	for v := range versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	l.versions = strings.Join(vs, ", ")
	sort.Slice(l.stds, func(i, j int) bool { return stdOrder(l.stds[i]) < stdOrder(l.stds[j]) })
	for _, std := range l.stds {
		list := l.inds[std]
		sort.SliceStable(list, func(i, j int) bool {
			a, b := l.info(std, list[i]), l.info(std, list[j])
			if a.Table != b.Table {
				return a.Table < b.Table
			}
			if a.Row != b.Row {
				return a.Row < b.Row
			}
			return list[i] < list[j]
		})
		sort.Strings(l.agencies[std])
	}
	return l
}

// info is the catalog entry of an indicator, or a stand-in named by its code.
func (l *layout) info(std, code string) Indicator {
	if ind, ok := l.cat.Indicator(std, code); ok {
		return ind
	}
	return Indicator{ID: code, Table: 99, Row: 99, Name: map[metrics.Lang]string{l.lang: code}, Short: map[metrics.Lang]string{l.lang: code}}
}

// summaries are the agencies × indicators star tables, one per standard.
func (l *layout) summaries() []summary {
	T, lang := l.T, l.lang
	var out []summary
	for _, std := range l.stds {
		s := summary{Name: T[std]}
		if s.Name == "" {
			s.Name = std
		}
		for _, code := range l.inds[std] {
			ind := l.info(std, code)
			s.Indicators = append(s.Indicators, colHead{ID: ind.ID, Short: ind.Short[lang], Name: ind.Name[lang]})
		}
		for _, ag := range l.agencies[std] {
			r := summaryRow{Agency: ag, Anchor: anchor(ag)}
			for _, code := range l.inds[std] {
				a, ok := l.byKey[key{std, ag, code}]
				ind := l.info(std, code)
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
		out = append(out, s)
	}
	return out
}

// sections are one section per agency (its «С чего начать» list from start, every standard's
// indicators with value, interval, band, next band and trend) and the rows that could not be
// assessed.
func (l *layout) sections(start map[string][]startRow) ([]agencySection, []naRow) {
	var all []string
	for _, std := range l.stds {
		for _, ag := range l.agencies[std] {
			if !contains(all, ag) {
				all = append(all, ag)
			}
		}
	}
	sort.Strings(all)
	var secs []agencySection
	var na []naRow
	for _, ag := range all {
		sec := agencySection{ID: ag, Anchor: anchor(ag), Start: start[ag]}
		sec.Changes, sec.Targets = l.comparisons(ag)
		for _, std := range l.stds {
			as := agencyStd{Name: l.T[std]}
			for _, code := range l.inds[std] {
				a, ok := l.byKey[key{std, ag, code}]
				if !ok {
					continue
				}
				ind := l.info(std, code)
				row := l.indicatorRow(std, ag, code, ind, a)
				as.Rows = append(as.Rows, row)
				if a.Status != "assessed" || a.Level == nil {
					na = append(na, naRow{Agency: ag, Anchor: anchor(ag), Standard: l.T[std], ID: ind.ID,
						Name: ind.Short[l.lang], Status: l.T[a.Status], Reason: metrics.ReasonText(a.Reason, l.lang), N: row.N})
				}
			}
			if len(as.Rows) > 0 {
				sec.Standards = append(sec.Standards, as)
			}
		}
		secs = append(secs, sec)
	}
	return secs, na
}

// comparisons are an agency's significant changes («60,0 % → 54,0 %, −6,0 п.п.») and flagged target
// deviations («54,0 % при цели 70,1 %»), as loaded (most significant first).
func (l *layout) comparisons(ag string) (changes, targets []changeRow) {
	for _, c := range l.d.Comparisons {
		if c.AgencyID != ag || c.Value == nil {
			continue
		}
		ind := l.info(c.Standard, c.Indicator)
		unit := unitSuffix(ind.Unit)
		row := changeRow{Standard: l.T[c.Standard], ID: ind.ID, Name: ind.Short[l.lang]}
		if v := metrics.Verdict(c.Verdict); v.Significant() && c.PrevValue != nil && c.Delta != nil {
			r := row
			points := ""
			if ind.Unit == "percent" {
				points = map[metrics.Lang]string{metrics.RU: " п.п.", metrics.EN: " pp"}[l.lang]
			}
			r.Text = num(*c.PrevValue, l.lang) + unit + " → " + num(*c.Value, l.lang) + unit + " (" + signedNum(*c.Delta, l.lang) + points + ")"
			r.Label = v.Label(l.lang)
			changes = append(changes, r)
		}
		if f := metrics.TargetFlag(c.TargetFlag); f.Flagged() && c.Target != nil {
			r := row
			r.Text = num(*c.Value, l.lang) + unit + ", " + l.T["target"] + " " + num(*c.Target, l.lang) + unit
			r.Label = f.Label(l.lang)
			targets = append(targets, r)
		}
	}
	return changes, targets
}

// signedNum writes a change with its sign: +7,8 or −6,0.
func signedNum(v float64, lang metrics.Lang) string {
	if v > 0 {
		return "+" + num(v, lang)
	}
	if v < 0 {
		return "−" + num(-v, lang)
	}
	return num(v, lang)
}

// indicatorRow is one indicator of an agency's section.
func (l *layout) indicatorRow(std, ag, code string, ind Indicator, a Assessment) indRow {
	T, lang := l.T, l.lang
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
	row.Trend = buildTrend(l.d.Quarters, l.history[key{std, ag, code}], ind.Unit, lang)
	return row
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
func reasonSuffix(r string, lang metrics.Lang) string {
	if r == "" {
		return ""
	}
	return ": " + metrics.ReasonText(r, lang)
}

// num formats a value with one decimal, with a decimal comma in Russian.
func num(v float64, lang metrics.Lang) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	if lang == metrics.RU {
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
func nextBand(ind Indicator, level int, value *float64, lang metrics.Lang) string {
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
