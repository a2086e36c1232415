package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/transform"
)

// runCompact merges the parts of a closed quarter's assessment inputs (transform.Compact), on a
// single node or on one replica of each shard of a cluster.
func runCompact(ctx context.Context, args []string) error {
	fs := newFlagSet("compact", "compact [--quarter 2026Q3 | --all] [flags]\n\nMerges, once, the parts of the partitions that an assessment of the quarter reads with FINAL\n(client_service_events, rating_answers, followup_items, followups) and whose time has ended: later assessments of the quarter\nread one part per partition and take less CPU, with the same results. Run it when a quarter has\nsettled (assess --close runs it before closing), or nightly with --all; it is idempotent, and late events that arrive after it\nadd parts that the next run merges. ClickHouse needs free disk for a copy of the largest partition.")
	qdb := addTimedQuarterDBFlags(fs, "whose inputs to compact")
	all := envBool(fs, "all", "CXSTAR_COMPACT_ALL", false, "every partition of the inputs whose time has ended, whatever quarter reads it (a nightly job: after a month ends, its partitions are merged; late events are merged the night after)")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	req := transform.Request{Timezone: *qdb.tz}
	if *all && *qdb.quarter != "" {
		return fmt.Errorf("--all merges the ended partitions of every quarter: give it or --quarter, not both")
	}
	if !*all {
		q, err := qdb.resolve(nil, time.Now())
		if err != nil {
			return err
		}
		req.Quarter = q.String()
	}
	ctx, conn, done, err := qdb.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	return compactQuarter(ctx, conn, *qdb.dsn, req)
}

// compactQuarter runs transform.Compact for req on the data nodes of the database of dsn and
// prints each partition it merged.
func compactQuarter(ctx context.Context, conn driver.Conn, dsn string, req transform.Request) (err error) {
	defer func() {
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w (a large partition takes longer: raise --timeout, or run it again to go on where it stopped)", err)
		}
	}()
	nodes, local, closeNodes, err := store.DataNodes(ctx, conn, dsn)
	if err != nil {
		return err
	}
	defer closeNodes()
	merged, err := transform.Compact(ctx, nodes, local, req)
	for _, m := range merged {
		fmt.Fprintf(os.Stderr, "cxstar compact: %s\n", m)
	}
	if err != nil {
		return fmt.Errorf("compact %s: %w", req.Quarter, err)
	}
	if len(merged) == 0 {
		what := "any quarter"
		if req.Quarter != "" {
			what = req.Quarter
		}
		fmt.Fprintf(os.Stderr, "cxstar compact: nothing to merge for %s: each partition it reads has one part or has not ended yet\n", what)
	}
	return nil
}
