package chcluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chcluster"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/tenancy"
)

// insertAssessment writes one assessments row of agency for 2026Q2 through conn.
func insertAssessment(t *testing.T, conn driver.Conn, agency, runID string) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), "INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, n, status, reason, bands_version)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(runID, time.Now().UTC().Truncate(time.Second), "2026Q2", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "people", agency,
		"nps", uint8(1), uint64(10), "no_data", "", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// insertComparison writes one indicator_comparisons row of agency for 2026Q2 through conn, computed
// hour hours after a fixed time (042_indicator_comparisons.sql).
func insertComparison(t *testing.T, conn driver.Conn, agency, runID string, hour int) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), "INSERT INTO indicator_comparisons (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, status, verdict)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(runID, time.Date(2026, 7, 5, hour, 0, 0, 0, time.UTC), "2026Q2", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "people", agency,
		"nps", "no_data", "no_comparison"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// insertRevision publishes revision rev of 2026Q2 through conn (official_revisions, 030_official.sql).
func insertRevision(t *testing.T, conn driver.Conn, rev uint32) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("2026Q2", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), rev, time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC).Add(time.Duration(rev)*time.Hour),
		fmt.Sprintf("reason %d", rev), fmt.Sprintf("run-%d", rev), "", []string{}, "", "", "[every agency's values]"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// TestClusterTenancy provisions an agency's database and user on the cluster and checks, through
// every node, that the agency's user sees its rows written before provisioning (the backfill) and
// after it on another node (the feeds), and nothing of another agency nor of the main database;
// likewise the changes since the previous quarter (whose _latest view shows the official run) and
// the official revisions (without their reports).
func TestClusterTenancy(t *testing.T) {
	ctx := context.Background()
	conn, dsn := chcluster.DB(t)
	db := dbOf(dsn)
	dirs := usersDirs()
	insertAssessment(t, conn, "fed-tax", "run-1")
	insertAssessment(t, conn, "fed-other", "run-1")
	insertComparison(t, conn, "fed-tax", "run-1", 1)
	insertComparison(t, conn, "fed-other", "run-1", 1)
	insertRevision(t, conn, 1)
	cfg := tenancy.Config{MainDB: db, UsersDir: dirs[0], MoreUsersDirs: dirs[1:], Cluster: chcluster.Name,
		Secret: []byte("cluster-secret"), Addr: chcluster.Addr(4)}
	_, ag, err := tenancy.Provision(ctx, conn, cfg, []string{"fed-tax"})
	t.Cleanup(func() {
		for _, d := range dirs {
			os.Remove(filepath.Join(d, tenancy.UsersFile(db)))
		}
		for _, a := range ag {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+a.Database+" ON CLUSTER "+chcluster.Name)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// After provisioning, on a node of the other shard.
	insertAssessment(t, chcluster.Node(t, dsn, 3, ""), "fed-tax", "run-2")
	insertAssessment(t, chcluster.Node(t, dsn, 3, ""), "fed-other", "run-2")
	insertComparison(t, chcluster.Node(t, dsn, 3, ""), "fed-tax", "run-2", 2)
	insertComparison(t, chcluster.Node(t, dsn, 3, ""), "fed-other", "run-2", 2)
	insertRevision(t, chcluster.Node(t, dsn, 3, ""), 2)
	syncReplicas(t, dsn, db)
	syncReplicas(t, dsn, ag[0].Database)
	for n := 1; n <= 4; n++ {
		c, err := tenancy.Conn(chcluster.Addr(n), ag[0])
		if err != nil {
			t.Fatal(err)
		}
		var rows, agencies uint64
		if err := c.QueryRow(ctx, "SELECT count(), uniqExact(agency_id) FROM assessments FINAL WHERE agency_id = 'fed-tax'").Scan(&rows, &agencies); err != nil {
			t.Fatalf("node %d: %v", n, err)
		}
		var all uint64
		if err := c.QueryRow(ctx, "SELECT count() FROM assessments").Scan(&all); err != nil {
			t.Fatalf("node %d: %v", n, err)
		}
		if rows != 2 || all != 2 {
			t.Errorf("node %d: the agency's user sees %d rows of its own and %d in all, want 2 and 2 (run-1 copied at provisioning, run-2 through the feed)", n, rows, all)
		}
		// The changes since the previous quarter: both runs copied, the official revision 2's run shown.
		var comparisons, latest string
		if err := c.QueryRow(ctx, "SELECT arrayStringConcat(groupArray(concat(agency_id, ' ', run_id)), ', ') FROM (SELECT agency_id, run_id FROM indicator_comparisons FINAL ORDER BY run_id)").Scan(&comparisons); err != nil {
			t.Fatalf("node %d: %v", n, err)
		}
		if err := c.QueryRow(ctx, "SELECT arrayStringConcat(groupArray(run_id), ', ') FROM indicator_comparisons_latest").Scan(&latest); err != nil {
			t.Fatalf("node %d: %v", n, err)
		}
		if comparisons != "fed-tax run-1, fed-tax run-2" || latest != "run-2" {
			t.Errorf("node %d: the agency's user sees comparisons %q and latest %q, want \"fed-tax run-1, fed-tax run-2\" (run-1 copied at provisioning, run-2 through the feed) and run-2 (revision 2's)", n, comparisons, latest)
		}
		var revisions string
		if err := c.QueryRow(ctx, "SELECT arrayStringConcat(groupArray(concat(toString(revision), ' ', reason)), ', ') FROM (SELECT revision, reason FROM official_revisions FINAL ORDER BY revision)").Scan(&revisions); err != nil {
			t.Fatalf("node %d: %v", n, err)
		}
		if revisions != "1 reason 1, 2 reason 2" {
			t.Errorf("node %d: the agency's user sees revisions %q, want \"1 reason 1, 2 reason 2\" (1 copied at provisioning, 2 through the feed)", n, revisions)
		}
		if err := c.QueryRow(ctx, "SELECT count() FROM official_revisions WHERE reports != ''").Scan(&all); err == nil {
			t.Errorf("node %d: the agency's user reads the revisions' reports", n)
		}
		if err := c.QueryRow(ctx, "SELECT count() FROM "+db+".assessments").Scan(&all); err == nil {
			t.Errorf("node %d: the agency's user reads the main database (%d rows)", n, all)
		}
		c.Close()
	}
}

// TestClusterFollowUpCopiesUpgrade gives an agency database on the cluster the follow-up copies
// of an earlier version (the same tables, feeds and copy without the partition key and the
// agency_id alias), then provisions: through every node the copies are partitioned by quarter,
// followup_status shows the agency's two items (2026Q2 and 2026Q3, both followed up the next
// working day), the dashboard's follow-up table shows the 2026Q3 one, and an answer inserted
// on the other shard afterwards reaches every replica.
func TestClusterFollowUpCopiesUpgrade(t *testing.T) {
	ctx := context.Background()
	conn, dsn := chcluster.DB(t)
	db := dbOf(dsn)
	const ratings = "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, ingested_at, source)"
	const steps = "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, status, channel, ingested_at, source)"
	ing := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 7, 0, 0, 0, time.UTC) }
	insertRows(t, conn, ratings, [][]any{
		{"fed-tax-d1", day(8, 3), "fed-tax", "person", "c1", "nps", uint8(2), "s1", "fed-tax-r1", ing, "t"},
		{"fed-tax-d2", day(5, 12), "fed-tax", "person", "c2", "nps", uint8(0), "s1", "fed-tax-r2", ing, "t"},
		{"fed-other-d1", day(8, 3), "fed-other", "person", "c1", "nps", uint8(2), "s1", "fed-other-r1", ing, "t"},
	})
	insertRows(t, conn, steps, [][]any{
		{"fed-tax-f1", day(8, 4), "fed-tax", "person", "c1", "fed-tax-r1", "s1", "followed_up", "phone", ing, "t"},
		{"fed-tax-f2", day(5, 13), "fed-tax", "person", "c2", "fed-tax-r2", "s1", "followed_up", "phone", ing, "t"},
	})
	dirs := usersDirs()
	cfg := tenancy.Config{MainDB: db, UsersDir: dirs[0], MoreUsersDirs: dirs[1:], Cluster: chcluster.Name,
		Secret: []byte("cluster-upgrade-secret"), Addr: chcluster.Addr(4)}
	_, ag, err := cfg.Tenants([]string{"fed-tax"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			os.Remove(filepath.Join(d, tenancy.UsersFile(db)))
		}
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ag[0].Database+" ON CLUSTER "+chcluster.Name)
	})
	// The earlier version's agency database.
	old, err := tenancy.AgencyClusterDDL(db, chcluster.Name, ag[0])
	if err != nil {
		t.Fatal(err)
	}
	partition := regexp.MustCompile(`\s*PARTITION BY toStartOfQuarter\((answered_at|occurred_at), 'Europe/Moscow'\)`)
	alias := regexp.MustCompile(`, agency_id String ALIAS 'fed-tax'`)
	for _, stmt := range old {
		stmt = alias.ReplaceAllString(partition.ReplaceAllString(stmt, ""), "")
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("the earlier version's agency database: %v\n%.200s", err, stmt)
		}
	}
	layout := "SELECT concat(name, ': ', partition_key) FROM system.tables WHERE database = '" + ag[0].Database + "' AND name IN ('followup_items', 'followups') ORDER BY name"
	if got := strings.Join(chtest.Strings(t, chcluster.Node(t, dsn, 2, ""), layout), "; "); got != "followup_items: ; followups: " {
		t.Fatalf("node 2 before the upgrade: %q, want both tables without a partition key", got)
	}
	if _, _, err := tenancy.Provision(ctx, conn, cfg, []string{"fed-tax"}); err != nil {
		t.Fatal(err)
	}
	insertRows(t, chcluster.Node(t, dsn, 3, ""), ratings, [][]any{{"fed-tax-d3", day(9, 1), "fed-tax", "person", "c3", "satisfaction", uint8(1), "s1", "fed-tax-r3", ing, "t"}})
	syncReplicas(t, dsn, db)
	syncReplicas(t, dsn, ag[0].Database)
	d, err := dashboards.AgencyDashboard(dashboards.Agency{ID: "fed-tax"})
	if err != nil {
		t.Fatal(err)
	}
	var panel string
	for _, q := range dashboards.Queries(d) {
		if strings.Contains(q.SQL, "followup_items FINAL") {
			panel = q.SQL
		}
	}
	vars := map[string]string{"agency": "fed-tax", "standard": "people", "quarter": "2026Q3"}
	panel = dashboards.ExpandSQL(dashboards.InterpolateVars(panel, vars), vars, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Hour)
	for n := 1; n <= 4; n++ {
		if got := strings.Join(chtest.Strings(t, chcluster.Node(t, dsn, n, ""), layout), "; "); !strings.Contains(got, "followup_items: toStartOfQuarter(answered_at, 'Europe/Moscow')") ||
			!strings.Contains(got, "followups: toStartOfQuarter(occurred_at, 'Europe/Moscow')") {
			t.Errorf("node %d after the upgrade: %q, want both tables partitioned by quarter", n, got)
		}
		c, err := tenancy.Conn(chcluster.Addr(n), ag[0])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got, want := strings.Join(chtest.Strings(t, c, "SELECT concat(event_id, ' ', toString(followed_up), ' ', toString(within_5_working_days)) FROM followup_status ORDER BY event_id"), ", "),
			"fed-tax-d1 1 1, fed-tax-d2 1 1, fed-tax-d3 0 0"; got != want {
			t.Errorf("node %d: followup_status %q, want %q", n, got, want)
		}
		if got, want := strings.Join(chtest.Strings(t, c, "SELECT concat(request_id, ' ', ifNull(toString(followed_up_at), '-')) FROM ("+panel+") AS p"), "; "),
			"fed-tax-r3 -; fed-tax-r1 2026-08-04 07:00:00"; got != want {
			t.Errorf("node %d: the follow-up table for 2026Q3 %q, want %q", n, got, want)
		}
	}
}

// insertRows inserts rows through conn with query (an INSERT … (columns)).
func insertRows(t *testing.T, conn driver.Conn, query string, rows [][]any) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// usersDirs are the users.d directories of the four nodes (scripts/chcluster.sh).
func usersDirs() []string {
	dataDir := os.Getenv("CXSTAR_CLUSTER_DIR")
	if dataDir == "" {
		home, _ := os.UserHomeDir()
		dataDir = filepath.Join(home, ".cache", "cxstar", "chcluster")
	}
	var dirs []string
	for n := 1; n <= 4; n++ {
		dirs = append(dirs, filepath.Join(dataDir, fmt.Sprintf("node%d", n), "users.d"))
	}
	return dirs
}
