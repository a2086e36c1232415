package metrics

// TargetFlag is the reading of a value against the Project Office's target for its year.
type TargetFlag string

const (
	// BetterThanTarget: the target lies outside the value's 95 % interval, on the worse side (below
	// the interval for a higher-is-better indicator, above it for a lower-is-better one).
	BetterThanTarget TargetFlag = "better_than_target"
	// WorseThanTarget: the target lies outside the value's 95 % interval, on the better side.
	WorseThanTarget TargetFlag = "worse_than_target"
	// WithinInterval: the target lies inside the value's 95 % interval, bounds included: the value
	// does not differ from the target beyond sampling error.
	WithinInterval TargetFlag = "within_interval"
	// TargetNotCompared: the value is not assessed (no data, or a sample below min_n).
	TargetNotCompared TargetFlag = "not_compared"
)

// Label returns the flag in lang (Russian by default).
func (f TargetFlag) Label(lang Lang) string { return label(targetLabels, f, lang) }

var targetLabels = map[TargetFlag][2]string{
	BetterThanTarget:  {"лучше цели", "better than target"},
	WorseThanTarget:   {"хуже цели", "worse than target"},
	WithinInterval:    {"в пределах ДИ от цели", "target within the interval"},
	TargetNotCompared: {"не сравнивается", "not compared"},
}

// Flagged reports whether the value deviates from its target beyond its interval.
func (f TargetFlag) Flagged() bool { return f == BetterThanTarget || f == WorseThanTarget }

// TargetCheck is one value against its target.
type TargetCheck struct {
	// Target is the target value for the quarter's year, in the indicator's unit.
	Target Decimal `json:"target"`
	// Deviation is value − target (nil when the value is not assessed).
	Deviation *Decimal   `json:"deviation"`
	Flag      TargetFlag `json:"flag"`
	// LoadID is the registry load the target was read from (stored in indicator_comparisons; not in
	// the JSON, which stays the same for the same data loaded into another database).
	LoadID string `json:"-"`
}

// CheckTarget compares an evaluated value with its target. The rule: the deviation is flagged when
// the target lies outside the value's 95 % interval as published (the rounded ci_low…ci_high,
// bounds included in the interval); a value without an interval (census counts, declarations,
// ladders) has no sampling error, so its interval is the value itself and any difference is
// flagged. The side of the target and the indicator's direction decide better or worse. A value
// that is not assessed is not compared.
func CheckTarget(ind *Indicator, r Result, target Decimal, loadID string) TargetCheck {
	tc := TargetCheck{Target: target, Flag: TargetNotCompared, LoadID: loadID}
	if r.Status != Assessed || r.Value == nil {
		return tc
	}
	d := decimalSub(*r.Value, target)
	tc.Deviation = &d
	low, high := *r.Value, *r.Value
	if r.CILow != nil && r.CIHigh != nil {
		low, high = *r.CILow, *r.CIHigh
	}
	above := target.Cmp(low) < 0 // the whole interval is above the target
	below := target.Cmp(high) > 0
	switch {
	case !above && !below:
		tc.Flag = WithinInterval
	case above == (ind.Direction != LowerIsBetter):
		tc.Flag = BetterThanTarget
	default:
		tc.Flag = WorseThanTarget
	}
	return tc
}
