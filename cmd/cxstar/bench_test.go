package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchOnlyKeepsTheTable: a run with --only leaves BENCHMARKS.md as it was (a partial run must
// not replace the whole suite's table), and writes its figures where --out names a file.
func TestBenchOnlyKeepsTheTable(t *testing.T) {
	t.Chdir(t.TempDir())
	const table = "# Benchmarks\n\nthe whole suite's table\n"
	if err := os.WriteFile("BENCHMARKS.md", []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--only", "simulate", "--runs", "1"}
	if err := runBench(context.Background(), args); err != nil {
		t.Fatalf("bench %v: %v", args, err)
	}
	if b, err := os.ReadFile("BENCHMARKS.md"); err != nil || string(b) != table {
		t.Errorf("BENCHMARKS.md after bench --only = %q (%v), want it unchanged", b, err)
	}
	out := filepath.Join(t.TempDir(), "partial.md")
	if err := runBench(context.Background(), append(args, "--out", out)); err != nil {
		t.Fatalf("bench %v --out: %v", args, err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "| simulate |") {
		t.Errorf("--out %s = %q (%v), want the simulate figure's row", out, b, err)
	}
}
