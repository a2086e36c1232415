package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5}, // (2+3)/2
		{[]float64{10, 1, 1000}, 10},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestHuman(t *testing.T) {
	for in, want := range map[float64]string{0.5: "0.50", 99.994: "99.99", 100: "100", 1234: "1,234", 1234567.4: "1,234,567"} {
		if got := human(in); got != want {
			t.Errorf("human(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"clickhouse://127.0.0.1:19000/cxstar_bench":            "clickhouse://127.0.0.1:19000/cxstar_bench_kafka",
		"clickhouse://h:9000/x?username=u&password=p":          "clickhouse://h:9000/x_kafka?username=u&password=p",
		"clickhouse://127.0.0.1:19000":                         "clickhouse://127.0.0.1:19000/cxstar_bench_kafka",
		"clickhouse://127.0.0.1:19000/default?dial_timeout=1s": "clickhouse://127.0.0.1:19000/cxstar_bench_kafka?dial_timeout=1s",
	} {
		got, err := withDatabase(in, "_kafka")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRateRatio(t *testing.T) {
	// Project median 200 (of 100, 900, 200), baseline median 400 (of 400, 300, 500); the ratio is
	// the median of the per-run ratios 100/400 = 0.25, 900/300 = 3, 200/500 = 0.4: 0.4.
	f := rate("x", "p", "rows/s", "b", []float64{100, 900, 200}, []float64{400, 300, 500}, "", "")
	if f.Value != 200 || f.Base != 400 || f.Ratio != 0.4 || f.Runs != 3 {
		t.Errorf("%+v", f)
	}
}

// TestWriteFile keeps the hand-written text around the generated section and replaces the
// section on a second write.
func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	rep := &Results{Machine: Machine{CPU: "cpu A", Cores: 2}, Figures: []Figure{{Name: "validation", Project: "p", Value: 1234, Unit: "events/s", Baseline: "b", Base: 617, Ratio: 2, Runs: 3}}}
	if err := rep.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(first), "# Benchmarks\n") || !strings.Contains(string(first), "| validation | p | 1,234 events/s | b | 617 events/s | 2.00 |") {
		t.Fatalf("first write:\n%s", first)
	}
	edited := strings.Replace(string(first), "# Benchmarks\n", "# Benchmarks\n\nIntro by hand.\n", 1) + "\n## What bounds each figure\n\nBy hand.\n"
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	rep.Machine.CPU = "cpu B"
	if err := rep.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	s := string(second)
	if !strings.Contains(s, "Intro by hand.") || !strings.Contains(s, "## What bounds each figure\n\nBy hand.\n") ||
		!strings.Contains(s, "cpu B") || strings.Contains(s, "cpu A") || strings.Count(s, BeginMarker) != 1 {
		t.Fatalf("second write:\n%s", s)
	}
}

// TestRunSmall runs the figures that need no Kafka on a small sample against a scratch database
// and checks that each gives a positive value and baseline.
func TestRunSmall(t *testing.T) {
	_, dsn := chtest.DB(t)
	rep, err := Run(context.Background(), Options{DSN: dsn, Runs: 1, Events: 20_000, Only: []string{"simulate", "validation", "backfill"},
		ProfileDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Figures) != 3 {
		t.Fatalf("%d figures, want 3: %+v", len(rep.Figures), rep.Figures)
	}
	for _, f := range rep.Figures {
		if f.Value <= 0 || f.Base <= 0 || f.Ratio <= 0 || f.Runs != 1 {
			t.Errorf("implausible figure %+v", f)
		}
	}
	if rep.Machine.Cores < 1 || rep.Machine.ClickHouse == "not reachable" {
		t.Errorf("machine %+v", rep.Machine)
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"simulate", "validation", "backfill", "events/s", "rows/s"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, b.String())
		}
	}
}
