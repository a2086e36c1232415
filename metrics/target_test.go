package metrics

import "testing"

// TestCheckTarget checks the target rule on the bounds of a value's published interval.
//
// Satisfaction 540 of 1 000 answers: value 54.0; Wilson at z = 1.96, p = 0.54, n = 1 000:
// centre (0.54 + 1.96²/2 000)/(1 + 1.96²/1 000) = 0.541921/1.003842 = 0.539847, half width
// 1.96·sqrt(0.54·0.46/1 000 + 1.96²/4 000 000)/1.003842 = 1.96·0.015791/1.003842 = 0.030831,
// so the interval is 0.509016…0.570678, published as 50.9–57.1.
// Repeat requests 30 of 1 000 (a census share, no interval, lower is better): value 3.0.
func TestCheckTarget(t *testing.T) {
	b, err := DefaultBands(People)
	if err != nil {
		t.Fatal(err)
	}
	cat := DefaultCatalog()
	sat, _ := cat.Lookup(People, "satisfaction_positive_share")
	rep, _ := cat.Lookup(People, "repeat_request_rate")
	satR := b.Evaluate(sat, Input{Num: 540, Den: 1000})
	if satR.Value.String() != "54.0" || satR.CILow.String() != "50.9" || satR.CIHigh.String() != "57.1" {
		t.Fatalf("satisfaction 540/1000 = %s (%s–%s), want 54.0 (50.9–57.1)", satR.Value, satR.CILow, satR.CIHigh)
	}
	repR := b.Evaluate(rep, Input{Num: 30, Den: 1000})
	if repR.Value.String() != "3.0" || repR.CILow != nil || repR.Status != Assessed {
		t.Fatalf("repeat 30/1000 = %s, interval %v, %s; want 3.0 without interval, assessed", repR.Value, repR.CILow, repR.Status)
	}
	small := b.Evaluate(sat, Input{Num: 10, Den: 20}) // below min_n 30: not assessed
	tests := []struct {
		name      string
		ind       *Indicator
		r         Result
		target    string
		flag      TargetFlag
		deviation string
	}{
		{"target on the lower bound", sat, satR, "50.9", WithinInterval, "3.1"},
		{"target just inside the lower bound", sat, satR, "51.0", WithinInterval, "3.0"},
		{"target just below the interval: value above it", sat, satR, "50.8", BetterThanTarget, "3.2"},
		{"target on the upper bound", sat, satR, "57.1", WithinInterval, "-3.1"},
		{"target just inside the upper bound", sat, satR, "57.0", WithinInterval, "-3.0"},
		{"target just above the interval: value below it", sat, satR, "57.2", WorseThanTarget, "-3.2"},
		{"target with more decimals, just outside", sat, satR, "57.15", WorseThanTarget, "-3.15"},
		{"census value equal to the target", rep, repR, "3.0", WithinInterval, "0.0"},
		{"census value below the target, lower is better", rep, repR, "3.1", BetterThanTarget, "-0.1"},
		{"census value above the target, lower is better", rep, repR, "2.9", WorseThanTarget, "0.1"},
		{"value not assessed", sat, small, "50.0", TargetNotCompared, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckTarget(tc.ind, tc.r, MustParseDecimal(tc.target), "L1")
			dev := ""
			if got.Deviation != nil {
				dev = got.Deviation.String()
			}
			if got.Flag != tc.flag || dev != tc.deviation || got.LoadID != "L1" || got.Target.String() != tc.target {
				t.Errorf("target %s: %s, deviation %q; want %s, %q", tc.target, got.Flag, dev, tc.flag, tc.deviation)
			}
			if got.Flag.Flagged() != (tc.flag == BetterThanTarget || tc.flag == WorseThanTarget) {
				t.Errorf("Flagged() = %v for %s", got.Flag.Flagged(), got.Flag)
			}
		})
	}
	if l := WorseThanTarget.Label(RU); l != "хуже цели" {
		t.Errorf("Russian label %q", l)
	}
}

// TestCompareResults compares stored results (value, n and the counts kept in Tally), as the
// assessment does with the previous quarter read back from ClickHouse. One indicator per case, so
// Benjamini–Hochberg leaves p as it is (m = 1). The worked numbers are those of TestNPSDifference.
func TestCompareResults(t *testing.T) {
	b, err := DefaultBands(People)
	if err != nil {
		t.Fatal(err)
	}
	nps, _ := DefaultCatalog().Lookup(People, "digital_touchpoint_nps")
	tests := []struct {
		name      string
		prev, cur Input
		delta     string
		z         float64
		verdict   Verdict
	}{
		// 18/8 → 19/8 of 40: NPS 25.0 → 27.5, z = 0.1451, p = 0.885.
		{"2.5 points on n = 40", Input{Promoters: 18, Detractors: 8, N: 40}, Input{Promoters: 19, Detractors: 8, N: 40}, "2.5", 0.1451, NoSignificantChange},
		// 900/500 → 1 040/400 of 2 000: NPS 20.0 → 32.0, z = 4.7479, p = 2.06e-6.
		{"12 points on n = 2000", Input{Promoters: 900, Detractors: 500, N: 2000}, Input{Promoters: 1040, Detractors: 400, N: 2000}, "12.0", 4.7479, SignificantImprovement},
		{"12 points down on n = 2000", Input{Promoters: 1040, Detractors: 400, N: 2000}, Input{Promoters: 900, Detractors: 500, N: 2000}, "-12.0", -4.7479, SignificantDecline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Read back as stored: only value, status, n and the tally survive.
			strip := func(r Result) Result {
				return Result{Code: r.Code, Value: r.Value, N: r.N, Status: r.Status, Tally: r.Tally}
			}
			prev := map[string]Result{nps.Code: strip(b.Evaluate(nps, tc.prev))}
			cur := map[string]Result{nps.Code: strip(b.Evaluate(nps, tc.cur))}
			got := CompareResults([]*Indicator{nps}, prev, cur, 0)
			if len(got) != 1 {
				t.Fatalf("%d changes", len(got))
			}
			c := got[0]
			if c.Delta == nil || c.Delta.String() != tc.delta || c.Verdict != tc.verdict || c.Test != ChangeNPSDifference {
				t.Errorf("%+v: want delta %s, %s", c, tc.delta, tc.verdict)
			}
			near(t, "z", c.Z, tc.z, 5e-4)
			near(t, "adjusted", c.Adjusted, c.P, 1e-15)
		})
	}
}
