package tenancy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

// TestTenancyOnCurrentClickHouse runs the tenancy's SQL on current ClickHouse (chDB). The agency
// databases of AgencyDDL are created and fed for real: each holds only its agency's rows, copied
// before and after provisioning, and its _latest views hide the superseded run. The users of
// UsersSQL (CREATE USER … SETTINGS readonly = 1 CONST, GRANT SELECT) go through the current
// engine's parser with EXPLAIN AST: chDB runs without access management, so it cannot create users.
func TestTenancyOnCurrentClickHouse(t *testing.T) {
	ctx := context.Background()
	c := chdbtest.DB(t)
	seed(t, c, tenanttest.Agencies[:2])
	secret := []byte("test-secret")
	var tenants []tenancy.Tenant
	for _, id := range tenanttest.Agencies {
		tenants = append(tenants, tenanttest.AgencyViews(t, c, c.Database(), id, secret))
	}
	seed(t, c, tenanttest.Agencies[2:])
	for i, tn := range tenants {
		var n, agencies uint64
		var agency string
		if err := c.QueryRow(ctx, "SELECT count(), uniqExact(agency_id), any(agency_id) FROM `"+tn.Database+"`.assessments_latest").Scan(&n, &agencies, &agency); err != nil {
			t.Fatal(err)
		}
		// 2 quarters × 2 standards × 8 indicators of the latest run (as on 18.16, TestTenancyClickHouse).
		if n != 32 || agencies != 1 || agency != tenanttest.Agencies[i] {
			t.Errorf("%s.assessments_latest: %d rows of %d agencies (%s), want 32 rows of %s only", tn.Database, n, agencies, agency, tenanttest.Agencies[i])
		}
		if got, want := followUpRows(t, c, "`"+tn.Database+"`.followup_status"), tenanttest.Agencies[i]+"-d1 1 1, "+tenanttest.Agencies[i]+"-d2 1 0"; got != want {
			t.Errorf("%s.followup_status %q, want %q", tn.Database, got, want)
		}
		if err := c.QueryRow(ctx, "SELECT count() FROM `"+tn.Database+"`.indicator_details_latest").Scan(&n); err != nil || n != 128 {
			t.Errorf("%s.indicator_details_latest: %d rows (%v), want 128", tn.Database, n, err)
		}
	}

	// 2026Q3 closed with mvd's older run, then revision 2 with the newer one: mvd's views show the
	// official run, as on 18.16 (TestAgencyLatestIsOfficial).
	mvd := "`" + tenants[0].Database + "`."
	for _, r := range []struct {
		rev            uint32
		run, want, det string
	}{
		{1, "run-mvd-2026Q3-people-1", "run-mvd-2026Q3-people-1 8 8", "run-mvd-2026Q3-people-1 32 80"},
		{2, "run-mvd-2026Q3-people-0", "run-mvd-2026Q3-people-0 8 390", "run-mvd-2026Q3-people-0 32 1608"},
	} {
		closeQuarter(t, c, r.rev, r.run)
		if got := latestRuns(t, c, mvd+"assessments_latest", ""); len(got) != 1 || got[0] != r.want {
			t.Errorf("revision %d on chDB: mvd's assessments_latest %q, want %q", r.rev, got, r.want)
		}
		if got := latestRuns(t, c, mvd+"indicator_details_latest", ""); len(got) != 1 || got[0] != r.det {
			t.Errorf("revision %d on chDB: mvd's indicator_details_latest %q, want %q", r.rev, got, r.det)
		}
	}

	po, err := tenancy.ProjectOfficeTenant(c.Database(), secret)
	if err != nil {
		t.Fatal(err)
	}
	users := tenancy.UsersSQL(append([]tenancy.Tenant{po}, tenants...), []string{"127.0.0.1", "::1", "10.0.0.0/8"})
	kinds := map[string]int{}
	for _, stmt := range strings.Split(strings.TrimSpace(users), ";\n") {
		stmt = strings.TrimSuffix(strings.TrimSpace(stmt), ";")
		res, err := chdbtest.Dump(ctx, c, "EXPLAIN AST "+stmt)
		if err != nil {
			t.Errorf("current ClickHouse does not parse %q: %v", stmt, err)
			continue
		}
		for _, row := range res.Rows { // the AST as an indented tree (Dump sorts the lines)
			if strings.HasSuffix(row, "Query") || strings.Contains(row, "Query ") {
				kinds[strings.Fields(row)[0]]++
			}
		}
	}
	if kinds["CreateUserQuery"] != len(tenants)+1 || kinds["GrantQuery"] != len(tenants)+1 {
		t.Errorf("parsed statements by kind: %v; want %d CreateUserQuery and %d GrantQuery", kinds, len(tenants)+1, len(tenants)+1)
	}
	// The parser does refuse what it cannot read.
	if _, err := chdbtest.Dump(ctx, c, "EXPLAIN AST CREATE USER u IDENTIFIED WITH sha256_hex BY 'x'"); err == nil {
		t.Error("EXPLAIN AST accepted an unknown authentication type")
	}
}
