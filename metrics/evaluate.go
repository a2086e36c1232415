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
	r := Result{Code: ind.Code, ID: ind.ID, Table: ind.Table, Status: NoData}
	p := b.Parameters
	ladder, ok := b.Indicators[ind.Code]
	if !ok {
		r.Reason = "no band ladder for this indicator in " + b.Version
		return r
	}
	minN := b.MinNFor(ind)
	facts := Facts{Metrics: in.Metrics, Flags: in.Flags}
	setLevel := func() {
		l := ladder.Level(facts, p)
		r.Level = &l
		r.Status = Assessed
	}
	wilson := func(succ, n int64) {
		if ind.CI != CIWilson || n <= 0 {
			return
		}
		if iv, err := Wilson(succ, n, p.CIZ); err == nil {
			r.CILow, r.CIHigh = ciDec(iv.Low, p.Decimals), ciDec(iv.High, p.Decimals)
		}
	}
	switch ind.Kind {
	case KindShare, KindRelativeChange:
		r.N = in.Den
		switch {
		case in.Value != nil:
			v := in.Value.Round(p.Decimals)
			r.Value = &v
		case in.Den > 0:
			var v Decimal
			var err error
			if ind.Kind == KindShare {
				v, err = sharePct(in.Num, in.Den, p.Decimals)
			} else {
				v, err = RoundPct(in.Num, in.Den, p.Decimals)
			}
			if err != nil {
				r.Reason = err.Error()
				return r
			}
			r.Value = &v
			wilson(in.Num, in.Den)
		case ladder.ZeroWithoutValue && in.Registered:
			facts.Value = nil
			setLevel()
			r.Reason = "no approved client scenario in the registry"
			return r
		default:
			r.Reason = "denominator is 0: nothing to compute from"
			return r
		}
		if in.Value == nil && in.Den < minN {
			r.Status = NotAssessed
			r.Reason = fmt.Sprintf("sample %d below min_n %d", in.Den, minN)
			return r
		}
		if in.Hold != "" {
			r.Status, r.Reason = NotAssessed, in.Hold
			return r
		}
		facts.Value = r.Value
		setLevel()
		if ladder.ZeroFloor && r.Value.Sign() == 0 {
			r.Reason = "zero_value_floor_star"
		}
	case KindNPS:
		r.N = in.N
		if in.N == 0 {
			r.Reason = "no answers"
			return r
		}
		v, err := npsValue(in.Promoters, in.Detractors, in.N, p.Decimals)
		if err != nil {
			r.Reason = err.Error()
			return r
		}
		r.Value = &v
		if iv, err := NPSInterval(in.Promoters, in.Detractors, in.N, p.CIZ); err == nil {
			r.CILow, r.CIHigh = ciDec(iv.Low, p.Decimals), ciDec(iv.High, p.Decimals)
		}
		if in.N < minN {
			r.Status, r.Reason = NotAssessed, fmt.Sprintf("sample %d below min_n %d", in.N, minN)
			return r
		}
		facts.Value = r.Value
		setLevel()
	case KindNPSServiceShare:
		if len(in.Services) == 0 {
			r.Reason = "no NPS answers about services"
			return r
		}
		var eligible, positive int64
		var low []string
		for _, s := range in.Services {
			if s.N < minN {
				low = append(low, s.ID)
				continue
			}
			eligible++
			if s.Promoters > s.Detractors { // NPS > 0 strictly (A8)
				positive++
			}
		}
		r.N = eligible
		if len(low) > 0 {
			sort.Strings(low)
			r.Reason = reasonServicesExcluded(int64(len(low)), minN)
		}
		if eligible == 0 {
			r.Status = NotAssessed
			return r
		}
		v, _ := sharePct(positive, eligible, p.Decimals)
		r.Value = &v
		wilson(positive, eligible)
		facts.Value = r.Value
		setLevel()
	case KindCapability:
		// Declared parts of a capability ladder are percentages like computed values: R-ROUND
		// applies before banding (a declared 49.96 % is 50.0 and meets a 50 % bar).
		facts.Metrics = roundMetrics(in.Metrics, p.Decimals)
		if in.Den > 0 {
			v, err := sharePct(in.Num, in.Den, p.Decimals)
			if err == nil {
				r.Value = &v
				r.N = in.Den
				wilson(in.Num, in.Den)
			}
		}
		if !in.Declared {
			r.Reason = "no capability declaration for the quarter"
			if r.Value != nil {
				r.Status = NotAssessed
			}
			return r
		}
		if r.Value != nil && in.Den >= minN {
			facts.Value = r.Value
		} else if ind.Sample == SampleSurvey {
			r.Reason = "insufficient_survey_data"
		}
		setLevel()
	case KindResponseTime:
		r.N = in.N
		if in.N == 0 {
			r.Reason = "no messages"
			return r
		}
		v, _ := sharePct(in.Num, in.N, p.Decimals)
		r.Value = &v
		if in.Hold != "" {
			r.Status, r.Reason = NotAssessed, in.Hold
			return r
		}
		setLevel()
	default:
		r.Reason = "unknown indicator kind " + string(ind.Kind)
	}
	return r
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
