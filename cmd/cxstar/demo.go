package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/registry"
	"github.com/cxstar/cxstar/report"
	"github.com/cxstar/cxstar/simulate"
	"github.com/cxstar/cxstar/transform"
)

// demoDefaultDSN is the demo's own database on the private server: the demo empties it first,
// so it never touches the production database named by CXSTAR_CLICKHOUSE.
const demoDefaultDSN = "clickhouse://127.0.0.1:19000/cxstar_demo"

type demoConfig struct {
	sim      *simFlags
	dsn      string
	out      string
	keep     bool
	timeout  time.Duration
	progress time.Duration
	profile  string
}

// demoResult is what the demo did, for the summary and for tests.
type demoResult struct {
	Sim       simulate.Stats
	Published int64
	Consumer  ingest.ConsumerStats
	Rows      map[string]uint64 // distinct rows per raw table (FINAL)
	Agencies  []demoAgency
	Files     []string
	DSN       string
	Quarters  []string
	// Levels holds each agency's overall star level per standard and quarter (nil: not assessed).
	Levels map[string]map[metrics.Standard][]*int
	// LastQuarter counts, per agency and standard, the indicators of the last quarter that were
	// assessed and those of them at 3 stars or more.
	LastQuarter map[string]map[metrics.Standard][2]int
	// Indicators counts the stored indicator rows per status (assessed, not_assessed, no_data).
	Indicators map[metrics.Status]int
	Pushed     bool
	// Watched is the agency whose alerts and follow-up items the demo shows (the one with the
	// most follow-up items in the last quarter).
	Watched  string
	Alerts   []demoAlert
	FollowUp demoFollowUp
	// watchMonitors holds each agency's detractor_followup_share of the last quarter (people).
	watchMonitors map[string]*metrics.Monitor
	// LastPeople is the people scorecard of the last quarter (with changes and targets).
	LastPeople *metrics.Scorecard
	// Shown is the agency whose «С чего начать» list the demo printed.
	Shown string
	// Failures lists stages that failed without stopping the demo (an assessment of one quarter).
	Failures []string
}

// demoFollowUpShare is the demo's --followup-share: most detractors' surveys are followed up.
const demoFollowUpShare = 0.7

// The defaults of demo --timeout and --progress.
const (
	demoTimeout  = 15 * time.Minute
	demoProgress = 2 * time.Second
)

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "demo [flags]\n\nThe whole pipeline on realistic data, with no flags on a fresh machine: starts ClickHouse\n(scripts/clickhouse.sh) and the embedded Kafka broker, simulates a year of events for 20 agencies,\npublishes them to Kafka, ingests them into ClickHouse (invalid ones to the dead-letter topic,\nduplicates counted once), imports the scenario registry, assesses every quarter for both standards,\nrenders the dashboards into --out (and pushes them when CXSTAR_GRAFANA_URL is set, see\n`cxstar dashboards push --help` for the credentials), writes the Project Office report for the last\nquarter, and prints the agencies' star levels. It stops what it started.")
	cfg := demoConfig{sim: addSimFlags(fs, 20, 2500, demoFollowUpShare)}
	dsn := envString(fs, "clickhouse", "CXSTAR_DEMO_CLICKHOUSE", demoDefaultDSN, "ClickHouse DSN of the demo database (emptied first!)")
	out := envString(fs, "out", "CXSTAR_DEMO_OUT", "cxstar-demo", "directory for the registry, dashboards and report")
	keep := envBool(fs, "keep", "CXSTAR_DEMO_KEEP", false, "leave ClickHouse running when the demo started it, to explore the data")
	timeout := envDuration(fs, "timeout", "CXSTAR_DEMO_TIMEOUT", demoTimeout, "give up when the demo takes longer")
	progress := envDuration(fs, "progress", "CXSTAR_PROGRESS", demoProgress, "how often to print progress; 0 prints none")
	profile := envString(fs, "profile", "CXSTAR_DEMO_PROFILE", "", "write a CPU profile of the simulate → Kafka → ingest stage to this file (go tool pprof); empty: none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := positive("timeout", *timeout, demoTimeout); err != nil {
		return err
	}
	if *progress < 0 {
		return fmt.Errorf("--progress %s: must be zero (no progress lines) or above (default %s)", *progress, demoProgress)
	}
	cfg.dsn, cfg.out, cfg.keep, cfg.timeout, cfg.progress, cfg.profile = *dsn, *out, *keep, *timeout, *progress, *profile
	_, err := demo(ctx, cfg, os.Stdout)
	return err
}

// demoRun is what the demo's stages share: each stage starts something, or runs one step of the
// pipeline through the library functions its command calls, and records what it did in res.
type demoRun struct {
	cfg    demoConfig
	w      io.Writer
	g      *simulate.Generator
	res    *demoResult
	conn   driver.Conn
	broker *broker.Broker
	// undo holds what to stop or close when the demo ends, last started first.
	undo []func()
}

// demoStage is one numbered step of the demo.
type demoStage struct {
	title string
	run   func(context.Context) error
}

func demo(ctx context.Context, cfg demoConfig, w io.Writer) (*demoResult, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	started := time.Now()
	g, err := cfg.sim.generator()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory %s (choose another with --out): %w", cfg.out, err)
	}
	r := &demoRun{cfg: cfg, w: w, g: g, res: &demoResult{DSN: cfg.dsn, Rows: map[string]uint64{}}}
	defer func() {
		for i := len(r.undo) - 1; i >= 0; i-- {
			r.undo[i]()
		}
	}()
	qs := g.Quarters()
	last := qs[len(qs)-1].String()
	stages := []demoStage{
		{"ClickHouse: start the private server (scripts/clickhouse.sh up) and prepare a fresh demo database", r.startClickHouse},
		{"Kafka: start the embedded broker (franz-go kfake) with the project's topics", r.startBroker},
		{fmt.Sprintf("simulate %d agencies, %s–%s (seed %d) → Kafka → ingest → ClickHouse", len(g.Agencies()), qs[0], last, *cfg.sim.seed), r.simulateAndIngest},
		{"registry: import the client scenarios and capability declarations", r.importRegistry},
		{fmt.Sprintf("assess %d quarters × both standards (stored in assessments)", len(qs)), r.assessAll},
		{"one agency: its early-warning alerts and detractor follow-up items", r.watchAgency},
		{"priorities: where to start in " + last + " (people), one agency's list and its significant changes", r.priorities},
		{"dashboards: render (and push when CXSTAR_GRAFANA_URL is set)", r.dashboards},
		{"report: the Project Office's quarterly report for " + last, r.report},
	}
	of := len(stages) + 1
	for i, s := range stages {
		fmt.Fprintf(w, "[%d/%d] %s\n", i+1, of, s.title)
		t := time.Now()
		if err := s.run(ctx); err != nil {
			return r.res, err
		}
		fmt.Fprintf(w, "      done in %s\n", time.Since(t).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "[%d/%d] summary: read back from ClickHouse\n", of, of)
	if err := demoReadBack(ctx, r.conn, g, r.res); err != nil {
		return r.res, err
	}
	printDemoSummary(w, r.res, time.Since(started))
	if len(r.res.Failures) > 0 {
		return r.res, fmt.Errorf("the demo ran to the end, but %d step(s) failed:\n  %s", len(r.res.Failures), strings.Join(r.res.Failures, "\n  "))
	}
	return r.res, nil
}

// startClickHouse starts the private server unless it runs already (stopped at the end unless
// --keep) and recreates the demo database.
func (r *demoRun) startClickHouse(ctx context.Context) error {
	stop, err := demoStartClickHouse(ctx, r.cfg.dsn, r.w)
	if err != nil {
		return err
	}
	if stop != nil && !r.cfg.keep {
		r.undo = append(r.undo, func() {
			fmt.Fprintln(r.w, "stopping the ClickHouse server the demo started (--keep leaves it running)")
			stop()
		})
	}
	if r.conn, err = store.Recreate(ctx, r.cfg.dsn); err != nil {
		return err
	}
	r.undo = append(r.undo, func() { r.conn.Close() })
	return nil
}

// startBroker starts the embedded Kafka broker of `cxstar broker` on a free port.
func (r *demoRun) startBroker(context.Context) error {
	b, err := broker.Start(broker.WithPort(0))
	if err != nil {
		return fmt.Errorf("start the embedded Kafka broker: %w", err)
	}
	r.broker = b
	r.undo = append(r.undo, b.Close)
	fmt.Fprintf(r.w, "      broker on %s\n", b.Addr())
	return nil
}

// importRegistry writes the simulated agencies' reference data and loads it as `cxstar registry
// import` does.
func (r *demoRun) importRegistry(ctx context.Context) error {
	path := filepath.Join(r.cfg.out, "registry.json")
	if err := writeRegistry(path, r.g); err != nil {
		return err
	}
	r.res.Files = append(r.res.Files, path)
	st, err := registry.Import(ctx, r.conn, path, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(r.w, "      %d scenarios, %d declarations from %s\n", st.Scenarios, st.Declarations, path)
	return nil
}

// report writes the Project Office's report of the last quarter as `cxstar report` does.
func (r *demoRun) report(ctx context.Context) error {
	qs := r.g.Quarters()
	last := qs[len(qs)-1].String()
	path := filepath.Join(r.cfg.out, "report-"+last+".html")
	if err := report.WriteFile(ctx, r.conn, last, "ru", path); err != nil {
		return fmt.Errorf("write the report for %s: %w", last, err)
	}
	r.res.Files = append(r.res.Files, path)
	return nil
}

// simulateAndIngest runs the generator into Kafka while a consumer (the `cxstar ingest` code)
// writes to ClickHouse, and returns when every published message is committed. It stays one
// function: the consumer, the publisher and the progress loop share their context, channels and
// counters, and the end condition reads all three.
func (r *demoRun) simulateAndIngest(ctx context.Context) error {
	g, brokers, conn, every, w, res := r.g, r.broker.Addrs(), r.conn, r.cfg.progress, r.w, r.res
	if r.cfg.profile != "" {
		stop, err := startCPUProfile(r.cfg.profile, "profile")
		if err != nil {
			return err
		}
		defer stop()
	}
	cctx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	c := ingest.NewConsumer(brokers, ingest.NewValidator(), ingest.NewWriter(conn),
		ingest.WithGroup(demoGroup), ingest.WithConsumerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	consumed := make(chan error, 1)
	go func() { consumed <- c.Run(cctx) }()

	produced := make(chan error, 1)
	var sink *simulate.KafkaSink
	go func() {
		sink = simulate.NewKafkaSink(ctx, brokers)
		st, err := g.Run(ctx, sink)
		if cerr := sink.Close(); err == nil {
			err = cerr
		}
		res.Sim = st
		produced <- err
	}()
	tick := time.NewTicker(max(every, 100*time.Millisecond))
	defer tick.Stop()
	start := time.Now()
	var target int64 = -1
	var lastCheck time.Time
	caughtUp := false
	for {
		select {
		case err := <-produced:
			if err != nil {
				return fmt.Errorf("simulate into Kafka: %w", err)
			}
			target = res.Sim.Lines()
			res.Published = sink.Published()
			fmt.Fprintf(w, "      published %d messages (%d events, %d duplicates, %d invalid) in %s\n",
				res.Published, res.Sim.Valid(), res.Sim.DuplicateTotal(), res.Sim.InvalidTotal(), time.Since(start).Round(time.Millisecond))
		case err := <-consumed:
			return fmt.Errorf("the ingest consumer stopped early: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("demo timed out or was interrupted while ingesting (%d of %d messages committed): %w", c.Stats().Committed, target, ctx.Err())
		case <-tick.C:
			cs := c.Stats()
			if every > 0 {
				fmt.Fprintf(w, "      %5.1fs consumed %d  inserted %d  duplicate %d  rejected (dead-letter) %d  committed %d\n",
					time.Since(start).Seconds(), cs.Consumed, cs.Inserted, cs.Duplicates, cs.Rejected, cs.Committed)
			}
			// After a rebalance the consumer's count of committed messages can stay below the
			// published count although the group has committed everything: the broker's offsets
			// decide then.
			if target >= 0 && cs.Committed < target && time.Since(lastCheck) >= time.Second {
				lastCheck = time.Now()
				if done, err := demoGroupCaughtUp(ctx, brokers, demoGroup); err == nil && done {
					fmt.Fprintf(w, "      the group has committed every message (the consumer counted %d of %d committed)\n", cs.Committed, target)
					caughtUp = true
				}
			}
		}
		if target >= 0 && (caughtUp || c.Stats().Committed >= target) {
			break
		}
		if target >= 0 {
			// Poll faster once everything is published.
			time.Sleep(50 * time.Millisecond)
			if c.Stats().Committed >= target {
				break
			}
		}
	}
	stopConsumer()
	if err := <-consumed; err != nil {
		return fmt.Errorf("stop the ingest consumer: %w", err)
	}
	res.Consumer = c.Stats()
	cs := res.Consumer
	fmt.Fprintf(w, "      ingested: consumed %d  inserted %d  duplicate %d  rejected %d in %s (%.0f events/s end to end)\n",
		cs.Consumed, cs.Inserted, cs.Duplicates, cs.Rejected, time.Since(start).Round(time.Millisecond), float64(cs.Consumed)/time.Since(start).Seconds())
	return nil
}

// assessAll assesses every simulated quarter for both standards as `cxstar assess` does, stores
// the results, and keeps each agency's overall levels for the summary.
func (r *demoRun) assessAll(ctx context.Context) error {
	conn, g, w, res := r.conn, r.g, r.w, r.res
	res.Levels = map[string]map[metrics.Standard][]*int{}
	res.Indicators = map[metrics.Status]int{}
	res.LastQuarter = map[string]map[metrics.Standard][2]int{}
	res.watchMonitors = map[string]*metrics.Monitor{}
	for _, a := range g.Agencies() {
		res.Levels[a.ID] = map[metrics.Standard][]*int{}
		res.LastQuarter[a.ID] = map[metrics.Standard][2]int{}
		for _, std := range metrics.Standards {
			res.Levels[a.ID][std] = make([]*int, len(g.Quarters()))
		}
	}
	// The quarters have settled: merge their inputs' ended partitions first, as `cxstar compact
	// --all` does.
	t := time.Now()
	merged, err := transform.Compact(ctx, []driver.Conn{conn}, func(t string) string { return t }, transform.Request{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "      compact: %d partitions of the settled quarters merged in %s\n", len(merged), time.Since(t).Round(time.Millisecond))
	for qi, q := range g.Quarters() {
		t := time.Now()
		res.Quarters = append(res.Quarters, q.String())
		run, err := transform.Assess(ctx, conn, transform.Request{Quarter: q.String(), Store: true})
		if err != nil {
			// The other quarters, the dashboards and the report are still worth having; the
			// demo ends with an error that names this one.
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(w, "      %s: FAILED: %v\n", q, err)
			res.Failures = append(res.Failures, fmt.Sprintf("assess %s: %v", q, err))
			continue
		}
		if qi == len(g.Quarters())-1 {
			res.LastPeople = run.Scorecard(metrics.People)
		}
		n := 0
		for _, rep := range run.Scorecards {
			for _, ar := range rep.Agencies {
				if lv := res.Levels[ar.AgencyID]; lv != nil {
					lv[rep.Standard][qi] = ar.OverallLevel
				}
				var good, assessed int
				for _, ind := range ar.Indicators {
					res.Indicators[ind.Status]++
					n++
					if ind.Status == metrics.Assessed && ind.Level != nil {
						assessed++
						if *ind.Level >= 3 {
							good++
						}
					}
				}
				if lq := res.LastQuarter[ar.AgencyID]; lq != nil && qi == len(g.Quarters())-1 {
					lq[rep.Standard] = [2]int{good, assessed}
					for i := range ar.Monitoring {
						if m := &ar.Monitoring[i]; m.Code == metrics.MonitorFollowUp && rep.Standard == metrics.People {
							res.watchMonitors[ar.AgencyID] = m
						}
					}
				}
			}
		}
		fmt.Fprintf(w, "      %s: %d indicator values in %s\n", q, n, time.Since(t).Round(time.Millisecond))
	}
	return nil
}

// dashboards renders the dashboards into the output directory and pushes them to Grafana
// when CXSTAR_GRAFANA_URL is set (through `cxstar dashboards push`, which also provisions the
// per-agency ClickHouse users).
func (r *demoRun) dashboards(ctx context.Context) error {
	cfg, g, w, res := r.cfg, r.g, r.w, r.res
	var agencies []dashboards.Agency
	var list []string
	for _, a := range g.Agencies() {
		agencies = append(agencies, dashboards.Agency{ID: a.ID, Name: a.Name})
		list = append(list, a.ID+"="+a.Name)
	}
	dir, err := filepath.Abs(filepath.Join(cfg.out, "dashboards"))
	if err != nil {
		return err
	}
	bundle, err := dashboards.Render(dir, dashboards.RenderConfig{}, agencies, dashboards.WithLang(dashboards.RU))
	if err != nil {
		return fmt.Errorf("render the dashboards: %w", err)
	}
	paths, err := bundle.Write(dir)
	if err != nil {
		return fmt.Errorf("write the dashboards into %s: %w", dir, err)
	}
	fmt.Fprintf(w, "      %d files in %s\n", len(paths), dir)
	res.Files = append(res.Files, dir+string(filepath.Separator))
	if os.Getenv("CXSTAR_GRAFANA_URL") == "" {
		fmt.Fprintln(w, "      CXSTAR_GRAFANA_URL is not set: not pushed (see `cxstar dashboards push --help`)")
		return nil
	}
	fmt.Fprintf(w, "      pushing to %s\n", os.Getenv("CXSTAR_GRAFANA_URL"))
	if err := runDashboards(ctx, []string{"push", "--clickhouse", cfg.dsn, "--agencies", strings.Join(list, ",")}); err != nil {
		return fmt.Errorf("push the dashboards to %s: %w", os.Getenv("CXSTAR_GRAFANA_URL"), err)
	}
	res.Pushed = true
	return nil
}
