package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/store"
)

// backfillUsage is the synopsis and description of `cxstar backfill --help`.
const backfillUsage = `backfill [flags] PATH...

Loads JSON Lines files of service_event.v1, rating.v1 and appeal.v1 events (files or directories;
.jsonl/.ndjson/.json, gzipped too) through the same validation and insert path as ` + "`cxstar ingest`" + `.
Rejected lines go to the rejects file with line number, code and reason. Loading the same files
twice changes no indicator: an event_id is stored once.`

func runBackfill(ctx context.Context, args []string) error {
	fs := newFlagSet("backfill", backfillUsage)
	dsn := clickhouseFlag(fs)
	rejectsPath := envString(fs, "rejects", "CXSTAR_REJECTS", "cxstar-rejects.jsonl", "file for rejected lines (JSON Lines: file, line, code, field, reason, raw)")
	batch := envIntMin(fs, "batch-rows", "CXSTAR_BATCH_ROWS", ingest.DefaultBatchRows, 1, "events per ClickHouse insert")
	attempts := envInt(fs, "attempts", "CXSTAR_INSERT_ATTEMPTS", ingest.DefaultLoadAttempts, "tries per insert before giving up (capped exponential backoff)")
	fs.check(func() error { return ingest.CheckWriter(ingest.WithMaxAttempts(*attempts)) })
	progress := progressFlag(fs)
	if err := fs.parsePaths(args, "load"); err != nil {
		return err
	}
	conn, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := store.MigrateAuto(ctx, conn, *dsn); err != nil {
		return err
	}
	rf, err := os.Create(*rejectsPath)
	if err != nil {
		return fmt.Errorf("create rejects file (choose another with --rejects): %w", err)
	}
	defer rf.Close()
	rw := bufio.NewWriter(rf)
	opts := []ingest.LoaderOption{ingest.WithBatchRows(*batch), ingest.WithRejects(rw)}
	start := time.Now()
	if *progress > 0 {
		opts = append(opts, ingest.WithProgress(*progress, func(file string, done, size int64, st ingest.Stats) {
			pct := 100.0
			if size > 0 {
				pct = 100 * float64(done) / float64(size)
			}
			fmt.Fprintf(os.Stderr, "backfill: %s %5.1f%%  read %d  inserted %d  duplicate %d  rejected %d  (%.0f lines/s)\n",
				file, pct, st.Read, st.Inserted, st.Duplicate, st.Rejected, float64(st.Read)/time.Since(start).Seconds())
		}))
	}
	loader := ingest.NewLoader(ingest.NewValidator(), ingest.NewWriter(conn, ingest.WithMaxAttempts(*attempts)), opts...)
	st, err := loader.Load(ctx, fs.Args())
	if ferr := rw.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("write rejects file %s: %w", *rejectsPath, ferr)
	}
	elapsed := time.Since(start)
	fmt.Printf("files %d  read %d  inserted %d  duplicate %d  rejected %d  in %s (%.0f lines/s)\n",
		st.Files, st.Read, st.Inserted, st.Duplicate, st.Rejected, elapsed.Round(time.Millisecond), float64(st.Read)/elapsed.Seconds())
	if st.Rejected > 0 {
		fmt.Printf("rejected lines with their reasons: %s\n", *rejectsPath)
	}
	return err
}
