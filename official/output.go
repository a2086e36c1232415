package official

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cxstar/cxstar/metrics"
)

// View is what `cxstar assess --quarter Q` prints for a closed quarter: the official revision
// (filtered to the requested standards and agency) and, when checked, its pending revision.
type View struct {
	Revision  *Revision
	Revisions []int
	Pending   *Pending // nil: not checked
	Standards []metrics.Standard
	Agency    string
}

// Scorecards returns the official scorecards to print, in standard order, filtered by agency.
func (v *View) Scorecards() []metrics.Scorecard {
	stds := v.Standards
	if len(stds) == 0 {
		stds = metrics.Standards
	}
	var out []metrics.Scorecard
	for _, std := range stds {
		r := v.Revision.Scorecard(std)
		if r == nil {
			continue
		}
		c := *r
		if v.Agency != "" {
			c.Agencies = nil
			for _, a := range r.Agencies {
				if a.AgencyID == v.Agency {
					c.Agencies = append(c.Agencies, a)
				}
			}
			if c.Agencies == nil {
				c.Agencies = []metrics.AgencyScorecard{}
			}
		}
		out = append(out, c)
	}
	return out
}

type officialJSON struct {
	Revision  int         `json:"revision"`
	Revisions []int       `json:"revisions"`
	ClosedAt  time.Time   `json:"closed_at"`
	Reason    string      `json:"reason"`
	RunID     string      `json:"run_id"`
	Inputs    Fingerprint `json:"inputs"`
}

type jsonScorecard struct {
	metrics.Scorecard
	Official officialJSON `json:"official"`
	Pending  *Pending     `json:"pending_revision,omitempty"`
}

// WriteJSON writes one object per standard: the official report under the keys of an ordinary
// assessment, plus "official" (revision, closing time, reason, fingerprint) and
// "pending_revision" (the differences of that standard, late data, changed inputs).
func (v *View) WriteJSON(w io.Writer) error {
	for _, rep := range v.Scorecards() {
		out := jsonScorecard{Scorecard: rep, Official: officialJSON{Revision: v.Revision.Revision, Revisions: v.Revisions, ClosedAt: v.Revision.ClosedAt,
			Reason: v.Revision.Reason, RunID: v.Revision.RunID, Inputs: v.Revision.Inputs}}
		if v.Pending != nil {
			p := *v.Pending
			p.Differences = []Difference{}
			for _, d := range v.Pending.Differences {
				if d.Standard == rep.Standard {
					p.Differences = append(p.Differences, d)
				}
			}
			out.Pending = &p
		}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("encode official report: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes the official rows in the CSV of an ordinary assessment.
func (v *View) WriteCSV(w io.Writer, lang metrics.Lang) error {
	for i, rep := range v.Scorecards() {
		if err := rep.WriteCSV(w, lang, i == 0); err != nil {
			return err
		}
	}
	return nil
}

// WriteHeader writes the line naming the official revision.
func (v *View) WriteHeader(w io.Writer, lang metrics.Lang) {
	r := v.Revision
	if lang == metrics.EN {
		fmt.Fprintf(w, "%s: official revision %d of %v, closed %s", r.Quarter, r.Revision, v.Revisions, r.ClosedAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "%s: официальная редакция %d из %v, закрыт %s", r.Quarter, r.Revision, v.Revisions, r.ClosedAt.Format(time.RFC3339))
	}
	if r.Reason != "" {
		fmt.Fprintf(w, " (%s)", r.Reason)
	}
	fmt.Fprintln(w)
}

// WriteTable writes the header, the official tables and the pending revision.
func (v *View) WriteTable(w io.Writer, lang metrics.Lang) error {
	v.WriteHeader(w, lang)
	for _, rep := range v.Scorecards() {
		fmt.Fprintln(w)
		if err := rep.WriteTable(w, lang); err != nil {
			return err
		}
	}
	if v.Pending != nil {
		fmt.Fprintln(w)
		v.WritePending(w, lang)
	}
	return nil
}

// WritePending writes the pending revision: each difference with why, and the late data.
func (v *View) WritePending(w io.Writer, lang metrics.Lang) {
	p := v.Pending
	en := lang == metrics.EN
	if len(p.Differences) == 0 {
		if en {
			fmt.Fprintln(w, "No pending revision: a recomputation on today's data gives the official values.")
		} else {
			fmt.Fprintln(w, "Ожидающей редакции нет: пересчёт на сегодняшних данных даёт официальные значения.")
		}
	} else {
		if en {
			fmt.Fprintf(w, "Pending revision: a recomputation on today's data differs in %d value(s) (publish it with --close --reason):\n", len(p.Differences))
		} else {
			fmt.Fprintf(w, "Ожидающая редакция: пересчёт на сегодняшних данных меняет %d значени(е/я) (опубликовать: --close --reason):\n", len(p.Differences))
		}
		for _, d := range p.Differences {
			why := d.Why
			if !en && len(d.WhyRU) > 0 {
				why = d.WhyRU
			}
			fmt.Fprintf(w, "  %s %s %s: %s (%s) → %s (%s); %s\n", d.Standard, d.AgencyID, d.Indicator,
				decStr(d.OldValue), levelText(d.OldLevel), decStr(d.NewValue), levelText(d.NewLevel), strings.Join(why, "; "))
		}
	}
	if len(p.Late) > 0 {
		var parts []string
		for _, l := range p.Late {
			parts = append(parts, fmt.Sprintf("%s %s %d", l.AgencyID, l.Table, l.Events))
		}
		if en {
			fmt.Fprintf(w, "Late data since closing (agency, table, events): %s\n", strings.Join(parts, ", "))
		} else {
			fmt.Fprintf(w, "Данные, поступившие после закрытия (орган, таблица, событий): %s\n", strings.Join(parts, ", "))
		}
	}
}

func levelText(l *int) string {
	if l == nil {
		return "—"
	}
	return fmt.Sprintf("%d★", *l)
}
