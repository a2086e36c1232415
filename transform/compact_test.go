package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/metrics"
)

// TestSettledRead: which partitions Compact merges for 2026Q2 (Moscow: 2026-03-31 21:00 UTC to
// 2026-06-30 21:00 UTC, repeat window from 2026-03-03 21:00 UTC), by hand from the queries' reads.
func TestSettledRead(t *testing.T) {
	qs := time.Date(2026, 3, 31, 21, 0, 0, 0, time.UTC)
	qe := time.Date(2026, 6, 30, 21, 0, 0, 0, time.UTC)
	lookback := qs.Add(-28 * 24 * time.Hour)
	august := time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC)
	services, ratings := compactInputs[0], compactInputs[1]
	for _, tc := range []struct {
		in   compactInput
		id   string
		now  time.Time
		want bool
	}{
		{services, "202602", august, false},                                        // ends before the repeat window
		{services, "202603", august, true},                                         // holds the repeat window's start
		{services, "202606", august, true},                                         // the quarter's last month
		{services, "202607", august, false},                                        // after the quarter: not read
		{services, "202606", time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC), false}, // the quarter is over in Moscow, June (UTC) is not
		{services, "202606", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), true},    // June has just ended
		{ratings, "20260101", august, false},                                       // ends at the quarter start: not read
		{ratings, "20260401", august, true},
		{ratings, "20260701", august, false},                                       // read (later answers supersede) but not over
		{ratings, "20260701", time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), true}, // read and over
	} {
		got, err := tc.in.settledRead(tc.id, qs, qe, lookback, tc.now)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.in.table, tc.id, err)
		}
		if got != tc.want {
			t.Errorf("%s partition %s at %s: merged %v, want %v", tc.in.table, tc.id, tc.now.Format(time.RFC3339), got, tc.want)
		}
	}
	for _, tc := range []struct {
		in compactInput
		id string
	}{{services, "2026-06"}, {services, "20260601"}, {ratings, "20260501"}, {ratings, "202604"}} {
		if _, err := tc.in.settledRead(tc.id, qs, qe, lookback, august); err == nil {
			t.Errorf("%s: partition id %q accepted, want an error", tc.in.table, tc.id)
		}
	}
}

// TestCompact loads three inserts of events around 2026Q2 (so that partitions hold several parts),
// compacts 2026Q2 in August and checks on both engines: the assessment of 2026Q2 and 2026Q3 is the
// same before and after; every partition that 2026Q2 reads and that has ended holds one part;
// Compact merged no other partition; and a second run merges nothing. The data has a repeat request
// across the lookback month, and answers of 2026Q2 superseded by answers of 2026Q3 (whose
// partition is not over yet), so that a merge that changed what FINAL keeps would show.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	august := time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC)
	window := map[string]bool{
		"client_service_events 202603": true, "client_service_events 202604": true, "client_service_events 202605": true,
		"client_service_events 202606": true, "rating_answers 20260401": true, "followup_items 20260401": true,
		"followups 20260401": true,
	}
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) {
			for i := range 3 {
				var l lines
				c := fmt.Sprintf("c%d", i)
				r := func(s string) string { return fmt.Sprintf("r%d%s", i, s) }
				l.service("cp", "person", c, r("a"), "s1", "service", "submitted", "2026-02-10T10:00:00Z", nil)
				l.service("cp", "person", c, r("a"), "s1", "service", "completed", "2026-02-11T10:00:00Z", nil)
				l.service("cp", "person", c, r("b"), "s1", "service", "submitted", "2026-03-20T10:00:00Z", nil)
				l.service("cp", "person", c, r("b"), "s1", "service", "completed", "2026-03-25T10:00:00Z", nil)
				l.service("cp", "person", c, r("c"), "s1", "service", "submitted", "2026-04-10T10:00:00Z", nil) // a repeat of r…b
				l.service("cp", "person", c, r("c"), "s1", "service", "completed", "2026-04-12T10:00:00Z", nil)
				l.service("cp", "person", c, r("d"), "s2", "service", "submitted", "2026-05-25T10:00:00Z", nil)
				l.service("cp", "person", c, r("d"), "s2", "service", "completed", "2026-06-05T10:00:00Z", nil)
				l.service("cp", "person", c, r("e"), "s2", "service", "submitted", "2026-06-29T10:00:00Z", nil)
				l.service("cp", "person", c, r("e"), "s2", "service", "completed", "2026-07-03T10:00:00Z", nil)
				l.service("cp", "person", c, r("f"), "s1", "service", "submitted", "2026-08-01T10:00:00Z", nil)
				onC := map[string]any{"service_id": "s1", "request_id": r("c")}
				l.rating("", "cp", "person", c, "satisfaction", 1+i, "2026-05-10T10:00:00Z", onC)
				l.service("cp", "person", c, r("c"), "s1", "service", "followed_up", "2026-05-12T10:00:00Z", nil) // answers the detractor of May (i = 0, 1)
				if i == 0 {
					l.rating("", "cp", "person", c, "satisfaction", 4, "2026-07-20T10:00:00Z", onC) // supersedes the answer of May
				}
				l.rating("", "cp", "person", c, "nps", 6+2*i, "2026-06-10T10:00:00Z", map[string]any{"service_id": "s2"})
				loadLines(t, e.Conn, fmt.Sprintf("load-%d.jsonl", i), l)
			}
			now := func() time.Time { return august }
			before := assessJSON(t, e.Conn, now)
			merged, err := Compact(ctx, []driver.Conn{e.Conn}, func(t string) string { return t }, Request{Quarter: "2026Q2", Now: now})
			if err != nil {
				t.Fatalf("compact: %v", err)
			}
			for _, m := range merged {
				if !window[m.Table+" "+m.Partition] || m.Parts < 2 || m.After != 1 {
					t.Errorf("compact merged %s, want only partitions of several parts among %v", m, window)
				}
			}
			t.Logf("merged %d partitions", len(merged))
			for k := range window {
				var table, id string
				fmt.Sscan(k, &table, &id)
				if n := partsOf(t, e.Conn, table, id); n != 1 {
					t.Errorf("%s partition %s holds %d parts after compact, want 1", table, id, n)
				}
			}
			if after := assessJSON(t, e.Conn, now); after != before {
				t.Errorf("assessments changed by compact:\nbefore %s\nafter  %s", before, after)
			}
			// By hand, 2026Q2: each client's requests c, d and e are submitted in the quarter, c 16 days
			// after b's completion (March, the lookback) and e 24 days after d's: 6 repeats of 9.
			// Satisfaction: c0's answer of May is superseded in July; c1 (2) and c2 (3) count: 1 of 2.
			run, err := Assess(ctx, e.Conn, Request{Quarter: "2026Q2", Now: now, Standards: []metrics.Standard{metrics.People}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, a := range run.Scorecard(metrics.People).Agencies {
				for _, r := range a.Indicators {
					if r.Code == "repeat_request_rate" || r.Code == "satisfaction_positive_share" {
						got[a.AgencyID+" "+r.Code] = fmt.Sprintf("%d of %d", r.Tally.Num, r.Tally.Den)
					}
				}
			}
			want := map[string]string{"cp repeat_request_rate": "6 of 9", "cp satisfaction_positive_share": "1 of 2"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("2026Q2 after compact: %v, want %v", got, want)
			}
			again, err := Compact(ctx, []driver.Conn{e.Conn}, func(t string) string { return t }, Request{Quarter: "2026Q2", Now: now})
			if err != nil || len(again) != 0 {
				t.Errorf("a second compact merged %v (err %v), want nothing", again, err)
			}
			// Every quarter (cxstar compact --all): February and July have ended too, the third
			// quarter's answers have not.
			all, err := Compact(ctx, []driver.Conn{e.Conn}, func(t string) string { return t }, Request{Now: now})
			if err != nil {
				t.Fatalf("compact every quarter: %v", err)
			}
			for _, m := range all {
				if k := m.Table + " " + m.Partition; k != "client_service_events 202602" && k != "client_service_events 202607" {
					t.Errorf("compact of every quarter merged %s, want only February and July of client_service_events", m)
				}
			}
			for _, id := range []string{"202602", "202607"} {
				if n := partsOf(t, e.Conn, "client_service_events", id); n != 1 {
					t.Errorf("client_service_events partition %s holds %d parts after compact of every quarter, want 1", id, n)
				}
			}
			if after := assessJSON(t, e.Conn, now); after != before {
				t.Errorf("assessments changed by compact of every quarter:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// partsOf is the number of active parts of a partition of table.
func partsOf(t *testing.T, conn driver.Conn, table, id string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT toUInt64(count()) FROM system.parts WHERE database = currentDatabase() AND table = ? AND partition_id = ? AND active", table, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// assessJSON is every scorecard and drill-down row of 2026Q2 and 2026Q3, as sorted JSON lines.
func assessJSON(t *testing.T, conn driver.Conn, now func() time.Time) string {
	t.Helper()
	var out []string
	for _, q := range []string{"2026Q2", "2026Q3"} {
		run, err := Assess(context.Background(), conn, Request{Quarter: q, Now: now})
		if err != nil {
			t.Fatalf("assess %s: %v", q, err)
		}
		for _, v := range []any{run.Scorecards, run.Details} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, q+" "+string(b))
		}
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}
