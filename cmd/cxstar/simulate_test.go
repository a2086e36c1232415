package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/registry"
)

// TestSimulateCommand writes files with fixed quarters twice (byte-identical) and publishes the
// same run to a broker.
func TestSimulateCommand(t *testing.T) {
	args := func(out string, extra ...string) []string {
		return append([]string{"--agencies", "2", "--requests", "60", "--from", "2026Q1", "--to", "2026Q2", "--seed", "3", "--out", out}, extra...)
	}
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := runSimulate(context.Background(), args(dir)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"service_events.jsonl", "ratings.jsonl", "appeals.jsonl", "registry.json"} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil || len(x) == 0 {
			t.Fatalf("%s: %v (%d bytes)", name, err, len(x))
		}
		if y, _ := os.ReadFile(filepath.Join(b, name)); !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	reg, _ := os.ReadFile(filepath.Join(a, "registry.json"))
	if _, err := registry.Parse(reg); err != nil {
		t.Errorf("registry.json: %v", err)
	}
	if err := runSimulate(context.Background(), args(a, "--from", "2026Q3")); err == nil {
		t.Error("--from after --to was accepted")
	}
	br, err := broker.Start(broker.WithPort(0))
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	if err := runSimulate(context.Background(), args(t.TempDir(), "--kafka", br.Addr())); err != nil {
		t.Fatal(err)
	}
}
