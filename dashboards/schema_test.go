package dashboards_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/tenancy"
)

var registerOnce sync.Once

// strictDashboard decodes raw with the foundation SDK's strict decoder (unknown fields rejected,
// panel options by panel type, targets as ClickHouseQuery) and validates it.
func strictDashboard(raw []byte) (dashboard.Dashboard, error) {
	registerOnce.Do(func() {
		plugins.RegisterDefaultPlugins()
		cog.NewRuntime().RegisterDataqueryVariant(dashboards.ClickHouseQueryVariant())
	})
	var d dashboard.Dashboard
	if err := d.UnmarshalJSONStrict(raw); err != nil {
		return d, err
	}
	return d, d.Validate()
}

// TestRenderedDashboardsStrict: every rendered dashboard (both languages) strict-decodes and
// validates with the foundation SDK, every target decodes as a ClickHouse query, and every
// datasource reference (panels, targets, query variables) is cxstar-clickhouse of the plugin.
func TestRenderedDashboardsStrict(t *testing.T) {
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		b, err := dashboards.Render("/out", dashboards.RenderConfig{}, seedAgencies, dashboards.WithLang(lang))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for path, raw := range b.Files {
			if filepath.Ext(path) != ".json" {
				continue
			}
			n++
			d, err := strictDashboard(raw)
			if err != nil {
				t.Errorf("%s (%s): %v", path, lang, err)
				continue
			}
			refs := 0
			// The pipeline's dashboard reads Prometheus, every other one ClickHouse.
			pipeline := path == "pipeline/"+dashboards.PipelineUID+".json"
			wantUID, wantType := dashboards.DatasourceUID, dashboards.PluginID
			if pipeline {
				wantUID, wantType = dashboards.PrometheusUID, "prometheus"
			}
			check := func(where string, ds *dashboard.DataSourceRef) {
				refs++
				if ds == nil || ds.Uid == nil || *ds.Uid != wantUID || ds.Type == nil || *ds.Type != wantType {
					t.Errorf("%s: %s refers to datasource %+v, want %s of type %s", path, where, ds, wantUID, wantType)
				}
			}
			for _, v := range d.Templating.List {
				if v.Type == "query" {
					check("variable "+v.Name, v.Datasource)
				}
			}
			for _, pr := range d.Panels {
				p := pr.Panel
				if p == nil {
					t.Errorf("%s: a row or library panel", path)
					continue
				}
				check("panel "+*p.Title, p.Datasource)
				if len(p.Targets) != 1 {
					t.Errorf("%s: panel %s has %d targets", path, *p.Title, len(p.Targets))
				}
				for _, tg := range p.Targets {
					if pq, ok := tg.(*prometheus.Dataquery); pipeline && ok {
						if pq.Expr == "" || !strings.Contains(pq.Expr, "_") {
							t.Errorf("%s: panel %s has PromQL %q", path, *p.Title, pq.Expr)
						}
						check("target of panel "+*p.Title, pq.Datasource)
						continue
					}
					q, ok := tg.(dashboards.ClickHouseQuery)
					if !ok {
						t.Errorf("%s: panel %s target decoded as %T, not as a ClickHouse query", path, *p.Title, tg)
						continue
					}
					check("target of panel "+*p.Title, q.Datasource)
				}
			}
			if refs < 4 {
				t.Errorf("%s: only %d datasource references checked", path, refs)
			}
		}
		if n != len(seedAgencies)+3 {
			t.Errorf("%s: %d dashboards checked, want %d (agencies, overview, all agencies, pipeline)", lang, n, len(seedAgencies)+3)
		}
	}
}

// TestStrictDecodingCanFail: the strict check refuses what Grafana would silently drop or the
// plugin misread.
func TestStrictDecodingCanFail(t *testing.T) {
	d, err := dashboards.AgencyDashboard(seedAgencies[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := dashboards.JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strictDashboard(raw); err != nil {
		t.Fatalf("the rendered dashboard itself: %v", err)
	}
	for _, c := range []struct{ name, from, to string }{
		{"misspelt rawSql", `"rawSql"`, `"rawSQL"`},
		{"unknown format", `"format": 1`, `"format": 3`},
		{"unknown dashboard field", `"timezone"`, `"timeZone"`},
		{"unknown panel option", `"colorMode"`, `"colourMode"`},
		{"other query type", `"queryType": "sql"`, `"queryType": "builder"`},
	} {
		bad := bytes.Replace(raw, []byte(c.from), []byte(c.to), 1)
		if bytes.Equal(bad, raw) {
			t.Fatalf("%s: %s not in the rendered JSON", c.name, c.from)
		}
		if _, err := strictDashboard(bad); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// provisioningFiles is the file shape of Grafana's provisioning documentation for dashboard
// providers and datasources (only the fields it documents; decoded with unknown fields refused).
type provisioningFiles struct {
	Dashboards struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string `yaml:"name"`
			OrgID                 string `yaml:"orgId"`
			Folder                string `yaml:"folder"`
			FolderUID             string `yaml:"folderUid"`
			Type                  string `yaml:"type"`
			DisableDeletion       bool   `yaml:"disableDeletion"`
			AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
			UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
			Options               struct {
				Path                      string `yaml:"path"`
				FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	Datasources struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name           string            `yaml:"name"`
			Type           string            `yaml:"type"`
			UID            string            `yaml:"uid"`
			OrgID          string            `yaml:"orgId"`
			Access         string            `yaml:"access"`
			URL            string            `yaml:"url"`
			User           string            `yaml:"user"`
			Database       string            `yaml:"database"`
			BasicAuth      bool              `yaml:"basicAuth"`
			IsDefault      bool              `yaml:"isDefault"`
			Version        int               `yaml:"version"`
			Editable       bool              `yaml:"editable"`
			JSONData       map[string]any    `yaml:"jsonData"`
			SecureJSONData map[string]string `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
}

func strictYAML(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("provisioning file does not have the documented shape: %v\n%s", err, raw)
	}
}

// TestProvisioningShape: the provisioning YAML of render decodes into the documented file shape
// (unknown keys refused), every provider points at a folder of rendered dashboards, organization
// ids and passwords come from the environment, and the datasources are the plugin's, with the
// settings the plugin reads.
func TestProvisioningShape(t *testing.T) {
	secret := []byte("s")
	po, ag, err := tenancy.Config{MainDB: "cxstar", Secret: secret}.Tenants(dashboards.IDs(seedAgencies))
	if err != nil {
		t.Fatal(err)
	}
	b, err := dashboards.Render("/out", dashboards.RenderConfig{ClickHouseHost: "ch", ClickHousePort: 9000, ProjectOffice: po, Tenants: tenancy.Map(ag)}, seedAgencies)
	if err != nil {
		t.Fatal(err)
	}
	var p provisioningFiles
	strictYAML(t, b.Files["provisioning/dashboards/cxstar.yaml"], &p.Dashboards)
	strictYAML(t, b.Files["provisioning/datasources/cxstar.yaml"], &p.Datasources)
	if p.Dashboards.APIVersion != 1 || p.Datasources.APIVersion != 1 {
		t.Errorf("apiVersion %d and %d, want 1", p.Dashboards.APIVersion, p.Datasources.APIVersion)
	}
	var dirs []string
	for _, pr := range p.Dashboards.Providers {
		rel := strings.TrimPrefix(pr.Options.Path, "/out/")
		files := 0
		for path := range b.Files {
			if filepath.Dir(path) == rel {
				files++
			}
		}
		if pr.Type != "file" || files == 0 || pr.FolderUID == "" || pr.Folder == "" || !strings.HasPrefix(pr.OrgID, "${CXSTAR_GRAFANA_ORG_") || !pr.DisableDeletion || pr.AllowUIUpdates {
			t.Errorf("provider %+v (%d dashboard files at its path)", pr, files)
		}
		dirs = append(dirs, rel)
	}
	sort.Strings(dirs)
	want := []string{"dashboards/agency-fns_77_0670dab9", "dashboards/agency-mvd", "dashboards/agency-pfr", "dashboards/project-office", "pipeline"}
	if strings.Join(dirs, " ") != strings.Join(want, " ") {
		t.Errorf("providers for %v, want %v", dirs, want)
	}
	if len(p.Datasources.Datasources) != len(seedAgencies)+1 {
		t.Fatalf("%d datasources, want one per organization", len(p.Datasources.Datasources))
	}
	for _, ds := range p.Datasources.Datasources {
		user, _ := ds.JSONData["username"].(string)
		if ds.UID != dashboards.DatasourceUID || ds.Type != dashboards.PluginID || ds.Access != "proxy" || !ds.IsDefault ||
			ds.JSONData["server"] != "ch" || ds.JSONData["port"] != 9000 || ds.JSONData["defaultDatabase"] == nil || ds.JSONData["timeout"] == nil ||
			ds.SecureJSONData["password"] != "${"+dashboards.PasswordEnv(user)+"}" || len(ds.SecureJSONData) != 1 {
			t.Errorf("datasource %+v", ds)
		}
	}
	// The jsonData keys are among those the plugin reads (and push writes).
	jd, _ := dashboards.DatasourceSettings("ch", 9000, po)
	for k := range p.Datasources.Datasources[0].JSONData {
		if _, ok := jd[k]; !ok {
			t.Errorf("rendered datasource has jsonData key %q that push does not write", k)
		}
	}
	raw, _ := json.Marshal(p.Datasources.Datasources[0].JSONData)
	t.Logf("rendered jsonData: %s", raw)
}
