// Package dashboards builds the cxstar Grafana dashboards as code (grafana-foundation-sdk), renders
// them to JSON and provisioning files, and pushes them to the user's own Grafana server: one
// Grafana organization per agency whose ClickHouse datasource logs in as that agency's
// ClickHouse tenant (package tenancy), which can read only that agency's rows.
//
// Every panel reads only assessments_latest, indicator_details_latest
// (schemas/migrations/002_assessments.sql), priorities_latest (040_priorities.sql),
// indicator_comparisons_latest (042, 043) and followup_status (050) and filters by agency, but for the official revision of the quarter (official_revisions, 030_official.sql,
// not agency-specific) and the overview's pending revisions of closed quarters
// (official_pending_latest, 032_official_pending.sql), which only the Project Office sees; the
// agency organizations see the per-agency copies of those tables and views (package tenancy), the
// Project Office organization the main ones.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/cxstar/cxstar/tenancy"
)

// Option changes how dashboards are rendered.
type Option func(*options)

type options struct {
	lang     Lang
	names    map[string]string
	namesSet bool
	dsUID    string
	alerts   *AlertThresholds
}

func newOptions(opts []Option) *options {
	o := &options{lang: RU, dsUID: DatasourceUID}
	for _, f := range opts {
		f(o)
	}
	if _, ok := texts[o.lang]; !ok {
		o.lang = RU
	}
	if !o.namesSet {
		o.names = DefaultIndicatorNames(o.lang)
	}
	return o
}

// WithLang sets the language of titles and indicator names. Default: RU.
func WithLang(l Lang) Option { return func(o *options) { o.lang = l } }

// WithIndicatorNames sets the names shown for indicator codes (e.g. from the metrics catalog).
// Default: the built-in short names of the catalog in the chosen language; an empty map shows codes.
func WithIndicatorNames(names map[string]string) Option {
	return func(o *options) { o.names = names; o.namesSet = true }
}

// WithAlertThresholds sets the thresholds of the early-warning alerts rendered and pushed for every
// agency. Default: the embedded dashboards/alerts.yaml.
func WithAlertThresholds(th *AlertThresholds) Option { return func(o *options) { o.alerts = th } }

// WithDatasourceUID sets the uid of the ClickHouse datasource the panels query. Default: DatasourceUID.
func WithDatasourceUID(uid string) Option { return func(o *options) { o.dsUID = uid } }

func strp(s string) *string { return &s }

func standardVar(t text) cog.Builder[dashboard.VariableModel] {
	sel := true
	return dashboard.NewCustomVariableBuilder("standard").Label(t.standard).
		Values(dashboard.StringOrMap{String: strp("people,business")}).
		Current(dashboard.VariableOption{Selected: &sel, Text: dashboard.StringOrArrayOfString{String: strp("people")}, Value: dashboard.StringOrArrayOfString{String: strp("people")}})
}

func quarterVar(t text, ds, where string) cog.Builder[dashboard.VariableModel] {
	sql := "SELECT DISTINCT quarter FROM assessments_latest WHERE " + where + " ORDER BY quarter DESC"
	return dashboard.NewQueryVariableBuilder("quarter").Label(t.quarter).Datasource(dsRef(ds)).
		Query(dashboard.StringOrMap{String: &sql}).Definition(sql).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).Sort(dashboard.VariableSortDisabled)
}

func base(uid, title string, tags []string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Tags(tags).Timezone("browser").
		Time("now-2y", "now").Refresh("").Tooltip(dashboard.DashboardCursorSyncCrosshair).Readonly()
}

// AgencyDashboard builds agency a's dashboard: its agency variable is a hidden constant, so the
// same panels serve every agency organization.
func AgencyDashboard(a Agency, opts ...Option) (dashboard.Dashboard, error) {
	if err := tenancy.ValidAgencyID(a.ID); err != nil {
		return dashboard.Dashboard{}, err
	}
	o := newOptions(opts)
	t := texts[o.lang]
	return agencyDashboard(o, base(AgencyDashboardUID(a.ID), fmt.Sprintf(t.agencyTitle, a.Title()), []string{"cxstar", "agency"}).
		WithVariable(dashboard.NewConstantVariableBuilder("agency").Label(t.agency).Value(dashboard.StringOrMap{String: strp(a.ID)})))
}

// agencyDashboard completes b, which has its agency variable, with the standard and quarter
// variables and the agency panels.
func agencyDashboard(o *options, b *dashboard.DashboardBuilder) (dashboard.Dashboard, error) {
	t := texts[o.lang]
	b = b.WithVariable(standardVar(t)).
		WithVariable(quarterVar(t, o.dsUID, "agency_id = '$agency' AND standard = '$standard'"))
	for _, p := range agencyPanels(o) {
		b = b.WithPanel(p)
	}
	return numbered(b.Build())
}

// AllAgenciesDashboard builds the agency dashboard for the Project Office, where the agency
// variable lists every agency of assessments_latest.
func AllAgenciesDashboard(opts ...Option) (dashboard.Dashboard, error) {
	o := newOptions(opts)
	t := texts[o.lang]
	sql := "SELECT DISTINCT agency_id FROM assessments_latest ORDER BY agency_id"
	return agencyDashboard(o, base(AllAgenciesUID, t.allAgenciesTitle, []string{"cxstar", "agency", "project-office"}).
		WithVariable(dashboard.NewQueryVariableBuilder("agency").Label(t.agency).Datasource(dsRef(o.dsUID)).
			Query(dashboard.StringOrMap{String: &sql}).Definition(sql).Refresh(dashboard.VariableRefreshOnDashboardLoad)))
}

// OverviewDashboard builds the Project Office overview: every agency's levels for a quarter, the
// distribution of levels, and the biggest movers since the previous quarter.
func OverviewDashboard(opts ...Option) (dashboard.Dashboard, error) {
	o := newOptions(opts)
	t := texts[o.lang]
	b := base(OverviewUID, t.overviewTitle, []string{"cxstar", "project-office"}).
		WithVariable(standardVar(t)).
		WithVariable(quarterVar(t, o.dsUID, "standard = '$standard'"))
	for _, p := range overviewPanels(o) {
		b = b.WithPanel(p)
	}
	return numbered(b.Build())
}

// Model converts a built dashboard into the generic JSON model Grafana stores (what the API
// takes and returns), with stable key order when marshalled.
func Model(d dashboard.Dashboard) (map[string]any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("marshal dashboard %s: %w", deref(d.Uid), err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("unmarshal dashboard %s: %w", deref(d.Uid), err)
	}
	return m, nil
}

// numbered gives every panel a stable id (1, 2, …), as Grafana's UI would on first save.
func numbered(d dashboard.Dashboard, err error) (dashboard.Dashboard, error) {
	if err != nil {
		return d, err
	}
	for i := range d.Panels {
		if p := d.Panels[i].Panel; p != nil {
			id := uint32(i + 1)
			p.Id = &id
		}
	}
	return d, nil
}
