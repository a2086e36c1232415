package chdbtest

import (
	"context"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// DB returns a connection to a fresh database of the engine with every migration applied by
// store.Migrate, as chtest does on the 18.16 server. The database is dropped when the test
// ends. It fails the test (never skips) when chDB cannot be loaded.
func DB(t testing.TB) *Conn {
	t.Helper()
	c := Empty(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := store.Migrate(ctx, c); err != nil {
		t.Fatalf("migrate on current ClickHouse (chDB %s): %v", c.EngineVersion(), err)
	}
	return c
}

// Empty returns a connection to a fresh database without migrations, dropped when the test ends.
func Empty(t testing.TB) *Conn {
	t.Helper()
	name := chtest.DBName(t, "t")
	c, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
		c.Close()
	})
	return c
}
