package transform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/registry"
)

// TestCompareWithPreviousQuarter assesses 2026Q2 and then 2026Q3 of one agency (both stored) on the
// 18.16 server and on current ClickHouse, and checks the change and target of 2026Q3 read back from
// the run and from indicator_comparisons_latest. Worked by hand (min_n 4, 40 answers per question
// and quarter, answers 3 and 4 positive):
//
//   - satisfaction 30/40 = 75.0 → 12/40 = 30.0: pooled p = 42/80 = 0.525,
//     se = sqrt(0.525·0.475·(1/40 + 1/40)) = 0.111664, z = −0.45/0.111664 = −4.0300, p = 5.6·10⁻⁵.
//   - ease 20/40 = 50.0 → 21/40 = 52.5: pooled 41/80 = 0.5125, se = 0.111768,
//     z = 0.025/0.111768 = 0.2237, p = 0.823.
//   - Benjamini–Hochberg over these two: adjusted 2·5.6·10⁻⁵ = 1.1·10⁻⁴ (significant decline) and
//     0.823 (no significant change).
//   - Target for satisfaction 2026: 50.0. Wilson 12/40 at z = 1.96: centre (0.3 + 0.048020)/1.096040
//     = 0.317525, half 1.96·sqrt(0.21/40 + 3.8416/6 400)/1.096040 = 0.136780: 18.1–45.4, so 50.0 lies
//     above the interval: worse than target, deviation −20.0. Ease has no target.
func TestCompareWithPreviousQuarter(t *testing.T) {
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) { compareQuarters(t, e.Conn) })
	}
}

func compareQuarters(t *testing.T, conn driver.Conn) {
	ctx := context.Background()
	var l lines
	answers := func(q, question string, n int, at string) {
		for i := 0; i < 40; i++ {
			score := 1
			if i < n {
				score = 4
			}
			l.rating("", "a1", "person", fmt.Sprintf("%s-%s-%d", q, question, i), question, score, at, nil)
		}
	}
	answers("q2", "satisfaction", 30, "2026-05-12T10:00:00Z")
	answers("q2", "ease", 20, "2026-05-13T10:00:00Z")
	answers("q3", "satisfaction", 12, "2026-08-12T10:00:00Z")
	answers("q3", "ease", 21, "2026-08-13T10:00:00Z")
	loadLines(t, conn, "compare.jsonl", l)
	reg := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(reg, []byte("targets:\n  - {agency_id: a1, standard: people, indicator: satisfaction_positive_share, year: 2026, value: 50.0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Import(ctx, conn, reg, fixedNow); err != nil {
		t.Fatal(err)
	}
	bands := testBands(t, 4, 3)
	now := func() time.Time { return fixedNow }
	std := []metrics.Standard{metrics.People}
	if _, err := Assess(ctx, conn, Request{Quarter: "2026Q2", Standards: std, Bands: bands, Store: true, Now: now}); err != nil {
		t.Fatal(err)
	}
	run, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Standards: std, Bands: bands, Store: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]metrics.Result{}
	for _, r := range run.Scorecards[0].Agencies[0].Indicators {
		got[r.Code] = r
	}
	sat, ease := got["satisfaction_positive_share"], got["ease_positive_share"]
	if c := sat.Change; c == nil || c.Verdict != metrics.SignificantDecline || c.Delta.String() != "-45.0" || c.Test != metrics.ChangeTwoProportion {
		t.Errorf("satisfaction change %+v, want a significant decline of -45.0", c)
	} else {
		near(t, "satisfaction z", c.Z, -4.0300, 5e-4)
		near(t, "satisfaction adjusted p", c.Adjusted, 2*c.P, 1e-12)
	}
	if c := ease.Change; c == nil || c.Verdict != metrics.NoSignificantChange || c.Delta.String() != "2.5" {
		t.Errorf("ease change %+v, want no significant change of 2.5", c)
	} else {
		near(t, "ease z", c.Z, 0.2237, 5e-4)
	}
	if tc := sat.Target; tc == nil || tc.Flag != metrics.WorseThanTarget || tc.Deviation.String() != "-20.0" || sat.CIHigh.String() != "45.4" {
		t.Errorf("satisfaction target %+v (interval %s–%s), want worse than target by -20.0 (18.1–45.4)", tc, sat.CILow, sat.CIHigh)
	}
	if ease.Target != nil {
		t.Errorf("ease has a target: %+v", ease.Target)
	}
	if c := got["digital_touchpoint_nps"].Change; c == nil || c.Verdict != metrics.NoComparison {
		t.Errorf("NPS without answers: %+v, want no comparison", c)
	}
	var verdict, flag string
	var prev, delta, target *float64
	var num, den uint64
	if err := conn.QueryRow(ctx, `SELECT toString(verdict), toString(target_flag), prev_value, delta, target, num, den FROM indicator_comparisons_latest
WHERE quarter = '2026Q3' AND agency_id = 'a1' AND indicator = 'satisfaction_positive_share'`).Scan(&verdict, &flag, &prev, &delta, &target, &num, &den); err != nil {
		t.Fatal(err)
	}
	if verdict != "significant_decline" || flag != "worse_than_target" || prev == nil || *prev != 75 || delta == nil || *delta != -45 || target == nil || *target != 50 || num != 12 || den != 40 {
		t.Errorf("stored: %s %s prev %v delta %v target %v counts %d/%d", verdict, flag, deref(prev), deref(delta), deref(target), num, den)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s = %.6g, want %.6g (±%g)", what, got, want, tol)
	}
}

// TestPreviousQuarterOfficial reads the previous quarter as the next quarter's change does: the
// newest stored run, except for a closed quarter, whose official revision stays the reference even
// after a later recomputation (migration 043), on the 18.16 server and on current ClickHouse.
func TestPreviousQuarterOfficial(t *testing.T) {
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) { previousOfficial(t, e.Conn) })
	}
}

func previousOfficial(t *testing.T, conn driver.Conn) {
	ctx := context.Background()
	msk, _ := time.LoadLocation("Europe/Moscow")
	q2, _ := quarter.Parse("2026Q2", msk)
	q3, _ := quarter.Parse("2026Q3", msk)
	row := func(run string, at time.Time, num uint64) []any {
		v := float64(num) * 2.5 // num of 40 answers, in percent
		return []any{run, at, "2026Q2", q2.StartDate(), "people", "a1", "satisfaction_positive_share", &v, "assessed", uint64(40),
			num, uint64(40), uint64(0), uint64(0), nil, uint64(0), nil, "none", 0.0, 1.0, 1.0, "no_comparison", nil, nil, "", ""}
	}
	insert := `INSERT INTO indicator_comparisons (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator,
value, status, n, num, den, promoters, detractors, prev_value, prev_n, delta, test, z, p, p_adjusted, verdict, target, target_deviation, target_flag, target_load_id)`
	chtest.Insert(t, conn, insert, [][]any{row("closing", fixedNow, 30), row("recomputed", fixedNow.Add(time.Hour), 20)})
	read := func() string {
		prev, err := readPrevious(ctx, conn, &Run{Quarter: q3}, metrics.People, 1)
		if err != nil {
			t.Fatal(err)
		}
		r := prev["a1"]["satisfaction_positive_share"]
		return fmt.Sprintf("%s %d/%d", r.Value, r.Tally.Num, r.Tally.Den)
	}
	if got := read(); got != "50.0 20/40" {
		t.Errorf("open quarter: previous %s, want the newest run, 50.0 20/40", got)
	}
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)",
		[][]any{{"2026Q2", q2.StartDate(), uint32(1), fixedNow, "", "closing", "", []string{}, "", "", "[]"}})
	if got := read(); got != "75.0 30/40" {
		t.Errorf("closed quarter: previous %s, want the official run, 75.0 30/40", got)
	}
}
