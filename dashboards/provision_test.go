package dashboards_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/chtest"
	"github.com/cxstar/cxstar/internal/grafanatest"
)

// TestRenderProvisionsGrafana loads the files of `cxstar dashboards render` into a fresh Grafana
// through its provisioning folder (every organization id set to 1, as a single-organization team
// would), then reads the dashboards back and runs a panel through the provisioned datasource.
func TestRenderProvisionsGrafana(t *testing.T) {
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies[:2])
	cfg := dashboards.TenancyConfig{MainDB: mainDB(t, dsn), UsersDir: usersDir(), Secret: []byte("render-secret"), Addr: chtest.Addr()}
	cleanupTenancy(t, conn, cfg, seedAgencies[:2])
	po, _, err := dashboards.ProvisionClickHouse(context.Background(), conn, cfg, seedAgencies[:2])
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(chtest.Addr(), ":")
	p, _ := strconv.Atoi(port)
	env := map[string]string{
		dashboards.OrgEnv(dashboards.ProjectOfficeOrg): "1",
		dashboards.PasswordEnv(po.User):                po.Password,
	}
	for _, a := range seedAgencies[:2] {
		env[dashboards.OrgEnv(dashboards.AgencyOrg(a.ID))] = "1"
	}
	s := grafanatest.StartPrivate(t, env, func(state string) {
		out := filepath.Join(state, "render")
		// Only the Project Office datasource: one organization cannot hold two with the same uid.
		b, err := dashboards.Render(out, dashboards.RenderConfig{ClickHouseHost: host, ClickHousePort: p, ProjectOffice: po}, seedAgencies[:2])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Write(out); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"dashboards", "datasources"} {
			raw, err := os.ReadFile(filepath.Join(out, "provisioning", kind, "cxstar.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(state, "provisioning", kind)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "cxstar.yaml"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
	for _, uid := range []string{dashboards.AgencyDashboardUID("mvd"), dashboards.AgencyDashboardUID("fns.77"), dashboards.OverviewUID, dashboards.AllAgenciesUID} {
		var got struct {
			Dashboard struct{ Title string }
			Meta      struct {
				FolderUID   string
				Provisioned bool
			}
		}
		// Provisioning runs in the background after /api/health answers (and sqlite may be busy
		// meanwhile: 500): wait for each dashboard.
		var raw []byte
		for start := time.Now(); ; time.Sleep(300 * time.Millisecond) {
			code, b, err := s.Call("GET", "/api/dashboards/uid/"+uid, "", "", 1, nil)
			if err == nil && code == 200 {
				raw = b
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("dashboard %s not provisioned within 30 s: %d %s %v", uid, code, b, err)
			}
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if !got.Meta.Provisioned || got.Meta.FolderUID == "" || got.Dashboard.Title == "" {
			t.Errorf("%s: %+v", uid, got)
		}
	}
	// The provisioned datasource (password from the environment) runs the overview's matrix panel.
	ov, _ := dashboards.OverviewDashboard()
	q := dashboards.Queries(ov)[1] // [0] is the quarter variable
	var n int
	deadline := time.Now().Add(30 * time.Second)
	for {
		var qerr string
		n, qerr, _ = dsQuery(t, s, "", "", 1, dashboards.InterpolateVars(q.SQL, map[string]string{"standard": "people", "quarter": "2026Q3"}), q.Format)
		// 2 agencies × 8 indicators of 2026Q3, people.
		if n == 16 || time.Now().After(deadline) {
			if n != 16 {
				t.Errorf("%s through the provisioned datasource: %d rows (%s), want 2·8 = 16", q.Panel, n, qerr)
			}
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
}
