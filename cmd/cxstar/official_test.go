package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/assessjson"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/transform"
)

// TestOfficialFlagsEnv: --close, --reason and --revision take their defaults from CXSTAR_CLOSE,
// CXSTAR_REASON and CXSTAR_REVISION, and a flag on the command line wins over the environment.
func TestOfficialFlagsEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		close    bool
		reason   string
		revision string
	}{
		{"defaults", nil, nil, false, "", ""},
		{"env", map[string]string{"CXSTAR_CLOSE": "true", "CXSTAR_REASON": "late appeals", "CXSTAR_REVISION": "2"}, nil, true, "late appeals", "2"},
		{"flags win", map[string]string{"CXSTAR_CLOSE": "true", "CXSTAR_REASON": "late appeals"}, []string{"--close=false", "--reason", "registry fix"}, false, "registry fix", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"CXSTAR_CLOSE", "CXSTAR_REASON", "CXSTAR_REVISION"} {
				t.Setenv(k, "") // restored after the test
				if v, ok := tc.env[k]; ok {
					t.Setenv(k, v)
				} else {
					os.Unsetenv(k)
				}
			}
			fs := newFlagSet("assess", "assess")
			f := addOfficialFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if *f.close != tc.close || *f.reason != tc.reason || *f.revision != tc.revision {
				t.Errorf("close %v reason %q revision %q, want %v %q %q", *f.close, *f.reason, *f.revision, tc.close, tc.reason, tc.revision)
			}
		})
	}
}

// TestAssessClosedQuarter runs `cxstar assess` as a user would: close 2026Q3, load late answers and
// a superseding one, read the quarter (JSON: the official values under the usual keys, the exact
// difference and late count beside them; table: the same official line and the pending revision),
// publish revision 2 with a reason and read revision 1 back. Satisfaction of po-a: 30 positive of
// 40 = 75.0 % 3★; after 8 negative late answers and c1's 4 → 1, 29 of 48 = 60.4 % 2★.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestAssessClosedQuarter(t *testing.T) {
	conn, dsn := chtest.DB(t)
	ctx := context.Background()
	const insert = `INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)`
	at := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	rating := func(id, client, request string, score uint8, occurred, ingested time.Time) []any {
		return []any{id, occurred, "po-a", "person", client, "satisfaction", score, "svc", request, "", "", "portal", ingested, "test"}
	}
	var rows [][]any
	before := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := 1; i <= 40; i++ {
		score := uint8(4 - i%2)
		if i > 30 {
			score = uint8(1 + i%2)
		}
		rows = append(rows, rating(fmt.Sprintf("e%d", i), fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", i), score, at, before))
	}
	// Two inserts, two parts of the quarter's partition of rating_answers: --close merges them.
	chtest.Insert(t, conn, insert, rows[:20])
	chtest.Insert(t, conn, insert, rows[20:])
	assess := func(args ...string) string {
		t.Helper()
		out, err := stdout(t, func() error {
			return runAssess(ctx, append([]string{"--clickhouse", dsn, "--quarter", "2026Q3", "--lang", "en"}, args...))
		})
		if err != nil {
			t.Fatalf("assess %v: %v", args, err)
		}
		return out
	}
	sat := regexp.MustCompile(`(?m)^P-T1-5 +Satisfaction with services +([0-9.]+) +([0-9]) `)
	satOf := func(out string) string {
		t.Helper()
		m := sat.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no satisfaction line in:\n%s", out)
		}
		return m[1] + " " + m[2] + "★"
	}

	closed := assess("--close")
	if !strings.HasPrefix(closed, "2026Q3: official revision 1 of [1], closed ") || satOf(closed) != "75.0 3★" {
		t.Fatalf("close printed:\n%s", closed)
	}
	if parts := chtest.Strings(t, conn, "SELECT toString(count()) FROM system.parts WHERE database = currentDatabase() AND table = 'rating_answers' AND partition_id = '20260701' AND active"); fmt.Sprint(parts) != "[1]" {
		t.Errorf("--close left %v parts in the quarter's partition of rating_answers, want 1 (compacted first)", parts)
	}

	// ingested_at of the late answers: a whole second after closing (closed_at has whole seconds).
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	late := time.Now().UTC().Truncate(time.Second)
	rows = nil
	for i := 41; i <= 48; i++ {
		rows = append(rows, rating(fmt.Sprintf("e%d", i), fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", i), 1, at, late))
	}
	rows = append(rows, rating("e1-again", "c1", "r1", 1, at.Add(time.Hour), late))
	chtest.Insert(t, conn, insert, rows)

	// JSON: the official values under the usual keys, the pending revision beside them.
	js := assess("--format", "json", "--standard", "people")
	doc := assessjson.Decode(t, []byte(js))
	got := "none"
	if v, l := doc.Indicator("po-a", "satisfaction_positive_share"); v != nil && l != nil {
		got = fmt.Sprintf("%.1f %d★", *v, *l)
	}
	d := doc.Pending.Differences
	if doc.Standard != "people" || got != "75.0 3★" || doc.Official.Revision != 1 || len(d) != 1 ||
		fmt.Sprintf("%s %s %.1f/%d → %.1f/%d %v", d[0].AgencyID, d[0].Indicator, d[0].OldValue, d[0].OldLevel, d[0].NewValue, d[0].NewLevel, d[0].Why) !=
			"po-a satisfaction_positive_share 75.0/3 → 60.4/2 [ratings: 9 event(s) of this agency arrived after closing]" ||
		fmt.Sprint(doc.Pending.Late) != "[{po-a ratings 9}]" {
		t.Errorf("JSON after the late load: %s", js)
	}

	// Table: the official part printed exactly as at closing, then the pending revision.
	table := assess()
	official, pending, ok := strings.Cut(table, "\nPending revision: ")
	if !ok || official != closed ||
		!strings.Contains(pending, "people po-a satisfaction_positive_share: 75.0 (3★) → 60.4 (2★); ratings: 9 event(s) of this agency arrived after closing\n") {
		t.Errorf("table after the late load:\n%s\nat closing:\n%s", table, closed)
	}
	// That whole-quarter read recorded the check for the dashboards.
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM official_pending_latest WHERE agency_id = 'po-a' AND (kind = 'late' AND events = 9 OR kind = 'difference' AND new_level = 2)").Scan(&n); err != nil || n != 2 {
		t.Errorf("official_pending_latest: %d matching rows (%v), want 2", n, err)
	}

	if _, err := stdout(t, func() error {
		return runAssess(ctx, []string{"--clickhouse", dsn, "--quarter", "2026Q3", "--close"})
	}); err == nil || !strings.Contains(err.Error(), "needs --reason") {
		t.Errorf("a second --close without --reason: %v", err)
	}
	t.Setenv("CXSTAR_REASON", "late survey batch")
	rev2 := assess("--close")
	if !strings.HasPrefix(rev2, "2026Q3: official revision 2 of [1 2], closed ") || !strings.Contains(rev2, "(late survey batch)\n") || satOf(rev2) != "60.4 2★" {
		t.Errorf("revision 2 printed:\n%s", rev2)
	}
	os.Unsetenv("CXSTAR_REASON")
	if rev1 := assess("--revision", "1"); !strings.HasPrefix(rev1, "2026Q3: official revision 1 of [1 2], closed ") || satOf(rev1) != "75.0 3★" {
		t.Errorf("revision 1 read back:\n%s", rev1)
	}
	if now := assess(); !strings.HasSuffix(now, "No pending revision: a recomputation on today's data gives the official values.\n") {
		t.Errorf("after revision 2:\n%s", now)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM official_pending_latest").Scan(&n); err != nil || n != 0 {
		t.Errorf("official_pending_latest after revision 2: %d rows (%v), want none", n, err)
	}
}

// TestAssessParallel: --parallel 3 runs the queries at once with the services query in six parts (as many as service groups allow: two here)
// and prints what one query after the other prints. Two agencies with the same client and service:
// a1 has 1 repeat of 2 requests submitted in 2026Q3 (50.0 %), a3 2 of 3 (66.7 %).
func TestAssessParallel(t *testing.T) {
	conn, dsn := chtest.DB(t)
	const insert = "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)"
	ev := func(id, agency, request, status, day string) []any {
		at, _ := time.Parse(time.RFC3339, "2026-07-"+day+"T10:00:00Z")
		return []any{id, at, agency, "person", "c1", request, "sA", "service", status, "portal", "", "", "", uint8(0), at, "test"}
	}
	var rows [][]any
	for _, ag := range []string{"a1", "a3"} {
		rows = append(rows, ev(ag+"1", ag, "r1", "submitted", "10"), ev(ag+"2", ag, "r1", "completed", "12"), ev(ag+"3", ag, "r2", "submitted", "20"))
	}
	rows = append(rows, ev("a34", "a3", "r3", "submitted", "21"))
	chtest.Insert(t, conn, insert, rows)
	assess := func(parallel string) string {
		t.Helper()
		out, err := stdout(t, func() error {
			return runAssess(context.Background(), []string{"--clickhouse", dsn, "--quarter", "2026Q3", "--standard", "people", "--lang", "en", "--no-store", "--parallel", parallel})
		})
		if err != nil {
			t.Fatalf("assess --parallel %s: %v", parallel, err)
		}
		return out
	}
	one, three, auto := assess("1"), assess("3"), assess("0")
	rate := regexp.MustCompile(`(?m)^P-T1-3 +.* +(50\.0|66\.7) `)
	if n := len(rate.FindAllString(one, -1)); n != 2 {
		t.Errorf("one query after the other: %d repeat-rate lines of 50.0 or 66.7, want 2 (a1, a3):\n%s", n, one)
	}
	if one != three {
		t.Errorf("--parallel 3 printed\n%s\nwant what --parallel 1 printed:\n%s", three, one)
	}
	if one != auto {
		t.Errorf("--parallel 0 (the server's max_threads) printed\n%s\nwant what --parallel 1 printed:\n%s", auto, one)
	}
	// More queries at once than cxstar opens connections is refused before anything runs.
	err := runAssess(context.Background(), []string{"--clickhouse", dsn, "--quarter", "2026Q3", "--parallel", strconv.Itoa(transform.MaxParallel + 1)})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("at most %d", transform.MaxParallel)) {
		t.Errorf("assess --parallel %d: %v, want an error naming the limit %d", transform.MaxParallel+1, err, transform.MaxParallel)
	}
}
