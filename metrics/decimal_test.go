package metrics

import (
	"math"
	"testing"
)

func TestSharePctAndRound(t *testing.T) {
	cases := []struct {
		num, den int64
		want     string
	}{
		{1, 8, "12.5"}, {2, 3, "66.7"}, {5, 6, "83.3"}, {1, 3, "33.3"}, {1, 16, "6.3"}, // 6.25 → 6.3 half-up
		{5, 7, "71.4"}, {0, 9, "0.0"}, {9, 9, "100.0"},
		{701, 2000, "35.1"},               // 35.05 exactly → 35.1 (A1), a float would give 35.04999…
		{1001, 2000, "50.1"},              // 50.05 → 50.1
		{1, 200, "0.5"}, {1, 2000, "0.1"}, // 0.05 → 0.1
		{1, 2001, "0.0"}, // 0.04997… → 0.0
	}
	for _, c := range cases {
		got, err := SharePct(c.num, c.den)
		if err != nil || got.String() != c.want {
			t.Errorf("SharePct(%d, %d) = %s, %v; want %s", c.num, c.den, got, err, c.want)
		}
	}
	for _, bad := range [][2]int64{{1, 0}, {-1, 5}, {6, 5}} {
		if _, err := SharePct(bad[0], bad[1]); err == nil {
			t.Errorf("SharePct(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

func TestNPSRounding(t *testing.T) {
	cases := []struct {
		p, d, n int64
		want    string
	}{
		{3, 1, 5, "40.0"}, {1, 2, 3, "-33.3"}, {1, 1, 4, "0.0"}, {10, 0, 10, "100.0"}, {0, 10, 10, "-100.0"},
		{99, 0, 2000, "5.0"},  // 4.95 → 5.0 (half away from zero)
		{0, 99, 2000, "-5.0"}, // −4.95 → −5.0 (A1)
		{101, 0, 2000, "5.1"}, // 5.05 → 5.1
		{7, 4, 13, "23.1"},    // 23.077
	}
	for _, c := range cases {
		got, err := NPS(c.p, c.d, c.n)
		if err != nil || got.String() != c.want {
			t.Errorf("NPS(%d, %d, %d) = %s, %v; want %s", c.p, c.d, c.n, got, err, c.want)
		}
	}
	if _, err := NPS(3, 3, 5); err == nil {
		t.Error("NPS with promoters + detractors > n accepted")
	}
	if _, err := NPS(0, 0, 0); err == nil {
		t.Error("NPS with n = 0 accepted")
	}
}

func TestDecimalParseCompare(t *testing.T) {
	for in, want := range map[string]string{"35,1": "35.1", "−4.95": "-4.95", "+7": "7", "0.5": "0.5", ".5": "0.5", "100": "100"} {
		d, err := ParseDecimal(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "1e3", "1.2.3", "abc", "-"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) accepted", bad)
		}
	}
	if MustParseDecimal("50.1").Cmp(MustParseDecimal("50.10")) != 0 || MustParseDecimal("50.05").Cmp(MustParseDecimal("50.1")) >= 0 {
		t.Error("Cmp is not exact across scales")
	}
	for in, want := range map[string]string{"50.05": "50.1", "50.04": "50.0", "-4.95": "-5.0", "-4.94": "-4.9", "90.04": "90.0", "7": "7.0"} {
		if got := MustParseDecimal(in).Round(1).String(); got != want {
			t.Errorf("Round(%s, 1) = %s, want %s", in, got, want)
		}
	}
	d, err := DecimalFromFloat(50.05) // the binary double is 50.04999…; the shortest repr is 50.05
	if err != nil || d.Round(1).String() != "50.1" {
		t.Errorf("DecimalFromFloat(50.05).Round(1) = %s, %v", d.Round(1), err)
	}
	if _, err := DecimalFromFloat(math.NaN()); err == nil {
		t.Error("NaN accepted")
	}
}

// TestIntervals checks Wilson and the NPS interval against values computed independently
// (Python, the formulas of stats.go): Wilson 5/10 = [23.659, 76.341], 0/20 = [0, 16.113],
// 45/60 = [62.768, 84.224]; NPS 3 promoters, 1 detractor, n 5 = [−30.12, 100] (clipped from 110.12);
// 50/20/100 = [14.692, 45.308].
func TestIntervals(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.001 }
	for _, c := range []struct {
		s, n   int64
		lo, hi float64
	}{{5, 10, 23.65896, 76.34104}, {0, 20, 0, 16.11301}, {45, 60, 62.76769, 84.22361}} {
		iv, err := Wilson(c.s, c.n, 1.96)
		if err != nil || !near(iv.Low, c.lo) || !near(iv.High, c.hi) {
			t.Errorf("Wilson(%d, %d) = %+v, %v; want [%v, %v]", c.s, c.n, iv, err, c.lo, c.hi)
		}
	}
	for _, c := range []struct {
		p, d, n int64
		lo, hi  float64
	}{{3, 1, 5, -30.12309, 100}, {50, 20, 100, 14.69191, 45.30809}} {
		iv, err := NPSInterval(c.p, c.d, c.n, 1.96)
		if err != nil || !near(iv.Low, c.lo) || !near(iv.High, c.hi) {
			t.Errorf("NPSInterval(%d, %d, %d) = %+v, %v; want [%v, %v]", c.p, c.d, c.n, iv, err, c.lo, c.hi)
		}
	}
	if _, err := Wilson(1, 0, 1.96); err == nil {
		t.Error("Wilson n = 0 accepted")
	}
}

// TestEvaluate checks status and R-NULL handling of the pure evaluation step.
func TestEvaluate(t *testing.T) {
	b := mustBands(t, People)
	cat := DefaultCatalog()
	ease, _ := cat.Lookup(People, "ease_positive_share")
	nps, _ := cat.Lookup(People, "nps_positive_service_share")
	dig, _ := cat.Lookup(People, "digital_touchpoint_nps")
	pro, _ := cat.Lookup(People, "proactive_scenario_share")

	r := b.Evaluate(ease, Input{})
	if r.Status != NoData || r.Level != nil || r.Value != nil {
		t.Errorf("no answers: %+v", r)
	}
	r = b.Evaluate(ease, Input{Num: 29, Den: 29})
	if r.Status != NotAssessed || r.Level != nil || r.Value.String() != "100.0" {
		t.Errorf("29 answers < min_n 30: %+v", r)
	}
	r = b.Evaluate(ease, Input{Num: 21, Den: 30}) // 70.0 → 2★
	if r.Status != Assessed || *r.Level != 2 || r.Value.String() != "70.0" || r.N != 30 || r.CILow == nil {
		t.Errorf("21/30: %+v", r)
	}
	// Per-service NPS share: 40 answers each; svc a NPS > 0, b NPS = 0, c below min_n.
	r = b.Evaluate(nps, Input{Services: []ServiceCount{{"a", 20, 10, 40}, {"b", 10, 10, 40}, {"c", 29, 0, 29}}})
	if r.Status != Assessed || r.Value.String() != "50.0" || *r.Level != 0 || r.N != 2 {
		t.Errorf("service NPS share: %+v", r)
	}
	// Digital NPS −40 with 50 answers → 1★ (A6).
	r = b.Evaluate(dig, Input{Promoters: 5, Detractors: 25, N: 50})
	if r.Value.String() != "-40.0" || *r.Level != 1 {
		t.Errorf("digital NPS: %+v", r)
	}
	// P proactive: registry present without approved scenarios → 0★; absent → no data.
	r = b.Evaluate(pro, Input{Registered: true, Metrics: map[string]Decimal{"approved_proactive_scenarios": NewDecimal(0, 0)}})
	if r.Status != Assessed || *r.Level != 0 {
		t.Errorf("P proactive none approved: %+v", r)
	}
	if r = b.Evaluate(pro, Input{}); r.Status != NoData {
		t.Errorf("P proactive no registry: %+v", r)
	}
	lv := func(l int) *int { return &l }
	if o := b.Overall([]Result{{Table: 1, Level: lv(3)}, {Table: 1}, {Table: 2, Level: lv(0)}, {Table: 1, Level: lv(2)}}); o == nil || *o != 2 {
		t.Errorf("overall = %v, want 2 (min over Table 1 non-NULL)", o)
	}
	if o := b.Overall([]Result{{Table: 1}, {Table: 2, Level: lv(4)}}); o != nil {
		t.Errorf("overall without Table 1 levels = %v, want nil", *o)
	}
}

func TestNullFloat64(t *testing.T) {
	d := NewDecimal(667, 1)
	neg := NewDecimal(-5, 0)
	tests := []struct {
		name string
		in   *Decimal
		want *float64
	}{
		{"nil is NULL", nil, nil},
		{"66.7", &d, func() *float64 { f := 66.7; return &f }()},
		{"-5", &neg, func() *float64 { f := -5.0; return &f }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.NullFloat64()
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("NullFloat64() = %v, want %v", got, tt.want)
			}
		})
	}
}
