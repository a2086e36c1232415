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
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/secret"
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
	// Failures lists stages that failed without stopping the demo (an assessment of one quarter).
	Failures []string
}

// demoAgency is one line of the summary table, read back from ClickHouse.
type demoAgency struct {
	ID, Level                            string
	ServiceEvents, Ratings, AppealSteps  uint64
	NPSAnswers, Promoters, Detractors    uint64
	Requests, CompletedRequests, Appeals uint64
}

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "demo [flags]\n\nThe whole pipeline on realistic data, with no flags on a fresh machine: starts ClickHouse\n(scripts/clickhouse.sh) and the embedded Kafka broker, simulates a year of events for 20 agencies,\npublishes them to Kafka, ingests them into ClickHouse (invalid ones to the dead-letter topic,\nduplicates counted once), imports the scenario registry, assesses every quarter for both standards,\nrenders the dashboards into --out (and pushes them when CXSTAR_GRAFANA_URL is set, see\n`cxstar dashboards push --help` for the credentials), writes the Project Office report for the last\nquarter, and prints the agencies' star levels. It stops what it started.")
	cfg := demoConfig{sim: addSimFlags(fs, 20, 2500)}
	dsn := envString(fs, "clickhouse", "CXSTAR_DEMO_CLICKHOUSE", demoDefaultDSN, "ClickHouse DSN of the demo database (emptied first!)")
	out := envString(fs, "out", "CXSTAR_DEMO_OUT", "cxstar-demo", "directory for the registry, dashboards and report")
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
	st := &stager{w: w, of: 8}
	g, err := cfg.sim.generator()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory %s (choose another with --out): %w", cfg.out, err)
	}

	// 1. ClickHouse.
	done := st.start("ClickHouse: start the private server (scripts/clickhouse.sh up) and prepare a fresh demo database")
	stopCH, err := demoStartClickHouse(ctx, cfg.dsn, w)
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopCH != nil && !cfg.keep {
			fmt.Fprintln(w, "stopping the ClickHouse server the demo started (--keep leaves it running)")
			stopCH()
		}
	}()
	conn, err := store.Recreate(ctx, cfg.dsn)
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
	if err := demoSimulateAndIngest(ctx, g, b.Addrs(), conn, cfg.progress, w, res); err != nil {
		return res, err
	}
	done()

	// 4. Reference data.
	done = st.start("registry: import the client scenarios and capability declarations")
	regPath := filepath.Join(cfg.out, "registry.json")
	if err := writeRegistry(regPath, g); err != nil {
		return res, err
	}
	res.Files = append(res.Files, regPath)
	is, err := registry.Import(ctx, conn, regPath, time.Now())
	if err != nil {
		return res, err
	}
	fmt.Fprintf(w, "      %d scenarios, %d declarations from %s\n", is.Scenarios, is.Declarations, regPath)
	done()

	// 5. Assessments.
	done = st.start(fmt.Sprintf("assess %d quarters × both standards (stored in assessments)", len(qs)))
	if err := demoAssessAll(ctx, conn, g, w, res); err != nil {
		return res, err
	}
	done()

	// 6. Dashboards.
	done = st.start("dashboards: render (and push when CXSTAR_GRAFANA_URL is set)")
	if err := demoDashboards(ctx, cfg, g, w, res); err != nil {
		return res, err
	}
	done()

	// 7. Report.
	last := qs[len(qs)-1].String()
	done = st.start("report: the Project Office's quarterly report for " + last)
	reportPath := filepath.Join(cfg.out, "report-"+last+".html")
	if err := writeDemoReport(ctx, conn, last, reportPath); err != nil {
		return res, err
	}
	res.Files = append(res.Files, reportPath)
	done()

	// 8. Summary.
	st.start("summary: read back from ClickHouse")
	if err := demoReadBack(ctx, conn, g, res); err != nil {
		return res, err
	}
	printDemoSummary(w, res, time.Since(started))
	if len(res.Failures) > 0 {
		return res, fmt.Errorf("the demo ran to the end, but %d step(s) failed:\n  %s", len(res.Failures), strings.Join(res.Failures, "\n  "))
	}
	return res, nil
}

// demoRepoScript finds scripts/clickhouse.sh: under $CXSTAR_REPO, the working directory or one of
// its parents, or beside the executable's parents.
func demoRepoScript() (string, error) {
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

// demoStartClickHouse runs `scripts/clickhouse.sh up` unless the server already answers; it returns
// a function that stops the server when the demo started it (nil otherwise). A DSN that is not
// the private server's is used as it is.
func demoStartClickHouse(ctx context.Context, dsn string, w io.Writer) (stop func(), err error) {
	opts, err := store.Options(dsn)
	if err != nil {
		return nil, err
	}
	if len(opts.Addr) != 1 || opts.Addr[0] != "127.0.0.1:"+demoEnvOr("CXSTAR_CH_TCP_PORT", "19000") {
		fmt.Fprintf(w, "      using the ClickHouse server of --clickhouse (%v)\n", opts.Addr)
		return nil, nil
	}
	script, err := demoRepoScript()
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

func demoEnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// demoSimulateAndIngest runs the generator into Kafka while a consumer (the `cxstar ingest` code)
// writes to ClickHouse, and returns when every published message is committed.
func demoSimulateAndIngest(ctx context.Context, g *simulate.Generator, brokers []string, conn driver.Conn, every time.Duration, w io.Writer, res *demoResult) error {
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

// demoAssessAll assesses every simulated quarter for both standards, stores the results, and keeps
// each agency's overall levels for the summary.
func demoAssessAll(ctx context.Context, conn driver.Conn, g *simulate.Generator, w io.Writer, res *demoResult) error {
	res.Levels = map[string]map[metrics.Standard][]*int{}
	res.Indicators = map[metrics.Status]int{}
	res.LastQuarter = map[string]map[metrics.Standard][2]int{}
	for _, a := range g.Agencies() {
		res.Levels[a.ID] = map[metrics.Standard][]*int{}
		res.LastQuarter[a.ID] = map[metrics.Standard][2]int{}
		for _, std := range metrics.Standards {
			res.Levels[a.ID][std] = make([]*int, len(g.Quarters()))
		}
	}
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
		n := 0
		for _, rep := range run.Reports {
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
				}
			}
		}
		fmt.Fprintf(w, "      %s: %d indicator values in %s\n", q, n, time.Since(t).Round(time.Millisecond))
	}
	return nil
}

// demoDashboards renders the dashboards into the output directory and pushes them to Grafana
// when CXSTAR_GRAFANA_URL is set (through `cxstar dashboards push`, which also provisions the
// per-agency ClickHouse users).
func demoDashboards(ctx context.Context, cfg demoConfig, g *simulate.Generator, w io.Writer, res *demoResult) error {
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

// writeDemoReport writes the Project Office's HTML report of quarter into path.
func writeDemoReport(ctx context.Context, conn driver.Conn, quarter, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := report.Write(ctx, conn, quarter, "ru", f); err != nil {
		f.Close()
		return fmt.Errorf("write the report for %s: %w", quarter, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func demoReadBack(ctx context.Context, conn driver.Conn, g *simulate.Generator, res *demoResult) error {
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
	last := ""
	if len(res.Quarters) > 0 {
		last = res.Quarters[len(res.Quarters)-1]
	}
	fmt.Fprintf(w, "Overall star level per quarter (%s; — not assessed) and, for %s, the assessed indicators at 3★ or more:\n\n", strings.Join(res.Quarters, " "), last)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "agency\ttier\tpeople ★\t≥3★\tbusiness ★\t≥3★\trequests\tratings\tNPS\tappeals\t")
	for _, a := range res.Agencies {
		lv, lq := res.Levels[a.ID], res.LastQuarter[a.ID]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%+.1f\t%d\t\n", a.ID, a.Level,
			demoLevels(lv[metrics.People]), demoShare(lq[metrics.People]), demoLevels(lv[metrics.Business]), demoShare(lq[metrics.Business]),
			a.Requests, a.Ratings, a.NPS(), a.Appeals)
	}
	tw.Flush()
	cs := res.Consumer
	fmt.Fprintf(w, "\nIndicator values stored: %d assessed, %d not assessed (sample below min_n or no declaration), %d without data\n",
		res.Indicators[metrics.Assessed], res.Indicators[metrics.NotAssessed], res.Indicators[metrics.NoData])
	fmt.Fprintf(w, "ClickHouse (%s): %d service events, %d ratings, %d appeal steps — distinct events, as simulated: %s\n",
		secret.DSN(res.DSN), res.Rows["service_events"], res.Rows["ratings"], res.Rows["appeals"], demoYesNo(res.consistent()))
	fmt.Fprintf(w, "Kafka: %d messages published, %d inserted, %d duplicates skipped, %d invalid sent to the dead-letter topic\n",
		res.Published, cs.Inserted, cs.Duplicates, cs.Rejected)
	if res.Pushed {
		fmt.Fprintf(w, "Grafana: dashboards pushed to %s\n", os.Getenv("CXSTAR_GRAFANA_URL"))
	}
	fmt.Fprintf(w, "Files:\n")
	for _, f := range res.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "Demo finished in %s.\n", elapsed.Round(time.Second))
}

// demoShare formats "good/assessed", or "—" when nothing was assessed.
func demoShare(c [2]int) string {
	if c[1] == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", c[0], c[1])
}

// demoLevels formats overall levels per quarter, e.g. "2 2 3 —".
func demoLevels(lv []*int) string {
	parts := make([]string, len(lv))
	for i, l := range lv {
		parts[i] = "—"
		if l != nil {
			parts[i] = strconv.Itoa(*l)
		}
	}
	return strings.Join(parts, " ")
}

// consistent reports whether ClickHouse holds exactly the distinct valid events simulated.
func (r *demoResult) consistent() bool {
	return int64(r.Rows["service_events"]) == r.Sim.Events[ingest.KindService] &&
		int64(r.Rows["ratings"]) == r.Sim.Events[ingest.KindRating] &&
		int64(r.Rows["appeals"]) == r.Sim.Events[ingest.KindAppeal]
}

func demoYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
