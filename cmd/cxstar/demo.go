package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/simulate"
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
}

// demoAgency is one line of the summary table, read back from ClickHouse.
type demoAgency struct {
	ID, Level                            string
	ServiceEvents, Ratings, AppealSteps  uint64
	NPSAnswers, Promoters, Detractors    uint64
	Requests, CompletedRequests, Appeals uint64
}

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "demo [flags]\n\nThe whole pipeline on realistic data, with no flags on a fresh machine: starts ClickHouse\n(scripts/clickhouse.sh) and the embedded Kafka broker, simulates a year of events for 20 agencies,\npublishes them to Kafka, ingests them into ClickHouse (invalid ones to the dead-letter topic,\nduplicates counted once), and prints a summary per agency. It stops what it started.")
	cfg := demoConfig{sim: addSimFlags(fs, 20, 2500)}
	dsn := envString(fs, "clickhouse", "CXSTAR_DEMO_CLICKHOUSE", demoDefaultDSN, "ClickHouse DSN of the demo database (emptied first!)")
	out := envString(fs, "out", "CXSTAR_DEMO_OUT", "cxstar-demo", "directory for the scenario registry, dashboards and report")
	keep := fs.Bool("keep", os.Getenv("CXSTAR_DEMO_KEEP") == "1", "leave ClickHouse running when the demo started it, to explore the data (env CXSTAR_DEMO_KEEP=1)")
	timeout := envDuration(fs, "timeout", "CXSTAR_DEMO_TIMEOUT", 15*time.Minute, "give up when the demo takes longer")
	progress := envDuration(fs, "progress", "CXSTAR_PROGRESS", 2*time.Second, "how often to print progress")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.dsn, cfg.out, cfg.keep, cfg.timeout, cfg.progress = *dsn, *out, *keep, *timeout, *progress
	_, err := demo(ctx, cfg, os.Stdout)
	return err
}

// stage prints a numbered stage heading and returns a function that prints its duration.
type stager struct {
	w     io.Writer
	n, of int
}

func (s *stager) start(name string) func() {
	s.n++
	fmt.Fprintf(s.w, "[%d/%d] %s\n", s.n, s.of, name)
	t := time.Now()
	return func() { fmt.Fprintf(s.w, "      done in %s\n", time.Since(t).Round(time.Millisecond)) }
}

func demo(ctx context.Context, cfg demoConfig, w io.Writer) (*demoResult, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	started := time.Now()
	res := &demoResult{DSN: cfg.dsn, Rows: map[string]uint64{}}
	st := &stager{w: w, of: 5}
	g, err := cfg.sim.generator()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory %s (choose another with --out): %w", cfg.out, err)
	}

	// 1. ClickHouse.
	done := st.start("ClickHouse: start the private server (scripts/clickhouse.sh up) and prepare a fresh demo database")
	stopCH, err := startClickHouse(ctx, cfg.dsn, w)
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopCH != nil && !cfg.keep {
			fmt.Fprintln(w, "stopping the ClickHouse server the demo started (--keep leaves it running)")
			stopCH()
		}
	}()
	conn, err := freshDatabase(ctx, cfg.dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	done()

	// 2. Kafka.
	done = st.start("Kafka: start the embedded broker (franz-go kfake) with the project's topics")
	b, err := broker.Start(broker.WithPort(0))
	if err != nil {
		return nil, fmt.Errorf("start the embedded Kafka broker: %w", err)
	}
	defer b.Close()
	fmt.Fprintf(w, "      broker on %s\n", b.Addr())
	done()

	// 3. Simulate into Kafka while the consumer ingests.
	qs := g.Quarters()
	done = st.start(fmt.Sprintf("simulate %d agencies, %s–%s (seed %d) → Kafka → ingest → ClickHouse", len(g.Agencies()), qs[0], qs[len(qs)-1], *cfg.sim.seed))
	if err := writeScenarios(filepath.Join(cfg.out, "scenarios.json"), g); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, filepath.Join(cfg.out, "scenarios.json"))
	if err := simulateAndIngest(ctx, g, b.Addrs(), conn, cfg.progress, w, res); err != nil {
		return res, err
	}
	done()

	// 4. Read back.
	done = st.start("read back from ClickHouse: distinct events per table and agency")
	if err := readBack(ctx, conn, g, res); err != nil {
		return res, err
	}
	done()

	// 5. Summary.
	st.start("summary")
	printDemoSummary(w, res, time.Since(started))
	return res, nil
}

// repoScript finds scripts/clickhouse.sh: under $CXSTAR_REPO, the working directory or one of
// its parents, or beside the executable's parents.
func repoScript() (string, error) {
	var roots []string
	if r := os.Getenv("CXSTAR_REPO"); r != "" {
		roots = append(roots, r)
	}
	for _, start := range []string{".", filepath.Dir(os.Args[0])} {
		if abs, err := filepath.Abs(start); err == nil {
			for d := abs; ; d = filepath.Dir(d) {
				roots = append(roots, d)
				if filepath.Dir(d) == d {
					break
				}
			}
		}
	}
	for _, r := range roots {
		p := filepath.Join(r, "scripts", "clickhouse.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("scripts/clickhouse.sh not found: run the demo from the cxstar repository, or set CXSTAR_REPO to it")
}

// startClickHouse runs `scripts/clickhouse.sh up` unless the server already answers; it returns
// a function that stops the server when the demo started it (nil otherwise). A DSN that is not
// the private server's is used as it is.
func startClickHouse(ctx context.Context, dsn string, w io.Writer) (stop func(), err error) {
	opts, err := store.Options(dsn)
	if err != nil {
		return nil, err
	}
	if len(opts.Addr) != 1 || opts.Addr[0] != "127.0.0.1:"+envOr("CXSTAR_CH_TCP_PORT", "19000") {
		fmt.Fprintf(w, "      using the ClickHouse server of --clickhouse (%v)\n", opts.Addr)
		return nil, nil
	}
	script, err := repoScript()
	if err != nil {
		return nil, err
	}
	if exec.CommandContext(ctx, "bash", script, "status").Run() == nil {
		fmt.Fprintf(w, "      already running on %s: used as it is, left running\n", opts.Addr[0])
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, "bash", script, "up")
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("start ClickHouse with %s up (see its log above; it installs Debian's clickhouse-server when missing): %w", script, err)
	}
	return func() {
		cmd := exec.Command("bash", script, "down")
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(w, "could not stop ClickHouse (%v): run %s down\n", err, script)
		}
	}, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// freshDatabase drops and recreates the demo database and applies the migrations.
func freshDatabase(ctx context.Context, dsn string) (driver.Conn, error) {
	opts, err := store.Options(dsn)
	if err != nil {
		return nil, err
	}
	if opts.Auth.Database == "default" || opts.Auth.Database == "system" {
		return nil, fmt.Errorf("the demo empties its database: give --clickhouse a database of its own, not %q", opts.Auth.Database)
	}
	conn, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+opts.Auth.Database); err != nil {
		conn.Close()
		return nil, fmt.Errorf("empty the demo database %s: %w", opts.Auth.Database, err)
	}
	conn.Close()
	if conn, err = store.Open(ctx, dsn); err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// simulateAndIngest runs the generator into Kafka while a consumer (the `cxstar ingest` code)
// writes to ClickHouse, and returns when every published message is committed.
func simulateAndIngest(ctx context.Context, g *simulate.Generator, brokers []string, conn driver.Conn, every time.Duration, w io.Writer, res *demoResult) error {
	cctx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	c := ingest.NewConsumer(brokers, ingest.NewValidator(), ingest.NewWriter(conn),
		ingest.WithGroup("cxstar-demo"), ingest.WithConsumerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
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
		}
		if target >= 0 && c.Stats().Committed >= target {
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

func readBack(ctx context.Context, conn driver.Conn, g *simulate.Generator, res *demoResult) error {
	byID := map[string]*demoAgency{}
	for _, a := range g.Agencies() {
		res.Agencies = append(res.Agencies, demoAgency{ID: a.ID, Level: string(a.Level)})
	}
	for i := range res.Agencies {
		byID[res.Agencies[i].ID] = &res.Agencies[i]
	}
	queries := []struct {
		sql  string
		scan func(a *demoAgency) []any
	}{
		{`SELECT agency_id, count(), countIf(status = 'submitted'), countIf(status = 'completed') FROM service_events FINAL GROUP BY agency_id`,
			func(a *demoAgency) []any { return []any{&a.ServiceEvents, &a.Requests, &a.CompletedRequests} }},
		{`SELECT agency_id, count(), countIf(question = 'nps'), countIf(question = 'nps' AND score >= 9), countIf(question = 'nps' AND score <= 6) FROM ratings FINAL GROUP BY agency_id`,
			func(a *demoAgency) []any { return []any{&a.Ratings, &a.NPSAnswers, &a.Promoters, &a.Detractors} }},
		{`SELECT agency_id, count(), countIf(step = 'received') FROM appeals FINAL GROUP BY agency_id`,
			func(a *demoAgency) []any { return []any{&a.AppealSteps, &a.Appeals} }},
	}
	for _, q := range queries {
		rows, err := conn.Query(ctx, q.sql)
		if err != nil {
			return fmt.Errorf("read the per-agency counts: %w", err)
		}
		for rows.Next() {
			var id string
			var tmp demoAgency
			dst := append([]any{&id}, q.scan(&tmp)...)
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return fmt.Errorf("read the per-agency counts: %w", err)
			}
			a := byID[id]
			if a == nil {
				rows.Close()
				return fmt.Errorf("ClickHouse holds events of agency %q, which the demo did not simulate: is the demo database shared?", id)
			}
			src, dstA := q.scan(&tmp), q.scan(a)
			for i := range src {
				*dstA[i].(*uint64) = *src[i].(*uint64)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	for _, a := range res.Agencies {
		res.Rows["service_events"] += a.ServiceEvents
		res.Rows["ratings"] += a.Ratings
		res.Rows["appeals"] += a.AppealSteps
	}
	sort.SliceStable(res.Agencies, func(i, j int) bool { return res.Agencies[i].ID < res.Agencies[j].ID })
	return nil
}

// NPS returns the agency's NPS over the whole period (promoters − detractors, % of answers).
func (a demoAgency) NPS() float64 {
	if a.NPSAnswers == 0 {
		return 0
	}
	return 100 * (float64(a.Promoters) - float64(a.Detractors)) / float64(a.NPSAnswers)
}

func printDemoSummary(w io.Writer, res *demoResult, elapsed time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agency\tlevel\trequests\tcompleted\tservice events\tratings\tNPS\tappeals\tappeal steps\t")
	for _, a := range res.Agencies {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%+.1f\t%d\t%d\t\n", a.ID, a.Level, a.Requests, a.CompletedRequests,
			a.ServiceEvents, a.Ratings, a.NPS(), a.Appeals, a.AppealSteps)
	}
	tw.Flush()
	cs := res.Consumer
	fmt.Fprintf(w, "\nClickHouse (%s): %d service events, %d ratings, %d appeal steps — distinct events, as simulated: %s\n",
		res.DSN, res.Rows["service_events"], res.Rows["ratings"], res.Rows["appeals"], yesNo(res.consistent()))
	fmt.Fprintf(w, "Kafka: %d messages published, %d inserted, %d duplicates skipped, %d invalid sent to the dead-letter topic\n",
		res.Published, cs.Inserted, cs.Duplicates, cs.Rejected)
	fmt.Fprintf(w, "Files:\n")
	for _, f := range res.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "Demo finished in %s.\n", elapsed.Round(time.Second))
}

// consistent reports whether ClickHouse holds exactly the distinct valid events simulated.
func (r *demoResult) consistent() bool {
	return int64(r.Rows["service_events"]) == r.Sim.Events[ingest.KindService] &&
		int64(r.Rows["ratings"]) == r.Sim.Events[ingest.KindRating] &&
		int64(r.Rows["appeals"]) == r.Sim.Events[ingest.KindAppeal]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
