// Package chtest gives tests a fresh, migrated ClickHouse database on the project's private
// server (scripts/clickhouse.sh), so that test packages never see each other's rows.
//
// Tests that call DB fail, never skip, when ClickHouse cannot be started: CI must run them.
package chtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
)

var (
	upOnce sync.Once
	upErr  error
)

// RepoRoot returns the repository's top folder (where go.mod is).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Addr returns host:port of the private server's native protocol.
func Addr() string {
	port := os.Getenv("CXSTAR_CH_TCP_PORT")
	if port == "" {
		port = "19000"
	}
	return "127.0.0.1:" + port
}

// Up starts the private ClickHouse server (once per test process) and returns an error saying
// what to do when it cannot.
func Up() error {
	upOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(RepoRoot(), "scripts", "clickhouse.sh"), "up")
		out, err := cmd.CombinedOutput()
		if err != nil {
			upErr = fmt.Errorf("start ClickHouse with scripts/clickhouse.sh up (install clickhouse-server, see README): %w\n%s", err, out)
		}
	})
	return upErr
}

// DB creates a fresh database with all migrations applied and returns a connection to it and
// its DSN. The database is dropped when the test ends unless CXSTAR_KEEP_TEST_DB is set.
func DB(t testing.TB) (driver.Conn, string) {
	t.Helper()
	if err := Up(); err != nil {
		t.Fatalf("ClickHouse is required for this test: %v", err)
	}
	name := DBName(t, "t")
	dsn := fmt.Sprintf("clickhouse://%s/%s", Addr(), name)
	return migrated(t, dsn, name, ""), dsn
}

// migrated opens the database name at dsn, applies every migration and drops the database when
// the test ends unless CXSTAR_KEEP_TEST_DB is set; over (" over TLS" or "") goes into failures.
func migrated(t testing.TB, dsn, name, over string) driver.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open test database%s: %v", over, err)
	}
	if _, err := store.Migrate(ctx, conn); err != nil {
		t.Fatalf("migrate test database%s: %v", over, err)
	}
	t.Cleanup(func() {
		if os.Getenv("CXSTAR_KEEP_TEST_DB") == "" {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
		}
		conn.Close()
	})
	return conn
}

// DBName returns a fresh database name for test t: prefix, the test's name in lower case (at most
// 32 characters, other characters as _) and a time and random suffix.
func DBName(t testing.TB, prefix string) string {
	return fmt.Sprintf("%s_%s_%d_%04x", prefix, sanitize(t.Name()), time.Now().Unix()%100000, rand.IntN(0xffff))
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 32 {
			break
		}
	}
	return b.String()
}

// Insert sends rows as one batch of the INSERT statement query. Like ingest.Writer it tries a
// failed send again (3 attempts), each attempt bounded by 60 s: under heavy load the private 18.16
// server has been seen to stop reading an insert's data until the driver's 300 s read
// timeout closed the connection ("use of closed network connection"). One Send is one block, which
// ClickHouse stores whole or not at all, so a retry cannot duplicate rows.
func Insert(t testing.TB, conn driver.Conn, query string, rows [][]any) {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = insertOnce(conn, query, rows); err == nil {
			return
		}
		t.Logf("%s: attempt %d: %v", firstLine(query), attempt, err)
	}
	t.Fatalf("%s: %v", firstLine(query), err)
}

func insertOnce(conn driver.Conn, query string, rows [][]any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := conn.PrepareBatch(ctx, query)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			_ = b.Abort()
			return err
		}
	}
	return b.Send()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Strings runs sql, whose rows are one string each, and returns them in the query's order.
func Strings(t testing.TB, conn driver.Conn, sql string) []string {
	t.Helper()
	var out []string
	for _, r := range Rows(t, conn, sql) {
		out = append(out, r[0])
	}
	return out
}

// Rows runs sql, whose columns are all strings (toString them in the query), and returns its rows
// in the query's order.
func Rows(t testing.TB, conn driver.Conn, sql string) [][]string {
	t.Helper()
	out, err := store.Select(context.Background(), conn, sql, sql, func(rows driver.Rows) ([]string, error) {
		vals := make([]string, len(rows.Columns()))
		dest := make([]any, len(vals))
		for i := range vals {
			dest[i] = &vals[i]
		}
		return vals, rows.Scan(dest...)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
