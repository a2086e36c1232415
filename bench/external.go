package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/cxstar/cxstar/bench/benchkafka"
	"github.com/cxstar/cxstar/internal/store"
)

// withDatabase returns dsn with its database replaced by the suite's database plus suffix, so that
// every measurement has a scratch database of its own.
func withDatabase(dsn, suffix string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse ClickHouse DSN %q: %w", dsn, err)
	}
	db := strings.Trim(u.Path, "/")
	if db == "" || db == "default" {
		db = "cxstar_bench"
	}
	u.Path = "/" + db + suffix
	return u.String(), nil
}

// runKafka: `cxstar ingest` as a separate process, broker → ClickHouse (bench/benchkafka),
// beside the raw ClickHouse insert of the same rows and the raw kafka-go group consume of the
// same messages; the ingest process's peak RSS comes from the same runs.
func runKafka(ctx context.Context, s *state) error {
	if s.o.Binary == "" {
		return fmt.Errorf("the cxstar executable is unknown: set Options.Binary")
	}
	dsn, err := withDatabase(s.o.DSN, "_kafka")
	if err != nil {
		return err
	}
	var ingest, insert, consume, rss, cpu, faults, broker, srvIngest, srvInsert []float64
	var events int
	for i := 0; i < s.o.Runs; i++ {
		r, err := benchkafka.Run(ctx, benchkafka.Options{Binary: s.o.Binary, DSN: dsn, Events: s.o.KafkaEvents, ProfileDir: s.o.ProfileDir, Log: s.o.Log})
		if err != nil {
			return err
		}
		s.logf("  run %d: %s", i+1, r)
		ingest, insert, consume = append(ingest, r.IngestRowsPerSec), append(insert, r.InsertRowsPerSec), append(consume, r.ConsumeMsgsPerSec)
		rss = append(rss, float64(r.PeakRSSBytes)/(1<<20))
		cpu = append(cpu, r.IngestCPUPerRow.Seconds()*1e6)
		faults = append(faults, float64(r.IngestFaults))
		broker = append(broker, r.BrokerCPUPerRow.Seconds()*1e6)
		srvIngest, srvInsert = append(srvIngest, r.IngestServer.CPU.Seconds()*1e6), append(srvInsert, r.InsertServer.CPU.Seconds()*1e6)
		events = r.Events
	}
	note := fmt.Sprintf("%d events; `cxstar ingest` in its own process, from joining the group to the last row in ClickHouse; its own CPU %.2f µs/row (%.0fk minor page faults), the in-process broker's %.2f; ClickHouse's query threads %.2f µs/row beside it, %.2f in the raw insert", events, median(cpu), median(faults)/1000, median(broker), median(srvIngest), median(srvInsert))
	s.add(rate("kafka ingest", "cxstar ingest (broker → ClickHouse)", "rows/s", "raw ClickHouse insert of the same rows (ingest.Writer)",
		ingest, insert, "≥ 0.8", note))
	s.add(rate("kafka ingest", "cxstar ingest (broker → ClickHouse)", "rows/s", "raw kafka-go group consume of the same messages",
		ingest, consume, "", note))
	s.add(Figure{Name: "ingest peak RSS", Project: "cxstar ingest (VmHWM)", Value: median(rss), Unit: "MB", Target: "< 300 MB",
		Runs: len(rss), Note: fmt.Sprintf("whole backlog of %d events waiting in the broker at start", events)})
	return nil
}

// runAssess: transform.Assess (both standards) over generated ratings and service events,
// beside one full scan of the same tables and columns (AssessVsScan).
func runAssess(ctx context.Context, s *state) error {
	dsn, err := withDatabase(s.o.DSN, "_assess")
	if err != nil {
		return err
	}
	conn, err := store.Recreate(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	r, err := AssessVsScan(ctx, conn, AssessOptions{Ratings: s.o.AssessRows, ServiceEvents: s.o.AssessRows, Rounds: s.o.Runs, Generate: true, Compact: true})
	if err != nil {
		return err
	}
	s.logf("  %s", r)
	f := Figure{Name: "assess", Project: "transform.Assess, both standards", Value: r.Assess.Seconds(), Unit: "s",
		Baseline: "one full scan of the same tables (count() … WHERE on the same columns)", Base: r.Scan.Seconds(),
		Target: "≤ 3× the scan (ratio ≥ 0.33)", Runs: len(r.Assesses),
		Note: fmt.Sprintf("%d ratings + %d service events; assess = %.1f× the scan; queries at once: %d (the server's max_threads, as `cxstar assess`)", r.Ratings, r.ServiceEvents, r.Ratio, r.Parallel)}
	if f.Value > 0 {
		f.Ratio = f.Base / f.Value
	}
	s.add(f)
	c := Figure{Name: "assess, settled quarter", Project: "transform.Assess after `cxstar compact`", Value: r.CompactedAssess.Seconds(), Unit: "s",
		Baseline: f.Baseline, Base: r.CompactedScan.Seconds(), Target: f.Target, Runs: len(r.CompactedRuns),
		Note: fmt.Sprintf("the same rows after compact merged %d partitions in %.1f s (once a quarter); assess = %.1f× the scan", len(r.Merged), r.Compact.Seconds(), r.CompactedRatio)}
	if c.Value > 0 {
		c.Ratio = c.Base / c.Value
	}
	s.add(c)
	return nil
}
