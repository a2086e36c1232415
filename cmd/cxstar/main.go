// Command cxstar validates and lands client-experience events of government agencies in
// ClickHouse, computes the indicators of the standards «Государство для людей» and
// «Государство для бизнеса», assigns star levels, and publishes dashboards and reports.
//
// Usage: cxstar COMMAND [flags]; cxstar COMMAND --help describes each command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/cxstar/cxstar/internal/secret"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands is the dispatch table; each command lives in its own file of this folder.
var commands = []command{
	{"migrate", "create the database and apply missing schema migrations", runMigrate},
	{"backfill", "load JSON Lines files of events (or directories, .gz too) into ClickHouse", runBackfill},
	{"assess", "compute indicators and star levels of a quarter, store them in assessments and print them", runAssess},
	{"compact", "merge the parts of a settled quarter's assessment inputs once, so that its assessments read less", runCompact},
	{"registry", "registry import FILE: load client scenarios and capability declarations", runRegistry},
	{"priorities", "rank an agency's life situations (and services, segments, channels) by where its shortfall comes from", runPriorities},
	{"export", "stream a quarter of a table to Parquet/Arrow, or write open data (export opendata)", runExport},
	{"report", "write the Project Office quarterly report as one self-contained HTML file", runReport},
	{"simulate", "generate realistic, deterministic event data for N agencies over M quarters (JSON Lines)", runSimulate},
	{"demo", "the whole pipeline on simulated data: ClickHouse, broker, simulate, ingest, assess, dashboards, report (no flags needed)", runDemo},
	{"bench", "run the benchmark suite (each figure beside a same-run baseline) and write BENCHMARKS.md", runBench},
	{"ingest", "consume the Kafka event topics into ClickHouse (offsets committed after each stored batch)", runIngest},
	{"broker", "run an embedded Kafka-protocol broker with the project's topics (laptops, demo, tests)", runBroker},
	{"produce", "publish JSON Lines files of events to their Kafka topics", runProduce},
	{"dashboards", "Grafana dashboards: push (org per agency, idempotent), render (JSON + provisioning), tenants", runDashboards},
	{"readability", "score the readability of Russian texts against a segment's limits; `serve`: over HTTP; `coverage`: stored replies, P-T2-4", runReadability},
}

func usage() {
	fmt.Fprintf(os.Stderr, "cxstar: client-centricity indicators of government agencies\n\nUsage: cxstar COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'cxstar COMMAND --help' for a command's flags. Every flag has a CXSTAR_… environment fallback.\n")
}

func main() {
	// Passwords from the environment and DSNs on the command line are known before anything is
	// printed; logs and errors pass through the redaction of package secret.
	secret.RegisterEnviron(os.Environ())
	secret.RegisterArgs(os.Args[1:])
	level, err := logLevel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cxstar: %v\n", err)
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(secret.Writer(os.Stderr), &slog.HandlerOptions{Level: level})))
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	name := os.Args[1]
	for _, c := range commands {
		if c.name != name {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := c.run(ctx, os.Args[2:])
		stop()
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "cxstar %s: %v\n", name, secret.Error(err))
			os.Exit(1)
		}
		return
	}
	fmt.Fprintf(os.Stderr, "cxstar: unknown command %q\n\n", name)
	usage()
	os.Exit(2)
}

// logLevel reads CXSTAR_LOG_LEVEL: info when unset, and an error naming the variable when it is
// not a level.
func logLevel() (slog.Level, error) {
	v := os.Getenv("CXSTAR_LOG_LEVEL")
	if v == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		return l, fmt.Errorf("CXSTAR_LOG_LEVEL=%q is not debug, info, warn or error: correct or unset it", v)
	}
	return l, nil
}
