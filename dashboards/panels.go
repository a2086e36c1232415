package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/tenancy"
	"github.com/cxstar/cxstar/transform"
)

// Agency is one agency (орган власти) whose dashboard is rendered.
type Agency struct {
	// ID is the agency_id of the events and assessments, [a-z0-9][a-z0-9._-]{0,63}.
	ID string
	// Name is shown in titles; the ID when empty.
	Name string
}

// Title returns the agency's name, or its ID when it has none.
func (a Agency) Title() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// IDs returns the agencies' ids, in order (as tenancy.Config.Tenants and tenancy.Provision take them).
func IDs(agencies []Agency) []string {
	ids := make([]string, len(agencies))
	for i, a := range agencies {
		ids[i] = a.ID
	}
	return ids
}

// AgencyDashboardUID is the uid of agency id's dashboard (unique across organizations, ≤ 40 chars).
func AgencyDashboardUID(id string) string { return "cxstar-ag-" + tenancy.Slug(id, 30) }

// Dashboard and folder uids of the Project Office organization.
const (
	OverviewUID         = "cxstar-overview"
	AllAgenciesUID      = "cxstar-agencies"
	ProjectOfficeFolder = "cxstar-project-office"
)

// AgencyFolderUID is the uid of agency id's folder.
func AgencyFolderUID(id string) string { return "cxstar-f-" + tenancy.Slug(id, 31) }

// filters shared by the agency panels; $agency, $standard and $quarter are dashboard variables.
const (
	whereQuarter = "agency_id = '$agency' AND standard = '$standard' AND quarter = '$quarter'"
	whereSeries  = "agency_id = '$agency' AND standard = '$standard'\n  AND quarter_start >= toDate($__fromTime) AND quarter_start <= toDate($__toTime)"
)

func starThresholds() *dashboard.ThresholdsConfigBuilder {
	v := func(f float64) *float64 { return &f }
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps([]dashboard.Threshold{
		{Value: nil, Color: "dark-red"},
		{Value: v(1), Color: "red"},
		{Value: v(2), Color: "orange"},
		{Value: v(3), Color: "yellow"},
		{Value: v(4), Color: "light-green"},
		{Value: v(5), Color: "dark-green"},
	})
}

func notAssessedMapping(t text) []dashboard.ValueMapping {
	txt, color := t.notAssessed, "text"
	return []dashboard.ValueMapping{{SpecialValueMap: &dashboard.SpecialValueMap{
		Type:    dashboard.MappingTypeSpecialValue,
		Options: dashboard.DashboardSpecialValueMapOptions{Match: dashboard.SpecialValueMatchNull, Result: dashboard.ValueMappingResult{Text: &txt, Color: &color}},
	}}}
}

func pos(x, y, w, h uint32) dashboard.GridPos { return dashboard.GridPos{X: x, Y: y, W: w, H: h} }

func reduceAll() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Values(true).Calcs([]string{"lastNotNull"}).Limit(100)
}

// agencyPanels returns the panels of an agency dashboard.
func agencyPanels(o *options) []cog.Builder[dashboard.Panel] {
	t, lbl, ds := texts[o.lang], labelSQL(o.names), o.dsUID
	q := func(sql string, format int) ClickHouseQuery { return chQuery("A", sql, format, ds) }
	var ps []cog.Builder[dashboard.Panel]
	// The official revision stands above the other panels (revisionH rows), which move down by it.
	const revisionH = 3
	below := func(x, y, w, h uint32) dashboard.GridPos { return pos(x, y+revisionH, w, h) }

	ps = append(ps, stat.NewPanelBuilder().Title(t.overall).Description(t.overallDesc).GridPos(below(0, 0, 6, 6)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT min(level) AS overall_level\nFROM assessments_latest\nWHERE "+whereQuarter+" AND table_no = 1 AND status = 'assessed'", FormatTable)).
		Min(0).Max(5).Decimals(0).Thresholds(starThresholds()).Mappings(notAssessedMapping(t)).
		ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})))

	ps = append(ps, stat.NewPanelBuilder().Title(t.levels).Description(t.levelsDesc).GridPos(below(6, 0, 18, 12)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT "+lbl+" AS indicator_name, level\nFROM assessments_latest\nWHERE "+whereQuarter+"\nORDER BY table_no, indicator", FormatTable)).
		Min(0).Max(5).Decimals(0).Unit("★").Thresholds(starThresholds()).Mappings(notAssessedMapping(t)).
		ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).ReduceOptions(reduceAll()))

	ps = append(ps, stat.NewPanelBuilder().Title(t.repeat).Description(t.repeatDesc).GridPos(below(0, 6, 6, 6)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT value AS repeat_request_rate, level, n\nFROM assessments_latest\nWHERE "+whereQuarter+" AND indicator = 'repeat_request_rate'", FormatTable)).
		Decimals(1).Mappings(notAssessedMapping(t)).TextMode(common.BigValueTextModeValueAndName).
		GraphMode(common.BigValueGraphModeNone).ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/.*/")))

	ps = append(ps, timeseries.NewPanelBuilder().Title(t.trend).Description(t.trendDesc).GridPos(below(0, 12, 24, 9)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT toDateTime(quarter_start) AS time, "+lbl+" AS indicator_name, level\nFROM assessments_latest\nWHERE "+whereSeries+"\nORDER BY time, indicator_name", FormatTimeSeries)).
		Min(0).Max(5).Decimals(0).Thresholds(starThresholds()))

	ps = append(ps, table.NewPanelBuilder().Title(t.nps).Description(t.npsDesc).GridPos(below(0, 21, 12, 8)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT "+lbl+" AS indicator_name, value, ci_low, ci_high, n, level, status\nFROM assessments_latest\nWHERE "+whereQuarter+" AND indicator LIKE '%nps%'\nORDER BY indicator", FormatTable)).
		Decimals(1))

	ps = append(ps, bargauge.NewPanelBuilder().Title(t.shares).Description(t.sharesDesc).GridPos(below(12, 21, 12, 8)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT "+lbl+" AS indicator_name, value\nFROM assessments_latest\nWHERE "+whereQuarter+"\n  AND (indicator IN ('ease_positive_share', 'satisfaction_positive_share') OR substring(indicator, 1, 4) = 'sat_')\nORDER BY indicator", FormatTable)).
		Unit("percent").Min(0).Max(100).Decimals(1).Orientation(common.VizOrientationHorizontal).ReduceOptions(reduceAll()))

	ps = append(ps, table.NewPanelBuilder().Title(t.responseTimes).Description(t.responseDesc).GridPos(below(0, 29, 24, 6)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT "+lbl+" AS indicator_name, value, level, n, ci_low, ci_high, status, reason\nFROM assessments_latest\nWHERE "+whereQuarter+" AND indicator LIKE '%response_time%'\nORDER BY indicator", FormatTable)))

	for i, dim := range []struct{ name, title string }{{"service", t.byService}, {"life_situation", t.byLifeSituation}} {
		ps = append(ps, table.NewPanelBuilder().Title(dim.title).GridPos(below(uint32(12*i), 35, 12, 10)).
			Datasource(dsRef(ds)).WithTarget(q(
			"SELECT dimension_id AS "+dim.name+", "+lbl+" AS indicator_name, value, n, ci_low, ci_high\nFROM indicator_details_latest\nWHERE "+whereQuarter+" AND dimension = '"+dim.name+"'\nORDER BY indicator_name, "+dim.name, FormatTable)).
			Decimals(1).Filterable(true))
	}

	ps = append(ps, table.NewPanelBuilder().Title(t.samples).Description(t.samplesDesc).GridPos(below(0, 45, 24, 10)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT table_no, "+lbl+" AS indicator_name, indicator, n, status, reason, value, level, ci_low, ci_high, bands_version, computed_at\nFROM assessments_latest\nWHERE "+whereQuarter+"\nORDER BY table_no, indicator", FormatTable)).
		Filterable(true))

	ps = append(ps, table.NewPanelBuilder().Title(t.bands).Description(t.bandsDesc).GridPos(below(0, 55, 24, 10)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT "+lbl+" AS indicator_name, value, level,\n  "+bandSQL("ifNull(level, 255)")+" AS band,\n  "+bandSQL("ifNull(level, 254) + 1")+
			" AS next_band, n, status\nFROM assessments_latest\nWHERE "+whereQuarter+"\nORDER BY table_no, indicator", FormatTable)).
		Filterable(true))

	ps = append(ps, table.NewPanelBuilder().Title(t.start).Description(t.startDesc).GridPos(below(0, 65, 24, 8)).
		Datasource(dsRef(ds)).WithTarget(q(startSQL(whereQuarter, t), FormatTable)))

	ps = append(ps, changesPanel(o, below(0, 73, 24, 10)))

	ps = append(ps, table.NewPanelBuilder().Title(t.followup).Description(t.followupDesc).GridPos(below(0, 83, 24, 10)).
		Datasource(dsRef(ds)).WithTarget(q(followupSQL, FormatTable)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{"renameByName": t.followupColumns}}).
		Filterable(true))

	ps = append(ps, stat.NewPanelBuilder().Title(t.revision).Description(t.revisionDesc).GridPos(pos(0, 0, 24, revisionH)).
		Datasource(dsRef(ds)).WithTarget(q(agencyRevisionSQL(t), FormatTable)).
		TextMode(common.BigValueTextModeValue).GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/.*/")))
	return ps
}

// agencyRevisionSQL names the official revision of $quarter (number, closing time, reason) or says
// that the quarter is not closed: always one row. Revisions are not agency-specific: it reads
// official_revisions, which an agency's database holds without the revisions' reports (package
// tenancy), so the same SQL runs with an agency's datasource and the Project Office's.
func agencyRevisionSQL(t text) string {
	return "SELECT if(count() = 0, " + store.Quote(t.notClosed) + ",\n" +
		"  concat(" + store.Quote(t.revisionWord) + ", ' ', toString(max(revision)), ', ', " + store.Quote(t.closedWord) + ", ' ', toString(argMax(closed_at, revision)), ' UTC',\n" +
		"    if(argMax(reason, revision) = '', '', concat(' (', argMax(reason, revision), ')')))) AS official_revision\n" +
		"FROM official_revisions\nWHERE quarter = '$quarter'"
}

// quarterStart is the first instant of the dashboard's $quarter ('2026Q3') in the Moscow calendar,
// a constant of the query, so that ClickHouse selects partitions by it.
const quarterStart = "toDateTime(concat(substring('$quarter', 1, 4), '-', arrayElement(['01', '04', '07', '10'], toUInt8(substring('$quarter', 6, 1))), '-01 00:00:00'), 'Europe/Moscow')"

// followupSQL lists the agency's detractor follow-up items answered in $quarter (Moscow calendar)
// for $standard, open items first, newest first, with the values of followup_status (migration
// 050). It does not read that view, which merges every item and step since the start before any
// filter (ClickHouse 18.16 does not move a filter into a subquery with FINAL): the per-item query
// of the assessment (transform.FollowUpItemsQuery) reads only the quarter's partitions of the
// agency's items and the steps from the quarter's start on, in the main tables and in an agency
// database's copies (package tenancy) alike.
var followupSQL = "SELECT answered_at, client_id, request_id, service_id, question, score, followed_up_at, within_5_working_days\nFROM\n(\n" +
	transform.FollowUpItemsQuery(quarterStart, "addMonths("+quarterStart+", 3)", "AND agency_id = '$agency'") +
	")\nWHERE client_type = if('$standard' = 'business', 'business', 'person')\nORDER BY followed_up, answered_at DESC\nLIMIT 500"

// startSQL lists the ranked life situations of priorities_latest under where, with the reason in
// the dashboard's language.
func startSQL(where string, t text) string {
	return "SELECT rank, life_situation_id, clients, round(score, 1) AS score, " + t.whyColumn + " AS why\nFROM priorities_latest\nWHERE " + where +
		" AND kind = 'life_situation' AND rank > 0\nORDER BY rank\nLIMIT 10"
}

// overviewPanels returns the Project Office panels (every agency side by side).
func overviewPanels(o *options) []cog.Builder[dashboard.Panel] {
	t, lbl, ds := texts[o.lang], labelSQL(o.names), o.dsUID
	q := func(sql string, format int) ClickHouseQuery { return chQuery("A", sql, format, ds) }
	const where = "standard = '$standard' AND quarter = '$quarter'"
	var ps []cog.Builder[dashboard.Panel]

	ps = append(ps, table.NewPanelBuilder().Title(t.matrix).Description(t.matrixDesc).GridPos(pos(0, 0, 24, 12)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT agency_id, "+lbl+" AS indicator_name, level\nFROM assessments_latest\nWHERE "+where+"\nORDER BY agency_id, indicator_name", FormatTable)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{
			"columnField": "indicator_name", "rowField": "agency_id", "valueField": "level"}}).
		Thresholds(starThresholds()).Mappings(notAssessedMapping(t)).Filterable(true).
		CellOptions(common.TableCellOptions{TableColoredBackgroundCellOptions: &common.TableColoredBackgroundCellOptions{Type: common.TableCellDisplayModeColorBackground}}))

	ps = append(ps, barchart.NewPanelBuilder().Title(t.distribution).GridPos(pos(0, 12, 10, 9)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT ifNull(toString(level), 'n/a') AS level_label, count() AS indicators\nFROM assessments_latest\nWHERE "+where+"\nGROUP BY level_label\nORDER BY level_label", FormatTable)))

	ps = append(ps, table.NewPanelBuilder().Title(t.movers).Description(t.moversDesc).GridPos(pos(10, 12, 14, 9)).
		Datasource(dsRef(ds)).WithTarget(q(
		"SELECT agency_id, "+lbl+" AS indicator_name, prev_value, value, delta,\n"+
			"  if(verdict = 'significant_improvement', "+store.Quote(metrics.SignificantImprovement.Label(o.lang))+", "+store.Quote(metrics.SignificantDecline.Label(o.lang))+") AS verdict_label\n"+
			"FROM indicator_comparisons_latest\nWHERE "+where+" AND verdict IN ('significant_improvement', 'significant_decline')\n"+
			"ORDER BY abs(delta) DESC, agency_id, indicator_name\nLIMIT 20", FormatTable)).
		Filterable(true))

	ps = append(ps, table.NewPanelBuilder().Title(t.startNational).Description(t.startDesc).GridPos(pos(0, 21, 24, 8)).
		Datasource(dsRef(ds)).WithTarget(q(startSQL("agency_id = '' AND "+where, t), FormatTable)))

	ps = append(ps, table.NewPanelBuilder().Title(t.pending).Description(t.pendingDesc).GridPos(pos(0, 29, 24, 9)).
		Datasource(dsRef(ds)).WithTarget(q(pendingSQL(lbl, t), FormatTable)).
		Filterable(true))

	ps = append(ps, stat.NewPanelBuilder().Title(t.revision).Description(t.revisionDesc).GridPos(pos(0, 38, 24, 4)).
		Datasource(dsRef(ds)).WithTarget(q(revisionSQL(t), FormatTable)).
		TextMode(common.BigValueTextModeValue).GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/.*/")))
	return ps
}

// revisionSQL names the official revision the overview shows for $quarter (number, closing time,
// reason) and its last recorded check (when, how many values would change, late events), or says
// that the quarter is not closed: always one row.
func revisionSQL(t text) string {
	const newest = "(SELECT max(revision) FROM official_revisions WHERE quarter = '$quarter')"
	return "SELECT if(count() = 0, " + store.Quote(t.notClosed) + ",\n" +
		"  concat(" + store.Quote(t.revisionWord) + ", ' ', toString(max(revision)), ', ', " + store.Quote(t.closedWord) + ", ' ', toString(argMax(closed_at, revision)), ' UTC',\n" +
		"    if(argMax(reason, revision) = '', '', concat(' (', argMax(reason, revision), ')')),\n" +
		"    (SELECT if(count() = 0, " + store.Quote(t.notChecked) + ",\n" +
		"       concat(" + store.Quote(t.lastCheck) + ", ' ', toString(max(checked_at)), ' UTC: ', toString(argMax(differences, checked_ns)), ' ', " + store.Quote(t.checkChanges) + ", ', ',\n" +
		"         toString(argMax(late_events, checked_ns)), ' ', " + store.Quote(t.checkLate) + "))\n" +
		"     FROM official_checks WHERE quarter = '$quarter' AND revision = " + newest + "))) AS official_revision\n" +
		"FROM official_revisions\nWHERE quarter = '$quarter'"
}

// pendingSQL lists the pending revisions of every closed quarter as last checked
// (official_pending_latest): each value a recomputation changes, official → recomputed, with
// why, and each agency's late events per raw table; nothing when no closed quarter has one.
func pendingSQL(lbl string, t text) string {
	return "SELECT quarter, revision, toString(standard) AS standard, agency_id,\n" +
		"  transform(toString(kind), ['difference', 'late'], [" + store.Quote(t.pendingDiff) + ", " + store.Quote(t.pendingLate) + "], '') AS change,\n" +
		"  if(kind = 'late', source_table, " + lbl + ") AS indicator_name,\n" +
		"  old_value, old_level, new_value, new_level, events AS late_events, " + t.pendingWhy + " AS why, checked_at\n" +
		"FROM official_pending_latest\n" +
		"ORDER BY quarter_start DESC, kind, agency_id, indicator_name"
}
