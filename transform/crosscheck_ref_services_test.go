package transform_test

import (
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/metrics"
)

// addServices computes scenario coverage (A11) and repeat requests (A10) from the service
// histories, with their drill-down. It follows the rules of docs/indicators.md in their order, each step under the
// words it implements, so that it is checked against the text in one read; it stays whole.
func (m *refModel) addServices(evs []ingest.Event, loc *time.Location, bands map[metrics.Standard]*metrics.BandSet) {
	type request struct {
		agency, clientType, client, service, kind string
		submitted                                 time.Time // earliest `submitted` event; zero if none
		completions                               []time.Time
		inScenario                                bool
		ls                                        string          // life_situation_id of any event
		quarters                                  map[string]bool // quarters with any event of the request
	}
	reqs := map[string]*request{} // agency|request_id
	for i := range evs {
		e := &evs[i]
		if e.Kind != ingest.KindService {
			continue
		}
		key := e.AgencyID + "\x00" + e.RequestID
		r := reqs[key]
		if r == nil {
			r = &request{agency: e.AgencyID, quarters: map[string]bool{}}
			reqs[key] = r
		}
		r.quarters[quarterOf(e.OccurredAt, loc)] = true
		if e.LifeSituationID != "" {
			r.ls = e.LifeSituationID
		}
		if e.ScenarioID != "" {
			// docs/events.md scenario_id: «the client scenario the service was provided within».
			r.inScenario = true
		}
		switch e.Status {
		case "submitted":
			// docs/events.md: «submitted_at = occurred_at of the submitted event».
			if r.submitted.IsZero() || e.OccurredAt.Before(r.submitted) {
				r.submitted = e.OccurredAt
				r.clientType, r.client, r.service, r.kind = e.ClientType, e.ClientID, e.ServiceID, e.ServiceKind
			}
		case "completed":
			// «`completed` = the status of successful receipt».
			r.completions = append(r.completions, e.OccurredAt)
		}
		if r.client == "" {
			r.clientType, r.client, r.service, r.kind = e.ClientType, e.ClientID, e.ServiceID, e.ServiceKind
		}
	}
	// Completions per (agency, client, service) for the repeat rule.
	type csKey struct{ agency, client, service string }
	completions := map[csKey][]time.Time{}
	for _, r := range reqs {
		k := csKey{r.agency, r.client, r.service}
		completions[k] = append(completions[k], r.completions...)
	}
	window := 28 * 24 * time.Hour // A10: «4 weeks = 28×24 h, exact timestamps»
	type covAcc struct {
		all, inSc map[string]bool
	}
	type repAcc struct{ all, rep int64 }
	cov := map[refKey]*covAcc{}
	covLS := map[detKey]*covAcc{}
	rep := map[refKey]*repAcc{}
	for _, r := range reqs {
		// A11: den = distinct services «with ≥ 1 request in the quarter»; num = those «provided at
		// least once within a client scenario in the quarter». A request counts in every quarter in
		// which it has an event (submitted, in progress or provided); the spec does not say
		// «submitted in the quarter» here, unlike A10 (XC-3 in the report: to be confirmed).
		// D6 / P-T1-1: P counts «услуг и сервисов» (no support measures); B counts all three kinds.
		for q := range r.quarters {
			k := refKey{stdOf(r.clientType), r.agency, q}
			if k.Std == metrics.People && r.kind == "support_measure" {
				continue
			}
			c := cov[k]
			if c == nil {
				c = &covAcc{all: map[string]bool{}, inSc: map[string]bool{}}
				cov[k] = c
			}
			c.all[r.service] = true
			if r.inScenario {
				c.inSc[r.service] = true
			}
			// Drill-down: per life situation the same share of distinct services; per service the
			// volume-weighted share (B-T1-1: «Secondary diagnostic … requests with
			// client_scenario_id / all requests»).
			if r.ls != "" {
				lk := detKey{k, "scenario_coverage", "life_situation", r.ls}
				if covLS[lk] == nil {
					covLS[lk] = &covAcc{all: map[string]bool{}, inSc: map[string]bool{}}
				}
				covLS[lk].all[r.service] = true
				if r.inScenario {
					covLS[lk].inSc[r.service] = true
				}
			}
			d := m.det(k, "scenario_coverage", "service", r.service, false)
			d.n++
			if r.inScenario {
				d.pos++
			}
		}
		if r.submitted.IsZero() {
			continue
		}
		k := refKey{stdOf(r.clientType), r.agency, quarterOf(r.submitted, loc)}
		a := rep[k]
		if a == nil {
			a = &repAcc{}
			rep[k] = a
		}
		a.all++
		// A10: repeat if an earlier request of the same client for the same service has a
		// success timestamp t1 with t1 < submitted_at ≤ t1 + 28 days; counted once.
		isRep := int64(0)
		for _, t1 := range completions[csKey{r.agency, r.client, r.service}] {
			if t1.Before(r.submitted) && !r.submitted.After(t1.Add(window)) {
				isRep = 1
				break
			}
		}
		a.rep += isRep
		for _, d := range []*detAcc{m.det(k, "repeat_request_rate", "service", r.service, false), m.det(k, "repeat_request_rate", "life_situation", r.ls, false)} {
			d.n++
			d.pos += isRep
		}
	}
	for lk, c := range covLS {
		m.Details[lk] = &detAcc{pos: int64(len(c.inSc)), npsAcc: npsAcc{n: int64(len(c.all))}}
	}
	for k, c := range cov {
		m.result(k)["scenario_coverage"] = censusShare(int64(len(c.inSc)), int64(len(c.all)), bands[k.Std], "scenario_coverage")
	}
	for k, a := range rep {
		m.result(k)["repeat_request_rate"] = censusShare(a.rep, a.all, bands[k.Std], "repeat_request_rate")
	}
}
