package metrics

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g (±%g)", what, got, want, tol)
	}
}

// The worked numbers below are computed by hand from the formulas, the normal tail from a table
// of Φ (Φ(2.2646) = 0.98823, Φ(1.8964) = 0.97105).
func TestTwoProportionZ(t *testing.T) {
	tests := []struct {
		name           string
		x1, n1, x2, n2 int64
		z, p           float64
	}{
		// p = 135/200 = 0.675, se = sqrt(0.675·0.325·(1/100 + 1/100)) = sqrt(0.0043875) = 0.066238,
		// z = (0.75 − 0.60)/0.066238 = 2.2646, p = 2·(1 − 0.98823) = 0.02354.
		{"60 % → 75 % on 100 each", 60, 100, 75, 100, 2.2646, 0.02354},
		// p = 862/2000 = 0.431, se = sqrt(0.431·0.569·0.002) = 0.022147,
		// z = 0.042/0.022147 = 1.8964, p = 2·(1 − 0.97105) = 0.0579: not significant at 0.05.
		{"41.0 % → 45.2 % on 1000 each", 410, 1000, 452, 1000, 1.8964, 0.0579},
		{"a decline is negative", 75, 100, 60, 100, -2.2646, 0.02354},
		{"both 100 %: no difference", 50, 50, 80, 80, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z, p, err := TwoProportionZ(tc.x1, tc.n1, tc.x2, tc.n2)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "z", z, tc.z, 5e-4)
			near(t, "p", p, tc.p, 5e-4)
		})
	}
	if _, _, err := TwoProportionZ(1, 0, 1, 1); err == nil {
		t.Error("n1 = 0 accepted")
	}
	if _, _, err := TwoProportionZ(5, 4, 1, 1); err == nil {
		t.Error("x1 > n1 accepted")
	}
}

func TestNPSDifference(t *testing.T) {
	tests := []struct {
		name             string
		prev, cur        NPSSample
		diff, se, z, p   float64
		significantAt005 bool
	}{
		// Var = (p+ + p− − (p+ − p−)²)/n: prev (0.45 + 0.25 − 0.04)/40 = 0.0165,
		// cur (0.46 + 0.25 − 0.0441)/40 = 0.0166475; se = sqrt(0.0331475) = 0.182065 (18.21 points),
		// z = 0.01/0.182065 = 0.0549, p = 0.956: a 1-point change on n = 40 is noise.
		{"1 point on n = 40", NPSSample{0.45, 0.25, 40}, NPSSample{0.46, 0.25, 40}, 1, 18.2065, 0.0549, 0.956, false},
		// With counts n = 40 moves in steps of 2.5 points: 18/8 → 19/8 of 40 (NPS 25 → 27.5):
		// prev (0.45 + 0.2 − 0.0625)/40 = 0.0146875, cur (0.475 + 0.2 − 0.075625)/40 = 0.0149844;
		// se = 0.172255, z = 0.025/0.172255 = 0.1451, p = 0.885.
		{"2.5 points on n = 40", NPSSample{18.0 / 40, 8.0 / 40, 40}, NPSSample{19.0 / 40, 8.0 / 40, 40}, 2.5, 17.2255, 0.1451, 0.885, false},
		// prev 900/500 of 2000 (NPS 20): Var (0.70 − 0.04)/2000 = 0.00033; cur 1040/400 of 2000
		// (NPS 32): (0.72 − 0.1024)/2000 = 0.0003088; se = sqrt(0.0006388) = 0.025274,
		// z = 0.12/0.025274 = 4.7479, p = 2.06e-6.
		{"12 points on n = 2000", NPSSample{0.45, 0.25, 2000}, NPSSample{0.52, 0.20, 2000}, 12, 2.5274, 4.7479, 2.06e-6, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diff, se, z, p, err := NPSDifference(tc.prev, tc.cur)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "diff", diff, tc.diff, 1e-9)
			near(t, "se", se, tc.se, 5e-4)
			near(t, "z", z, tc.z, 5e-4)
			near(t, "p", p, tc.p, 5e-3*tc.p+1e-9)
			if (p <= DefaultAlpha) != tc.significantAt005 {
				t.Errorf("p = %g: significant = %v, want %v", p, p <= DefaultAlpha, tc.significantAt005)
			}
		})
	}
	s, err := NPSCounts(1040, 400, 2000)
	if err != nil || s != (NPSSample{0.52, 0.20, 2000}) {
		t.Errorf("NPSCounts(1040, 400, 2000) = %+v, %v", s, err)
	}
	if _, err := NPSCounts(30, 20, 40); err == nil {
		t.Error("promoters + detractors > n accepted")
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	// m = 5, q = 0.05, thresholds k·q/m = 0.01, 0.02, 0.03, 0.04, 0.05. Sorted: 0.004 ≤ 0.01,
	// 0.025 > 0.02, 0.028 ≤ 0.03, 0.039 ≤ 0.04, 0.3 > 0.05: the largest k is 4, so the first four
	// are rejected — 0.025 too, although it misses its own threshold (the step-up).
	// Adjusted m·p_(j)/j, running minimum from the top: 0.3; 5·0.039/4 = 0.04875;
	// 5·0.028/3 = 0.046667; 5·0.025/2 = 0.0625 → 0.046667; 5·0.004/1 = 0.02.
	p := []float64{0.3, 0.025, 0.004, 0.039, 0.028} // unsorted on purpose
	adj, rej := BenjaminiHochberg(p, 0.05)
	wantAdj := []float64{0.3, 0.046667, 0.02, 0.04875, 0.046667}
	wantRej := []bool{false, true, true, true, true}
	for i := range p {
		near(t, "adjusted", adj[i], wantAdj[i], 1e-6)
		if rej[i] != wantRej[i] {
			t.Errorf("p = %v: rejected %v, want %v", p[i], rej[i], wantRej[i])
		}
	}
	// Each of 0.04 and 0.045 is below 0.05 alone, but among three tests none survives: adjusted
	// 0.06; 3·0.045/2 = 0.0675 → 0.06; 3·0.04/1 = 0.12 → 0.06.
	_, rej = BenjaminiHochberg([]float64{0.04, 0.045, 0.06}, 0.05)
	for i, r := range rej {
		if r {
			t.Errorf("p[%d] rejected; adjusted values are all 0.06", i)
		}
	}
	if a, r := BenjaminiHochberg(nil, 0.05); len(a) != 0 || len(r) != 0 {
		t.Error("empty list")
	}
}

func TestCompareQuarter(t *testing.T) {
	b, err := DefaultBands(People)
	if err != nil {
		t.Fatal(err)
	}
	cat := DefaultCatalog()
	var inds []*Indicator
	for _, code := range []string{"satisfaction_positive_share", "ease_positive_share", "repeat_request_rate", "digital_touchpoint_nps", "proactive_scenario_share"} {
		ind, ok := cat.Lookup(People, code)
		if !ok {
			t.Fatalf("%s not in the catalog", code)
		}
		inds = append(inds, ind)
	}
	prev := map[string]Input{
		"satisfaction_positive_share": {Num: 600, Den: 1000},  // 60.0
		"ease_positive_share":         {Num: 410, Den: 1000},  // 41.0
		"repeat_request_rate":         {Num: 50, Den: 1000},   // 5.0
		"digital_touchpoint_nps":      {Promoters: 10, N: 20}, // n below min_n 30
		"proactive_scenario_share":    {Num: 1, Den: 10, Registered: true},
	}
	cur := map[string]Input{
		"satisfaction_positive_share": {Num: 540, Den: 1000}, // 54.0: z = −2.72, p = 0.0067
		"ease_positive_share":         {Num: 452, Den: 1000}, // 45.2: p = 0.0579
		"repeat_request_rate":         {Num: 30, Den: 1000},  // 3.0, census
		"digital_touchpoint_nps":      {Promoters: 20, N: 40},
		// proactive_scenario_share missing: no comparison
	}
	got := b.CompareQuarter(inds, prev, cur, 0)
	// Two tested p-values, 0.0067 and 0.0579: BH adjusted 2·0.0067/1 = 0.0135 and 0.0579 → the
	// satisfaction decline is significant, the ease rise is not.
	want := map[string]struct {
		verdict Verdict
		delta   string
		test    ChangeTest
	}{
		"satisfaction_positive_share": {SignificantDecline, "-6.0", ChangeTwoProportion},
		"ease_positive_share":         {NoSignificantChange, "4.2", ChangeTwoProportion},
		"repeat_request_rate":         {CensusChange, "-2.0", ChangeNoTest},
		"digital_touchpoint_nps":      {NoComparison, "", ChangeNoTest},
		"proactive_scenario_share":    {NoComparison, "", ChangeNoTest},
	}
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d", len(got), len(want))
	}
	for _, c := range got {
		w := want[c.Code]
		delta := ""
		if c.Delta != nil {
			delta = c.Delta.String()
		}
		if c.Verdict != w.verdict || delta != w.delta || c.Test != w.test {
			t.Errorf("%s: %s %q %s, want %s %q %s", c.Code, c.Verdict, delta, c.Test, w.verdict, w.delta, w.test)
		}
		if c.Code == "satisfaction_positive_share" {
			// p = 0.6, 0.54; pool 0.57, se = sqrt(0.57·0.43·0.002) = 0.022141, z = −0.06/0.022141 = −2.7099.
			near(t, "z", c.Z, -2.7099, 5e-4)
			near(t, "adjusted", c.Adjusted, 2*c.P, 1e-12)
		}
	}
	if l := SignificantDecline.Label(RU); l != "значимое ухудшение" {
		t.Errorf("Russian label %q", l)
	}
	if l := NoSignificantChange.Label(EN); l != "no significant change" {
		t.Errorf("English label %q", l)
	}
}
