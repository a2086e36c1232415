package priorities

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/cxstar/cxstar/metrics"
)

// Agencies returns the agencies of cells, sorted.
func Agencies(cells []Cell) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cells {
		if !seen[c.AgencyID] {
			seen[c.AgencyID] = true
			out = append(out, c.AgencyID)
		}
	}
	sort.Strings(out)
	return out
}

// WriteJSON writes the list as one JSON object and a newline, each entry with its reason in lang
// ("why").
func (l List) WriteJSON(w io.Writer, lang metrics.Lang) error {
	type entry struct {
		Entry
		Why      string  `json:"why"`
		Children []entry `json:"children,omitempty"`
	}
	wrap := func(e Entry) entry {
		x := entry{Entry: e, Why: Why(e, lang)}
		for _, c := range e.Children {
			x.Children = append(x.Children, entry{Entry: c, Why: Why(c, lang)})
		}
		x.Entry.Children = nil
		return x
	}
	out := struct {
		List
		Entries []entry `json:"entries"`
	}{List: l}
	for _, e := range l.Entries {
		out.Entries = append(out.Entries, wrap(e))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode priorities: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"quarter", "standard", "agency_id", "life_situation_id", "kind", "item_id", "rank", "score", "clients", "below_min_n", "why"}

// WriteCSV writes one row per entry and child (with the header when header is true).
func (l List) WriteCSV(w io.Writer, lang metrics.Lang, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	row := func(e Entry) error {
		return cw.Write([]string{l.Quarter, l.Standard, l.AgencyID, e.LifeSituation, string(e.Kind), e.ID, strconv.Itoa(e.Rank),
			strconv.FormatFloat(e.Score, 'f', 2, 64), strconv.FormatInt(e.Clients, 10), strconv.FormatBool(e.BelowMinN), Why(e, lang)})
	}
	for _, e := range l.Entries {
		if err := row(e); err != nil {
			return err
		}
		for _, c := range e.Children {
			if err := row(c); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

var kindWords = map[Kind][2]string{
	KindLifeSituation: {"жизненная ситуация", "life situation"},
	KindService:       {"услуга", "service"},
	KindSegment:       {"сегмент", "segment"},
	KindChannel:       {"канал", "channel"},
}

// WriteTable writes the list for people: the life situations in rank order, each followed by its
// top children of every kind (top per kind), with the reason in lang.
func (l List) WriteTable(w io.Writer, lang metrics.Lang, top int) error {
	en := lang == metrics.EN
	who := "по стране"
	title := "С чего начать"
	cols := "Место\tЧто\tКлиенты\tБалл\tПочему"
	if en {
		who, title, cols = "national", "Where to start", "Rank\tWhat\tClients\tScore\tWhy"
	}
	if l.AgencyID != "" {
		who = l.AgencyID
	}
	fmt.Fprintf(w, "%s %s, %s — %s (%s, %s)\n", l.Quarter, l.Standard, who, title, l.Weights, l.Bands)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, cols)
	rank := func(e Entry) string {
		if e.Rank == 0 {
			return "—"
		}
		return strconv.Itoa(e.Rank)
	}
	for _, e := range l.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rank(e), e.LifeSituation, group(e.Clients, en), num2(e.Score, en), Why(e, lang))
		shown := map[Kind]int{}
		for _, c := range e.Children {
			if top > 0 && shown[c.Kind] >= top {
				continue
			}
			shown[c.Kind]++
			word := kindWords[c.Kind][0]
			if en {
				word = kindWords[c.Kind][1]
			}
			fmt.Fprintf(tw, "  %s\t  %s %s\t%s\t%s\t%s\n", rank(c), word, c.ID, group(c.Clients, en), num2(c.Score, en), Why(c, lang))
		}
	}
	return tw.Flush()
}

func num2(v float64, en bool) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if !en {
		s = replaceDot(s)
	}
	return s
}

func replaceDot(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '.' {
			b[i] = ','
		}
	}
	return string(b)
}
