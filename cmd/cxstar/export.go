package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cxstar/cxstar/export"
)

const exportSynopsis = `export --quarter 2026Q3 --table TABLE --format parquet|arrow --out FILE [--all-runs] [--batch-rows N]
       cxstar export opendata --quarter 2026Q3 --out DIR [--k 10]

Streams one quarter of a table into an Apache Parquet or Arrow IPC file for data scientists, in
constant memory, with the ClickHouse column types preserved (see schemas/README.md, "Exports").
TABLE is one of: ` + "assessments, indicator_details, ratings, service_events, appeals, followup_items" + `.
Raw event tables are read with FINAL (each event once) and filtered on occurred_at; assessments
and indicator_details give the latest run per agency unless --all-runs.

'cxstar export opendata' writes the public open-data aggregates (CSV and JSON) per agency and
life situation with small-cell suppression; run 'cxstar export opendata --help'.`

func runExport(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "opendata" {
		return runExportOpendata(ctx, args[1:])
	}
	fs := newFlagSet("export", exportSynopsis)
	qdb := addQuarterDBFlags(fs, "to export")
	table := envString(fs, "table", "CXSTAR_EXPORT_TABLE", "assessments", "table: "+strings.Join(export.Tables, "|"))
	format := envString(fs, "format", "CXSTAR_EXPORT_FORMAT", "parquet", "file format: parquet|arrow")
	out := envString(fs, "out", "CXSTAR_EXPORT_OUT", "", "output file (default TABLE-QUARTER.parquet|.arrow in the current folder)")
	batch := envIntMin(fs, "batch-rows", "CXSTAR_EXPORT_BATCH_ROWS", export.DefaultBatchRows, 1, "rows per record batch / Parquet row group (memory is proportional to it)")
	allRuns := envBool(fs, "all-runs", "CXSTAR_EXPORT_ALL_RUNS", false, "assessments/indicator_details: every stored run, not only the latest")
	var f export.Format
	fs.check(func() (err error) { f, err = export.ParseFormat(*format); return err })
	q, conn, err := qdb.parseOpen(ctx, fs, args)
	if err != nil {
		return err
	}
	defer conn.Close()
	path := *out
	if path == "" {
		path = fmt.Sprintf("%s-%s.%s", *table, q, f)
	}
	opts := []export.Option{export.WithBatchRows(*batch)}
	if *allRuns {
		opts = append(opts, export.WithAllRuns())
	}
	start := time.Now()
	last := start
	opts = append(opts, export.WithProgress(func(st export.Stats) {
		if time.Since(last) >= 2*time.Second {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "… %d rows, %d bytes\n", st.Rows, st.Bytes)
		}
	}))
	st, err := export.ToFile(ctx, conn, *table, q, f, path, opts...)
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("wrote %s: %d rows, %d batches, %d bytes in %s (%.0f rows/s)\n",
		path, st.Rows, st.Batches, st.Bytes, el.Round(time.Millisecond), float64(st.Rows)/max(el.Seconds(), 1e-9))
	return nil
}

func runExportOpendata(ctx context.Context, args []string) error {
	fs := newFlagSet("export opendata", `export opendata --quarter 2026Q3 --out DIR [--k 10]

Writes DIR/opendata-QUARTER.csv and .json: respondents, ratings and per-question results
(satisfaction and ease: % positive; NPS) per agency × life situation and per agency, from the
ratings table (each event once), with small-cell suppression: no published figure rests on fewer
than k respondents, and cells that could be recovered from the agency total are suppressed too
(see schemas/README.md, "Open data", and the rule text inside the JSON).`)
	qdb := addQuarterDBFlags(fs, "to publish")
	out := envString(fs, "out", "CXSTAR_OPENDATA_OUT", "opendata", "output folder (created when missing)")
	k := envIntMin(fs, "k", "CXSTAR_OPENDATA_K", export.DefaultK, 1, "minimum respondents behind any published figure")
	q, conn, err := qdb.parseOpen(ctx, fs, args)
	if err != nil {
		return err
	}
	defer conn.Close()
	paths, od, err := export.WriteOpenData(ctx, conn, q, int64(*k), *out)
	if err != nil {
		return err
	}
	suppressed := 0
	for _, c := range od.Cells {
		if c.Suppressed != "" {
			suppressed++
		}
	}
	fmt.Printf("wrote %s: %d rows (%d suppressed, k = %d)\n", strings.Join(paths, " and "), len(od.Cells), suppressed, *k)
	return nil
}
