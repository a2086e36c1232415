// Package scorecardtest finds one agency's indicator or monitor in a scorecard, as the tests of
// the assessment, the official revisions and the exports read their results.
package scorecardtest

import "github.com/cxstar/cxstar/metrics"

// Result returns agency's result for indicator code in sc, and whether sc holds one.
func Result(sc *metrics.Scorecard, agency, code string) (metrics.Result, bool) {
	if sc == nil {
		return metrics.Result{}, false
	}
	for _, a := range sc.Agencies {
		if a.AgencyID != agency {
			continue
		}
		for _, r := range a.Indicators {
			if r.Code == code {
				return r, true
			}
		}
	}
	return metrics.Result{}, false
}

// Monitor returns agency's monitoring value code in sc (a pointer into sc), or nil when sc holds
// none.
func Monitor(sc *metrics.Scorecard, agency, code string) *metrics.Monitor {
	if sc == nil {
		return nil
	}
	for _, a := range sc.Agencies {
		if a.AgencyID != agency {
			continue
		}
		for i := range a.Monitoring {
			if a.Monitoring[i].Code == code {
				return &a.Monitoring[i]
			}
		}
	}
	return nil
}
