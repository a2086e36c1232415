package dashboards_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

// TestTenantsOverTLS provisions the per-agency users on a ClickHouse that speaks TLS only (private
// CA): they log in over TLS with the admin connection's settings, the datasource Push writes
// takes the plugin there (and without the CA it is refused), and the provisioning YAML Render
// writes points Grafana at the CA file.
func TestTenantsOverTLS(t *testing.T) {
	conn, dsn, srv := chtest.TLSDB(t)
	seed(t, conn, seedAgencies)
	opts, err := store.Options(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := store.TLSOf(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !ts.Secure || ts.CAFile != srv.CAFile {
		t.Fatalf("TLSOf(%q) = %+v", dsn, ts)
	}
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: filepath.Join(srv.Dir, "users.d"), Secret: []byte("tls-secret"), Addr: srv.Addr, TLS: opts.TLS}
	tenanttest.Cleanup(t, conn, cfg, dashboards.IDs(seedAgencies))
	po, ag, err := tenancy.Provision(context.Background(), conn, cfg, dashboards.IDs(seedAgencies))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tenancy.Ping(ctx, srv.Addr, ag[0]); err == nil {
		t.Error("a tenant logged in without TLS on the TLS-only port")
	}
	host, port, _ := net.SplitHostPort(srv.Addr)
	pn, _ := strconv.Atoi(port)
	p := plugintest.Start(t)
	for _, tc := range []struct {
		name    string
		ts      store.TLSSettings
		wantErr string
	}{
		{"with the CA", ts, ""},
		{"with the CA and a client certificate", store.TLSSettings{Secure: true, CAFile: srv.CAFile, CertFile: srv.CertFile, KeyFile: srv.KeyFile}, ""},
		{"without the CA", store.TLSSettings{Secure: true}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := ag[1]
			jd, sec := dashboards.DatasourceSettings(host, pn, tn)
			if err := dashboards.AddDatasourceTLS(tc.ts, jd, sec); err != nil {
				t.Fatal(err)
			}
			ds := plugintest.Datasource{UID: dashboards.DatasourceUID + strings.ReplaceAll(tc.name, " ", "-"), JSONData: jd, SecureJSONData: sec}
			res, err := p.Query(ctx, ds, plugintest.Query{SQL: "SELECT agency_id, count() AS n FROM assessments GROUP BY agency_id", Format: 1})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if !strings.Contains(res.Error, tc.wantErr) {
					t.Errorf("plugin error %q, want one about the %s", res.Error, tc.wantErr)
				}
				return
			}
			if res.Error != "" || res.Rows() != 1 {
				t.Fatalf("plugin: %d rows, error %q; want the tenant's one agency", res.Rows(), res.Error)
			}
			if got := res.Frames[0].Fields[0].At(0); got != tn.AgencyID {
				t.Errorf("the tenant of %s sees agency %v", tn.AgencyID, got)
			}
		})
	}
	b, err := dashboards.Render(t.TempDir(), dashboards.RenderConfig{ClickHouseHost: host, ClickHousePort: pn, TLS: ts, ProjectOffice: po,
		Tenants: tenancy.Map(ag)}, seedAgencies)
	if err != nil {
		t.Fatal(err)
	}
	y := string(b.Files[filepath.Join("provisioning", "datasources", "cxstar.yaml")])
	for _, want := range []string{"secure: true", "tlsAuthWithCACert: true", "tlsCACert: $__file{" + srv.CAFile + "}"} {
		if strings.Count(y, want) != len(seedAgencies)+1 {
			t.Errorf("datasources YAML has %d × %q, want one per organization (%d):\n%s", strings.Count(y, want), want, len(seedAgencies)+1, y)
		}
	}
}
