// Package grafanadouble is a test double of Grafana's HTTP API: an httptest server that keeps,
// in memory, the state of the calls `cxstar dashboards push` makes, the way a Grafana server
// keeps it. It is NOT Grafana: it implements only those calls, only their documented effects,
// and none of Grafana's access control beyond one server admin. What it cannot tell (a real
// organization's isolation, a team's view-only access, saving refused to viewers) is listed in
// dashboards/README.md with checks to run on a real Grafana.
//
// What it keeps, per organization (chosen by the X-Grafana-Org-Id header, default 1):
// datasources (by uid, with a version that goes up by one per update, secure fields kept but
// only reported as set), folders (version +1 per change), teams, folder permissions (a POST
// replaces the whole list), dashboards (version +1 per save, whether or not it changed, as in
// Grafana) and alert rule groups of the provisioning API (a PUT replaces the group; a rule keeps
// its id). It answers 401 (wrong credentials, or an organization the user is not a member of),
// 404 (unknown organization, datasource, folder, dashboard), 409 (a name or uid already taken,
// an organization member added twice, a stale datasource or folder version) and 412 (a
// dashboard saved without overwrite over a newer version, or under a title its folder already
// has) where Grafana does.
//
// Every request body is decoded strictly (unknown fields rejected) into the matching model of
// github.com/grafana/grafana-openapi-client-go and must pass its Validate; a body that does not
// is answered 400 and recorded in Problems, as is a call the double does not implement.
package grafanadouble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
)

// Server is a running double. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port), as dashboards.Grafana.URL wants it.
	URL string
	// User and Password are the server admin's basic-auth credentials.
	User, Password string

	srv *httptest.Server

	mu       sync.Mutex
	orgs     map[int64]*org
	nextOrg  int64
	nextID   int64
	writes   int
	problems []string
	fail     func(*http.Request) bool
}

type org struct {
	id          int64
	name        string
	members     map[string]string // login → role
	datasources map[string]*datasource
	folders     map[string]*folder
	teams       map[int64]*team
	dashboards  map[string]*Dashboard
	ruleGroups  map[string]*models.AlertRuleGroup // by folder uid + "/" + group title
}

type datasource struct {
	ds     models.DataSource
	secure map[string]string
}

type folder struct {
	f   models.Folder
	acl []*models.DashboardACLUpdateItem
}

type team struct {
	id   int64
	name string
}

// Dashboard is a stored dashboard as the double keeps it.
type Dashboard struct {
	// Model is the dashboard JSON, with the id and version the double set.
	Model map[string]any
	// FolderUID is the folder it was saved in.
	FolderUID string
	// Version goes up by one per save; Saves counts them.
	Version, Saves int64
	id             int64
}

// Start starts a double with one organization ("Main Org.", id 1) whose admin is the server
// admin admin:secret, and stops it when the test ends.
func Start(t testing.TB) *Server {
	s := &Server{User: "admin", Password: "secret", orgs: map[int64]*org{}, nextOrg: 1, nextID: 1}
	s.newOrg("Main Org.")
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func (s *Server) newOrg(name string) *org {
	o := &org{id: s.nextOrg, name: name, members: map[string]string{s.User: "Admin"}, datasources: map[string]*datasource{},
		folders: map[string]*folder{}, teams: map[int64]*team{}, dashboards: map[string]*Dashboard{},
		ruleGroups: map[string]*models.AlertRuleGroup{}}
	s.orgs[o.id] = o
	s.nextOrg++
	return o
}

func (s *Server) id() int64 { s.nextID++; return s.nextID }

// FailWhen makes the double answer 500 to every request for which f returns true, until it is
// called again (nil: no failures), to stop a push half-way.
func (s *Server) FailWhen(f func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

// Writes counts the requests that changed the double's state.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Problems lists the requests the double refused as malformed (strict decoding, Validate) or
// does not implement.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// OrgID returns the id of the organization named name (0 when there is none).
func (s *Server) OrgID(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if o.name == name {
			return o.id
		}
	}
	return 0
}

// Orgs lists the organizations' names, sorted.
func (s *Server) Orgs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, o := range s.orgs {
		names = append(names, o.name)
	}
	sort.Strings(names)
	return names
}

// Dashboard returns a copy of dashboard uid of organization orgID.
func (s *Server) Dashboard(orgID int64, uid string) (Dashboard, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil {
		if d := o.dashboards[uid]; d != nil {
			return *d, true
		}
	}
	return Dashboard{}, false
}

// Datasource returns datasource uid of organization orgID and its secure (write-only) fields.
func (s *Server) Datasource(orgID int64, uid string) (models.DataSource, map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil {
		if d := o.datasources[uid]; d != nil {
			return d.ds, d.secure, true
		}
	}
	return models.DataSource{}, nil, false
}

// FolderPermissions returns the explicit permissions of folder uid in organization orgID as
// "team <name>: <permission>" (or "role <role>: …", "user <id>: …"), in the order set.
func (s *Server) FolderPermissions(orgID int64, uid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[orgID]
	if o == nil || o.folders[uid] == nil {
		return nil
	}
	var out []string
	for _, it := range o.folders[uid].acl {
		switch {
		case it.TeamID != 0:
			name := "?"
			if t := o.teams[it.TeamID]; t != nil {
				name = t.name
			}
			out = append(out, fmt.Sprintf("team %s: %d", name, it.Permission))
		case it.UserID != 0:
			out = append(out, fmt.Sprintf("user %d: %d", it.UserID, it.Permission))
		default:
			out = append(out, fmt.Sprintf("role %s: %d", it.Role, it.Permission))
		}
	}
	return out
}

// Folder returns the title and version of folder uid in organization orgID.
func (s *Server) Folder(orgID int64, uid string) (title string, version int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil && o.folders[uid] != nil {
		f := o.folders[uid].f
		return f.Title, f.Version, true
	}
	return "", 0, false
}

// Teams lists the team names of organization orgID, sorted.
func (s *Server) Teams(orgID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if o := s.orgs[orgID]; o != nil {
		for _, t := range o.teams {
			out = append(out, t.name)
		}
	}
	sort.Strings(out)
	return out
}

type reply struct {
	code int
	body any
}

func msg(code int, format string, args ...any) reply {
	return reply{code, map[string]string{"message": fmt.Sprintf(format, args...)}}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rep := s.handle(r)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.code)
	_ = json.NewEncoder(w).Encode(rep.body)
}

func (s *Server) handle(r *http.Request) reply {
	if s.fail != nil && s.fail(r) {
		return msg(500, "injected failure")
	}
	u, p, ok := r.BasicAuth()
	if !ok || u != s.User || p != s.Password {
		return msg(401, "Unauthorized")
	}
	orgID := int64(1)
	if h := r.Header.Get("X-Grafana-Org-Id"); h != "" {
		id, err := strconv.ParseInt(h, 10, 64)
		if err != nil {
			return msg(400, "invalid X-Grafana-Org-Id %q", h)
		}
		orgID = id
	}
	o := s.orgs[orgID]
	if o == nil || o.members[u] == "" {
		return msg(401, "user %s is not a member of organization %d", u, orgID)
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	parts := strings.Split(strings.TrimPrefix(path, "/api/"), "/")
	if !strings.HasPrefix(path, "/api/") {
		return s.unhandled(r)
	}
	route := r.Method + " " + parts[0]
	switch {
	// Organizations (server admin calls: not scoped to the header's organization).
	case route == "GET orgs" && len(parts) == 1:
		var out []*models.OrgDTO
		for _, id := range s.orgIDs() {
			out = append(out, &models.OrgDTO{ID: id, Name: s.orgs[id].name})
		}
		return reply{200, out}
	case route == "GET orgs" && len(parts) == 3 && parts[1] == "name":
		for _, x := range s.orgs {
			if x.name == parts[2] {
				return reply{200, models.OrgDetailsDTO{ID: x.id, Name: x.name, Address: &models.Address{}}}
			}
		}
		return msg(404, "Organization not found")
	case route == "POST orgs" && len(parts) == 1:
		var cmd models.CreateOrgCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		if cmd.Name == "" {
			return s.problem(r, "organization without a name")
		}
		for _, x := range s.orgs {
			if x.name == cmd.Name {
				return msg(409, "Organization name taken")
			}
		}
		n := s.newOrg(cmd.Name) // the creator becomes its Admin
		s.writes++
		m := "Organization created"
		return reply{200, models.CreateOrgOKBody{Message: &m, OrgID: &n.id}}
	case route == "POST orgs" && len(parts) == 3 && parts[2] == "users":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		x := s.orgs[id]
		if x == nil {
			return msg(404, "Organization not found")
		}
		var cmd models.AddOrgUserCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		if cmd.LoginOrEmail != s.User {
			return msg(404, "User not found")
		}
		if !validRole(cmd.Role) {
			return s.problem(r, "invalid role %q", cmd.Role)
		}
		if x.members[cmd.LoginOrEmail] != "" {
			return msg(409, "User is already member of this organization")
		}
		x.members[cmd.LoginOrEmail] = cmd.Role
		s.writes++
		return msg(200, "User added to organization")

	// Datasources.
	case route == "GET datasources" && len(parts) == 3 && parts[1] == "uid":
		d := o.datasources[parts[2]]
		if d == nil {
			return msg(404, "Data source not found")
		}
		return reply{200, d.ds}
	case route == "POST datasources" && len(parts) == 1:
		var cmd models.AddDataSourceCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		if cmd.Name == "" || cmd.Type == "" {
			return s.problem(r, "datasource without name or type")
		}
		for _, d := range o.datasources {
			if d.ds.Name == cmd.Name || (cmd.UID != "" && d.ds.UID == cmd.UID) {
				return msg(409, "data source with the same name or uid already exists")
			}
		}
		uid := cmd.UID
		if uid == "" {
			uid = fmt.Sprintf("ds%d", s.nextID+1)
		}
		d := &datasource{ds: models.DataSource{ID: s.id(), UID: uid, OrgID: o.id, Name: cmd.Name, Type: cmd.Type, Access: cmd.Access,
			URL: cmd.URL, User: cmd.User, Database: cmd.Database, IsDefault: cmd.IsDefault, JSONData: cmd.JSONData, Version: 1,
			BasicAuth: cmd.BasicAuth, BasicAuthUser: cmd.BasicAuthUser, WithCredentials: cmd.WithCredentials}}
		d.secure, d.ds.SecureJSONFields = secureFields(nil, cmd.SecureJSONData)
		o.datasources[uid] = d
		s.writes++
		m := "Datasource added"
		ds := d.ds
		return reply{200, models.AddDataSourceOKBody{Datasource: &ds, ID: &ds.ID, Message: &m, Name: &ds.Name}}
	case route == "PUT datasources" && len(parts) == 3 && parts[1] == "uid":
		d := o.datasources[parts[2]]
		if d == nil {
			return msg(404, "Data source not found")
		}
		var cmd models.UpdateDataSourceCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		if cmd.Version != 0 && cmd.Version != d.ds.Version {
			return msg(409, "Datasource has already been updated by someone else. Please reload and try again")
		}
		for _, x := range o.datasources {
			if x != d && x.ds.Name == cmd.Name {
				return msg(409, "data source with the same name already exists")
			}
		}
		d.ds.Name, d.ds.Type, d.ds.Access, d.ds.URL, d.ds.User, d.ds.Database = cmd.Name, cmd.Type, cmd.Access, cmd.URL, cmd.User, cmd.Database
		d.ds.IsDefault, d.ds.JSONData, d.ds.BasicAuth, d.ds.BasicAuthUser, d.ds.WithCredentials = cmd.IsDefault, cmd.JSONData, cmd.BasicAuth, cmd.BasicAuthUser, cmd.WithCredentials
		d.secure, d.ds.SecureJSONFields = secureFields(d.secure, cmd.SecureJSONData)
		d.ds.Version++
		s.writes++
		m := "Datasource updated"
		ds := d.ds
		return reply{200, models.UpdateDataSourceByUIDOKBody{Datasource: &ds, ID: &ds.ID, Message: &m, Name: &ds.Name}}

	// Folders and their permissions.
	case route == "GET folders" && len(parts) == 2:
		f := o.folders[parts[1]]
		if f == nil {
			return msg(404, "folder not found")
		}
		return reply{200, f.f}
	case route == "POST folders" && len(parts) == 1:
		var cmd models.CreateFolderCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		if cmd.Title == "" {
			return s.problem(r, "folder without a title")
		}
		if cmd.UID != "" && o.folders[cmd.UID] != nil {
			return msg(409, "a folder with the same uid already exists")
		}
		for _, f := range o.folders {
			if f.f.Title == cmd.Title {
				return msg(409, "a folder with the same name already exists")
			}
		}
		uid := cmd.UID
		if uid == "" {
			uid = fmt.Sprintf("f%d", s.nextID+1)
		}
		// A new folder gives Editors edit and Viewers view, as Grafana's defaults do.
		f := &folder{f: models.Folder{ID: s.id(), UID: uid, OrgID: o.id, Title: cmd.Title, Version: 1, URL: "/dashboards/f/" + uid},
			acl: []*models.DashboardACLUpdateItem{{Role: "Editor", Permission: 2}, {Role: "Viewer", Permission: 1}}}
		o.folders[uid] = f
		s.writes++
		return reply{200, f.f}
	case route == "PUT folders" && len(parts) == 2:
		f := o.folders[parts[1]]
		if f == nil {
			return msg(404, "folder not found")
		}
		var cmd models.UpdateFolderCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		if !cmd.Overwrite && cmd.Version != f.f.Version {
			return msg(409, "the folder has been changed by someone else")
		}
		for _, x := range o.folders {
			if x != f && x.f.Title == cmd.Title {
				return msg(409, "a folder with the same name already exists")
			}
		}
		f.f.Title = cmd.Title
		f.f.Version++
		s.writes++
		return reply{200, f.f}
	case route == "GET folders" && len(parts) == 3 && parts[2] == "permissions":
		f := o.folders[parts[1]]
		if f == nil {
			return msg(404, "folder not found")
		}
		// The organization's Admins always have full access; Grafana lists them first.
		out := []*models.DashboardACLInfoDTO{{FolderUID: f.f.UID, Role: "Admin", Permission: 4, PermissionName: "Admin", IsFolder: true}}
		for _, it := range f.acl {
			e := &models.DashboardACLInfoDTO{FolderUID: f.f.UID, IsFolder: true, Role: it.Role, UserID: it.UserID, TeamID: it.TeamID,
				Permission: it.Permission, PermissionName: permissionName(it.Permission)}
			if t := o.teams[it.TeamID]; t != nil {
				e.Team = t.name
			}
			out = append(out, e)
		}
		return reply{200, out}
	case route == "POST folders" && len(parts) == 3 && parts[2] == "permissions":
		f := o.folders[parts[1]]
		if f == nil {
			return msg(404, "folder not found")
		}
		var cmd models.UpdateDashboardACLCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		for _, it := range cmd.Items {
			if it == nil || count(it.TeamID != 0, it.UserID != 0, it.Role != "") != 1 {
				return s.problem(r, "a permission item needs exactly one of teamId, userId, role")
			}
			if it.Permission != 1 && it.Permission != 2 && it.Permission != 4 {
				return s.problem(r, "permission %d is not 1 (View), 2 (Edit) or 4 (Admin)", it.Permission)
			}
			if it.TeamID != 0 && o.teams[it.TeamID] == nil {
				return msg(400, "team %d not found", it.TeamID)
			}
		}
		f.acl = cmd.Items // the whole list is replaced
		s.writes++
		return msg(200, "Folder permissions updated")

	// Teams.
	case route == "GET teams" && len(parts) == 2 && parts[1] == "search":
		name := r.URL.Query().Get("name")
		res := models.SearchTeamQueryResult{Page: 1, PerPage: 1000, Teams: []*models.TeamDTO{}}
		for _, id := range sortedTeamIDs(o) {
			t := o.teams[id]
			if name == "" || t.name == name {
				tid, tname, torg, zero, no := t.id, t.name, o.id, int64(0), false
				uid := fmt.Sprintf("t%d", t.id)
				res.Teams = append(res.Teams, &models.TeamDTO{ID: &tid, Name: &tname, OrgID: &torg, MemberCount: &zero, IsProvisioned: &no, UID: &uid})
			}
		}
		res.TotalCount = int64(len(res.Teams))
		return reply{200, res}
	case route == "POST teams" && len(parts) == 1:
		var cmd models.CreateTeamCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		for _, t := range o.teams {
			if t.name == *cmd.Name {
				return msg(409, "Team name taken")
			}
		}
		t := &team{id: s.id(), name: *cmd.Name}
		o.teams[t.id] = t
		s.writes++
		return reply{200, models.CreateTeamOKBody{Message: "Team created", TeamID: t.id, UID: fmt.Sprintf("t%d", t.id)}}

	// Alert rule groups of the provisioning API (v1/provisioning/folder/<uid>/rule-groups/<group>).
	case (route == "GET v1" || route == "PUT v1") && len(parts) == 6 && parts[1] == "provisioning" && parts[2] == "folder" && parts[4] == "rule-groups":
		return s.ruleGroup(r, o, parts[3], parts[5])

	// Dashboards.
	case route == "GET dashboards" && len(parts) == 3 && parts[1] == "uid":
		d := o.dashboards[parts[2]]
		if d == nil {
			return msg(404, "Dashboard not found")
		}
		meta := &models.DashboardMeta{FolderUID: d.FolderUID, Version: d.Version, Slug: slugOf(d.Model), Type: "db", CanSave: true, CanEdit: true, CanAdmin: true}
		if f := o.folders[d.FolderUID]; f != nil {
			meta.FolderTitle, meta.FolderID = f.f.Title, f.f.ID
		}
		return reply{200, models.DashboardFullWithMeta{Dashboard: copyJSON(d.Model), Meta: meta}}
	case route == "POST dashboards" && len(parts) == 2 && parts[1] == "db":
		var cmd models.SaveDashboardCommand
		if bad, ok := s.decode(r, &cmd); !ok {
			return bad
		}
		model, ok := cmd.Dashboard.(map[string]any)
		if !ok {
			return s.problem(r, "dashboard is not a JSON object")
		}
		uid, _ := model["uid"].(string)
		title, _ := model["title"].(string)
		if uid == "" || title == "" {
			return s.problem(r, "dashboard without uid or title")
		}
		if cmd.FolderUID != "" && o.folders[cmd.FolderUID] == nil {
			return msg(400, "folder not found")
		}
		for _, x := range o.dashboards {
			if xu, _ := x.Model["uid"].(string); xu != uid && x.FolderUID == cmd.FolderUID && x.Model["title"] == title {
				return reply{412, map[string]string{"status": "name-exists", "message": "A dashboard with the same name in the folder already exists"}}
			}
		}
		d := o.dashboards[uid]
		if d != nil && !cmd.Overwrite {
			if v, _ := model["version"].(float64); int64(v) != d.Version {
				return reply{412, map[string]string{"status": "version-mismatch", "message": "The dashboard has been changed by someone else"}}
			}
		}
		if d == nil {
			d = &Dashboard{id: s.id()}
			o.dashboards[uid] = d
		}
		d.Version++
		d.Saves++
		d.FolderUID = cmd.FolderUID
		d.Model = copyJSON(model).(map[string]any)
		d.Model["id"], d.Model["version"] = float64(d.id), float64(d.Version)
		s.writes++
		status, url := "success", "/d/"+uid+"/"+slugOf(d.Model)
		id, ver := d.id, d.Version
		return reply{200, models.PostDashboardOKBody{FolderUID: cmd.FolderUID, ID: &id, Status: &status, Title: &title, UID: &uid, URL: &url, Version: &ver}}
	}
	return s.unhandled(r)
}

// ruleGroup answers GET and PUT of a rule group as Grafana's provisioning API does: PUT replaces
// the group's rules (a rule's id stays with its uid), in a folder that exists, with queries on
// datasources of the organization (or expressions), and rule uids unique in the organization.
func (s *Server) ruleGroup(r *http.Request, o *org, folderUID, title string) reply {
	key := folderUID + "/" + title
	if r.Method == http.MethodGet {
		g := o.ruleGroups[key]
		if g == nil {
			return msg(404, "rule group does not exist")
		}
		return reply{200, g}
	}
	if o.folders[folderUID] == nil {
		return msg(404, "folder does not exist")
	}
	var g models.AlertRuleGroup
	if bad, ok := s.decode(r, &g); !ok {
		return bad
	}
	if g.Interval <= 0 || g.Interval%10 != 0 {
		return s.problem(r, "interval %d: must be a positive multiple of 10 s", g.Interval)
	}
	ids := map[string]int64{}
	if old := o.ruleGroups[key]; old != nil {
		for _, x := range old.Rules {
			ids[x.UID] = x.ID
		}
	}
	for _, x := range g.Rules {
		if x.UID == "" || *x.FolderUID != folderUID || *x.RuleGroup != title || *x.OrgID != o.id {
			return s.problem(r, "rule %q: needs a uid, this folder, this group and this organization", x.UID)
		}
		for k, other := range o.ruleGroups {
			for _, y := range other.Rules {
				if k != key && y.UID == x.UID {
					return msg(409, "rule uid %s is used in another group", x.UID)
				}
			}
		}
		refs := map[string]bool{}
		for _, q := range x.Data {
			refs[q.RefID] = true
			if q.DatasourceUID != "__expr__" && o.datasources[q.DatasourceUID] == nil {
				return msg(400, "rule %s: data source %s not found", x.UID, q.DatasourceUID)
			}
		}
		if !refs[*x.Condition] {
			return s.problem(r, "rule %s: condition %s is not one of its queries", x.UID, *x.Condition)
		}
		if ids[x.UID] == 0 {
			ids[x.UID] = s.id()
		}
		x.ID, x.Provenance = ids[x.UID], "api"
	}
	g.FolderUID, g.Title = folderUID, title
	o.ruleGroups[key] = &g
	s.writes++
	return reply{200, g}
}

// RuleGroup returns rule group title of folder folderUID in organization orgID.
func (s *Server) RuleGroup(orgID int64, folderUID, title string) (models.AlertRuleGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil && o.ruleGroups[folderUID+"/"+title] != nil {
		return *o.ruleGroups[folderUID+"/"+title], true
	}
	return models.AlertRuleGroup{}, false
}

func (s *Server) unhandled(r *http.Request) reply {
	s.problems = append(s.problems, fmt.Sprintf("%s %s: not implemented by the double", r.Method, r.URL.Path))
	return msg(404, "Not found")
}

func (s *Server) problem(r *http.Request, format string, args ...any) reply {
	m := fmt.Sprintf(format, args...)
	s.problems = append(s.problems, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, m))
	return msg(400, "%s", m)
}

// decode reads r's body strictly into v (a grafana-openapi-client-go model) and validates it.
func (s *Server) decode(r *http.Request, v interface {
	Validate(strfmt.Registry) error
}) (reply, bool) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return s.problem(r, "read body: %v", err), false
	}
	// encoding/json matches keys case-insensitively; Grafana's decoder does not: check the
	// top-level keys exactly against the model's JSON names first.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &keys); err != nil {
		return s.problem(r, "body is not a JSON object: %v", err), false
	}
	names := jsonNames(reflect.TypeOf(v).Elem())
	for k := range keys {
		if !names[k] {
			return s.problem(r, "body does not decode strictly into %T: unknown field %q", v, k), false
		}
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return s.problem(r, "body does not decode strictly into %T: %v", v, err), false
	}
	if err := v.Validate(strfmt.Default); err != nil {
		return s.problem(r, "%T does not validate: %v", v, err), false
	}
	return reply{}, true
}

// jsonNames returns the JSON names of struct type t's fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			names[name] = true
		}
	}
	return names
}

func (s *Server) orgIDs() []int64 {
	var ids []int64
	for id := range s.orgs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func sortedTeamIDs(o *org) []int64 {
	var ids []int64
	for id := range o.teams {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}

func validRole(r string) bool { return r == "Viewer" || r == "Editor" || r == "Admin" || r == "None" }

func permissionName(p models.PermissionType) string {
	switch p {
	case 1:
		return "View"
	case 2:
		return "Edit"
	case 4:
		return "Admin"
	}
	return ""
}

// secureFields merges new secure values into old ones (Grafana keeps a secure field that an
// update does not mention) and reports which are set.
func secureFields(old, upd map[string]string) (map[string]string, map[string]bool) {
	out := map[string]string{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range upd {
		out[k] = v
	}
	set := map[string]bool{}
	for k := range out {
		set[k] = true
	}
	return out, set
}

func slugOf(m map[string]any) string {
	t, _ := m["title"].(string)
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return '-'
	}, t), "-")
}

func copyJSON(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}
