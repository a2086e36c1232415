package grafanadouble

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/grafana/grafana-openapi-client-go/models"
)

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

// handle checks the credentials and the organization, then answers r. It is long on purpose: one
// route table read top to bottom, a case per Grafana call the double implements.
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
