package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cxstar/cxstar/bench"
)

// benchUsage is the synopsis and description of `cxstar bench --help`.
const benchUsage = `bench [flags]

Runs the benchmark suite: each figure beside a baseline measured in the same run on the same data
(simulate and validation vs encoding/json, backfill vs the raw ClickHouse insert, Kafka ingest vs the raw
ClickHouse insert and the raw kafka-go consume, assess vs a full scan, peak RSS of ingest),
medians of --runs runs. Prints a table and writes it into BENCHMARKS.md with the machine and date
(a run with --only writes no file unless --out names one).
Needs ClickHouse (scripts/clickhouse.sh up); it empties its own scratch database.`

func runBench(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", benchUsage)
	dsn := envString(fs, "clickhouse", "CXSTAR_BENCH_CLICKHOUSE", bench.DefaultDSN, "ClickHouse DSN of the scratch database (emptied!)")
	runs := envInt(fs, "runs", "CXSTAR_BENCH_RUNS", 3, "runs per figure; the median is reported")
	events := envInt(fs, "events", "CXSTAR_BENCH_EVENTS", 300_000, "events of the validation and backfill figures")
	kafkaEvents := envInt(fs, "kafka-events", "CXSTAR_BENCH_KAFKA_EVENTS", 1_000_000, "backlog of the Kafka ingest figure")
	assessRows := envInt(fs, "assess-rows", "CXSTAR_BENCH_ASSESS_ROWS", 10_000_000, "ratings and service events (each) of the assessment figure")
	out := envString(fs, "out", "CXSTAR_BENCH_OUT", "BENCHMARKS.md", "file to write the results into (between its markers; empty: none); with --only, none unless this flag is given, so that a partial run does not replace the whole suite's table")
	profile := envString(fs, "profile", "CXSTAR_BENCH_PROFILE", "", "directory for CPU profiles of the project's figures (go tool pprof)")
	only := envString(fs, "only", "CXSTAR_BENCH_ONLY", "", "comma-separated words: run only the figures whose name contains one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := bench.Options{DSN: *dsn, Runs: *runs, Events: *events, KafkaEvents: *kafkaEvents, AssessRows: int64(*assessRows), ProfileDir: *profile, Log: os.Stderr}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Println()
	if err := rep.WriteTable(os.Stdout); err != nil {
		return err
	}
	if *only != "" && !flagOrEnvSet(fs, "out", "CXSTAR_BENCH_OUT") {
		fmt.Printf("%s not written: --only measured part of the suite (--out FILE writes it)\n", *out)
	} else if *out != "" {
		if err := rep.WriteFile(*out); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", *out)
	}
	return nil
}
