package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-openapi-client-go/models"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/tenancy"
)

// RenderConfig is what Render needs to write datasources besides the agencies; the zero value
// writes dashboards only (no datasource or users files).
type RenderConfig struct {
	// ClickHouseHost and ClickHousePort as Grafana reaches ClickHouse. Default 127.0.0.1:9000.
	ClickHouseHost string
	ClickHousePort int
	// TLS says how Grafana reaches ClickHouse (store.TLSOf of the DSN); the datasources refer to
	// the CA and client certificate files by path ($__file{…}), so Grafana must be able to read
	// them there. Default: plaintext.
	TLS store.TLSSettings
	// ProjectOffice and Tenants (by agency id) name the ClickHouse users of the datasources;
	// their passwords are NOT written: the YAML reads them from environment variables
	// (PasswordEnv) when Grafana loads it.
	ProjectOffice tenancy.Tenant
	Tenants       map[string]tenancy.Tenant
	// MainDB and Networks: when MainDB is set, the ClickHouse users file (users.d XML, 18.16)
	// and the SQL for current ClickHouse are written too (with password hashes only).
	MainDB   string
	Networks []string
}

// Bundle is a rendered set of files, by path relative to the output folder.
type Bundle struct {
	Files map[string][]byte
}

// OrgEnv is the environment variable the provisioning YAML reads organization orgName's id from.
func OrgEnv(orgName string) string { return "CXSTAR_GRAFANA_ORG_" + envSlug(orgName) }

// PasswordEnv is the environment variable holding the ClickHouse password of tenant user.
func PasswordEnv(user string) string { return "CXSTAR_CH_PASSWORD_" + envSlug(user) }

func envSlug(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, AgencyOrgPrefix), "cxstar ")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// projectOfficeBoards returns the Project Office's folder and its dashboards (the overview and the
// all-agencies dashboard), as Render writes them and Push sends them.
func projectOfficeBoards(opts []Option) (Folder, []dashboard.Dashboard, error) {
	ov, err := OverviewDashboard(opts...)
	if err != nil {
		return Folder{}, nil, err
	}
	all, err := AllAgenciesDashboard(opts...)
	if err != nil {
		return Folder{}, nil, err
	}
	return Folder{UID: ProjectOfficeFolder, Title: texts[newOptions(opts).lang].poFolder}, []dashboard.Dashboard{ov, all}, nil
}

type renderedOrg struct {
	name   string
	folder Folder
	dirs   string
	tenant tenancy.Tenant
	boards []dashboard.Dashboard
}

// Render renders every dashboard (one per agency, the overview and the all-agencies dashboard)
// as Grafana JSON under dashboards/<org>/<uid>.json, plus Grafana provisioning YAML for
// dashboards and (when cfg names tenants) datasources, and the ClickHouse users files. outDir is
// the absolute folder the files will be written to (the dashboard providers point there).
// It is a linear list of the bundle's files, built in the order the sentence above names them.
func Render(outDir string, cfg RenderConfig, agencies []Agency, opts ...Option) (*Bundle, error) {
	o := newOptions(opts)
	var orgsOut []renderedOrg
	for _, a := range agencies {
		d, err := AgencyDashboard(a, opts...)
		if err != nil {
			return nil, err
		}
		orgsOut = append(orgsOut, renderedOrg{name: AgencyOrg(a.ID), folder: Folder{UID: AgencyFolderUID(a.ID), Title: a.Title()},
			dirs: "agency-" + tenancy.Slug(a.ID, 60), tenant: cfg.Tenants[a.ID], boards: []dashboard.Dashboard{d}})
	}
	folder, boards, err := projectOfficeBoards(opts)
	if err != nil {
		return nil, err
	}
	orgsOut = append(orgsOut, renderedOrg{name: ProjectOfficeOrg, folder: folder, dirs: "project-office", tenant: cfg.ProjectOffice, boards: boards})

	b := &Bundle{Files: map[string][]byte{}}
	var groups []*models.AlertRuleGroupExport
	var groupOrgs []string
	for _, a := range agencies {
		g, err := agencyAlerts(a, opts)
		if err != nil {
			return nil, err
		}
		groups, groupOrgs = append(groups, g), append(groupOrgs, AgencyOrg(a.ID))
	}
	if len(groups) > 0 {
		y, err := alertingFile(groups, groupOrgs)
		if err != nil {
			return nil, err
		}
		b.Files[filepath.Join("provisioning", "alerting", "cxstar.yaml")] = y
	}
	type provider struct {
		Name                  string            `yaml:"name"`
		OrgID                 string            `yaml:"orgId"`
		Folder                string            `yaml:"folder"`
		FolderUID             string            `yaml:"folderUid"`
		Type                  string            `yaml:"type"`
		DisableDeletion       bool              `yaml:"disableDeletion"`
		AllowUIUpdates        bool              `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int               `yaml:"updateIntervalSeconds"`
		Options               map[string]string `yaml:"options"`
	}
	type datasource struct {
		Name           string            `yaml:"name"`
		UID            string            `yaml:"uid"`
		Type           string            `yaml:"type"`
		OrgID          string            `yaml:"orgId"`
		Access         string            `yaml:"access"`
		IsDefault      bool              `yaml:"isDefault"`
		Editable       bool              `yaml:"editable"`
		JSONData       map[string]any    `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	}
	var providers []provider
	var dss []datasource
	host, port := cfg.ClickHouseHost, cfg.ClickHousePort
	if host == "" {
		host = "127.0.0.1"
	}
	if port == 0 {
		port = 9000
	}
	for _, org := range orgsOut {
		for _, d := range org.boards {
			raw, err := JSON(d)
			if err != nil {
				return nil, err
			}
			b.Files[filepath.Join("dashboards", org.dirs, deref(d.Uid)+".json")] = raw
		}
		orgID := "${" + OrgEnv(org.name) + "}"
		providers = append(providers, provider{Name: "cxstar-" + org.dirs, OrgID: orgID, Folder: org.folder.Title, FolderUID: org.folder.UID,
			Type: "file", DisableDeletion: true, AllowUIUpdates: false, UpdateIntervalSeconds: 60,
			Options: map[string]string{"path": filepath.Join(outDir, "dashboards", org.dirs)}})
		if org.tenant.User != "" {
			jd := map[string]any{"server": host, "port": port, "username": org.tenant.User, "defaultDatabase": org.tenant.Database, "timeout": "30"}
			sec := map[string]string{"password": "${" + PasswordEnv(org.tenant.User) + "}"}
			if err := datasourceTLS(cfg.TLS, jd, sec, filePEM); err != nil {
				return nil, err
			}
			dss = append(dss, datasource{Name: datasourceName, UID: DatasourceUID, Type: PluginID, OrgID: orgID, Access: "proxy", IsDefault: true,
				JSONData: jd, SecureJSONData: sec})
		}
	}
	// The pipeline's own dashboard (Prometheus metrics of `cxstar ingest`), for the Project Office.
	pipe, err := PipelineDashboard("", opts...)
	if err != nil {
		return nil, err
	}
	raw, err := JSON(pipe)
	if err != nil {
		return nil, err
	}
	b.Files[filepath.Join("pipeline", PipelineUID+".json")] = raw
	providers = append(providers, provider{Name: "cxstar-pipeline", OrgID: "${" + OrgEnv(ProjectOfficeOrg) + "}", Folder: texts[o.lang].poFolder, FolderUID: ProjectOfficeFolder,
		Type: "file", DisableDeletion: true, UpdateIntervalSeconds: 60, Options: map[string]string{"path": filepath.Join(outDir, "pipeline")}})
	head := "# Written by `cxstar dashboards render`. Organization ids come from the environment (" +
		"create the organizations first, e.g. with `cxstar dashboards push`, and export CXSTAR_GRAFANA_ORG_…).\n"
	y, err := yaml.Marshal(map[string]any{"apiVersion": 1, "providers": providers})
	if err != nil {
		return nil, fmt.Errorf("render dashboard providers: %w", err)
	}
	b.Files[filepath.Join("provisioning", "dashboards", "cxstar.yaml")] = append([]byte(head), y...)
	if len(dss) > 0 {
		y, err := yaml.Marshal(map[string]any{"apiVersion": 1, "datasources": dss})
		if err != nil {
			return nil, fmt.Errorf("render datasources: %w", err)
		}
		b.Files[filepath.Join("provisioning", "datasources", "cxstar.yaml")] = append([]byte(head+"# Passwords come from CXSTAR_CH_PASSWORD_… (see `cxstar dashboards tenants`).\n"), y...)
	}
	if cfg.MainDB != "" && cfg.ProjectOffice.User != "" {
		nets := cfg.Networks
		if len(nets) == 0 {
			nets = []string{"127.0.0.1", "::1"}
		}
		ts := []tenancy.Tenant{cfg.ProjectOffice}
		ids := make([]string, 0, len(cfg.Tenants))
		for id := range cfg.Tenants {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var ddl []string
		for _, id := range ids {
			ts = append(ts, cfg.Tenants[id])
			for _, s := range tenancy.AgencyDDL(cfg.MainDB, cfg.Tenants[id]) {
				ddl = append(ddl, s+";")
			}
		}
		b.Files[filepath.Join("clickhouse", "users.d", tenancy.UsersFile(cfg.MainDB))] = tenancy.UsersXML(cfg.MainDB, ts, nets)
		b.Files[filepath.Join("clickhouse", "agency_databases.sql")] = []byte("-- Agency databases (ClickHouse 18.16 and current): run as an admin user.\n" +
			"-- An agency database whose followup_items or followups has no partition key (system.tables.partition_key = '')\n" +
			"-- was created by an earlier version: drop those tables and their *_feed views first, and this file fills them\n" +
			"-- again from the main tables (`cxstar dashboards push` does that by itself).\n" + strings.Join(ddl, "\n\n") + "\n")
		b.Files[filepath.Join("clickhouse", "users_current_clickhouse.sql")] = []byte("-- The same users for current ClickHouse (SQL access control; 18.16 uses users.d instead).\n" + tenancy.UsersSQL(ts, nets))
	}
	return b, nil
}

// JSON returns the dashboard's Grafana JSON, indented, ending in a newline.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal dashboard %s: %w", deref(d.Uid), err)
	}
	return append(raw, '\n'), nil
}

// Write writes the bundle under dir and returns the paths written, sorted.
func (b *Bundle) Write(dir string) ([]string, error) {
	var paths []string
	for p := range b.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(full), err)
		}
		if err := os.WriteFile(full, b.Files[p], 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", full, err)
		}
	}
	return paths, nil
}
