package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/chtest"
	"github.com/cxstar/cxstar/internal/grafanatest"
)

// grafanaRun is one test's view of the pushed Grafana.
type grafanaRun struct {
	s       grafanatest.Server
	cfg     dashboards.PushConfig
	tenants []dashboards.Tenant
	rep     *dashboards.Report
	mainDB  string
}

// dsQuery posts SQL to /api/ds/query as user in org and returns the number of rows of every
// frame and the error text of the result (if any), or the HTTP status when not 200.
func dsQuery(t *testing.T, s grafanatest.Server, user, pass string, org int64, sql string, format int) (rows int, qerr string, status int) {
	t.Helper()
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	body := map[string]any{
		"from": strconv.FormatInt(from.UnixMilli(), 10), "to": strconv.FormatInt(to.UnixMilli(), 10),
		"queries": []map[string]any{{
			"refId": "A", "datasource": map[string]string{"uid": dashboards.DatasourceUID, "type": dashboards.PluginID},
			"rawSql": sql, "format": format, "intervalMs": 3600000, "maxDataPoints": 500,
		}},
	}
	code, raw, err := s.Call("POST", "/api/ds/query", user, pass, org, body)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Results map[string]struct {
			Error  string
			Frames []struct {
				Data struct{ Values [][]any }
			}
		}
	}
	_ = json.Unmarshal(raw, &resp)
	r := resp.Results["A"]
	for _, f := range r.Frames {
		if len(f.Data.Values) > 0 {
			rows += len(f.Data.Values[0])
		}
	}
	if code != 200 && r.Error == "" {
		r.Error = string(raw)
	}
	return rows, r.Error, code
}

func setupPush(t *testing.T) grafanaRun {
	s := grafanatest.Start(t)
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	db := mainDB(t, dsn)
	tcfg := dashboards.TenancyConfig{MainDB: db, UsersDir: usersDir(), Secret: []byte("push-secret"), Addr: chtest.Addr()}
	cleanupTenancy(t, conn, tcfg, seedAgencies)
	po, ag, err := dashboards.ProvisionClickHouse(context.Background(), conn, tcfg, seedAgencies)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(chtest.Addr(), ":")
	p, _ := strconv.Atoi(port)
	cfg := dashboards.PushConfig{
		Grafana:        dashboards.Grafana{URL: s.URL, User: s.User, Password: s.Password},
		ClickHouseHost: host, ClickHousePort: p, ProjectOffice: po, Tenants: map[string]dashboards.Tenant{},
	}
	for _, tn := range ag {
		cfg.Tenants[tn.AgencyID] = tn
	}
	rep, err := dashboards.Push(context.Background(), cfg, seedAgencies)
	if err != nil {
		t.Fatal(err)
	}
	// Grafana caches datasources (and the plugin its connections) for a few seconds: wait until
	// every organization's datasource logs in as this run's tenant before testing through it.
	start := time.Now()
	for org, id := range rep.OrgIDs {
		want := po.Database
		if a := strings.TrimPrefix(org, dashboards.AgencyOrgPrefix); a != org {
			want = cfg.Tenants[a].Database
		}
		for {
			if got := dsValue(t, s, id, "SELECT currentDatabase()"); got == want {
				break
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("datasource of %s does not use database %s a minute after the push", org, want)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	t.Logf("datasources use the new credentials %v after the push", time.Since(start).Round(100*time.Millisecond))
	return grafanaRun{s: s, cfg: cfg, tenants: ag, rep: rep, mainDB: db}
}

// dsValue runs sql as admin in org through /api/ds/query and returns the first value as text.
func dsValue(t *testing.T, s grafanatest.Server, org int64, sql string) string {
	body := map[string]any{"from": "now-1h", "to": "now", "queries": []map[string]any{{
		"refId": "A", "datasource": map[string]string{"uid": dashboards.DatasourceUID, "type": dashboards.PluginID},
		"rawSql": sql, "format": dashboards.FormatTable}}}
	_, raw, err := s.Call("POST", "/api/ds/query", "", "", org, body)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Results map[string]struct {
			Frames []struct{ Data struct{ Values [][]any } }
		}
	}
	_ = json.Unmarshal(raw, &resp)
	for _, f := range resp.Results["A"].Frames {
		if len(f.Data.Values) > 0 && len(f.Data.Values[0]) > 0 {
			return fmt.Sprint(f.Data.Values[0][0])
		}
	}
	return ""
}

func TestPushGrafana(t *testing.T) {
	g := setupPush(t)
	s := g.s
	// Organizations are shared by every run against this Grafana (names do not depend on the
	// database), so the first push of this run may find them already there; either way,
	// everything must now match what was rendered. Read back and compare.
	for _, a := range seedAgencies {
		org := g.rep.OrgIDs[dashboards.AgencyOrg(a.ID)]
		if org == 0 {
			t.Fatalf("no organization for %s in report", a.ID)
		}
		want, err := dashboards.AgencyDashboard(a)
		if err != nil {
			t.Fatal(err)
		}
		wm, _ := dashboards.Model(want)
		var got struct {
			Dashboard map[string]any
			Meta      struct{ FolderUID string }
		}
		raw := s.MustCall(t, 200, "GET", "/api/dashboards/uid/"+dashboards.AgencyDashboardUID(a.ID), "", "", org, nil)
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		delete(got.Dashboard, "id")
		delete(got.Dashboard, "version")
		gj, _ := json.Marshal(got.Dashboard)
		wj, _ := json.Marshal(wm)
		if string(gj) != string(wj) {
			t.Errorf("%s: stored dashboard differs from the rendered one:\n got %.300s\nwant %.300s", a.ID, gj, wj)
		}
		if got.Meta.FolderUID != dashboards.AgencyFolderUID(a.ID) {
			t.Errorf("%s: dashboard in folder %q", a.ID, got.Meta.FolderUID)
		}
		var ds struct {
			JSONData         map[string]any
			SecureJSONFields map[string]bool
		}
		if err := json.Unmarshal(s.MustCall(t, 200, "GET", "/api/datasources/uid/"+dashboards.DatasourceUID, "", "", org, nil), &ds); err != nil {
			t.Fatal(err)
		}
		if ds.JSONData["username"] != g.cfg.Tenants[a.ID].User || !ds.SecureJSONFields["password"] {
			t.Errorf("%s: datasource %+v", a.ID, ds)
		}
		var perms []struct {
			TeamID     int64
			UserID     int64
			Role       string
			Permission int
			Team       string
			Inherited  bool
		}
		if err := json.Unmarshal(s.MustCall(t, 200, "GET", "/api/folders/"+dashboards.AgencyFolderUID(a.ID)+"/permissions", "", "", org, nil), &perms); err != nil {
			t.Fatal(err)
		}
		var explicit []string
		for _, p := range perms {
			if p.Role != "Admin" && !p.Inherited {
				explicit = append(explicit, fmt.Sprintf("%s:%d", p.Team, p.Permission))
			}
		}
		if strings.Join(explicit, ",") != dashboards.AgencyTeam(a.ID)+":1" {
			t.Errorf("%s: folder permissions %v, want only the team with View (1)", a.ID, explicit)
		}
	}
	// Second push: nothing changes, versions stay.
	rep2, err := dashboards.Push(context.Background(), g.cfg, seedAgencies)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Changed() != 0 {
		t.Errorf("second push changed %d objects: %+v", rep2.Changed(), rep2.Actions)
	}
	v1 := map[string]int64{}
	for _, a := range g.rep.Actions {
		if a.Kind == "dashboard" {
			v1[a.Org+a.Name] = a.Version
		}
	}
	for _, a := range rep2.Actions {
		if a.Kind == "dashboard" && (a.Version == 0 || a.Version != v1[a.Org+a.Name]) {
			t.Errorf("dashboard %s in %s: version %d after the second push, %d before", a.Name, a.Org, a.Version, v1[a.Org+a.Name])
		}
	}
	// A changed rendering (English) updates the dashboards and bumps their versions once.
	rep3, err := dashboards.Push(context.Background(), g.cfg, seedAgencies, dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rep3.Actions {
		if a.Kind == "dashboard" && (a.Change != dashboards.Updated || a.Version != v1[a.Org+a.Name]+1) {
			t.Errorf("English push: %+v, want updated to version %d", a, v1[a.Org+a.Name]+1)
		}
		// Only the dashboards and the Project Office folder's title («Проектный офис») change.
		renamed := a.Kind == "folder" && a.Name == dashboards.ProjectOfficeFolder && a.Change == dashboards.Updated
		if a.Kind != "dashboard" && a.Change != dashboards.Unchanged && !renamed {
			t.Errorf("English push touched %+v", a)
		}
	}
	// Pushing without the last agency reports it and leaves its organization alone.
	rep4, err := dashboards.Push(context.Background(), g.cfg, seedAgencies[:2], dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep4.Removed, ",") != "pfr" {
		t.Errorf("removed = %v, want [pfr]", rep4.Removed)
	}
	s.MustCall(t, 200, "GET", "/api/orgs/name/"+strings.ReplaceAll(dashboards.AgencyOrg("pfr"), " ", "%20"), "", "", 0, nil)
	// Back to Russian for the other tests.
	if _, err := dashboards.Push(context.Background(), g.cfg, seedAgencies); err != nil {
		t.Fatal(err)
	}
}

// addUser creates a Grafana user, makes it a Viewer of org, and a member of team (when not "").
func addUser(t *testing.T, s grafanatest.Server, login string, org int64, team string) {
	t.Helper()
	code, raw, err := s.Call("POST", "/api/admin/users", "", "", 0, map[string]any{"login": login, "email": login + "@example.org", "password": "pw-" + login, "OrgId": org})
	if err != nil || (code != 200 && code != 412) {
		t.Fatalf("create user %s: %d %s %v", login, code, raw, err)
	}
	var u struct{ ID int64 }
	_ = json.Unmarshal(s.MustCall(t, 200, "GET", "/api/users/lookup?loginOrEmail="+login, "", "", 0, nil), &u)
	code, raw, _ = s.Call("POST", fmt.Sprintf("/api/orgs/%d/users", org), "", "", 0, map[string]string{"loginOrEmail": login, "role": "Viewer"})
	if code != 200 && code != 409 {
		t.Fatalf("add %s to org %d: %d %s", login, org, code, raw)
	}
	// Its role is Viewer even if an earlier run made it something else.
	s.MustCall(t, 200, "PATCH", fmt.Sprintf("/api/orgs/%d/users/%d", org, u.ID), "", "", 0, map[string]string{"role": "Viewer"})
	if team == "" {
		return
	}
	var teams struct{ Teams []struct{ ID int64 } }
	_ = json.Unmarshal(s.MustCall(t, 200, "GET", "/api/teams/search?name="+team, "", "", org, nil), &teams)
	if len(teams.Teams) != 1 {
		t.Fatalf("team %s: %+v", team, teams)
	}
	code, raw, _ = s.Call("POST", fmt.Sprintf("/api/teams/%d/members", teams.Teams[0].ID), "", "", org, map[string]int64{"userId": u.ID})
	if code != 200 && code != 400 && code != 409 { // 400/409: already a member (earlier run)
		t.Fatalf("add %s to team %s: %d %s", login, team, code, raw)
	}
}

func TestTenancyGrafana(t *testing.T) {
	g := setupPush(t)
	s := g.s
	mvd, fns := seedAgencies[0], seedAgencies[1]
	orgA, orgB := g.rep.OrgIDs[dashboards.AgencyOrg(mvd.ID)], g.rep.OrgIDs[dashboards.AgencyOrg(fns.ID)]
	addUser(t, s, "viewer-mvd", orgA, dashboards.AgencyTeam(mvd.ID))
	addUser(t, s, "outsider-mvd", orgA, "") // in the organization, not in the team
	const userA, passA = "viewer-mvd", "pw-viewer-mvd"

	// A's team member reads A's dashboard …
	s.MustCall(t, 200, "GET", "/api/dashboards/uid/"+dashboards.AgencyDashboardUID(mvd.ID), userA, passA, orgA, nil)
	// … and not B's: not there in A's organization, and B's organization is not A's.
	for _, org := range []int64{orgA, orgB} {
		code, raw, _ := s.Call("GET", "/api/dashboards/uid/"+dashboards.AgencyDashboardUID(fns.ID), userA, passA, org, nil)
		if code != 403 && code != 404 && code != 401 {
			t.Errorf("agency A viewer reading B's dashboard (org %d): %d %s", org, code, raw)
		}
		t.Logf("A reading B's dashboard with org header %d: %d", org, code)
	}
	// An organization member outside the team does not see the folder's dashboard.
	if code, _, _ := s.Call("GET", "/api/dashboards/uid/"+dashboards.AgencyDashboardUID(mvd.ID), "outsider-mvd", "pw-outsider-mvd", orgA, nil); code != 403 {
		t.Errorf("org member outside the team reads the agency dashboard: %d, want 403", code)
	}
	// Nobody in the team can save: overwrite and new dashboard both refused.
	d, _ := dashboards.AgencyDashboard(mvd)
	m, _ := dashboards.Model(d)
	m["title"] = "hacked"
	for _, body := range []map[string]any{
		{"dashboard": m, "folderUid": dashboards.AgencyFolderUID(mvd.ID), "overwrite": true},
		{"dashboard": map[string]any{"title": "new", "uid": "new-by-viewer"}, "folderUid": dashboards.AgencyFolderUID(mvd.ID)},
	} {
		if code, raw, _ := s.Call("POST", "/api/dashboards/db", userA, passA, orgA, body); code != 403 {
			t.Errorf("team member saving a dashboard: %d %s, want 403", code, raw)
		}
	}

	// The curious viewer's hand-written SQL through A's datasource.
	own, qerr, code := dsQuery(t, s, userA, passA, orgA, "SELECT agency_id, indicator, level FROM assessments_latest WHERE agency_id = 'mvd'", dashboards.FormatTable)
	if own != 32 || qerr != "" {
		t.Fatalf("A's own rows through /api/ds/query: %d rows (status %d, err %q), want 2 quarters·2 standards·8 indicators = 32", own, code, qerr)
	}
	for _, sql := range []string{
		"SELECT agency_id, indicator, level FROM assessments_latest WHERE agency_id = 'fns.77'",
		"SELECT agency_id, indicator, level FROM assessments_latest WHERE agency_id != 'mvd'",
		"SELECT agency_id FROM `" + g.mainDB + "`.assessments WHERE agency_id = 'fns.77'",
		"SELECT agency_id FROM `" + g.mainDB + "`.assessments_latest",
		"SELECT agency_id FROM `" + g.cfg.Tenants[fns.ID].Database + "`.assessments",
		"SELECT * FROM url('http://127.0.0.1:18123/?query=SELECT+agency_id+FROM+" + g.mainDB + ".assessments', TSV, 'a String')",
		"SELECT * FROM remote('" + chtest.Addr() + "', `" + g.mainDB + "`.assessments, 'default', '')",
	} {
		n, qerr, code := dsQuery(t, s, userA, passA, orgA, sql, dashboards.FormatTable)
		if n != 0 {
			t.Errorf("A's viewer got %d rows of other agencies with %q", n, sql)
		}
		t.Logf("%.70s… → %d rows, status %d, %.90s", sql, n, code, qerr)
	}
	// B's datasource is not reachable from A's organization with B's org header either.
	if n, _, code := dsQuery(t, s, userA, passA, orgB, "SELECT agency_id FROM assessments_latest", dashboards.FormatTable); n != 0 {
		t.Errorf("A's viewer got %d rows querying in B's organization (status %d)", n, code)
	}
	// The same with A's ClickHouse credentials directly.
	c, err := dashboards.TenantConn(chtest.Addr(), g.cfg.Tenants[mvd.ID])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ids := agencyIDs(t, c, "SELECT DISTINCT agency_id FROM assessments_latest"); strings.Join(ids, ",") != "mvd" {
		t.Errorf("A's ClickHouse user sees %v", ids)
	}
	if rows, err := c.Query(context.Background(), "SELECT agency_id FROM `"+g.mainDB+"`.assessments"); err == nil {
		rows.Close()
		t.Error("A's ClickHouse user can read the main assessments table")
	}
}

// TestPanelSQLThroughGrafana sends every panel's SQL, with the dashboard variables replaced as
// the front end does, through Grafana and the ClickHouse plugin (which expands its macros), as
// an agency viewer and as the Project Office, and wants rows from each.
func TestPanelSQLThroughGrafana(t *testing.T) {
	g := setupPush(t)
	s := g.s
	vars := map[string]string{"standard": "business", "quarter": "2026Q3"}
	check := func(org int64, d dashboard.Dashboard, agency string) {
		vars["agency"] = agency
		for _, q := range dashboards.Queries(d) {
			n, qerr, code := dsQuery(t, s, "", "", org, dashboards.InterpolateVars(q.SQL, vars), q.Format)
			if n == 0 || qerr != "" {
				t.Errorf("%s / %s through Grafana: %d rows, status %d, error %q", *d.Uid, q.Panel, n, code, qerr)
			}
		}
	}
	for _, a := range seedAgencies {
		d, _ := dashboards.AgencyDashboard(a)
		check(g.rep.OrgIDs[dashboards.AgencyOrg(a.ID)], d, a.ID)
	}
	ov, _ := dashboards.OverviewDashboard()
	all, _ := dashboards.AllAgenciesDashboard()
	check(g.rep.OrgIDs[dashboards.ProjectOfficeOrg], ov, "")
	check(g.rep.OrgIDs[dashboards.ProjectOfficeOrg], all, "pfr")
}
