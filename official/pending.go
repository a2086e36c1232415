package official

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/transform"
)

// Difference is one value of a pending revision: what a recomputation on today's data gives
// instead of the official value, and which inputs changed.
type Difference struct {
	Standard  metrics.Standard `json:"standard"`
	AgencyID  string           `json:"agency_id"`
	Indicator string           `json:"indicator"`
	OldValue  *metrics.Decimal `json:"old_value"`
	OldLevel  *int             `json:"old_level"`
	NewValue  *metrics.Decimal `json:"new_value"`
	NewLevel  *int             `json:"new_level"`
	Why       []string         `json:"why"`
	WhyRU     []string         `json:"why_ru"` // Why in Russian
}

// Late counts the events of one agency and raw table that fall in the quarter and were first
// stored after it was closed.
type Late struct {
	AgencyID string `json:"agency_id"`
	Table    string `json:"table"`
	Events   uint64 `json:"events"`
}

// Pending is the state of a closed quarter today: the differences a new revision would bring and
// the data that arrived after closing.
type Pending struct {
	Differences []Difference `json:"differences"`
	Late        []Late       `json:"late_data"`
	// Changed lists the inputs that differ from the revision's fingerprint.
	Changed []string `json:"changed_inputs"`
}

// Check recomputes the quarter of rev on today's data (nothing is stored) with req's bands,
// agency and standards, and returns every value or level that would change, with why.
// It is a linear pipeline read top to bottom: recompute, compare inputs, then compare each value.
func Check(ctx context.Context, conn driver.Conn, req transform.Request, rev *Revision) (*Pending, error) {
	q, loc, p, err := quarterOf(req)
	if err != nil {
		return nil, err
	}
	req.Store = false
	run, err := transform.Assess(ctx, conn, req)
	if err != nil {
		return nil, err
	}
	now, err := fingerprint(ctx, conn, q, loc, p)
	if err != nil {
		return nil, err
	}
	now.RegistryVersion = run.RegistryVersion
	for _, std := range metrics.Standards {
		if b := run.Bands[std]; b != nil {
			now.Bands = append(now.Bands, string(std)+"="+b.Version)
		}
	}
	late, err := lateData(ctx, conn, q, p, rev.ClosedAt, req.Agency)
	if err != nil {
		return nil, err
	}
	pd := &Pending{Late: late, Differences: []Difference{}}
	tableChange, tableChangeRU := map[string]string{}, map[string]string{}
	old := map[string]TableInput{}
	for _, t := range rev.Inputs.Tables {
		old[t.Table] = t
	}
	for _, t := range now.Tables {
		o := old[t.Table]
		if o.Rows != t.Rows || !o.LastInsert.Equal(t.LastInsert) {
			tableChange[t.Table] = fmt.Sprintf("%s: %d → %d rows, last insert %s", t.Table, o.Rows, t.Rows, t.LastInsert.Format(time.RFC3339))
			tableChangeRU[t.Table] = fmt.Sprintf("%s: строк %d → %d, последняя запись %s", t.Table, o.Rows, t.Rows, t.LastInsert.Format(time.RFC3339))
			pd.Changed = append(pd.Changed, tableChange[t.Table])
		}
	}
	registryChange, registryChangeRU := "", ""
	if rev.Inputs.RegistryVersion != now.RegistryVersion {
		registryChange = fmt.Sprintf("registry version %s → %s", orNone(rev.Inputs.RegistryVersion), orNone(now.RegistryVersion))
		registryChangeRU = fmt.Sprintf("версия реестра %s → %s", orNone(rev.Inputs.RegistryVersion), orNone(now.RegistryVersion))
		pd.Changed = append(pd.Changed, registryChange)
	}
	bandsChange, bandsChangeRU := map[metrics.Standard]string{}, map[metrics.Standard]string{}
	oldBands := strings.Join(rev.Inputs.Bands, ",")
	for _, b := range now.Bands {
		if !strings.Contains(","+oldBands+",", ","+b+",") {
			std := metrics.Standard(strings.SplitN(b, "=", 2)[0])
			bandsChange[std] = "bands " + oldBands + " → " + b
			bandsChangeRU[std] = "полосы " + oldBands + " → " + b
			pd.Changed = append(pd.Changed, bandsChange[std])
		}
	}
	var other []string
	if rev.Inputs.Catalog != now.Catalog {
		other = append(other, "catalog "+rev.Inputs.Catalog+" → "+now.Catalog)
	}
	if rev.Inputs.Binary != now.Binary {
		other = append(other, "binary "+rev.Inputs.Binary+" → "+now.Binary)
	}
	pd.Changed = append(pd.Changed, other...)
	lateOf := map[string]uint64{}
	for _, l := range late {
		lateOf[l.AgencyID+"/"+l.Table] = l.Events
	}

	why := func(std metrics.Standard, agency, code string) ([]string, []string) {
		tables, registry := inputsOf(std, code)
		var en, ru []string
		add := func(e, r string) { en, ru = append(en, e), append(ru, r) }
		for _, t := range tables {
			if n := lateOf[agency+"/"+t]; n > 0 {
				add(fmt.Sprintf("%s: %d event(s) of this agency arrived after closing", t, n),
					fmt.Sprintf("%s: после закрытия поступило событий этого органа: %d", t, n))
			} else if c := tableChange[t]; c != "" {
				add(c+" (corrected or re-sent events)", tableChangeRU[t]+" (исправленные или повторно присланные события)")
			}
		}
		if registry && registryChange != "" {
			add(registryChange, registryChangeRU)
		}
		if c := bandsChange[std]; c != "" {
			add(c, bandsChangeRU[std])
		}
		if len(en) == 0 {
			for _, o := range other {
				add(o, o)
			}
		}
		if len(en) == 0 {
			add("recomputation differs with unchanged inputs", "пересчёт отличается при неизменных входных данных")
		}
		return en, ru
	}
	for _, rep := range run.Scorecards {
		off := rev.Scorecard(rep.Standard)
		oldVals := map[string]value{}
		if off != nil {
			collect(off, req.Agency, oldVals)
		}
		newVals := map[string]value{}
		collect(&rep, req.Agency, newVals)
		keys := map[string]bool{}
		for k := range oldVals {
			keys[k] = true
		}
		for k := range newVals {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			o, n := oldVals[k], newVals[k]
			if decStr(o.v) == decStr(n.v) && intStr(o.l) == intStr(n.l) {
				continue
			}
			parts := strings.SplitN(k, "/", 2)
			en, ru := why(rep.Standard, parts[0], parts[1])
			pd.Differences = append(pd.Differences, Difference{Standard: rep.Standard, AgencyID: parts[0], Indicator: parts[1],
				OldValue: o.v, OldLevel: o.l, NewValue: n.v, NewLevel: n.l, Why: en, WhyRU: ru})
		}
	}
	return pd, nil
}

type value struct {
	v *metrics.Decimal
	l *int
}

func collect(rep *metrics.Scorecard, agency string, out map[string]value) {
	for _, a := range rep.Agencies {
		if agency != "" && a.AgencyID != agency {
			continue
		}
		for _, x := range a.Indicators {
			out[a.AgencyID+"/"+x.Code] = value{x.Value, x.Level}
		}
		for _, m := range a.Monitoring {
			out[a.AgencyID+"/"+m.Code] = value{m.Value, nil}
		}
	}
}

// inputsOf returns the raw tables an indicator (or monitor) reads and whether it reads the registry
// or declarations.
func inputsOf(std metrics.Standard, code string) ([]string, bool) {
	switch code {
	case metrics.MonitorWrittenAck, metrics.MonitorSocialReply:
		return []string{"appeals"}, false
	case metrics.MonitorFollowUp:
		return []string{"ratings", "service_events"}, false
	}
	ind, ok := metrics.DefaultCatalog().Lookup(std, code)
	if !ok {
		return RawTables, true
	}
	var tables []string
	for _, s := range ind.Streams {
		switch s {
		case "service_event":
			tables = append(tables, "service_events")
		case "rating":
			tables = append(tables, "ratings")
		case "appeal":
			tables = append(tables, "appeals")
		}
	}
	registry := false
	for _, s := range ind.Sources {
		registry = registry || s == metrics.SourceRegistry || s == metrics.SourceDeclaration
	}
	return tables, registry
}

// lateData counts, per agency and raw table, the events of the quarter whose first copy was stored
// after closedAt (a re-sent copy of an earlier event is not late data).
func lateData(ctx context.Context, conn driver.Conn, q quarter.Quarter, p metrics.Parameters, closedAt time.Time, agency string) ([]Late, error) {
	filter := ""
	if agency != "" {
		filter = "AND agency_id = '" + strings.ReplaceAll(agency, "'", "") + "'"
	}
	var out []Late
	for _, t := range RawTables {
		from, to := window(t, q, p)
		// First arrival from event_first_arrival: the raw table keeps only an event's newest copy
		// after a merge, so its min(ingested_at) would make a redelivery look late.
		late, err := store.Select(ctx, conn, "late data in "+t, fmt.Sprintf(`SELECT agency_id, count() FROM
(SELECT agency_id, occurred_at, event_hash, minMerge(first_ingested_at) AS first FROM event_first_arrival
 WHERE source_table = '%s' AND occurred_at >= toDateTime(%d) AND occurred_at < toDateTime(%d) %s GROUP BY agency_id, occurred_at, event_hash)
WHERE first > toDateTime(%d) GROUP BY agency_id ORDER BY agency_id`, t, from.Unix(), to.Unix(), filter, closedAt.Unix()),
			func(rows driver.Rows) (Late, error) {
				l := Late{Table: t}
				err := rows.Scan(&l.AgencyID, &l.Events)
				return l, err
			})
		if err != nil {
			return nil, err
		}
		out = append(out, late...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AgencyID != out[j].AgencyID {
			return out[i].AgencyID < out[j].AgencyID
		}
		return out[i].Table < out[j].Table
	})
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func decStr(d *metrics.Decimal) string {
	if d == nil {
		return "—"
	}
	return d.String()
}

func intStr(l *int) string {
	if l == nil {
		return "—"
	}
	return fmt.Sprint(*l)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
