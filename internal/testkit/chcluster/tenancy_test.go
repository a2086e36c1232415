package chcluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chcluster"
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

// TestClusterTenancy provisions an agency's database and user on the cluster and checks, through
// every node, that the agency's user sees its rows written before provisioning (the backfill) and
// after it on another node (the feeds), and nothing of another agency nor of the main database.
func TestClusterTenancy(t *testing.T) {
	ctx := context.Background()
	conn, dsn := chcluster.DB(t)
	db := dbOf(dsn)
	dataDir := os.Getenv("CXSTAR_CLUSTER_DIR")
	if dataDir == "" {
		home, _ := os.UserHomeDir()
		dataDir = filepath.Join(home, ".cache", "cxstar", "chcluster")
	}
	var dirs []string
	for n := 1; n <= 4; n++ {
		dirs = append(dirs, filepath.Join(dataDir, fmt.Sprintf("node%d", n), "users.d"))
	}
	insertAssessment(t, conn, "fed-tax", "run-1")
	insertAssessment(t, conn, "fed-other", "run-1")
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
		if err := c.QueryRow(ctx, "SELECT count() FROM "+db+".assessments").Scan(&all); err == nil {
			t.Errorf("node %d: the agency's user reads the main database (%d rows)", n, all)
		}
		c.Close()
	}
}
