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
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"

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
