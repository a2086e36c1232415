package metrics

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the scorecard as one JSON object, the shape of `cxstar assess --format json`:
// {"quarter","standard","bands_version","agencies":[{"agency_id","overall_level","indicators":[{"code","value","level","n","ci_low","ci_high","status"}]}]}.
func (r *Scorecard) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode scorecard: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// CSVHeader is the header row of WriteCSV.
// The columns after reason are the change against the previous quarter (its value, the change, the
// Benjamini–Hochberg adjusted p-value and the verdict's label) and the target check (target,
// value − target, and the flag's label); empty when not compared.
var CSVHeader = []string{"quarter", "standard", "bands_version", "agency_id", "overall_level", "indicator_id", "table", "code", "name", "value", "level", "n", "ci_low", "ci_high", "status", "reason",
	"prev_value", "change", "change_p_adjusted", "change_verdict", "target", "target_deviation", "target_flag"}

// WriteCSV writes one row per agency × indicator (with the header when header is true); names are
// in the given language.
func (r *Scorecard) WriteCSV(w io.Writer, lang Lang, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	for _, a := range r.Agencies {
		for _, x := range a.Indicators {
			ind, _ := DefaultCatalog().Lookup(r.Standard, x.Code)
			name := x.Code
			if ind != nil {
				name = ind.Name(lang)
			}
			if err := cw.Write(append([]string{r.Quarter, string(r.Standard), r.BandsVersion, a.AgencyID, intStr(a.OverallLevel), x.ID, strconv.Itoa(x.Table), x.Code, name,
				decStr(x.Value), intStr(x.Level), strconv.FormatInt(x.N, 10), decStr(x.CILow), decStr(x.CIHigh), string(x.Status), withSource(x.Reason, x.Source)}, changeCells(x, lang)...)); err != nil {
				return err
			}
		}
		// Monitored deadlines: the clause as indicator_id, table and level empty (no bands).
		for _, m := range a.Monitoring {
			reason := "limit " + m.Limit
			if m.Reason != "" {
				reason += "; " + m.Reason
			}
			if err := cw.Write([]string{r.Quarter, string(r.Standard), r.BandsVersion, a.AgencyID, intStr(a.OverallLevel), m.Clause, "", m.Code, monitorLabel(m.Code, lang),
				decStr(m.Value), "", strconv.FormatInt(m.N, 10), decStr(m.CILow), decStr(m.CIHigh), string(m.Status), reason, "", "", "", "", "", "", ""}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes a human-readable table per agency, with short labels in the given language
// (Russian by default), stars as ★ and statuses spelled out.
func (r *Scorecard) WriteTable(w io.Writer, lang Lang) error {
	std := map[Standard][2]string{People: {"«Государство для людей»", "State for people"}, Business: {"«Государство для бизнеса»", "State for business"}}[r.Standard]
	title, agencyWord, overallWord, cols := std[0], "Орган власти", "Общий уровень (предложение A21)", "ID\tПоказатель\tЗначение\tУровень\tn\t95% ДИ\tСтатус\tК прошлому кварталу\tЦель"
	if lang == EN {
		title, agencyWord, overallWord, cols = std[1], "Agency", "Overall level (A21 proposal)", "ID\tIndicator\tValue\tLevel\tn\t95% CI\tStatus\tSince last quarter\tTarget"
	}
	bandsWord := "шкалы"
	if lang == EN {
		bandsWord = "bands"
	}
	fmt.Fprintf(w, "%s %s, %s: %s\n", r.Quarter, title, bandsWord, r.BandsVersion)
	if len(r.Agencies) == 0 {
		if lang == EN {
			fmt.Fprintln(w, "no agency has data in this quarter")
		} else {
			fmt.Fprintln(w, "нет данных ни по одному органу власти за квартал")
		}
	}
	for _, a := range r.Agencies {
		fmt.Fprintf(w, "\n%s: %s — %s: %s\n", agencyWord, a.AgencyID, overallWord, stars(a.OverallLevel, lang))
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, cols)
		for _, x := range a.Indicators {
			ind, _ := DefaultCatalog().Lookup(r.Standard, x.Code)
			label := x.Code
			if ind != nil {
				label = ind.Label(lang)
			}
			ci := ""
			if x.CILow != nil && x.CIHigh != nil {
				ci = x.CILow.String() + "–" + x.CIHigh.String()
			}
			status := StatusLabel(x.Status, lang)
			if why := ReasonText(withSource(x.Reason, x.Source), lang); why != "" {
				status += " (" + why + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", x.ID, label, decStr(x.Value), stars(x.Level, lang), x.N, ci, status, ChangeText(x.Change, lang), TargetText(x.Target, lang))
		}
		if len(a.Monitoring) > 0 {
			head := "\nКонтроль сроков (без звёзд)\tСрок\tДоля в срок, %\tn\t95% ДИ\tСтатус"
			if lang == EN {
				head = "\nDeadlines monitored (no star bands)\tLimit\tShare in time, %\tn\t95% CI\tStatus"
			}
			fmt.Fprintln(tw, head)
			for _, m := range a.Monitoring {
				ci := ""
				if m.CILow != nil && m.CIHigh != nil {
					ci = m.CILow.String() + "–" + m.CIHigh.String()
				}
				status := StatusLabel(m.Status, lang)
				if m.Reason != "" {
					status += " (" + ReasonText(m.Reason, lang) + ")"
				}
				fmt.Fprintf(tw, "%s %s\t%s\t%s\t%d\t%s\t%s\n", m.Clause, monitorLabel(m.Code, lang), m.Limit, decStr(m.Value), m.N, ci, status)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// changeCells are the CSV cells of a result's change and target check.
func changeCells(x Result, lang Lang) []string {
	out := make([]string, 7)
	if c := x.Change; c != nil && c.Verdict != NoComparison {
		out[0], out[1], out[3] = decStr(c.Prev), signed(c.Delta), c.Verdict.Label(lang)
		if c.Test != ChangeNoTest {
			out[2] = strconv.FormatFloat(c.Adjusted, 'g', 4, 64)
		}
	}
	if t := x.Target; t != nil {
		out[4], out[5], out[6] = t.Target.String(), signed(t.Deviation), t.Flag.Label(lang)
	}
	return out
}

// ChangeText is a change against the previous quarter as one cell: "+4.2: значимое улучшение";
// empty when there is nothing to compare.
func ChangeText(c *Change, lang Lang) string {
	if c == nil || c.Verdict == NoComparison {
		return ""
	}
	return signed(c.Delta) + ": " + c.Verdict.Label(lang)
}

// TargetText is a target check as one cell: "75.0 (хуже цели)"; empty without a target.
func TargetText(t *TargetCheck, lang Lang) string {
	if t == nil {
		return ""
	}
	return t.Target.String() + " (" + t.Flag.Label(lang) + ")"
}

// signed formats a difference with its sign ("+4.2", "-6.0", "0.0"), or "" for nil.
func signed(d *Decimal) string {
	if d == nil {
		return ""
	}
	if d.Sign() > 0 {
		return "+" + d.String()
	}
	return d.String()
}

func withSource(reason, source string) string {
	switch {
	case source == "":
		return reason
	case reason == "":
		return "source: " + source
	}
	return reason + "; source: " + source
}

func monitorLabel(code string, lang Lang) string {
	for _, m := range Monitors {
		if m.Code == code {
			return m.Label(lang)
		}
	}
	return code
}

func stars(l *int, lang Lang) string {
	if l == nil {
		if lang == EN {
			return "not assessed"
		}
		return "не оценивается"
	}
	if *l == 0 {
		if lang == EN {
			return "0 (below 1★)"
		}
		return "0 (ниже 1★)"
	}
	return strconv.Itoa(*l) + " " + strings.Repeat("★", *l)
}

func decStr(d *Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func intStr(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}
