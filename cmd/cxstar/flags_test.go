package main

import (
	"flag"
	"testing"
	"time"
)

// TestDefaultQuarter: assess, report and export resolve --quarter and --tz with quarterFlags, so
// in the first hours of a quarter they all pick the quarter that has just ended in the band file's
// time zone (Moscow, UTC+3), or in --tz when it is set.
func TestDefaultQuarter(t *testing.T) {
	for _, tc := range []struct {
		now, quarter, tz string
		want             string
		startUTC         string
	}{
		{"2026-09-30T20:59:59Z", "", "", "2026Q2", "2026-03-31T21:00:00Z"},
		{"2026-09-30T21:00:00Z", "", "", "2026Q3", "2026-06-30T21:00:00Z"},
		{"2026-09-30T22:30:00Z", "", "UTC", "2026Q2", "2026-04-01T00:00:00Z"},
		{"2026-10-01T00:00:00Z", "", "UTC", "2026Q3", "2026-07-01T00:00:00Z"},
		{"2026-09-30T22:30:00Z", "2025q4", "", "2025Q4", "2025-09-30T21:00:00Z"},
	} {
		fs := flag.NewFlagSet("assess", flag.ContinueOnError)
		qf := addQuarterFlags(fs, "to assess")
		if err := fs.Parse([]string{"--quarter", tc.quarter, "--tz", tc.tz}); err != nil {
			t.Fatal(err)
		}
		now, _ := time.Parse(time.RFC3339, tc.now)
		q, err := qf.resolve(nil, now)
		if err != nil {
			t.Fatalf("at %s: %v", tc.now, err)
		}
		if got := q.Start().UTC().Format(time.RFC3339); q.String() != tc.want || got != tc.startUTC {
			t.Errorf("at %s (--quarter %q --tz %q): %s starting %s, want %s starting %s", tc.now, tc.quarter, tc.tz, q, got, tc.want, tc.startUTC)
		}
	}
	fs := flag.NewFlagSet("assess", flag.ContinueOnError)
	qf := addQuarterFlags(fs, "to assess")
	_ = fs.Parse([]string{"--tz", "Mars/Olympus"})
	if _, err := qf.resolve(nil, time.Now()); err == nil {
		t.Error("--tz Mars/Olympus accepted")
	}
}
