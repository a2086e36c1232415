package dashboards_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/tenancy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenAgencyDashboard compares the rendered agency dashboard with testdata; run
// `go test ./dashboards -run Golden -update` after an intended change and review the diff.
func TestGoldenAgencyDashboard(t *testing.T) {
	for _, c := range []struct {
		file string
		lang dashboards.Lang
	}{{"agency_mvd.ru.golden.json", dashboards.RU}, {"overview.en.golden.json", dashboards.EN}} {
		var raw []byte
		var err error
		if strings.HasPrefix(c.file, "agency") {
			d, derr := dashboards.AgencyDashboard(dashboards.Agency{ID: "mvd", Name: "МВД"}, dashboards.WithLang(c.lang))
			if derr != nil {
				t.Fatal(derr)
			}
			raw, err = dashboards.JSON(d)
		} else {
			d, derr := dashboards.OverviewDashboard(dashboards.WithLang(c.lang))
			if derr != nil {
				t.Fatal(derr)
			}
			raw, err = dashboards.JSON(d)
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", c.file)
		if *update {
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(raw, want) {
			t.Errorf("%s differs from the rendered dashboard; run with -update and review the diff", path)
		}
	}
}

func TestAgencyDashboardShape(t *testing.T) {
	d, err := dashboards.AgencyDashboard(dashboards.Agency{ID: "fns.77"}, dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	if *d.Uid != "cxstar-ag-fns_77_0670dab9" || *d.Title != "Client centricity: fns.77" {
		t.Errorf("uid %q title %q", *d.Uid, *d.Title)
	}
	var m struct {
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Targets []struct {
				RawSQL     string `json:"rawSql"`
				Format     *int   `json:"format"`
				Datasource struct{ Type, UID string }
			}
		}
		Templating struct {
			List []struct {
				Name, Type string
				Query      any
				Hide       int
			}
		}
	}
	raw, _ := json.Marshal(d)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	// 15 panels: overall, levels, repeat, trend, NPS, shares, response times, 2 drill-downs, samples,
	// bands, where to start (priorities), changes since last quarter and targets, detractor
	// follow-up, official revision.
	if len(m.Panels) != 15 {
		t.Fatalf("%d panels, want 15", len(m.Panels))
	}
	for i, p := range m.Panels {
		if p.ID != i+1 || len(p.Targets) != 1 {
			t.Errorf("panel %d: id %d, %d targets", i, p.ID, len(p.Targets))
			continue
		}
		tg := p.Targets[0]
		if tg.Datasource.Type != "grafana-clickhouse-datasource" || tg.Datasource.UID != dashboards.DatasourceUID || tg.Format == nil {
			t.Errorf("panel %d target: %+v", i, tg)
		}
		if strings.Contains(tg.RawSQL, "FROM official_revisions\n") {
			// The official revision of the quarter is not agency-specific: it reads nothing else.
			if strings.Contains(tg.RawSQL, "agency") || strings.Count(tg.RawSQL, "FROM ") != 1 {
				t.Errorf("panel %d reads more than the revisions: %s", i, tg.RawSQL)
			}
			continue
		}
		if !strings.Contains(tg.RawSQL, "agency_id = '$agency'") {
			t.Errorf("panel %d does not filter by agency: %s", i, tg.RawSQL)
		}
		if !strings.Contains(tg.RawSQL, "assessments_latest") && !strings.Contains(tg.RawSQL, "indicator_details_latest") &&
			!strings.Contains(tg.RawSQL, "priorities_latest") && !strings.Contains(tg.RawSQL, "followup_items FINAL") &&
			!strings.Contains(tg.RawSQL, "indicator_comparisons_latest") {
			t.Errorf("panel %d reads something else: %s", i, tg.RawSQL)
		}
	}
	// The agency variable is a hidden constant holding the id.
	v := m.Templating.List[0]
	if v.Name != "agency" || v.Type != "constant" || v.Query != "fns.77" || v.Hide != 2 {
		t.Errorf("agency variable = %+v", v)
	}
}

func TestRenderBundle(t *testing.T) {
	secret := []byte("s")
	po, _ := tenancy.ProjectOfficeTenant("cxstar", secret)
	mvd, _ := tenancy.AgencyTenant("cxstar", "mvd", secret)
	cfg := dashboards.RenderConfig{ClickHouseHost: "ch", ClickHousePort: 9000, ProjectOffice: po,
		Tenants: map[string]tenancy.Tenant{"mvd": mvd}, MainDB: "cxstar"}
	b, err := dashboards.Render("/out", cfg, []dashboards.Agency{{ID: "mvd", Name: "МВД"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := b.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"clickhouse/agency_databases.sql",
		"clickhouse/users.d/cxstar-cxstar.xml",
		"clickhouse/users_current_clickhouse.sql",
		"dashboards/agency-mvd/cxstar-ag-mvd.json",
		"dashboards/project-office/cxstar-agencies.json",
		"dashboards/project-office/cxstar-overview.json",
		"pipeline/cxstar-pipeline.json",
		"provisioning/alerting/cxstar.yaml",
		"provisioning/dashboards/cxstar.yaml",
		"provisioning/datasources/cxstar.yaml",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paths:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	var prov struct {
		Providers []struct {
			OrgID   string `yaml:"orgId"`
			Options struct{ Path string }
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "provisioning/dashboards/cxstar.yaml"))
	if err := yaml.Unmarshal(raw, &prov); err != nil {
		t.Fatal(err)
	}
	if len(prov.Providers) != 3 || prov.Providers[2].Options.Path != "/out/pipeline" || prov.Providers[0].OrgID != "${CXSTAR_GRAFANA_ORG_MVD}" || prov.Providers[0].Options.Path != "/out/dashboards/agency-mvd" {
		t.Errorf("providers = %+v", prov.Providers)
	}
	ds, _ := os.ReadFile(filepath.Join(dir, "provisioning/datasources/cxstar.yaml"))
	users, _ := os.ReadFile(filepath.Join(dir, "clickhouse/users.d/cxstar-cxstar.xml"))
	for _, f := range [][]byte{ds, users} {
		if bytes.Contains(f, []byte(mvd.Password)) || bytes.Contains(f, []byte(po.Password)) {
			t.Error("a rendered file contains a plaintext password")
		}
	}
	if !bytes.Contains(ds, []byte("${CXSTAR_CH_PASSWORD_CXSTAR__AG_MVD}")) {
		t.Errorf("datasource password placeholder missing:\n%s", ds)
	}
	if !bytes.Contains(users, []byte("<allow_databases><database>cxstar__ag_mvd</database></allow_databases>")) {
		t.Errorf("users file:\n%s", users)
	}
}
