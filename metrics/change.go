package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// DefaultAlpha is the false discovery rate of the change tests: a change is significant at 95 %
// when the Benjamini–Hochberg step across one agency's tested indicators keeps it at 0.05.
const DefaultAlpha = 0.05

// ChangeTest names the test behind a change against the previous quarter.
type ChangeTest string

const (
	// ChangeTwoProportion: a pooled two-proportion z-test of a share of answers (indicators with a
	// Wilson interval).
	ChangeTwoProportion ChangeTest = "two_proportion"
	// ChangeNPSDifference: a z-test of the difference of two NPS values with the variance of each
	// from its promoter and detractor proportions (indicators with an NPS interval).
	ChangeNPSDifference ChangeTest = "nps_difference"
	// ChangeNoTest: census counts, declarations and ladders: no sampling error, the change is reported
	// as it is.
	ChangeNoTest ChangeTest = "none"
)

// Verdict is the reading of a change against the previous quarter.
type Verdict string

const (
	// SignificantImprovement: the tested change is significant after Benjamini–Hochberg and goes the
	// better way (up, or down for a lower-is-better indicator).
	SignificantImprovement Verdict = "significant_improvement"
	// SignificantDecline: significant, the worse way.
	SignificantDecline Verdict = "significant_decline"
	// NoSignificantChange: tested and not significant after Benjamini–Hochberg.
	NoSignificantChange Verdict = "no_significant_change"
	// CensusChange: an untested change of a census value (no sampling error, nothing to test).
	CensusChange Verdict = "census_change"
	// NoComparison: a quarter has no assessed value (no data, or a sample below min_n).
	NoComparison Verdict = "no_comparison"
)

// Label returns the verdict in lang (Russian by default).
func (v Verdict) Label(lang Lang) string { return label(verdictLabels, v, lang) }

var verdictLabels = map[Verdict][2]string{
	SignificantImprovement: {"значимое улучшение", "significant improvement"},
	SignificantDecline:     {"значимое ухудшение", "significant decline"},
	NoSignificantChange:    {"нет значимого изменения", "no significant change"},
	CensusChange:           {"изменение (сплошной учёт, без проверки)", "change (census, not tested)"},
	NoComparison:           {"нет сравнения", "no comparison"},
}

// Change is one indicator of one agency against the previous quarter.
type Change struct {
	Code string `json:"code"`
	// Prev and Cur are the rounded values of both quarters; Delta = Cur − Prev in the indicator's
	// unit (percentage points), rounded the same way. Nil when NoComparison.
	Prev  *Decimal `json:"prev"`
	Cur   *Decimal `json:"cur"`
	Delta *Decimal `json:"delta"`
	// PrevN and CurN are the samples (answers, or counted units) of both quarters.
	PrevN int64 `json:"prev_n"`
	CurN  int64 `json:"cur_n"`
	// Test is the test used; Z and P its statistic and two-sided p-value, and Adjusted the
	// Benjamini–Hochberg adjusted p-value across the agency's tested indicators (Z = 0, P and
	// Adjusted = 1 when untested: check Test).
	Test     ChangeTest `json:"test"`
	Z        float64    `json:"z"`
	P        float64    `json:"p"`
	Adjusted float64    `json:"p_adjusted"`
	Verdict  Verdict    `json:"verdict"`
}

// MarshalJSON writes the change with z as null when it is infinite (both quarters unanimous and
// different: NPSDifference), which JSON cannot hold.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change
	out := struct {
		plain
		Z *float64 `json:"z"`
	}{plain: plain(c)}
	if !math.IsInf(c.Z, 0) && !math.IsNaN(c.Z) {
		out.Z = &c.Z
	}
	return json.Marshal(out)
}

// NormalTwoSided returns the two-sided p-value of a standard normal statistic z: erfc(|z|/√2).
func NormalTwoSided(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// TwoProportionZ tests p2 = x2/n2 against p1 = x1/n1 with the pooled two-proportion z-test:
//
//	p = (x1 + x2)/(n1 + n2),  se = sqrt(p(1−p)(1/n1 + 1/n2)),  z = (p2 − p1)/se
//
// and returns z and its two-sided p-value. Equal shares give z = 0, p = 1 (also when se = 0, i.e.
// both shares are 0 or both 100 %). It fails when a sample is empty or a count is outside 0..n.
func TwoProportionZ(x1, n1, x2, n2 int64) (z, p float64, err error) {
	if n1 <= 0 || n2 <= 0 {
		return 0, 1, fmt.Errorf("two-proportion test of %d/%d against %d/%d: both samples must be non-empty", x2, n2, x1, n1)
	}
	if x1 < 0 || x1 > n1 || x2 < 0 || x2 > n2 {
		return 0, 1, fmt.Errorf("two-proportion test of %d/%d against %d/%d: successes must be between 0 and n", x2, n2, x1, n1)
	}
	f1, f2 := float64(n1), float64(n2)
	p1, p2 := float64(x1)/f1, float64(x2)/f2
	pool := float64(x1+x2) / (f1 + f2)
	se := math.Sqrt(pool * (1 - pool) * (1/f1 + 1/f2))
	if se == 0 {
		return 0, 1, nil
	}
	z = (p2 - p1) / se
	return z, NormalTwoSided(z), nil
}

// NPSSample is one quarter's NPS answers as proportions: Promoters and Detractors are shares of
// N (0..1).
type NPSSample struct {
	Promoters, Detractors float64
	N                     int64
}

// NPSCounts turns counts into an NPSSample.
func NPSCounts(promoters, detractors, n int64) (NPSSample, error) {
	if err := checkNPSCounts(promoters, detractors, n); err != nil {
		return NPSSample{}, err
	}
	if n == 0 {
		return NPSSample{}, fmt.Errorf("NPS sample with n = 0: no answers")
	}
	return NPSSample{Promoters: float64(promoters) / float64(n), Detractors: float64(detractors) / float64(n), N: n}, nil
}

// NPSDifference tests the NPS of cur against prev. Per quarter, with p+ and p− the promoter and
// detractor proportions, NPS = p+ − p− and Var = (p+ + p− − (p+ − p−)²)/n; then
//
//	diff = NPS_cur − NPS_prev,  se = sqrt(Var_prev + Var_cur),  z = diff/se
//
// diff and se are returned in NPS points (×100), with z and its two-sided p-value. se = 0 (both
// quarters unanimous) gives z = 0, p = 1 for no difference and z = ±Inf, p = 0 otherwise.
func NPSDifference(prev, cur NPSSample) (diff, se, z, p float64, err error) {
	for _, s := range []NPSSample{prev, cur} {
		if s.N <= 0 || s.Promoters < 0 || s.Detractors < 0 || s.Promoters+s.Detractors > 1+1e-12 {
			return 0, 0, 0, 1, fmt.Errorf("NPS difference: a quarter has %v promoters and %v detractors of n = %d; proportions must be within 0..1 and n > 0", s.Promoters, s.Detractors, s.N)
		}
	}
	v := func(s NPSSample) float64 {
		m := s.Promoters - s.Detractors
		x := (s.Promoters + s.Detractors - m*m) / float64(s.N)
		return math.Max(x, 0)
	}
	d := (cur.Promoters - cur.Detractors) - (prev.Promoters - prev.Detractors)
	s := math.Sqrt(v(prev) + v(cur))
	switch {
	case s > 0:
		z = d / s
	case d == 0:
		return 0, 0, 0, 1, nil
	default:
		z = math.Copysign(math.Inf(1), d)
	}
	return 100 * d, 100 * s, z, NormalTwoSided(z), nil
}

// BenjaminiHochberg returns the adjusted p-values of the Benjamini–Hochberg step-up procedure
// (in the order of p) and whether each hypothesis is rejected at false discovery rate q: with the
// m p-values sorted, the largest k with p_(k) ≤ k·q/m rejects p_(1) … p_(k). The adjusted value of
// p_(i) is min over j ≥ i of m·p_(j)/j, capped at 1, and a hypothesis is rejected exactly when its
// adjusted value is ≤ q.
func BenjaminiHochberg(p []float64, q float64) (adjusted []float64, rejected []bool) {
	m := len(p)
	adjusted, rejected = make([]float64, m), make([]bool, m)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
	running := 1.0
	for r := m - 1; r >= 0; r-- {
		i := order[r]
		running = math.Min(running, p[i]*float64(m)/float64(r+1))
		adjusted[i] = running
	}
	for i := range p {
		rejected[i] = adjusted[i] <= q
	}
	return adjusted, rejected
}

// CompareQuarter compares one agency's indicators with the previous quarter from their inputs:
// each indicator's value in both quarters is evaluated with b (so min_n applies), then
// CompareResults compares them. Indicators missing from either map give NoComparison.
func (b *BandSet) CompareQuarter(inds []*Indicator, prev, cur map[string]Input, alpha float64) []Change {
	rp, rc := map[string]Result{}, map[string]Result{}
	for _, ind := range inds {
		if in, ok := prev[ind.Code]; ok {
			rp[ind.Code] = b.Evaluate(ind, in)
		}
		if in, ok := cur[ind.Code]; ok {
			rc[ind.Code] = b.Evaluate(ind, in)
		}
	}
	return CompareResults(inds, rp, rc, alpha)
}

// CompareResults compares one agency's evaluated indicators with the previous quarter's: a quarter
// whose value is not assessed (no data, or a sample below min_n) gives NoComparison; the change is
// tested by the indicator's interval and the counts of both results (Wilson shares computed from
// counts: pooled two-proportion z-test on Tally.Num/Tally.Den; NPS: NPSDifference on the promoters
// and detractors of Result.N answers; anything else — census counts, declared values, ladders —
// no test, CensusChange), and the p-values of the tested indicators are adjusted together with
// Benjamini–Hochberg at alpha (DefaultAlpha when ≤ 0). Indicators missing from either map give
// NoComparison.
func CompareResults(inds []*Indicator, prev, cur map[string]Result, alpha float64) []Change {
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	out := make([]Change, 0, len(inds))
	var tested []int
	var ps []float64
	var lower []bool
	for _, ind := range inds {
		c := Change{Code: ind.Code, Test: ChangeNoTest, Verdict: NoComparison, P: 1, Adjusted: 1}
		rp, okp := prev[ind.Code]
		rc, okc := cur[ind.Code]
		if !okp || !okc {
			out = append(out, c)
			continue
		}
		c.PrevN, c.CurN = rp.N, rc.N
		if rp.Status != Assessed || rc.Status != Assessed || rp.Value == nil || rc.Value == nil {
			out = append(out, c)
			continue
		}
		c.Prev, c.Cur = rp.Value, rc.Value
		d := decimalSub(*rc.Value, *rp.Value)
		c.Delta = &d
		tp, tc := rp.Tally, rc.Tally
		var err error
		switch {
		case ind.Kind == KindNPS && ind.CI == CINPS:
			c.Test = ChangeNPSDifference
			var sp, sc NPSSample
			if sp, err = NPSCounts(tp.Promoters, tp.Detractors, rp.N); err == nil {
				if sc, err = NPSCounts(tc.Promoters, tc.Detractors, rc.N); err == nil {
					_, _, c.Z, c.P, err = NPSDifference(sp, sc)
				}
			}
		case (ind.Kind == KindShare || ind.Kind == KindNPSServiceShare) && ind.CI == CIWilson && tp.Den > 0 && tc.Den > 0:
			c.Test = ChangeTwoProportion
			c.Z, c.P, err = TwoProportionZ(tp.Num, tp.Den, tc.Num, tc.Den)
		default:
			c.Verdict = CensusChange
			out = append(out, c)
			continue
		}
		if err != nil { // inconsistent counts: report the change untested
			c.Test, c.Z, c.P, c.Verdict = ChangeNoTest, 0, 1, CensusChange
			out = append(out, c)
			continue
		}
		tested = append(tested, len(out))
		ps = append(ps, c.P)
		lower = append(lower, ind.Direction == LowerIsBetter)
		out = append(out, c)
	}
	adj, rej := BenjaminiHochberg(ps, alpha)
	for k, i := range tested {
		c := &out[i]
		c.Adjusted = adj[k]
		better := c.Delta.Sign() > 0
		if lower[k] {
			better = c.Delta.Sign() < 0
		}
		switch {
		case !rej[k] || c.Delta.Sign() == 0:
			c.Verdict = NoSignificantChange
		case better:
			c.Verdict = SignificantImprovement
		default:
			c.Verdict = SignificantDecline
		}
	}
	return out
}

// Significant reports whether the verdict is a significant improvement or decline.
func (v Verdict) Significant() bool { return v == SignificantImprovement || v == SignificantDecline }

// decimalSub returns a − b exactly, at the larger scale of the two.
func decimalSub(a, b Decimal) Decimal {
	sa, sb := a.Scale(), b.Scale()
	ua, ub := a.Units(), b.Units()
	for sa < sb {
		ua *= 10
		sa++
	}
	for sb < sa {
		ub *= 10
		sb++
	}
	return NewDecimal(ua-ub, sa)
}
