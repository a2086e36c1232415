package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/transform"
)

// TestCompactTimeout: a compaction cut off by --timeout says how to go on.
func TestCompactTimeout(t *testing.T) {
	conn, dsn := chtest.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	err := compactQuarter(ctx, conn, dsn, transform.Request{Quarter: "2026Q2"})
	if err == nil || !strings.Contains(err.Error(), "raise --timeout") {
		t.Fatalf("compact after the deadline: %v, want an error that says to raise --timeout", err)
	}
}

// TestCompactFlags: --all and --quarter exclude each other.
func TestCompactFlags(t *testing.T) {
	err := runCompact(context.Background(), []string{"--all", "--quarter", "2026Q2"})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("compact --all --quarter: %v, want an error naming both flags", err)
	}
}
