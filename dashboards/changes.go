package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
)

// verdicts and targetFlags are the stored values of indicator_comparisons' verdict and target_flag
// (042_indicator_comparisons.sql) whose words the changes panel shows, from metrics' labels.
var (
	verdicts = []metrics.Verdict{metrics.SignificantImprovement, metrics.SignificantDecline, metrics.NoSignificantChange,
		metrics.CensusChange, metrics.NoComparison}
	targetFlags = []metrics.TargetFlag{metrics.BetterThanTarget, metrics.WorseThanTarget, metrics.WithinInterval, metrics.TargetNotCompared}
)

// changesColumns are the columns of changesSQL, in order.
var changesColumns = []string{"indicator_name", "prev_value", "value", "delta", "change", "target", "target_deviation", "target_check"}

// changesSQL lists every indicator of the agency's $quarter from indicator_comparisons_latest (the
// official revision of a closed quarter, else the newest run): previous value, value, change and
// its verdict in the dashboard's language (a value that is not assessed says why: no data, or its
// sample n below min_n), the Project Office's target, the deviation and its flag. Significant
// changes come first (declines before improvements), then flagged target deviations, then the rest.
func changesSQL(lbl string, t text, lang Lang) string {
	return "SELECT " + lbl + " AS indicator_name, prev_value, value, delta,\n" +
		"  multiIf(status = 'no_data', " + store.Quote(t.noData) + ",\n" +
		"    status = 'not_assessed', concat(" + store.Quote(t.belowMinN[0]) + ", toString(n), " + store.Quote(t.belowMinN[1]) + "),\n" +
		"    " + wordsSQL("verdict", verdicts, lang, "toString(verdict)") + ") AS change,\n" +
		"  target, target_deviation,\n" +
		"  " + wordsSQL("target_flag", targetFlags, lang, "''") + " AS target_check\n" +
		"FROM indicator_comparisons_latest\nWHERE " + whereQuarter + "\n" +
		"ORDER BY multiIf(verdict = 'significant_decline', 1, verdict = 'significant_improvement', 2,\n" +
		"  target_flag IN ('worse_than_target', 'better_than_target'), 3, 4), p_adjusted, indicator_name"
}

// wordsSQL is the SQL expression that names column's stored values, codes, with their labels in
// lang, and any other value with otherwise (an SQL expression).
func wordsSQL[C interface {
	~string
	Label(Lang) string
}](column string, codes []C, lang Lang, otherwise string) string {
	var quoted, words []string
	for _, c := range codes {
		quoted, words = append(quoted, store.Quote(string(c))), append(words, store.Quote(c.Label(lang)))
	}
	return "transform(toString(" + column + "), [" + strings.Join(quoted, ", ") + "], [" + strings.Join(words, ", ") + "], " + otherwise + ")"
}

// changesPanel is the agency's table of changes since the previous quarter and target checks:
// columns named in the dashboard's language, and only the rows of a significant change
// highlighted (a decline red, an improvement green; every other row keeps the default).
func changesPanel(o *options, gp dashboard.GridPos) cog.Builder[dashboard.Panel] {
	t := texts[o.lang]
	b := table.NewPanelBuilder().Title(t.changes).Description(t.changesDesc).GridPos(gp).
		Datasource(dsRef(o.dsUID)).WithTarget(chQuery("A", changesSQL(labelSQL(o.names), t, o.lang), FormatTable, o.dsUID)).
		Decimals(1).Filterable(true)
	for i, c := range changesColumns {
		props := []dashboard.DynamicConfigValue{{Id: "displayName", Value: t.changesColumns[i]}}
		if c == "change" {
			props = append(props,
				dashboard.DynamicConfigValue{Id: "color", Value: dashboard.FieldColor{Mode: dashboard.FieldColorModeIdFixed, FixedColor: cog.ToPtr("transparent")}},
				dashboard.DynamicConfigValue{Id: "mappings", Value: []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
					Type: dashboard.MappingTypeValueToText,
					Options: map[string]dashboard.ValueMappingResult{
						metrics.SignificantDecline.Label(o.lang):     {Color: cog.ToPtr("red")},
						metrics.SignificantImprovement.Label(o.lang): {Color: cog.ToPtr("green")},
					},
				}}}},
				dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{
					Type: common.TableCellDisplayModeColorBackground, ApplyToRow: cog.ToPtr(true)}}})
		}
		b = b.OverrideByName(c, props)
	}
	return b
}
