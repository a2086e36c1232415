package metrics

import (
	"fmt"
	"sort"
	"strings"
)

// Status says whether an indicator could be assessed (the status column of assessments).
type Status string

const (
	// Assessed: a value (or a declared capability) exists and meets min_n; Level is set.
	Assessed Status = "assessed"
	// NotAssessed: data exist but the sample is below min_n or the period has not settled; Level is NULL.
	NotAssessed Status = "not_assessed"
	// NoData: nothing to compute from (no events, denominator 0, nothing declared); Level is NULL.
	NoData Status = "no_data"
)

// ServiceCount holds the NPS answers of one service (or any other unit) for a share of units.
type ServiceCount struct {
	ID                       string
	Promoters, Detractors, N int64
}

// Input is what Evaluate needs for one indicator of one agency, quarter and standard. Which fields
// matter depends on Indicator.Kind: share (Num, Den), nps (Promoters, Detractors, N),
// nps_service_share (Services), relative_change (Num = base − current, Den = base), capability
// (Flags, Metrics, and Num/Den for the satisfaction part of phone_availability), response_time
// (N messages, Num within the 5★ limits, Metrics). Value overrides the computed value (declared
// registry shares).
type Input struct {
	Num, Den                 int64
	Promoters, Detractors, N int64
	Services                 []ServiceCount
	Value                    *Decimal
	Metrics                  map[string]Decimal
	Flags                    map[string]bool
	// Declared reports that a capability declaration exists for the indicator.
	Declared bool
	// Registered reports that the agency appears in the registry the indicator reads (P-T1-6: no
	// approved scenario at all is then 0★, not NULL).
	Registered bool
	// Hold, when not empty, makes a present value not_assessed with this reason (e.g. the A15
	// settling period has not passed).
	Hold string
}

// Result is one indicator of one agency: the JSON shape of `cxstar assess --format json`.
type Result struct {
	Code   string   `json:"code"`
	Value  *Decimal `json:"value"`
	Level  *int     `json:"level"`
	N      int64    `json:"n"`
	CILow  *Decimal `json:"ci_low"`
	CIHigh *Decimal `json:"ci_high"`
	Status Status   `json:"status"`
	// Source names the data a value was computed from when there is a choice (scenario coverage:
	// scenario_id of the events, or service_ids of the registry's approved scenarios).
	Source string `json:"source,omitempty"`

	ID     string `json:"-"` // B-T1-1 … P-T2-7
	Table  int    `json:"-"` // 1 key, 2 additional
	Reason string `json:"-"` // why the status, flags such as zero_value_floor_star
	// Tally holds the counts behind Value that a change test needs (CompareResults).
	Tally Tally `json:"-"`

	// Change is the change against the previous quarter, when compared (transform sets it).
	Change *Change `json:"change,omitempty"`
	// Target is the check against the Project Office's target, when one is set for the year.
	Target *TargetCheck `json:"target,omitempty"`
}

// Tally is the counts behind a value: Num and Den of a share computed from counts (for the share
// of services with a positive NPS, those services and the services with min_n answers), Promoters
// and Detractors of an NPS (its answers are Result.N). Zero where the value was declared.
type Tally struct {
	Num, Den, Promoters, Detractors int64
}

// MinNFor returns the min_n that applies to an indicator's sample.
func (b *BandSet) MinNFor(ind *Indicator) int64 {
	switch ind.Sample {
	case SampleSurvey:
		return b.Parameters.MinN.Survey
	case SampleServiceNPS:
		return b.Parameters.MinN.ServiceNPS
	case SampleCensus:
		return b.Parameters.MinN.Census
	}
	return 0
}

// Evaluate computes value (R-ROUND), interval, status and level (R-LADDER, R-ZERO, R-NULL) of one
// indicator from its counts. It is pure: the same input and band set give the same result.
func (b *BandSet) Evaluate(ind *Indicator, in Input) Result {
	e := &evaluation{ind: ind, in: in, p: b.Parameters, r: Result{Code: ind.Code, ID: ind.ID, Table: ind.Table, Status: NoData}}
	ladder, ok := b.Indicators[ind.Code]
	if !ok {
		e.r.Reason = "no band ladder for this indicator in " + b.Version
		return e.r
	}
	e.ladder, e.minN = ladder, b.MinNFor(ind)
	e.facts = Facts{Metrics: in.Metrics, Flags: in.Flags}
	switch ind.Kind {
	case KindShare, KindRelativeChange:
		e.share()
	case KindNPS:
		e.nps()
	case KindNPSServiceShare:
		e.npsServiceShare()
	case KindCapability:
		e.capability()
	case KindResponseTime:
		e.responseTime()
	default:
		e.r.Reason = "unknown indicator kind " + string(ind.Kind)
	}
	return e.r
}

// evaluation is one indicator's Evaluate in progress: its input, its ladder and the result.
type evaluation struct {
	ind    *Indicator
	in     Input
	p      Parameters
	ladder *Ladder
	minN   int64
	facts  Facts
	r      Result
}

// setLevel assesses the result: the level of the ladder for the facts.
func (e *evaluation) setLevel() {
	l := e.ladder.Level(e.facts, e.p)
	e.r.Level = &l
	e.r.Status = Assessed
}

// wilson sets the 95 % interval of a share succ/n for indicators with Wilson intervals.
func (e *evaluation) wilson(succ, n int64) {
	if e.ind.CI != CIWilson || n <= 0 {
		return
	}
	if iv, err := Wilson(succ, n, e.p.CIZ); err == nil {
		e.r.CILow, e.r.CIHigh = ciDec(iv.Low, e.p.Decimals), ciDec(iv.High, e.p.Decimals)
	}
}

// share evaluates a share or a relative change: a declared value or num/den, min_n on the denominator.
func (e *evaluation) share() {
	e.r.N = e.in.Den
	switch {
	case e.in.Value != nil:
		v := e.in.Value.Round(e.p.Decimals)
		e.r.Value = &v
	case e.in.Den > 0:
		var v Decimal
		var err error
		if e.ind.Kind == KindShare {
			v, err = sharePct(e.in.Num, e.in.Den, e.p.Decimals)
		} else {
			v, err = RoundPct(e.in.Num, e.in.Den, e.p.Decimals)
		}
		if err != nil {
			e.r.Reason = err.Error()
			return
		}
		e.r.Value = &v
		if e.ind.Kind == KindShare {
			e.r.Tally = Tally{Num: e.in.Num, Den: e.in.Den}
		}
		e.wilson(e.in.Num, e.in.Den)
	case e.ladder.ZeroWithoutValue && e.in.Registered:
		e.facts.Value = nil
		e.setLevel()
		e.r.Reason = "no approved client scenario in the registry"
		return
	default:
		e.r.Reason = "denominator is 0: nothing to compute from"
		return
	}
	if e.in.Value == nil && e.in.Den < e.minN {
		e.r.Status = NotAssessed
		e.r.Reason = fmt.Sprintf("sample %d below min_n %d", e.in.Den, e.minN)
		return
	}
	if e.in.Hold != "" {
		e.r.Status, e.r.Reason = NotAssessed, e.in.Hold
		return
	}
	e.facts.Value = e.r.Value
	e.setLevel()
	if e.ladder.ZeroFloor && e.r.Value.Sign() == 0 {
		e.r.Reason = "zero_value_floor_star"
	}
}

// nps evaluates the NPS of one pool of answers.
func (e *evaluation) nps() {
	e.r.N = e.in.N
	if e.in.N == 0 {
		e.r.Reason = "no answers"
		return
	}
	v, err := npsValue(e.in.Promoters, e.in.Detractors, e.in.N, e.p.Decimals)
	if err != nil {
		e.r.Reason = err.Error()
		return
	}
	e.r.Value = &v
	e.r.Tally = Tally{Promoters: e.in.Promoters, Detractors: e.in.Detractors}
	if iv, err := NPSInterval(e.in.Promoters, e.in.Detractors, e.in.N, e.p.CIZ); err == nil {
		e.r.CILow, e.r.CIHigh = ciDec(iv.Low, e.p.Decimals), ciDec(iv.High, e.p.Decimals)
	}
	if e.in.N < e.minN {
		e.r.Status, e.r.Reason = NotAssessed, fmt.Sprintf("sample %d below min_n %d", e.in.N, e.minN)
		return
	}
	e.facts.Value = e.r.Value
	e.setLevel()
}

// npsServiceShare evaluates the share of services with a positive NPS, leaving out services below min_n.
func (e *evaluation) npsServiceShare() {
	if len(e.in.Services) == 0 {
		e.r.Reason = "no NPS answers about services"
		return
	}
	var eligible, positive int64
	var low []string
	for _, s := range e.in.Services {
		if s.N < e.minN {
			low = append(low, s.ID)
			continue
		}
		eligible++
		if s.Promoters > s.Detractors { // NPS > 0 strictly (A8)
			positive++
		}
	}
	e.r.N = eligible
	if len(low) > 0 {
		sort.Strings(low)
		e.r.Reason = reasonServicesExcluded(int64(len(low)), e.minN)
	}
	if eligible == 0 {
		e.r.Status = NotAssessed
		return
	}
	v, _ := sharePct(positive, eligible, e.p.Decimals)
	e.r.Value = &v
	e.r.Tally = Tally{Num: positive, Den: eligible}
	e.wilson(positive, eligible)
	e.facts.Value = e.r.Value
	e.setLevel()
}

// capability evaluates a ladder of declared capabilities, with the share that comes with it.
func (e *evaluation) capability() {
	// Declared parts of a capability ladder are percentages like computed values: R-ROUND
	// applies before banding (a declared 49.96 % is 50.0 and meets a 50 % bar).
	e.facts.Metrics = roundMetrics(e.in.Metrics, e.p.Decimals)
	if e.in.Den > 0 {
		v, err := sharePct(e.in.Num, e.in.Den, e.p.Decimals)
		if err == nil {
			e.r.Value = &v
			e.r.N = e.in.Den
			e.wilson(e.in.Num, e.in.Den)
		}
	}
	if !e.in.Declared {
		e.r.Reason = "no capability declaration for the quarter"
		if e.r.Value != nil {
			e.r.Status = NotAssessed
		}
		return
	}
	if e.r.Value != nil && e.in.Den >= e.minN {
		e.facts.Value = e.r.Value
	} else if e.ind.Sample == SampleSurvey {
		e.r.Reason = "insufficient_survey_data"
	}
	e.setLevel()
}

// responseTime evaluates the share of messages answered within the limits, held while the quarter settles.
func (e *evaluation) responseTime() {
	e.r.N = e.in.N
	if e.in.N == 0 {
		e.r.Reason = "no messages"
		return
	}
	v, _ := sharePct(e.in.Num, e.in.N, e.p.Decimals)
	e.r.Value = &v
	if e.in.Hold != "" {
		e.r.Status, e.r.Reason = NotAssessed, e.in.Hold
		return
	}
	e.setLevel()
}

func roundMetrics(m map[string]Decimal, decimals int) map[string]Decimal {
	if m == nil {
		return nil
	}
	out := make(map[string]Decimal, len(m))
	for k, v := range m {
		out[k] = v.Round(decimals)
	}
	return out
}

func ciDec(x float64, decimals int) *Decimal {
	d, err := DecimalFromFloat(x)
	if err != nil {
		return nil
	}
	d = d.Round(decimals)
	return &d
}

// AgencyScorecard is the assessment of one agency in one quarter and standard.
type AgencyScorecard struct {
	AgencyID     string   `json:"agency_id"`
	OverallLevel *int     `json:"overall_level"`
	Indicators   []Result `json:"indicators"`
	// Monitoring holds the deadlines monitored without bands (MonitorsFor), when computed.
	Monitoring []Monitor `json:"monitoring,omitempty"`
}

// Scorecard is the outcome of an assessment for one quarter and one standard: every agency's
// indicator results and levels (what `cxstar assess` prints and stores).
type Scorecard struct {
	Quarter      string            `json:"quarter"`
	Standard     Standard          `json:"standard"`
	BandsVersion string            `json:"bands_version"`
	Agencies     []AgencyScorecard `json:"agencies"`
}

// Overall returns the non-normative overall level of A21 (parameters.overall = min_table1): the
// minimum over Table 1 indicators whose level is not NULL; nil when there is none or overall = none.
func (b *BandSet) Overall(results []Result) *int {
	if b.Parameters.Overall != "min_table1" {
		return nil
	}
	var out *int
	for _, r := range results {
		if r.Table != 1 || r.Level == nil {
			continue
		}
		if out == nil || *r.Level < *out {
			l := *r.Level
			out = &l
		}
	}
	return out
}

// StatusLabel returns a human label of a status.
func StatusLabel(s Status, lang Lang) string {
	ru := map[Status]string{Assessed: "оценено", NotAssessed: "не оценивается", NoData: "нет данных"}
	if lang == EN {
		return strings.ReplaceAll(string(s), "_", " ")
	}
	return ru[s]
}
