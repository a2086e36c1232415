package dashboards_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/grafanadouble"
	"github.com/cxstar/cxstar/tenancy"
)

// The tests of this file push to grafanadouble, a stand-in of Grafana's HTTP API that keeps
// state as Grafana does for the calls push makes; they need no ClickHouse (push only names the
// tenants' users and passwords).

func pushConfig(t *testing.T, g *grafanadouble.Server, secret string, agencies []dashboards.Agency) dashboards.PushConfig {
	t.Helper()
	po, ag, err := tenancy.Config{MainDB: "cxstar", Secret: []byte(secret)}.Tenants(dashboards.IDs(agencies))
	if err != nil {
		t.Fatal(err)
	}
	return dashboards.PushConfig{
		Grafana:        dashboards.Grafana{URL: g.URL, User: g.User, Password: g.Password},
		ClickHouseHost: "ch.example", ClickHousePort: 9000, ProjectOffice: po, Tenants: tenancy.Map(ag),
	}
}

func push(t *testing.T, cfg dashboards.PushConfig, agencies []dashboards.Agency, opts ...dashboards.Option) *dashboards.PushResult {
	t.Helper()
	rep, err := dashboards.Push(context.Background(), cfg, agencies, opts...)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return rep
}

// stripIDs drops what the server sets (id, version) from a stored dashboard model.
func stripIDs(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "id" && k != "version" {
			out[k] = v
		}
	}
	return out
}

func jsonValue(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkOrg checks that organization orgName of the double holds exactly what push should have
// made: the datasource push's settings for tn, the folder, the team with View only, and the
// dashboards boards in the folder.
func checkOrg(t *testing.T, g *grafanadouble.Server, cfg dashboards.PushConfig, orgName string, tn tenancy.Tenant, folder dashboards.Folder, team string, boards []dashboard.Dashboard) {
	t.Helper()
	org := g.OrgID(orgName)
	if org == 0 {
		t.Errorf("no organization %q", orgName)
		return
	}
	ds, secure, ok := g.Datasource(org, dashboards.DatasourceUID)
	wantJD, wantSecure := dashboards.DatasourceSettings(cfg.ClickHouseHost, cfg.ClickHousePort, tn)
	if !ok || ds.Type != dashboards.PluginID || !ds.IsDefault || !reflect.DeepEqual(jsonValue(t, ds.JSONData), jsonValue(t, wantJD)) || !reflect.DeepEqual(secure, wantSecure) {
		t.Errorf("%s: datasource %+v (secure %v), want jsonData %v", orgName, ds, secure != nil, wantJD)
	}
	if title, _, ok := g.Folder(org, folder.UID); !ok || title != folder.Title {
		t.Errorf("%s: folder %s titled %q (exists %v), want %q", orgName, folder.UID, title, ok, folder.Title)
	}
	if got := g.Teams(org); !reflect.DeepEqual(got, []string{team}) {
		t.Errorf("%s: teams %v, want [%s]", orgName, got, team)
	}
	if got := g.FolderPermissions(org, folder.UID); !reflect.DeepEqual(got, []string{"team " + team + ": 1"}) {
		t.Errorf("%s: folder permissions %v, want only the team with View (1)", orgName, got)
	}
	for _, b := range boards {
		d, ok := g.Dashboard(org, *b.Uid)
		want, err := dashboards.Model(b)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || d.FolderUID != folder.UID || !reflect.DeepEqual(jsonValue(t, stripIDs(d.Model)), jsonValue(t, want)) {
			t.Errorf("%s: dashboard %s (exists %v, folder %q) differs from the rendered one", orgName, *b.Uid, ok, d.FolderUID)
		}
	}
}

// checkPushed checks every organization push makes for agencies.
func checkPushed(t *testing.T, g *grafanadouble.Server, cfg dashboards.PushConfig, agencies []dashboards.Agency, opts ...dashboards.Option) {
	t.Helper()
	for _, a := range agencies {
		d, err := dashboards.AgencyDashboard(a, opts...)
		if err != nil {
			t.Fatal(err)
		}
		checkOrg(t, g, cfg, dashboards.AgencyOrg(a.ID), cfg.Tenants[a.ID], dashboards.Folder{UID: dashboards.AgencyFolderUID(a.ID), Title: a.Title()},
			dashboards.AgencyTeam(a.ID), []dashboard.Dashboard{d})
		checkAlerts(t, g, a, opts...)
	}
	ov, _ := dashboards.OverviewDashboard(opts...)
	all, _ := dashboards.AllAgenciesDashboard(opts...)
	// The folder's title depends on the language: checked by the callers.
	org := g.OrgID(dashboards.ProjectOfficeOrg)
	ftitle, _, _ := g.Folder(org, dashboards.ProjectOfficeFolder)
	checkOrg(t, g, cfg, dashboards.ProjectOfficeOrg, cfg.ProjectOffice, dashboards.Folder{UID: dashboards.ProjectOfficeFolder, Title: ftitle},
		dashboards.ProjectOfficeTeam, []dashboard.Dashboard{ov, all})
	if p := g.Problems(); len(p) > 0 {
		t.Errorf("requests the double refused:\n%s", strings.Join(p, "\n"))
	}
}

// checkAlerts checks that agency a's organization holds exactly the rendered alert rule group,
// in its folder, on its own datasource.
func checkAlerts(t *testing.T, g *grafanadouble.Server, a dashboards.Agency, opts ...dashboards.Option) {
	t.Helper()
	org := g.OrgID(dashboards.AgencyOrg(a.ID))
	got, ok := g.RuleGroup(org, dashboards.AgencyFolderUID(a.ID), dashboards.AlertRuleGroupName)
	if !ok {
		t.Errorf("%s: no alert rule group %q in its folder", a.ID, dashboards.AlertRuleGroupName)
		return
	}
	b, err := dashboards.Render("/out", dashboards.RenderConfig{}, []dashboards.Agency{a}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	f := decodeAlertingFile(t, b.Files["provisioning/alerting/cxstar.yaml"], map[string]int64{dashboards.AgencyOrg(a.ID): org})
	want, err := dashboards.ProvisionedGroup(f.Groups[0], org, dashboards.AgencyFolderUID(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != len(want.Rules) || len(got.Rules) == 0 {
		t.Fatalf("%s: %d rules pushed, want %d", a.ID, len(got.Rules), len(want.Rules))
	}
	for i, r := range got.Rules {
		w := want.Rules[i]
		if r.UID != w.UID || *r.Title != *w.Title || *r.OrgID != org || len(r.Data) != 3 || r.Data[0].DatasourceUID != dashboards.DatasourceUID ||
			r.ID == 0 || r.Provenance != "api" {
			t.Errorf("%s: rule %d pushed as %s %q org %d (%d queries), want %s %q org %d on %s", a.ID, i, r.UID, *r.Title, *r.OrgID, len(r.Data), w.UID, *w.Title, org, dashboards.DatasourceUID)
		}
	}
}

func versions(g *grafanadouble.Server, rep *dashboards.PushResult) map[string][2]int64 {
	out := map[string][2]int64{}
	for _, a := range rep.Actions {
		if a.Kind == "dashboard" {
			d, _ := g.Dashboard(rep.OrgIDs[a.Org], a.Name)
			out[a.Org+" "+a.Name] = [2]int64{d.Version, d.Saves}
		}
	}
	return out
}

// TestPushTwiceChangesNothing: the first push creates every object; a second one reports every
// object unchanged, sends no write and leaves the dashboard versions alone.
func TestPushTwiceChangesNothing(t *testing.T) {
	g := grafanadouble.Start(t)
	cfg := pushConfig(t, g, "s1", seedAgencies)
	rep := push(t, cfg, seedAgencies)
	checkPushed(t, g, cfg, seedAgencies)
	// 4 organizations × (organization, datasource, folder, team, permissions) + 3 + 2 dashboards
	// + 3 alert rule groups.
	if n := rep.Changed(); n != 4*5+5+3 {
		t.Errorf("first push: %d objects created or updated, want 28: %+v", n, rep.Actions)
	}
	if title, _, _ := g.Folder(g.OrgID(dashboards.ProjectOfficeOrg), dashboards.ProjectOfficeFolder); title != "Проектный офис" {
		t.Errorf("Project Office folder titled %q", title)
	}
	before, writes := versions(g, rep), g.Writes()
	for k, v := range before {
		if v != [2]int64{1, 1} {
			t.Errorf("%s: version %d after %d saves, want 1 and 1", k, v[0], v[1])
		}
	}
	rep2 := push(t, cfg, seedAgencies)
	if rep2.Changed() != 0 || g.Writes() != writes {
		t.Errorf("second push changed %d objects with %d writes: %+v", rep2.Changed(), g.Writes()-writes, rep2.Actions)
	}
	if after := versions(g, rep2); !reflect.DeepEqual(after, before) {
		t.Errorf("versions after the second push %v, before %v", after, before)
	}
	for _, a := range rep2.Actions {
		if a.Kind == "dashboard" && a.Version != 1 {
			t.Errorf("second push reports %s at version %d, want 1", a.Name, a.Version)
		}
	}
}

// TestPushChangedRenderBumpsOnce: a render that changes some dashboards saves each of them
// exactly once (version +1) and no other.
func TestPushChangedRenderBumpsOnce(t *testing.T) {
	g := grafanadouble.Start(t)
	cfg := pushConfig(t, g, "s1", seedAgencies)
	v1 := versions(g, push(t, cfg, seedAgencies))

	// One agency renamed: its dashboard (title) and its folder change, nothing else.
	renamed := append([]dashboards.Agency(nil), seedAgencies...)
	renamed[1].Name = "ФНС России 77"
	writes := g.Writes()
	rep := push(t, cfg, renamed)
	v2 := versions(g, rep)
	for k, v := range v2 {
		want := v1[k]
		if k == dashboards.AgencyOrg("fns.77")+" "+dashboards.AgencyDashboardUID("fns.77") {
			want = [2]int64{want[0] + 1, want[1] + 1}
		}
		if v != want {
			t.Errorf("after renaming fns.77: %s at version %d after %d saves, want %v", k, v[0], v[1], want)
		}
	}
	if w := g.Writes() - writes; w != 3 || rep.Changed() != 3 {
		t.Errorf("renaming one agency: %d writes, %d changes, want 3 (its folder, its dashboard, its alert titles): %+v", w, rep.Changed(), rep.Actions)
	}
	checkPushed(t, g, cfg, renamed)

	// English: every dashboard changes once, and the Project Office folder's title.
	writes = g.Writes()
	rep = push(t, cfg, renamed, dashboards.WithLang(dashboards.EN))
	for k, v := range versions(g, rep) {
		if want := [2]int64{v2[k][0] + 1, v2[k][1] + 1}; v != want {
			t.Errorf("English: %s at version %d after %d saves, want %v", k, v[0], v[1], want)
		}
	}
	for _, a := range rep.Actions {
		renamedFolder := a.Kind == "folder" && a.Name == dashboards.ProjectOfficeFolder && a.Change == dashboards.Updated
		if (a.Kind == "dashboard" || a.Kind == "alert-rules") != (a.Change == dashboards.Updated) && !renamedFolder {
			t.Errorf("English push: %+v", a)
		}
	}
	if w := g.Writes() - writes; w != 5+1+3 {
		t.Errorf("English push: %d writes, want 5 dashboards + 1 folder + 3 alert rule groups", w)
	}
	checkPushed(t, g, cfg, renamed, dashboards.WithLang(dashboards.EN))
	if title, _, _ := g.Folder(g.OrgID(dashboards.ProjectOfficeOrg), dashboards.ProjectOfficeFolder); title != "Project Office" {
		t.Errorf("Project Office folder titled %q after the English push", title)
	}
}

// TestPushDroppedAgencyReported: an agency that is not pushed any more is reported and its
// organization, datasource and dashboard stay.
func TestPushDroppedAgencyReported(t *testing.T) {
	g := grafanadouble.Start(t)
	cfg := pushConfig(t, g, "s1", seedAgencies)
	push(t, cfg, seedAgencies)
	writes := g.Writes()
	rep := push(t, cfg, seedAgencies[:2])
	if !reflect.DeepEqual(rep.Removed, []string{"pfr"}) {
		t.Errorf("removed agencies %v, want [pfr]", rep.Removed)
	}
	if g.Writes() != writes {
		t.Errorf("the push without pfr wrote %d times", g.Writes()-writes)
	}
	org := g.OrgID(dashboards.AgencyOrg("pfr"))
	if _, ok := g.Dashboard(org, dashboards.AgencyDashboardUID("pfr")); org == 0 || !ok {
		t.Errorf("pfr's organization (%d) or dashboard is gone", org)
	}
	if _, _, ok := g.Datasource(org, dashboards.DatasourceUID); !ok {
		t.Error("pfr's datasource is gone")
	}
}

// TestPushCompletesAfterFailure: a push that fails half-way (the second agency's dashboard
// cannot be saved) leaves what it did; the next push completes the rest and changes nothing
// that was already right.
func TestPushCompletesAfterFailure(t *testing.T) {
	g := grafanadouble.Start(t)
	cfg := pushConfig(t, g, "s1", seedAgencies)
	// Organizations are created in order: Main Org. = 1, mvd = 2, fns.77 = 3.
	g.FailWhen(func(r *http.Request) bool {
		return r.Method == "POST" && r.URL.Path == "/api/dashboards/db" && r.Header.Get("X-Grafana-Org-Id") == "3"
	})
	if _, err := dashboards.Push(context.Background(), cfg, seedAgencies); err == nil || !strings.Contains(err.Error(), "fns.77") {
		t.Fatalf("push with a failing Grafana: error %v, want one naming agency fns.77", err)
	}
	if g.OrgID(dashboards.AgencyOrg("pfr")) != 0 {
		t.Error("push went on after the failure")
	}
	g.FailWhen(nil)
	rep := push(t, cfg, seedAgencies)
	checkPushed(t, g, cfg, seedAgencies)
	created := map[string]bool{}
	for _, a := range rep.Actions {
		if a.Change == dashboards.Created {
			created[a.Org+" "+a.Kind] = true
		}
		// A new folder's default permissions are replaced: "updated" where the folder is new.
		if a.Change == dashboards.Updated && !(a.Kind == "permissions" && created[a.Org+" folder"]) {
			t.Errorf("the completing push updated %+v", a)
		}
	}
	if created[dashboards.AgencyOrg("mvd")+" dashboard"] || created[dashboards.AgencyOrg("fns.77")+" folder"] || !created[dashboards.AgencyOrg("fns.77")+" dashboard"] || !created[dashboards.AgencyOrg("pfr")+" organization"] {
		t.Errorf("the completing push created %v; want fns.77's dashboard and everything of pfr and the Project Office only", created)
	}
	if d, _ := g.Dashboard(g.OrgID(dashboards.AgencyOrg("fns.77")), dashboards.AgencyDashboardUID("fns.77")); d.Version != 1 {
		t.Errorf("fns.77's dashboard at version %d, want 1", d.Version)
	}
	if rep := push(t, cfg, seedAgencies); rep.Changed() != 0 {
		t.Errorf("a third push changed %d objects", rep.Changed())
	}
}

// TestPushNewSecretUpdatesDatasources: a new tenancy secret (new ClickHouse passwords) updates
// each datasource once, with the new password, and nothing else.
func TestPushNewSecretUpdatesDatasources(t *testing.T) {
	g := grafanadouble.Start(t)
	push(t, pushConfig(t, g, "s1", seedAgencies), seedAgencies)
	cfg := pushConfig(t, g, "s2", seedAgencies)
	rep := push(t, cfg, seedAgencies)
	for _, a := range rep.Actions {
		if (a.Kind == "datasource") != (a.Change == dashboards.Updated) {
			t.Errorf("new secret: %+v", a)
		}
	}
	checkPushed(t, g, cfg, seedAgencies)
	ds, _, _ := g.Datasource(g.OrgID(dashboards.AgencyOrg("mvd")), dashboards.DatasourceUID)
	if ds.Version != 2 {
		t.Errorf("mvd's datasource at version %d, want 2", ds.Version)
	}
}
