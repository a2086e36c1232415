package report

import (
	"fmt"
	"strings"

	"github.com/cxstar/cxstar/metrics"
)

// officialFormats are, per language, the formats of officialLines: the revision line, the pending
// revision (values change), and late events that change no value.
var officialFormats = map[metrics.Lang][3]string{
	metrics.EN: {
		"Official revision %d, closed %s",
		"Pending revision: a recomputation on today's data changes %d value(s) (listed below); %d event(s) of this quarter arrived after closing. `cxstar assess --quarter %s --close --reason …` publishes it.",
		"No pending revision: %d event(s) of this quarter arrived after closing and change no value.",
	},
	metrics.RU: {
		"Официальная редакция %d, квартал закрыт %s",
		"Ожидающая редакция: пересчёт на сегодняшних данных меняет значений: %d (список ниже); после закрытия поступило событий за квартал: %d. Опубликовать: `cxstar assess --quarter %s --close --reason …`.",
		"Ожидающей редакции нет: после закрытия поступило событий за квартал: %d, значения не меняются.",
	},
}

// officialLines is the report's revision line and its pending-revision line for a closed quarter.
func officialLines(o *Official, q string, lang metrics.Lang) (string, string) {
	f, ok := officialFormats[lang]
	if !ok {
		f = officialFormats[metrics.RU]
	}
	line := fmt.Sprintf(f[0], o.Revision, o.ClosedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if o.Reason != "" {
		line += " (" + o.Reason + ")"
	}
	var pending string
	switch n := len(o.Differences); {
	case n > 0:
		pending = fmt.Sprintf(f[1], n, o.LateEvents, q)
	case o.LateEvents > 0:
		pending = fmt.Sprintf(f[2], o.LateEvents)
	}
	return line + ".", pending
}

// pendingRows lists the differences of the pending revision with the catalog's labels.
func pendingRows(o *Official, lang metrics.Lang, cat Catalog) []pendingRow {
	var out []pendingRow
	for _, d := range o.Differences {
		r := pendingRow{Standard: string(d.Standard), Agency: d.AgencyID, ID: d.Indicator, Name: d.Indicator,
			Old: pendingValue(d.OldValue, d.OldLevel, lang), New: pendingValue(d.NewValue, d.NewLevel, lang)}
		if ind, ok := cat.Indicator(string(d.Standard), d.Indicator); ok {
			r.ID, r.Name = ind.ID, ind.Short[lang]
		}
		why := d.Why
		if lang == metrics.RU && len(d.WhyRU) > 0 {
			why = d.WhyRU
		}
		r.Why = strings.Join(why, "; ")
		out = append(out, r)
	}
	return out
}

// pendingValue is "66,7 (2★)"; "—" for a value or level that is absent.
func pendingValue(v *metrics.Decimal, l *int, lang metrics.Lang) string {
	val, lvl := "—", "—"
	if v != nil {
		val = v.String()
		if lang == metrics.RU {
			val = strings.Replace(val, ".", ",", 1)
		}
	}
	if l != nil {
		lvl = fmt.Sprintf("%d★", *l)
	}
	return val + " (" + lvl + ")"
}
