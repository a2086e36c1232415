// Package chcluster gives tests a fresh database on the local ClickHouse cluster of
// scripts/chcluster.sh (2 shards × 2 replicas + ZooKeeper), migrated with `migrate --cluster`.
//
// Tests that call DB fail, never skip, when the cluster cannot be started: CI must run them.
package chcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// Name is the cluster's name in remote_servers.
const Name = "cxstar"

var (
	upOnce sync.Once
	upErr  error
)

// Addr returns host:port of node n (1..4): nodes 1 and 2 are the replicas of shard 1, nodes 3 and
// 4 those of shard 2.
func Addr(n int) string {
	base := 19100
	if v, err := strconv.Atoi(os.Getenv("CXSTAR_CLUSTER_TCP_BASE")); err == nil {
		base = v
	}
	return fmt.Sprintf("127.0.0.1:%d", base+n)
}

// Script runs scripts/chcluster.sh with args and returns its combined output.
func Script(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(chtest.RepoRoot(), "scripts", "chcluster.sh")}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("scripts/chcluster.sh %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Up starts the cluster (once per test process) and returns an error saying what to do when it
// cannot.
func Up() error {
	upOnce.Do(func() {
		if _, err := Script("up"); err != nil {
			upErr = fmt.Errorf("start the ClickHouse cluster (needs clickhouse-server and Debian's zookeeper): %w", err)
		}
	})
	return upErr
}

// DB creates a fresh database on the cluster with every migration applied (store.MigrateCluster)
// and returns a connection to node 1 and the database's DSN there. The database is dropped on
// every node when the test ends unless CXSTAR_KEEP_TEST_DB is set.
func DB(t testing.TB) (driver.Conn, string) {
	t.Helper()
	if err := Up(); err != nil {
		t.Fatalf("the ClickHouse cluster is required for this test: %v", err)
	}
	name := chtest.DBName(t, "c")
	dsn := fmt.Sprintf("clickhouse://%s/%s", Addr(1), name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := store.MigrateCluster(ctx, dsn, Name); err != nil {
		t.Fatalf("migrate the test database on the cluster: %v", err)
	}
	conn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open the test database on the cluster: %v", err)
	}
	t.Cleanup(func() {
		if os.Getenv("CXSTAR_KEEP_TEST_DB") == "" {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" ON CLUSTER "+Name); err != nil {
				t.Logf("drop test database %s on the cluster: %v", name, err)
			}
		}
		conn.Close()
	})
	return conn, dsn
}

// Node opens a connection to node n (1..4) as user (empty: default; "in_order" reads each shard
// from its first live replica), closed when the test ends.
func Node(t testing.TB, dsn string, n int, user string) driver.Conn {
	t.Helper()
	opts, err := store.Options(dsn)
	if err != nil {
		t.Fatal(err)
	}
	opts.Addr = []string{Addr(n)}
	if user != "" {
		opts.Auth.Username = user
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatalf("connect to node %d: %v", n, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
