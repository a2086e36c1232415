package metrics

import (
	"fmt"
	"math"
)

// DefaultZ is the normal quantile of a two-sided 95 % confidence interval, as the project uses it
// (1.96). A band file may set another value (parameters.ci_z).
const DefaultZ = 1.96

// Interval is a confidence interval in percent (shares: 0..100; NPS: −100..100).
type Interval struct {
	Low, High float64
}

// Wilson returns the Wilson score interval of the share successes/n, in percent:
//
//	p = successes/n, centre = (p + z²/2n) / (1 + z²/n),
//	half = z/(1 + z²/n) · sqrt(p(1−p)/n + z²/4n²),  interval = 100·[centre − half, centre + half]
//
// clipped to [0, 100] against rounding noise. Unlike the normal approximation it stays inside 0–100
// and is not degenerate at p = 0 or 1. It fails if n ≤ 0, successes is outside 0..n or z ≤ 0.
func Wilson(successes, n int64, z float64) (Interval, error) {
	if n <= 0 {
		return Interval{}, fmt.Errorf("wilson interval of %d/%d: n must be > 0 (no data, no interval)", successes, n)
	}
	if successes < 0 || successes > n {
		return Interval{}, fmt.Errorf("wilson interval of %d/%d: successes must be between 0 and n", successes, n)
	}
	if !(z > 0) || math.IsInf(z, 0) {
		return Interval{}, fmt.Errorf("wilson interval: z must be a positive number, got %v (1.96 for 95 %%)", z)
	}
	nf := float64(n)
	p := float64(successes) / nf
	z2 := z * z
	den := 1 + z2/nf
	centre := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return Interval{Low: clip(100*(centre-half), 0, 100), High: clip(100*(centre+half), 0, 100)}, nil
}

// NPSInterval returns the normal-approximation confidence interval of the NPS, in percentage points.
// NPS is the mean of per-answer scores +1 (promoter), 0 (passive), −1 (detractor), so with
// p = promoters/n and d = detractors/n:
//
//	var = (p + d) − (p − d)²,  se = sqrt(var/n),  interval = 100·[(p − d) − z·se, (p − d) + z·se]
//
// clipped to [−100, 100]. It fails if n ≤ 0, the counts are inconsistent or z ≤ 0.
func NPSInterval(promoters, detractors, n int64, z float64) (Interval, error) {
	if err := checkNPSCounts(promoters, detractors, n); err != nil {
		return Interval{}, err
	}
	if n == 0 {
		return Interval{}, fmt.Errorf("NPS interval with n = 0: no answers, no interval")
	}
	if !(z > 0) || math.IsInf(z, 0) {
		return Interval{}, fmt.Errorf("NPS interval: z must be a positive number, got %v (1.96 for 95 %%)", z)
	}
	nf := float64(n)
	p := float64(promoters) / nf
	d := float64(detractors) / nf
	mean := p - d
	variance := (p + d) - mean*mean
	if variance < 0 { // −0 or a few ulps below zero when everybody answered the same way
		variance = 0
	}
	se := math.Sqrt(variance / nf)
	return Interval{Low: clip(100*(mean-z*se), -100, 100), High: clip(100*(mean+z*se), -100, 100)}, nil
}

func clip(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, x))
}
