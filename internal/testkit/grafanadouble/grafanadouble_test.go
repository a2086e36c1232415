package grafanadouble_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/models"

	"github.com/cxstar/cxstar/internal/testkit/grafanadouble"
)

func client(t *testing.T, g *grafanadouble.Server, user, password string) *goapi.GrafanaHTTPAPI {
	u, err := url.Parse(g.URL)
	if err != nil {
		t.Fatal(err)
	}
	return goapi.NewHTTPClientWithConfig(nil, &goapi.TransportConfig{Host: u.Host, BasePath: "/api", Schemes: []string{"http"}, BasicAuth: url.UserPassword(user, password)})
}

func code(err error) int {
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return c.Code()
	}
	for _, n := range []int{400, 401, 403, 404, 409, 412, 500} {
		var ic interface{ IsCode(int) bool }
		if errors.As(err, &ic) && ic.IsCode(n) {
			return n
		}
	}
	if err == nil {
		return 200
	}
	return -1
}

// TestStatusCodes checks the double's answers where Grafana answers 401, 404, 409 and 412, and
// its versions: +1 per save of a dashboard, stale versions refused.
func TestStatusCodes(t *testing.T) {
	g := grafanadouble.Start(t)
	api := client(t, g, g.User, g.Password)
	if _, err := client(t, g, g.User, "wrong").Orgs.GetOrgByName("Main Org."); code(err) != 401 {
		t.Errorf("wrong password: %v, want 401", err)
	}
	if _, err := api.Orgs.GetOrgByName("nope"); code(err) != 404 {
		t.Errorf("unknown organization: %v, want 404", err)
	}
	created, err := api.Orgs.CreateOrg(&models.CreateOrgCommand{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	orgA := *created.Payload.OrgID
	if _, err := api.Orgs.CreateOrg(&models.CreateOrgCommand{Name: "a"}); code(err) != 409 {
		t.Errorf("organization name taken: %v, want 409", err)
	}
	if _, err := api.Orgs.AddOrgUser(orgA, &models.AddOrgUserCommand{LoginOrEmail: g.User, Role: "Admin"}); code(err) != 409 {
		t.Errorf("creator added again: %v, want 409 (the creator is already its Admin)", err)
	}
	a := api.Clone().WithOrgID(orgA)
	if _, err := api.Clone().WithOrgID(99).Folders.GetFolderByUID("x"); code(err) != 401 {
		t.Errorf("organization the user is not in: %v, want 401", err)
	}
	if _, err := a.Folders.GetFolderByUID("f"); code(err) != 404 {
		t.Errorf("unknown folder: %v, want 404", err)
	}
	if _, err := a.Folders.CreateFolder(&models.CreateFolderCommand{UID: "f", Title: "F"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Folders.CreateFolder(&models.CreateFolderCommand{UID: "f", Title: "G"}); code(err) != 409 {
		t.Errorf("folder uid taken: %v, want 409", err)
	}
	if _, err := a.Folders.UpdateFolder("f", &models.UpdateFolderCommand{Title: "F2", Version: 7}); code(err) != 409 {
		t.Errorf("stale folder version: %v, want 409", err)
	}
	board := func(version float64) *models.SaveDashboardCommand {
		return &models.SaveDashboardCommand{FolderUID: "f", Dashboard: map[string]any{"uid": "d", "title": "D", "version": version}}
	}
	for i, want := range []int64{1, 2} {
		res, err := a.Dashboards.PostDashboard(&models.SaveDashboardCommand{FolderUID: "f", Overwrite: true, Dashboard: map[string]any{"uid": "d", "title": "D"}})
		if err != nil || *res.Payload.Version != want {
			t.Fatalf("save %d: %v, want version %d", i+1, err, want)
		}
	}
	if _, err := a.Dashboards.PostDashboard(board(1)); code(err) != 412 {
		t.Errorf("save over a newer version: %v, want 412", err)
	}
	if res, err := a.Dashboards.PostDashboard(board(2)); err != nil || *res.Payload.Version != 3 {
		t.Errorf("save at the current version: %v, want version 3", err)
	}
	if _, err := a.Dashboards.PostDashboard(&models.SaveDashboardCommand{FolderUID: "f", Dashboard: map[string]any{"uid": "e", "title": "D"}}); code(err) != 412 {
		t.Errorf("second dashboard with the same title in the folder: %v, want 412", err)
	}
	if _, err := a.Dashboards.GetDashboardByUID("nope"); code(err) != 404 {
		t.Errorf("unknown dashboard: %v, want 404", err)
	}
	// Folder permissions: a POST replaces the whole list.
	team, err := a.Teams.CreateTeam(&models.CreateTeamCommand{Name: ptr("t")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.FolderPermissions(orgA, "f"), ", "); got != "role Editor: 2, role Viewer: 1" {
		t.Errorf("a new folder's permissions: %s", got)
	}
	if _, err := a.Folders.UpdateFolderPermissions("f", &models.UpdateDashboardACLCommand{Items: []*models.DashboardACLUpdateItem{{TeamID: team.Payload.TeamID, Permission: 1}}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.FolderPermissions(orgA, "f"), ", "); got != "team t: 1" {
		t.Errorf("permissions after a POST of one item: %s, want only it", got)
	}
	if _, err := a.Teams.CreateTeam(&models.CreateTeamCommand{Name: ptr("t")}); code(err) != 409 {
		t.Errorf("team name taken: %v, want 409", err)
	}
	if p := g.Problems(); len(p) != 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestStrictBodies: a body with a field the client's model does not have is refused and recorded.
func TestStrictBodies(t *testing.T) {
	g := grafanadouble.Start(t)
	api := client(t, g, g.User, g.Password)
	_, err := api.Folders.CreateFolder(&models.CreateFolderCommand{UID: "f", Title: "F"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Dashboards.PostDashboard(&models.SaveDashboardCommand{Dashboard: map[string]any{"uid": "d", "title": "D"}, FolderUID: "nope"}); code(err) != 400 {
		t.Errorf("save into a missing folder: %v, want 400", err)
	}
	if _, err := api.Teams.CreateTeam(&models.CreateTeamCommand{}); err == nil {
		t.Error("a team without a name was accepted")
	}
	for _, body := range []string{`{"name": "x", "title": "x"}`, `{"Name": "x"}`} {
		req, _ := http.NewRequest("POST", g.URL+"/api/orgs", strings.NewReader(body))
		req.SetBasicAuth(g.User, g.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("organization body %s: %d, want 400", body, resp.StatusCode)
		}
	}
	p := g.Problems()
	if len(p) != 3 || !strings.Contains(p[0], "CreateTeamCommand does not validate") || !strings.Contains(p[1], `unknown field "title"`) || !strings.Contains(p[2], `unknown field "Name"`) {
		t.Errorf("problems %q, want the nameless team refused by Validate and the unknown fields by strict decoding", p)
	}
}

func ptr(s string) *string { return &s }
