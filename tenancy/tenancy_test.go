package tenancy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

// TestTenancyClickHouse provisions the tenancy on a real ClickHouse and logs in as each agency:
// it sees its own rows only, and every way around that is refused.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestTenancyClickHouse(t *testing.T) {
	conn, dsn := chtest.DB(t)
	ctx := context.Background()
	// Rows of the first two agencies exist before provisioning (copied by the backfill insert);
	// the third agency's rows arrive afterwards (through the materialized views).
	seed(t, conn, tenanttest.Agencies[:2])
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: tenanttest.UsersDir(), Secret: []byte("test-secret"), Addr: chtest.Addr()}
	tenanttest.Cleanup(t, conn, cfg, tenanttest.Agencies)
	po, ag, err := tenancy.Provision(ctx, conn, cfg, tenanttest.Agencies)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, conn, tenanttest.Agencies[2:])
	// Provisioning twice changes nothing and does not duplicate rows.
	if _, _, err := tenancy.Provision(ctx, conn, cfg, tenanttest.Agencies); err != nil {
		t.Fatal(err)
	}

	for i, tn := range ag {
		c, err := tenancy.Conn(chtest.Addr(), tn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := chtest.Strings(t, c, "SELECT DISTINCT agency_id FROM assessments_latest ORDER BY agency_id"); strings.Join(got, ",") != tenanttest.Agencies[i] {
			t.Errorf("%s sees agencies %v in assessments_latest, want only %s", tn.User, got, tenanttest.Agencies[i])
		}
		// Latest run only: 2 quarters × 2 standards × 8 indicators = 32 rows (agency 0 also has a
		// superseded run that must not show), and 32 × 2 dimensions × 2 ids = 128 detail rows.
		var n uint64
		if err := c.QueryRow(ctx, "SELECT count() FROM assessments_latest").Scan(&n); err != nil || n != 32 {
			t.Errorf("%s: assessments_latest has %d rows (err %v), want 2·2·8 = 32", tn.User, n, err)
		}
		if err := c.QueryRow(ctx, "SELECT count() FROM indicator_details_latest").Scan(&n); err != nil || n != 128 {
			t.Errorf("%s: indicator_details_latest has %d rows (err %v), want 32·2·2 = 128", tn.User, n, err)
		}
		// Detractor follow-up: the agency's own items once (d1 was delivered twice), with their state.
		if got, want := followUpRows(t, c, "followup_status"), tenanttest.Agencies[i]+"-d1 1 1, "+tenanttest.Agencies[i]+"-d2 1 0"; got != want {
			t.Errorf("%s: followup_status %q, want %q", tn.User, got, want)
		}
		// A curious user: the main tables, raw events, table functions, writes, SET.
		for _, sql := range []string{
			"SELECT agency_id FROM `" + cfg.MainDB + "`.assessments",
			"SELECT agency_id FROM `" + cfg.MainDB + "`.assessments_latest",
			"SELECT count() FROM `" + cfg.MainDB + "`.service_events",
			"SELECT * FROM remote('127.0.0.1:" + strings.Split(chtest.Addr(), ":")[1] + "', `" + cfg.MainDB + "`.assessments, 'default', '')",
			"SELECT * FROM url('http://127.0.0.1:18123/?query=SELECT+agency_id+FROM+" + cfg.MainDB + ".assessments', TSV, 'a String')",
			"SELECT * FROM `" + ag[(i+1)%len(ag)].Database + "`.assessments",
			"INSERT INTO assessments (run_id) SELECT 'x'",
			"CREATE TABLE x (a UInt8) ENGINE = Memory",
			"SET readonly = 0",
		} {
			rows, err := c.Query(ctx, sql)
			if err == nil {
				var leaked int
				for rows.Next() {
					leaked++
				}
				err = rows.Err()
				rows.Close()
				if err == nil {
					t.Errorf("%s may run %q (%d rows); want an access error", tn.User, sql, leaked)
				}
			}
			if i == 0 {
				t.Logf("%s: %.50s… refused: %v", tn.User, sql, err)
			}
		}
	}
	c, err := tenancy.Conn(chtest.Addr(), po)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := chtest.Strings(t, c, "SELECT DISTINCT agency_id FROM assessments_latest ORDER BY agency_id"); strings.Join(got, ",") != "fns.77,mvd,pfr" {
		t.Errorf("Project Office sees %v, want every agency", got)
	}
	if err := c.Exec(ctx, "CREATE TABLE x (a UInt8) ENGINE = Memory"); err == nil {
		t.Error("Project Office user can create tables; want read-only")
	}
}

func TestTenantNames(t *testing.T) {
	s := []byte("k")
	for _, c := range []struct{ id, user string }{
		{"mvd", "cxstar__ag_mvd"},
		{"fns.77", "cxstar__ag_fns_77_0670dab9"}, // printf fns.77 | sha256sum | cut -c1-8: distinct from fns_77
		{"fns_77", "cxstar__ag_fns_77_ed077713"}, // printf fns_77 | sha256sum | cut -c1-8
	} {
		tn, err := tenancy.AgencyTenant("cxstar", c.id, s)
		if err != nil {
			t.Fatal(err)
		}
		if tn.User != c.user || tn.Database != c.user || len(tn.Password) != 32 {
			t.Errorf("%s: %+v", c.id, tn)
		}
	}
	if _, err := tenancy.AgencyTenant("cxstar", "MVD'; DROP", s); err == nil {
		t.Error("an agency id with quotes was accepted")
	}
	a, _ := tenancy.AgencyTenant("cxstar", "mvd", []byte("k1"))
	b, _ := tenancy.AgencyTenant("cxstar", "mvd", []byte("k2"))
	if a.Password == b.Password {
		t.Error("passwords do not depend on the secret")
	}
}

// TestProvisionCopiesOnce: Provision copies the rows the main tables held before a copy's feed
// once. Emptied by hand afterwards, a copy stays empty through the next Provision (its earlier
// rows are not read again; the feed keeps it up to date); dropped and created again by a run cut off
// before its INSERT, it is filled again.
// mvd has 3 survey answers (one delivered twice: 4 rows) and 2 follow-up steps (seedFollowUps).
func TestProvisionCopiesOnce(t *testing.T) {
	conn, dsn := chtest.DB(t)
	ctx := context.Background()
	agency := tenanttest.Agencies[0]
	seed(t, conn, []string{agency})
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: tenanttest.UsersDir(), Secret: []byte("once-secret"), Addr: chtest.Addr()}
	tenanttest.Cleanup(t, conn, cfg, []string{agency})
	provision := func() {
		t.Helper()
		if _, _, err := tenancy.Provision(ctx, conn, cfg, []string{agency}); err != nil {
			t.Fatal(err)
		}
	}
	_, ag, err := cfg.Tenants([]string{agency})
	if err != nil {
		t.Fatal(err)
	}
	db := "`" + ag[0].Database + "`"
	rows := func() string {
		t.Helper()
		var r, f uint64
		if err := conn.QueryRow(ctx, "SELECT (SELECT count() FROM "+db+".ratings), (SELECT count() FROM "+db+".followups)").Scan(&r, &f); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("ratings %d, followups %d", r, f)
	}
	provision()
	if got := rows(); got != "ratings 4, followups 2" {
		t.Fatalf("after the first provision: %s, want ratings 4, followups 2", got)
	}
	if got := strings.Join(chtest.Strings(t, conn, "SELECT DISTINCT name FROM "+db+".copied ORDER BY name"), " "); got !=
		"appeals assessments feed_seen followup_items followups indicator_comparisons indicator_details official_revisions priorities ratings service_events" {
		t.Errorf("copied records %q", got)
	}
	for _, stmt := range []string{"TRUNCATE TABLE " + db + ".ratings", "TRUNCATE TABLE " + db + ".followups"} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	provision()
	if got := rows(); got != "ratings 0, followups 0" {
		t.Errorf("a second provision copied the earlier rows again: %s, want ratings 0, followups 0", got)
	}
	// Dropped, then created again by a run cut off before their INSERTs (AgencyDDL without them):
	// the copies are newer than their records and are filled again. system.tables has a table's
	// creation to the second, so the copies are made a second after their records.
	time.Sleep(1100 * time.Millisecond)
	for _, stmt := range []string{"DROP TABLE " + db + ".ratings", "DROP TABLE " + db + ".followups"} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range tenancy.AgencyDDL(cfg.MainDB, ag[0]) {
		if !strings.HasPrefix(stmt, "INSERT") {
			if err := conn.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := rows(); got != "ratings 0, followups 0" {
		t.Fatalf("the copies made again without their INSERTs hold %s", got)
	}
	provision()
	if got := rows(); got != "ratings 4, followups 2" {
		t.Errorf("after a run cut off: %s, want the copies filled again (ratings 4, followups 2)", got)
	}
}
