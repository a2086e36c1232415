// Package bench is cxstar's benchmark suite (`cxstar bench`): every figure is measured beside a
// baseline taken in the same run on the same data, a few times, and reported as the median, so
// that a noisy shared machine still gives a meaningful ratio. The report is printed as a table
// and written into BENCHMARKS.md with the machine and the date.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/store"
)

// Figure is one line of the report: the project's number and its baseline, both medians.
type Figure struct {
	Name     string  // what is measured, e.g. "validation"
	Project  string  // the project's code path
	Value    float64 // median of the runs
	Unit     string  // e.g. "events/s", "s", "MB"
	Baseline string  // what it is compared with ("" when there is no baseline)
	Base     float64 // the baseline's median, in the same unit
	// Ratio is Value/Base for rates (the median of the per-run ratios), Base/Value for times
	// and sizes: above 1 the project is better than its baseline.
	Ratio  float64
	Target string // the target, e.g. "≥ 0.5 of the lower baseline"
	Runs   int
	Note   string
}

// Machine describes where the suite ran.
type Machine struct {
	CPU        string
	Cores      int
	RAM        string
	Go         string
	ClickHouse string
	Load       string // /proc/loadavg when the suite started: other work on a shared machine
}

// Results are the figures of one run of the suite, with the machine they were measured on.
type Results struct {
	Date    time.Time
	Machine Machine
	Figures []Figure
	Elapsed time.Duration
}

// Options says what to run. The zero value runs the whole suite with its defaults.
type Options struct {
	// DSN is a scratch ClickHouse database; it is emptied before each measurement.
	// Default: clickhouse://127.0.0.1:19000/cxstar_bench.
	DSN string
	// Runs is how many times each figure is measured; the median is reported. Default: 3.
	Runs int
	// Events is the number of events of the ClickHouse figures (backfill). Default: 300,000.
	Events int
	// KafkaEvents is the backlog of the Kafka ingest figure. Default: 1,000,000 — with a few hundred
	// thousand, the fixed cost of joining the group and the last flush halves the measured rate.
	KafkaEvents int
	// AssessRows is the number of ratings and of service events the assessment figure runs over.
	// Default: 10,000,000 each (the size).
	AssessRows int64
	// ProfileDir, when set, receives a CPU profile per project figure (<name>.pprof) for
	// `go tool pprof`. Default: "" (none).
	ProfileDir string
	// Binary is the cxstar executable, for figures that run `cxstar ingest` as a separate process.
	// Default: os.Executable().
	Binary string
	// Only restricts the suite to the figures whose name contains one of these words.
	// Default: all.
	Only []string
	// Log receives progress lines. Default: none.
	Log io.Writer
}

// DefaultDSN is the scratch database of the suite.
const DefaultDSN = "clickhouse://127.0.0.1:19000/cxstar_bench"

// suite lists the measurements in report order; each may add one or more figures.
var suite = []struct {
	name string
	run  func(ctx context.Context, s *state) error
}{
	{"simulate", runSimulate},
	{"validation", runValidation},
	{"backfill", runBackfill},
	{"kafka-ingest", runKafka},
	{"assess", runAssess},
}

type state struct {
	o   Options
	rep *Results
}

func (s *state) logf(format string, args ...any) {
	if s.o.Log != nil {
		fmt.Fprintf(s.o.Log, format+"\n", args...)
	}
}

// profile runs fn under the CPU profiler when a profile directory is set.
func (s *state) profile(name string, fn func() error) error {
	if s.o.ProfileDir == "" {
		return fn()
	}
	if err := os.MkdirAll(s.o.ProfileDir, 0o755); err != nil {
		return fmt.Errorf("create profile directory: %w", err)
	}
	f, err := os.Create(filepath.Join(s.o.ProfileDir, name+".pprof"))
	if err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("start CPU profile (another one running?): %w", err)
	}
	defer pprof.StopCPUProfile()
	return fn()
}

func (s *state) add(f Figure) {
	s.rep.Figures = append(s.rep.Figures, f)
	s.logf("  %s", f.line())
}

// Run runs the suite and returns its results.
func Run(ctx context.Context, o Options) (*Results, error) {
	if o.DSN == "" {
		o.DSN = DefaultDSN
	}
	if o.Runs <= 0 {
		o.Runs = 3
	}
	if o.Events <= 0 {
		o.Events = 300_000
	}
	if o.KafkaEvents <= 0 {
		o.KafkaEvents = 1_000_000
	}
	if o.AssessRows <= 0 {
		o.AssessRows = 10_000_000
	}
	if o.Binary == "" {
		if exe, err := os.Executable(); err == nil {
			o.Binary = exe
		}
	}
	start := time.Now()
	rep := &Results{Date: start.UTC(), Machine: machine(ctx, o.DSN)}
	s := &state{o: o, rep: rep}
	for _, m := range suite {
		if !selected(m.name, o.Only) {
			continue
		}
		s.logf("bench: %s (%d runs)", m.name, o.Runs)
		if err := m.run(ctx, s); err != nil {
			return rep, fmt.Errorf("bench %s: %w", m.name, err)
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func selected(name string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, w := range only {
		if w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// rate builds a throughput figure (higher is better).
func rate(name, project, unit, baseline string, value, base []float64, target, note string) Figure {
	f := Figure{Name: name, Project: project, Unit: unit, Baseline: baseline, Value: median(value), Base: median(base),
		Target: target, Note: note, Runs: len(value)}
	// The ratio is the median of the per-run ratios: a project run and its baseline run are taken
	// back to back, so they share the machine's load of the moment.
	var ratios []float64
	for i := range value {
		if i < len(base) && base[i] > 0 {
			ratios = append(ratios, value[i]/base[i])
		}
	}
	f.Ratio = median(ratios)
	return f
}

func machine(ctx context.Context, dsn string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown", RAM: "unknown", ClickHouse: "not reachable"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kb); err == nil {
				m.RAM = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if conn, err := store.Open(cctx, dsn); err == nil {
		var v string
		if conn.QueryRow(cctx, "SELECT version()").Scan(&v) == nil {
			m.ClickHouse = v
		}
		conn.Close()
	}
	return m
}

// line formats a figure for progress output.
func (f Figure) line() string {
	s := fmt.Sprintf("%-22s %s %s", f.Name, human(f.Value), f.Unit)
	if f.Baseline != "" {
		s += fmt.Sprintf("   baseline %s %s   ratio %.2f", human(f.Base), f.Unit, f.Ratio)
	}
	return s
}

// human formats a number with thousands separators (or two decimals below 100).
func human(x float64) string {
	if x < 100 {
		return fmt.Sprintf("%.2f", x)
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
