package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/client/orgs"
	"github.com/grafana/grafana-openapi-client-go/client/provisioning"
	"github.com/grafana/grafana-openapi-client-go/client/teams"
	"github.com/grafana/grafana-openapi-client-go/models"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/tenancy"
)

// Grafana says how to reach a Grafana server.
type Grafana struct {
	// URL is the server's base URL, e.g. https://grafana.example.org.
	URL string
	// User and Password: basic auth of a Grafana server admin (needed to manage organizations).
	User, Password string
	// Token is a service-account token or API key; organization-scoped, so it cannot manage the
	// organization-per-agency layout: Push refuses a token without User/Password.
	Token string
}

// Names of the organizations Push manages; an organization whose name starts with
// AgencyOrgPrefix but whose agency is not pushed any more is reported, never deleted.
const (
	AgencyOrgPrefix   = "cxstar agency "
	ProjectOfficeOrg  = "cxstar project office"
	ProjectOfficeTeam = "cxstar-project-office"
	datasourceName    = "ClickHouse (cxstar)"
)

// AgencyOrg is the name of agency id's Grafana organization.
func AgencyOrg(id string) string { return AgencyOrgPrefix + id }

// AgencyTeam is the name of agency id's team.
func AgencyTeam(id string) string { return "cxstar-" + id }

// PushConfig is what Push needs besides the agencies.
type PushConfig struct {
	Grafana Grafana
	// ClickHouseHost and ClickHousePort: the native-protocol address as the Grafana server's
	// plugin reaches it.
	ClickHouseHost string
	ClickHousePort int
	// TLS says how the plugin reaches ClickHouse (store.TLSOf of the DSN); the CA and client
	// certificate files are read and sent as the datasource's secureJsonData. Default: plaintext.
	TLS store.TLSSettings
	// ProjectOffice is the tenant of the Project Office organization's datasource.
	ProjectOffice tenancy.Tenant
	// Tenants holds one tenant per agency (keyed by agency id).
	Tenants map[string]tenancy.Tenant
}

// Change is what Push did to one object.
type Change string

// Changes.
const (
	Created   Change = "created"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
	Removed   Change = "removed-agency" // reported, not deleted
)

// Action is one object Push looked at.
type Action struct {
	Org    string `json:"org"`
	Kind   string `json:"kind"` // organization, datasource, folder, team, permissions, dashboard
	Name   string `json:"name"`
	Change Change `json:"change"`
	// Version is the dashboard version after the push (dashboards only).
	Version int64 `json:"version,omitempty"`
}

// PushResult lists every Action of a Push, the organizations' ids, and the agencies whose
// organization exists in Grafana but which were not pushed (left in place for an operator).
type PushResult struct {
	Actions []Action         `json:"actions"`
	OrgIDs  map[string]int64 `json:"org_ids"`
	Removed []string         `json:"removed_agencies"`
}

// Changed counts the created and updated objects.
func (r *PushResult) Changed() int {
	n := 0
	for _, a := range r.Actions {
		if a.Change == Created || a.Change == Updated {
			n++
		}
	}
	return n
}

func (r *PushResult) add(org, kind, name string, c Change) {
	r.Actions = append(r.Actions, Action{Org: org, Kind: kind, Name: name, Change: c})
}

// Client returns a grafana-openapi-client-go client for g.
func (g Grafana) Client() (*goapi.GrafanaHTTPAPI, error) {
	u, err := url.Parse(g.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("Grafana URL %q: want http(s)://host:port", g.URL)
	}
	cfg := &goapi.TransportConfig{Host: u.Host, BasePath: strings.TrimRight(u.Path, "/") + "/api", Schemes: []string{u.Scheme}, NumRetries: 2, RetryTimeout: time.Second}
	if g.User != "" {
		cfg.BasicAuth = url.UserPassword(g.User, g.Password)
	} else if g.Token != "" {
		cfg.APIKey = g.Token
	}
	return goapi.NewHTTPClientWithConfig(nil, cfg), nil
}

type coder interface{ IsCode(int) bool }

func isCode(err error, code int) bool {
	var c coder
	return errors.As(err, &c) && c.IsCode(code)
}

// Push creates or updates, idempotently, one organization per agency (datasource logging in as the
// agency's ClickHouse tenant, folder, team, folder permissions = the team may view, nothing else,
// and the agency dashboard) and the Project Office organization (its datasource, folder, team,
// the overview and the all-agencies dashboard). Objects that already match are left alone, so a
// second Push reports every object Unchanged and dashboard versions stay the same.
func Push(ctx context.Context, cfg PushConfig, agencies []Agency, opts ...Option) (*PushResult, error) {
	if cfg.Grafana.User == "" {
		return nil, errors.New("push needs a Grafana server admin with basic auth (--grafana-user/--grafana-password or CXSTAR_GRAFANA_USER/PASSWORD): " +
			"tokens are scoped to one organization and cannot create the per-agency organizations")
	}
	api, err := cfg.Grafana.Client()
	if err != nil {
		return nil, err
	}
	rep := &PushResult{OrgIDs: map[string]int64{}}
	want := map[string]bool{}
	for _, a := range agencies {
		if err := tenancy.ValidAgencyID(a.ID); err != nil {
			return rep, err
		}
		tn, ok := cfg.Tenants[a.ID]
		if !ok {
			return rep, fmt.Errorf("no ClickHouse tenant for agency %s: provision the tenancy first", a.ID)
		}
		want[AgencyOrg(a.ID)] = true
		d, err := AgencyDashboard(a, opts...)
		if err != nil {
			return rep, err
		}
		g, err := agencyAlerts(a, opts)
		if err != nil {
			return rep, err
		}
		folder := Folder{UID: AgencyFolderUID(a.ID), Title: a.Title()}
		if err := pushOrg(ctx, api, cfg, rep, AgencyOrg(a.ID), tn, folder, AgencyTeam(a.ID), []dashboard.Dashboard{d}, g); err != nil {
			return rep, fmt.Errorf("agency %s: %w", a.ID, err)
		}
	}
	folder, boards, err := projectOfficeBoards(opts)
	if err != nil {
		return rep, err
	}
	if err := pushOrg(ctx, api, cfg, rep, ProjectOfficeOrg, cfg.ProjectOffice, folder, ProjectOfficeTeam, boards, nil); err != nil {
		return rep, fmt.Errorf("Project Office: %w", err)
	}
	// Agencies that have an organization but were not pushed: report, never delete.
	perPage := int64(1000)
	found, err := api.Orgs.SearchOrgs(orgs.NewSearchOrgsParams().WithContext(ctx).WithPerpage(&perPage))
	if err != nil {
		return rep, fmt.Errorf("list Grafana organizations: %w", err)
	}
	for _, org := range found.Payload {
		if strings.HasPrefix(org.Name, AgencyOrgPrefix) && !want[org.Name] {
			id := strings.TrimPrefix(org.Name, AgencyOrgPrefix)
			rep.Removed = append(rep.Removed, id)
			rep.add(org.Name, "organization", org.Name, Removed)
		}
	}
	sort.Strings(rep.Removed)
	return rep, nil
}

// Folder is a Grafana folder Push manages.
type Folder struct{ UID, Title string }

func pushOrg(ctx context.Context, api *goapi.GrafanaHTTPAPI, cfg PushConfig, rep *PushResult, orgName string, tn tenancy.Tenant, folder Folder, team string, ds []dashboard.Dashboard, alerts *models.AlertRuleGroupExport) error {
	orgID, ch, err := ensureOrg(api, cfg.Grafana.User, orgName)
	if err != nil {
		return err
	}
	rep.OrgIDs[orgName] = orgID
	rep.add(orgName, "organization", orgName, ch)
	c := api.Clone().WithOrgID(orgID)

	if ch, err = ensureDatasource(c, cfg, tn); err != nil {
		return err
	}
	rep.add(orgName, "datasource", DatasourceUID, ch)
	if ch, err = ensureFolder(c, folder); err != nil {
		return err
	}
	rep.add(orgName, "folder", folder.UID, ch)
	teamID, ch, err := ensureTeam(ctx, c, team)
	if err != nil {
		return err
	}
	rep.add(orgName, "team", team, ch)
	if ch, err = ensureFolderPermissions(c, folder.UID, teamID); err != nil {
		return err
	}
	rep.add(orgName, "permissions", folder.UID, ch)
	for _, d := range ds {
		ch, ver, err := ensureDashboard(c, folder.UID, d)
		if err != nil {
			return err
		}
		rep.Actions = append(rep.Actions, Action{Org: orgName, Kind: "dashboard", Name: deref(d.Uid), Change: ch, Version: ver})
	}
	if alerts != nil {
		ch, err := ensureAlertGroup(ctx, c, orgID, folder.UID, alerts)
		if err != nil {
			return err
		}
		rep.add(orgName, "alert-rules", alerts.Name, ch)
	}
	return nil
}

// ensureAlertGroup writes the rule group through the provisioning API (PUT of the whole group)
// unless Grafana already holds exactly those rules.
func ensureAlertGroup(ctx context.Context, c *goapi.GrafanaHTTPAPI, orgID int64, folderUID string, g *models.AlertRuleGroupExport) (Change, error) {
	want, err := ProvisionedGroup(g, orgID, folderUID)
	if err != nil {
		return "", err
	}
	got, err := c.Provisioning.GetAlertRuleGroup(g.Name, folderUID)
	if err != nil && !isCode(err, 404) {
		return "", fmt.Errorf("read alert rule group %q of folder %s: %w", g.Name, folderUID, err)
	}
	change := Created
	if err == nil {
		change = Updated
		if sameGroup(got.Payload, want) {
			return Unchanged, nil
		}
	}
	p := provisioning.NewPutAlertRuleGroupParams().WithContext(ctx).WithFolderUID(folderUID).WithGroup(g.Name).WithBody(want)
	if _, err := c.Provisioning.PutAlertRuleGroup(p); err != nil {
		return "", fmt.Errorf("write alert rule group %q of folder %s: %w", g.Name, folderUID, err)
	}
	return change, nil
}

// sameGroup compares a stored rule group with the rendered one, ignoring what Grafana sets
// (rule ids, update times, provenance).
func sameGroup(stored, want *models.AlertRuleGroup) bool {
	norm := func(g *models.AlertRuleGroup) *models.AlertRuleGroup {
		c := *g
		c.Rules = nil
		for _, r := range g.Rules {
			x := *r
			x.ID, x.Updated, x.Provenance = 0, strfmt.DateTime{}, ""
			c.Rules = append(c.Rules, &x)
		}
		return &c
	}
	return stored != nil && sameJSON(norm(stored), norm(want))
}

func ensureOrg(api *goapi.GrafanaHTTPAPI, admin, name string) (int64, Change, error) {
	got, err := api.Orgs.GetOrgByName(name)
	if err == nil {
		// Make sure the admin can act in it (an organization created by someone else).
		_, aerr := api.Orgs.AddOrgUser(got.Payload.ID, &models.AddOrgUserCommand{LoginOrEmail: admin, Role: "Admin"})
		if aerr != nil && !isCode(aerr, 409) {
			return 0, "", fmt.Errorf("add %s as admin of organization %q: %w", admin, name, aerr)
		}
		return got.Payload.ID, Unchanged, nil
	}
	if !isCode(err, 404) {
		return 0, "", fmt.Errorf("look up Grafana organization %q (is the user a Grafana server admin?): %w", name, err)
	}
	created, err := api.Orgs.CreateOrg(&models.CreateOrgCommand{Name: name})
	if err != nil {
		return 0, "", fmt.Errorf("create Grafana organization %q (is the user a Grafana server admin?): %w", name, err)
	}
	return *created.Payload.OrgID, Created, nil
}

// DatasourceSettings returns the jsonData and the secureJsonData of the ClickHouse datasource
// Push writes for tenant tn, reaching ClickHouse at host:port (native protocol): the settings
// the ClickHouse datasource plugin (v1.1.2) reads, plus cxstar's own keys that let a later push
// notice a changed tenant or password.
func DatasourceSettings(host string, port int, tn tenancy.Tenant) (jsonData map[string]any, secureJSONData map[string]string) {
	return map[string]any{
		"server":              host,
		"port":                float64(port),
		"username":            tn.User,
		"defaultDatabase":     tn.Database,
		"timeout":             "30",
		"cxstarPasswordHash":  tn.PasswordFingerprint(),
		"cxstarTenantAgency":  tn.AgencyID,
		"cxstarTenantVersion": "1",
	}, map[string]string{"password": tn.Password}
}

func ensureDatasource(c *goapi.GrafanaHTTPAPI, cfg PushConfig, tn tenancy.Tenant) (Change, error) {
	jd, secure := DatasourceSettings(cfg.ClickHouseHost, cfg.ClickHousePort, tn)
	if err := AddDatasourceTLS(cfg.TLS, jd, secure); err != nil {
		return "", err
	}
	got, err := c.Datasources.GetDataSourceByUID(DatasourceUID)
	if err != nil && !isCode(err, 404) {
		return "", fmt.Errorf("read datasource %s: %w", DatasourceUID, err)
	}
	if err != nil {
		_, err := c.Datasources.AddDataSource(&models.AddDataSourceCommand{
			UID: DatasourceUID, Name: datasourceName, Type: PluginID, Access: "proxy", IsDefault: true,
			JSONData: jd, SecureJSONData: secure,
		})
		if err != nil {
			return "", fmt.Errorf("create datasource %s: %w", DatasourceUID, err)
		}
		return Created, nil
	}
	ds := got.Payload
	if ds.Name == datasourceName && ds.Type == PluginID && string(ds.Access) == "proxy" && ds.IsDefault && ds.SecureJSONFields["password"] && sameJSON(ds.JSONData, jd) {
		return Unchanged, nil
	}
	_, err = c.Datasources.UpdateDataSourceByUID(DatasourceUID, &models.UpdateDataSourceCommand{
		UID: DatasourceUID, Name: datasourceName, Type: PluginID, Access: "proxy", IsDefault: true,
		JSONData: jd, SecureJSONData: secure, Version: ds.Version,
	})
	if err != nil {
		return "", fmt.Errorf("update datasource %s: %w", DatasourceUID, err)
	}
	return Updated, nil
}

func ensureFolder(c *goapi.GrafanaHTTPAPI, f Folder) (Change, error) {
	got, err := c.Folders.GetFolderByUID(f.UID)
	if err != nil && !isCode(err, 404) {
		return "", fmt.Errorf("read folder %s: %w", f.UID, err)
	}
	if err != nil {
		if _, err := c.Folders.CreateFolder(&models.CreateFolderCommand{UID: f.UID, Title: f.Title}); err != nil {
			return "", fmt.Errorf("create folder %s: %w", f.UID, err)
		}
		return Created, nil
	}
	if got.Payload.Title == f.Title {
		return Unchanged, nil
	}
	if _, err := c.Folders.UpdateFolder(f.UID, &models.UpdateFolderCommand{Title: f.Title, Version: got.Payload.Version}); err != nil {
		return "", fmt.Errorf("rename folder %s: %w", f.UID, err)
	}
	return Updated, nil
}

func ensureTeam(ctx context.Context, c *goapi.GrafanaHTTPAPI, name string) (int64, Change, error) {
	got, err := c.Teams.SearchTeams(teams.NewSearchTeamsParams().WithContext(ctx).WithName(&name))
	if err != nil {
		return 0, "", fmt.Errorf("search team %s: %w", name, err)
	}
	for _, t := range got.Payload.Teams {
		if t.Name != nil && *t.Name == name && t.ID != nil {
			return *t.ID, Unchanged, nil
		}
	}
	created, err := c.Teams.CreateTeam(&models.CreateTeamCommand{Name: &name})
	if err != nil {
		return 0, "", fmt.Errorf("create team %s: %w", name, err)
	}
	return created.Payload.TeamID, Created, nil
}

// ensureFolderPermissions makes the folder's explicit permissions exactly "team views"
// (Grafana's default Viewer/Editor role entries removed). The POST replaces the whole list.
func ensureFolderPermissions(c *goapi.GrafanaHTTPAPI, folderUID string, teamID int64) (Change, error) {
	got, err := c.Folders.GetFolderPermissionList(folderUID)
	if err != nil {
		return "", fmt.Errorf("read permissions of folder %s: %w", folderUID, err)
	}
	var have []string
	for _, p := range got.Payload {
		if p.Inherited || p.Role == "Admin" {
			continue // Admins keep full access; inherited entries come from elsewhere
		}
		have = append(have, fmt.Sprintf("team=%d user=%d role=%s perm=%d", p.TeamID, p.UserID, p.Role, p.Permission))
	}
	want := fmt.Sprintf("team=%d user=0 role= perm=1", teamID)
	if len(have) == 1 && have[0] == want {
		return Unchanged, nil
	}
	_, err = c.Folders.UpdateFolderPermissions(folderUID, &models.UpdateDashboardACLCommand{
		Items: []*models.DashboardACLUpdateItem{{TeamID: teamID, Permission: 1}},
	})
	if err != nil {
		return "", fmt.Errorf("set permissions of folder %s: %w", folderUID, err)
	}
	return Updated, nil
}

func ensureDashboard(c *goapi.GrafanaHTTPAPI, folderUID string, d dashboard.Dashboard) (Change, int64, error) {
	uid := deref(d.Uid)
	model, err := Model(d)
	if err != nil {
		return "", 0, err
	}
	got, err := c.Dashboards.GetDashboardByUID(uid)
	if err != nil && !isCode(err, 404) {
		return "", 0, fmt.Errorf("read dashboard %s: %w", uid, err)
	}
	change := Created
	if err == nil {
		change = Updated
		if m, ok := got.Payload.Dashboard.(map[string]any); ok && got.Payload.Meta != nil &&
			got.Payload.Meta.FolderUID == folderUID && sameDashboard(m, model) {
			v, _ := m["version"].(float64)
			return Unchanged, int64(v), nil
		}
	}
	res, err := c.Dashboards.PostDashboard(&models.SaveDashboardCommand{
		Dashboard: model, FolderUID: folderUID, Overwrite: true, Message: "cxstar dashboards push",
	})
	if err != nil {
		return "", 0, fmt.Errorf("save dashboard %s: %w", uid, err)
	}
	var ver int64
	if res.Payload.Version != nil {
		ver = *res.Payload.Version
	}
	return change, ver, nil
}

// sameDashboard compares a stored dashboard with the rendered one, ignoring what Grafana sets
// (id, version).
func sameDashboard(stored, want map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			if k != "id" && k != "version" {
				out[k] = v
			}
		}
		return out
	}
	return sameJSON(strip(stored), strip(want))
}

// sameJSON compares two values after a JSON round trip (numbers as float64).
func sameJSON(a, b any) bool {
	norm := func(v any) any {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		var out any
		_ = json.Unmarshal(raw, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
