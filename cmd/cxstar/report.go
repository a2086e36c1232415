package main

import (
	"context"
	"fmt"

	"github.com/cxstar/cxstar/report"
)

func runReport(ctx context.Context, args []string) error {
	fs := newFlagSet("report", `report --quarter 2026Q3 --out report.html [--lang ru|en] [--trend 4]

Writes the Project Office's quarterly report as one self-contained HTML file (inline CSS and SVG,
no scripts, no external assets): a summary of every agency's star level per indicator, one section
per agency (value, 95 % interval, n, band met, distance to the next band, trend over the last
quarters) and what could not be assessed and why. Reads assessments_latest.`)
	qdb := addQuarterDBFlags(fs, "to report")
	out := envString(fs, "out", "CXSTAR_REPORT_OUT", "report.html", "output HTML file")
	lang := envString(fs, "lang", "CXSTAR_LANG", "ru", "label language: ru|en")
	trend := envIntMin(fs, "trend", "CXSTAR_REPORT_TREND", report.DefaultTrendQuarters, 1, "quarters shown in the trend charts, the report quarter included")
	q, conn, err := qdb.parseOpen(ctx, fs, args)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := report.WriteFile(ctx, conn, q.String(), *lang, *out, report.WithTrendQuarters(*trend)); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%s, %s)\n", *out, q, *lang)
	return nil
}
