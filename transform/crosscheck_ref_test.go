package transform_test

// An independent reference implementation of the event-computable indicators of
// docs/indicators.md, in plain Go over the event JSON Lines files (no ClickHouse, no
// SQL, nothing taken from transform/). crosscheck_test.go compares it with transform.Assess.
//
// Every rule below follows docs/indicators.md (the indicators) or docs/events.md (the contract);
// the metrics package is used only as the band table (BandSet.Level on a value rounded here) and
// for the catalog's min_n parameters.

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/registry"
)

// refInd is the reference result of one indicator of one agency, quarter and standard.
type refInd struct {
	Status  metrics.Status
	Raw     *big.Rat // unrounded value (percent or NPS points); nil when there is none
	Units   int64    // value·10 after R-ROUND (one decimal, half away from zero); valid when Raw != nil
	N       int64
	Level   *int
	CI      bool    // an interval is reported
	CILow   float64 // unrounded interval
	CIHigh  float64
	Explain string // the counts, for failure messages
}

// refKey is agency × quarter × standard.
type refKey struct {
	Std     metrics.Standard
	Agency  string
	Quarter string
}

// readEvents decodes every line of the files with the project's validator, drops rejected lines
// and keeps the first occurrence of each event_id per kind (docs/events.md: «the same event_id delivered
// twice counts once»).
func readEvents(ctx context.Context, v *ingest.Validator, paths []string) ([]ingest.Event, int, error) {
	type id struct {
		k  ingest.Kind
		id string
	}
	seen := map[id]bool{}
	var out []ingest.Event
	rejected := 0
	for _, p := range paths {
		err := ingest.ScanFile(ctx, p, func(_ int, data []byte) error {
			var ev ingest.Event
			if err := v.Decode(data, &ev); err != nil {
				rejected++
				return nil
			}
			k := id{ev.Kind, ev.EventID}
			if seen[k] {
				return nil
			}
			seen[k] = true
			out = append(out, ev)
			return nil
		}, func(int, int) error { rejected++; return nil }, nil)
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", p, err)
		}
	}
	return out, rejected, nil
}

// stdOf maps client_type to the standard (docs/events.md: «client_type: person | business — which
// standard applies»; A23).
func stdOf(clientType string) metrics.Standard {
	if clientType == "business" {
		return metrics.Business
	}
	return metrics.People
}

// quarterOf is the calendar quarter of t in Europe/Moscow (A20), written "2026Q3".
func quarterOf(t time.Time, loc *time.Location) string {
	l := t.In(loc)
	return fmt.Sprintf("%dQ%d", l.Year(), (int(l.Month())-1)/3+1)
}

// roundUnits is R-ROUND / A1: x rounded half away from zero to one decimal, as an integer number
// of tenths (35.05 → 351, −4.95 → −50).
func roundUnits(x *big.Rat) int64 {
	t := new(big.Rat).Mul(x, big.NewRat(10, 1))
	neg := t.Sign() < 0
	if neg {
		t.Neg(t)
	}
	// floor(t + 1/2)
	t.Add(t, big.NewRat(1, 2))
	q := new(big.Int).Quo(t.Num(), t.Denom())
	u := q.Int64()
	if neg {
		u = -u
	}
	return u
}

// pct is 100·num/den exactly.
func pct(num, den int64) *big.Rat { return big.NewRat(100*num, den) }

// wilson is the Wilson score interval of num/den, in percent (the interval of survey shares):
// centre = (p + z²/2n)/(1 + z²/n), half = z/(1 + z²/n)·sqrt(p(1−p)/n + z²/4n²).
func wilson(num, den int64, z float64) (float64, float64) {
	n := float64(den)
	p := float64(num) / n
	z2 := z * z
	c := (p + z2/(2*n)) / (1 + z2/n)
	h := z / (1 + z2/n) * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return 100 * math.Max(0, c-h), 100 * math.Min(1, c+h)
}

// npsInterval is the normal interval of the NPS seen as the mean of +1/0/−1 scores (the
// interval of the digital-touchpoint NPS): var = E[s²] − E[s]² = (p + d) − (p − d)², se = sqrt(var/n).
func npsInterval(prom, det, n int64, z float64) (float64, float64) {
	p, d := float64(prom)/float64(n), float64(det)/float64(n)
	m := p - d
	se := math.Sqrt(((p + d) - m*m) / float64(n))
	return math.Max(-100, 100*(m-z*se)), math.Min(100, 100*(m+z*se))
}

// refModel holds the reference values of every agency × quarter × standard.
type refModel struct {
	Res map[refKey]map[string]*refInd
	// Agencies lists, per standard and quarter, the agencies with any event of that standard.
	Agencies map[metrics.Standard]map[string]map[string]bool
	// Notes are facts about the data worth reporting (e.g. re-answers across quarters).
	Notes []string
	// alt is the per-quarter-dedupe variant (XC-2), set by the test.
	alt *refModel
	// phone holds the sat_phone (positive, n) counts per agency × quarter × standard.
	phone map[refKey][2]int64
	// Overall is the A21 overall level per agency × quarter × standard (nil: none).
	Overall map[refKey]*int
	// Details are the drill-down values per service and per life situation.
	Details map[detKey]*detAcc
}

// detKey is one drill-down value: an indicator of an agency × quarter × standard for one service
// or life situation.
type detKey struct {
	refKey
	Code, Dim, ID string
}

// detAcc counts a drill-down share (pos of n) or NPS (prom, det of n).
type detAcc struct {
	nps bool
	pos int64
	npsAcc
}

// det returns the accumulator of a drill-down value; an empty id (no service or life situation)
// has none.
func (m *refModel) det(k refKey, code, dim, id string, nps bool) *detAcc {
	if id == "" {
		return &detAcc{}
	}
	dk := detKey{k, code, dim, id}
	a := m.Details[dk]
	if a == nil {
		a = &detAcc{nps: nps}
		m.Details[dk] = a
	}
	return a
}

// grade counts a 1–4 grade into a share drill-down.
func (a *detAcc) grade(score uint8) {
	if score >= 1 && score <= 4 {
		a.n++
		if score >= 3 {
			a.pos++
		}
	}
}

// Rating questions that feed a share of grades 4 and 3 (S-SAT / S-EASE, R-SURVEY), per code
// (catalog rows; docs/events.md question names).
var shareQuestions = map[string]string{
	"ease_positive_share":                   "ease",
	"satisfaction_positive_share":           "satisfaction",
	"sat_compliance_cost_reduction":         "sat_compliance_costs",
	"sat_assessment_cost_reduction":         "sat_assessment_costs",
	"sat_projected_requirements_evaluation": "sat_requirements_evaluation",
	"sat_informing_training":                "sat_informing_training",
	"sat_feedback_channels":                 "sat_feedback_channels",
	"sat_client_path_time":                  "sat_path_time",
	"sat_risk_profile_service":              "sat_risk_profile",
	"sat_control_activities_service":        "sat_control_activities",
}

// businessOnly are the B-only satisfaction codes (D7).
var businessOnly = map[string]bool{
	"sat_compliance_cost_reduction": true, "sat_assessment_cost_reduction": true,
	"sat_projected_requirements_evaluation": true, "sat_informing_training": true,
	"sat_feedback_channels": true, "sat_client_path_time": true, "sat_risk_profile_service": true,
	"sat_control_activities_service": true,
}

// refCodes returns the event-computable indicator codes of a standard that the reference computes.
func refCodes(std metrics.Standard) []string {
	codes := []string{"scenario_coverage", "repeat_request_rate", "nps_positive_service_share",
		"ease_positive_share", "satisfaction_positive_share"}
	if std == metrics.Business {
		for c := range businessOnly {
			codes = append(codes, c)
		}
		codes = append(codes, "api_scenario_share")
	} else {
		codes = append(codes, "digital_touchpoint_nps", "social_media_response_time", "appointment_booking")
	}
	codes = append(codes, "proactive_scenario_share", "phone_availability")
	sort.Strings(codes)
	return codes
}

// digitalChannels are the digital touchpoints (docs/events.md: «`portal`, `mobile_app`, `chat_bot`,
// `api` are digital touchpoints»), for P-T2-5.
var digitalChannels = map[string]bool{"portal": true, "mobile_app": true, "chat_bot": true, "api": true}

// socialChannels are social networks and public messenger chats (P-T2-6: «в социальных сетях,
// публичных чатах в мессенджерах»).
var socialChannels = map[string]bool{"social_network": true, "public_chat": true}

// P-T2-6 limits in seconds, levels 1..5 (A15: M = 24/12/8/6/4 h, O = 12/6/4/3/2 h).
var (
	mentionLimits  = [5]int64{24 * 3600, 12 * 3600, 8 * 3600, 6 * 3600, 4 * 3600}
	officialLimits = [5]int64{12 * 3600, 6 * 3600, 4 * 3600, 3 * 3600, 2 * 3600}
)

// buildRef computes every reference indicator from the deduplicated events.
//
// perQuarter = false is the specification. perQuarter = true keeps the latest answer per quarter
// instead (what the transform does, known bug XC-2): it only explains a disagreement.
func buildRef(evs []ingest.Event, loc *time.Location, bands map[metrics.Standard]*metrics.BandSet, perQuarter bool) *refModel {
	m := &refModel{Res: map[refKey]map[string]*refInd{}, Agencies: map[metrics.Standard]map[string]map[string]bool{}, Details: map[detKey]*detAcc{}}
	get := func(k refKey) map[string]*refInd {
		r := m.Res[k]
		if r == nil {
			r = map[string]*refInd{}
			m.Res[k] = r
		}
		return r
	}
	mark := func(std metrics.Standard, q, agency string) {
		if m.Agencies[std] == nil {
			m.Agencies[std] = map[string]map[string]bool{}
		}
		if m.Agencies[std][q] == nil {
			m.Agencies[std][q] = map[string]bool{}
		}
		m.Agencies[std][q][agency] = true
	}
	for i := range evs {
		mark(stdOf(evs[i].ClientType), quarterOf(evs[i].OccurredAt, loc), evs[i].AgencyID)
	}

	// ---------- service histories: scenario coverage (A11) and repeat requests (A10) ----------
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
		get(k)["scenario_coverage"] = censusShare(int64(len(c.inSc)), int64(len(c.all)), bands[k.Std], "scenario_coverage")
	}
	for k, a := range rep {
		get(k)["repeat_request_rate"] = censusShare(a.rep, a.all, bands[k.Std], "repeat_request_rate")
	}

	// ---------- ratings (R-SURVEY, A12, A24) ----------
	// A24: «One answer per client per request per question (the latest kept)»; A12: «keep the
	// latest answer per (client, request or scenario instance, question_code)».
	type ansKey struct{ agency, clientType, question, client, request, scenario, quarter string }
	latest := map[ansKey]*ingest.Event{}
	var loose []*ingest.Event // answers tied to no request or scenario: each counts alone
	ties := 0
	for i := range evs {
		e := &evs[i]
		if e.Kind != ingest.KindRating {
			continue
		}
		if e.RequestID == "" && e.ScenarioID == "" {
			loose = append(loose, e)
			continue
		}
		k := ansKey{e.AgencyID, e.ClientType, e.Question, e.ClientID, e.RequestID, e.ScenarioID, ""}
		if perQuarter {
			k.quarter = quarterOf(e.OccurredAt, loc)
		}
		if p := latest[k]; p == nil || e.OccurredAt.After(p.OccurredAt) {
			if p != nil && e.OccurredAt.Equal(p.OccurredAt) {
				ties++
			}
			latest[k] = e
		} else if e.OccurredAt.Equal(p.OccurredAt) {
			ties++
		}
	}
	if ties > 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("%d re-answers with the same occurred_at as the kept one (the spec names no tie-break)", ties))
	}
	answers := loose
	for _, e := range latest {
		answers = append(answers, e)
	}
	type shareAcc struct{ pos, n int64 }
	shares := map[refKey]map[string]*shareAcc{}
	services := map[refKey]map[string]*npsAcc{}
	digital := map[refKey]*npsAcc{}
	phone := map[refKey]*shareAcc{}
	question2code := map[string]string{}
	for c, q := range shareQuestions {
		question2code[q] = c
	}
	for _, e := range answers {
		std := stdOf(e.ClientType)
		k := refKey{std, e.AgencyID, quarterOf(e.OccurredAt, loc)}
		switch e.Question {
		case "nps":
			// A9: NPS per service_id; only answers tied to a service can count for a service.
			if e.ServiceID == "" {
				m.det(k, "nps_positive_service_share", "life_situation", e.LifeSituationID, true).add(e.Score)
				continue
			}
			m.det(k, "nps_positive_service_share", "service", e.ServiceID, true).add(e.Score)
			m.det(k, "nps_positive_service_share", "life_situation", e.LifeSituationID, true).add(e.Score)
			if services[k] == nil {
				services[k] = map[string]*npsAcc{}
			}
			a := services[k][e.ServiceID]
			if a == nil {
				a = &npsAcc{}
				services[k][e.ServiceID] = a
			}
			a.add(e.Score)
		case "nps_digital":
			// P-T2-5: «one NPS for the agency and quarter, pooled over all answers with a digital
			// touchpoint». Standard P only.
			if std != metrics.People || !digitalChannels[e.Channel] {
				continue
			}
			a := digital[k]
			if a == nil {
				a = &npsAcc{}
				digital[k] = a
			}
			m.det(k, "digital_touchpoint_nps", "service", e.ServiceID, true).add(e.Score)
			m.det(k, "digital_touchpoint_nps", "life_situation", e.LifeSituationID, true).add(e.Score)
			a.add(e.Score)
		case "sat_phone":
			// P-T2-3 / B-T2-15, A14: the satisfaction part of phone availability, grades 4 and 3.
			a := phone[k]
			if a == nil {
				a = &shareAcc{}
				phone[k] = a
			}
			m.det(k, "phone_availability", "service", e.ServiceID, false).grade(e.Score)
			m.det(k, "phone_availability", "life_situation", e.LifeSituationID, false).grade(e.Score)
			if e.Score >= 1 && e.Score <= 4 {
				a.n++
				if e.Score >= 3 {
					a.pos++
				}
			}
		default:
			code, ok := question2code[e.Question]
			if !ok || (businessOnly[code] && std != metrics.Business) {
				continue
			}
			if shares[k] == nil {
				shares[k] = map[string]*shareAcc{}
			}
			a := shares[k][code]
			if a == nil {
				a = &shareAcc{}
				shares[k][code] = a
			}
			m.det(k, code, "service", e.ServiceID, false).grade(e.Score)
			m.det(k, code, "life_situation", e.LifeSituationID, false).grade(e.Score)
			// S-SAT / S-EASE: positive = grades 4 and 3 among valid grades 1–4.
			if e.Score >= 1 && e.Score <= 4 {
				a.n++
				if e.Score >= 3 {
					a.pos++
				}
			}
		}
	}
	for k, byCode := range shares {
		b := bands[k.Std]
		for code, a := range byCode {
			get(k)[code] = surveyShare(a.pos, a.n, b, code)
		}
	}
	for k, bySvc := range services {
		b := bands[k.Std]
		minN := b.Parameters.MinN.ServiceNPS
		var eligible, positive int64
		for _, a := range bySvc {
			if a.n < minN { // A9: «using only services with ≥ min_n answers»
				continue
			}
			eligible++
			if a.prom > a.det { // A8: «NPS > 0 strictly, i.e. #promoters > #detractors»
				positive++
			}
		}
		r := &refInd{N: eligible, Explain: fmt.Sprintf("%d/%d services positive (%d services with answers)", positive, eligible, len(bySvc))}
		if eligible == 0 {
			r.Status = metrics.NotAssessed // A9: «If no service reaches min_n → NULL»
		} else {
			r.Raw = pct(positive, eligible)
			r.Units = roundUnits(r.Raw)
			r.CI = true
			r.CILow, r.CIHigh = wilson(positive, eligible, b.Parameters.CIZ)
			r.Status = metrics.Assessed
			r.Level = level(b, "nps_positive_service_share", r.Units)
		}
		get(k)["nps_positive_service_share"] = r
	}
	for k, a := range digital {
		b := bands[k.Std]
		r := &refInd{N: a.n, Explain: fmt.Sprintf("promoters %d, detractors %d, n %d", a.prom, a.det, a.n)}
		// S-NPS: «NPS = 100·(#answers 9–10)/N − 100·(#answers 0–6)/N».
		r.Raw = big.NewRat(100*(a.prom-a.det), a.n)
		r.Units = roundUnits(r.Raw)
		r.CI = true
		r.CILow, r.CIHigh = npsInterval(a.prom, a.det, a.n, b.Parameters.CIZ)
		if a.n < b.Parameters.MinN.Survey {
			r.Status = metrics.NotAssessed
		} else {
			r.Status = metrics.Assessed
			r.Level = level(b, "digital_touchpoint_nps", r.Units)
		}
		get(k)["digital_touchpoint_nps"] = r
	}

	m.phone = map[refKey][2]int64{}
	for k, a := range phone {
		m.phone[k] = [2]int64{a.pos, a.n}
	}

	// ---------- social media (P-T2-6, A15) ----------
	type msg struct {
		agency, clientType, mtype, channel string
		published                          time.Time
		hasReceived, excluded              bool
		reply                              time.Time // earliest non-automated reply
	}
	msgs := map[string]*msg{}
	for i := range evs {
		e := &evs[i]
		if e.Kind != ingest.KindAppeal {
			continue
		}
		key := e.AgencyID + "\x00" + e.AppealID
		mm := msgs[key]
		if mm == nil {
			mm = &msg{agency: e.AgencyID}
			msgs[key] = mm
		}
		if e.Excluded { // «Messages removed under the published moderation rules … are excluded»
			mm.excluded = true
		}
		switch e.Step {
		case "received":
			// docs/events.md: «published_at = occurred_at of the appeal's received step».
			if !mm.hasReceived || e.OccurredAt.Before(mm.published) {
				mm.published, mm.clientType, mm.mtype, mm.channel = e.OccurredAt, e.ClientType, e.MessageType, e.Channel
				mm.hasReceived = true
			}
		case "replied":
			// «first_official_reply_at = the earliest non-automated replied step».
			if !e.Automated && (mm.reply.IsZero() || e.OccurredAt.Before(mm.reply)) {
				mm.reply = e.OccurredAt
			}
		}
	}
	type smAcc struct {
		n, within5      int64
		mentions, offic int64
		maxM, maxO      int64 // seconds; math.MaxInt64 = an unanswered message
	}
	sm := map[refKey]*smAcc{}
	for _, mm := range msgs {
		if !mm.hasReceived || mm.excluded || !socialChannels[mm.channel] {
			continue
		}
		official := mm.mtype == "official_appeal" || mm.mtype == "comment_on_official_post"
		if !official && mm.mtype != "mention" {
			continue
		}
		if stdOf(mm.clientType) != metrics.People {
			continue // P-T2-6 exists only in P (D9)
		}
		k := refKey{metrics.People, mm.agency, quarterOf(mm.published, loc)}
		a := sm[k]
		if a == nil {
			a = &smAcc{}
			sm[k] = a
		}
		a.n++
		rt := int64(math.MaxInt64) // «A message without an official reply … exceeds every limit»
		if !mm.reply.IsZero() {
			rt = int64(mm.reply.Sub(mm.published) / time.Second)
		}
		limit5 := mentionLimits[4]
		if official {
			a.offic++
			limit5 = officialLimits[4]
			a.maxO = max(a.maxO, rt)
		} else {
			a.mentions++
			a.maxM = max(a.maxM, rt)
		}
		if rt <= limit5 {
			a.within5++
		}
	}
	for k, a := range sm {
		r := &refInd{N: a.n, Status: metrics.Assessed,
			Explain: fmt.Sprintf("%d messages (%d mentions max %ds, %d official max %ds), %d within the 5★ limits", a.n, a.mentions, a.maxM, a.offic, a.maxO, a.within5)}
		// The value reported is the share of messages within the 5★ limits (the spec defines only
		// the level; A15: «The compliance share … always reported»).
		r.Raw = pct(a.within5, a.n)
		r.Units = roundUnits(r.Raw)
		// A15: level = max L such that all mentions have rt ≤ M_L and all official appeals and
		// comments have rt ≤ O_L (q = 100 %); a class without messages constrains nothing.
		l := 0
		for L := 1; L <= 5; L++ {
			if a.maxM <= mentionLimits[L-1] && a.maxO <= officialLimits[L-1] {
				l = L
			}
		}
		r.Level = &l
		get(k)["social_media_response_time"] = r
	}
	return m
}

// npsAcc counts 0–10 answers.
type npsAcc struct{ prom, det, n int64 }

// add counts one answer. S-NPS: promoters answer 9–10, detractors 0–6, passives 7–8 count in N only.
func (a *npsAcc) add(score uint8) {
	if score > 10 {
		return
	}
	a.n++
	switch {
	case score >= 9:
		a.prom++
	case score <= 6:
		a.det++
	}
}

// censusShare is a share of complete counts: no interval, min_n.census.
func censusShare(num, den int64, b *metrics.BandSet, code string) *refInd {
	r := &refInd{N: den, Explain: fmt.Sprintf("%d/%d", num, den)}
	if den == 0 {
		r.Status = metrics.NoData
		return r
	}
	r.Raw = pct(num, den)
	r.Units = roundUnits(r.Raw)
	if den < b.Parameters.MinN.Census {
		r.Status = metrics.NotAssessed
		return r
	}
	r.Status = metrics.Assessed
	r.Level = level(b, code, r.Units)
	return r
}

// surveyShare is a share of survey answers: Wilson interval, min_n.survey.
func surveyShare(num, den int64, b *metrics.BandSet, code string) *refInd {
	r := &refInd{N: den, Explain: fmt.Sprintf("%d/%d", num, den)}
	if den == 0 {
		r.Status = metrics.NoData
		return r
	}
	r.Raw = pct(num, den)
	r.Units = roundUnits(r.Raw)
	r.CI = true
	r.CILow, r.CIHigh = wilson(num, den, b.Parameters.CIZ)
	if den < b.Parameters.MinN.Survey {
		r.Status = metrics.NotAssessed // R-NULL: «sample below min_n»
		return r
	}
	r.Status = metrics.Assessed
	r.Level = level(b, code, r.Units)
	return r
}

// level classifies a rounded value with the band table of the standard.
func level(b *metrics.BandSet, code string, units int64) *int {
	d := metrics.NewDecimal(units, 1)
	l, err := b.Level(code, metrics.Facts{Value: &d})
	if err != nil {
		panic(fmt.Sprintf("band table %s: %v", code, err))
	}
	return &l
}

// quarterEnd is the first instant after the quarter "2026Q3" in loc.
func quarterEnd(q string, loc *time.Location) time.Time {
	var y, n int
	fmt.Sscanf(q, "%dQ%d", &y, &n)
	return time.Date(y, time.Month(3*n+1), 1, 0, 0, 0, 0, loc)
}

// addRegistry adds the registry- and declaration-based indicators of the quarters, and the overall
// level (A21), from the registry file the test imports:
//   - proactive_scenario_share (B-T2-1, P-T1-6) and api_scenario_share (B-T2-2): «num = approved
//     scenarios of the agency with proactive_possible = true at quarter end; den = approved scenarios
//     of the agency at quarter end»; P: «0★: no approved scenario with proactive provision» (A9b).
//   - phone_availability (B-T2-15, P-T2-3), A14: «level = max L such that CAP_1..CAP_L hold and phone
//     satisfaction ≥ min_L» (2★ ≥ 60.1, 3★ ≥ 70.1, 4★ ≥ 80.1, 5★ > 90.0); «Phone satisfaction below
//     min_n → the level is capped at 1★»; no declaration → NULL (R-NULL: «a capability not reported»).
//   - appointment_booking (P-T2-7): cumulative capability flags.
func (m *refModel) addRegistry(reg *registry.File, quarters []string, loc *time.Location, bands map[metrics.Standard]*metrics.BandSet) {
	get := func(k refKey) map[string]*refInd {
		r := m.Res[k]
		if r == nil {
			r = map[string]*refInd{}
			m.Res[k] = r
		}
		return r
	}
	for _, q := range quarters {
		end := quarterEnd(q, loc)
		type acc struct{ approved, proactive, api int64 }
		per := map[refKey]*acc{}
		for _, sc := range reg.Scenarios {
			for _, std := range metrics.Standards {
				if sc.Standard != "" && sc.Standard != string(std) {
					continue
				}
				agencies := append([]string{sc.OwnerAgencyID}, sc.ParticipatingAgencyIDs...)
				for _, a := range agencies {
					k := refKey{std, a, q}
					if per[k] == nil {
						per[k] = &acc{}
					}
					at, err := time.Parse(time.RFC3339, sc.ApprovedAt)
					if sc.Status != "approved" || err != nil || !at.Before(end) {
						continue
					}
					per[k].approved++
					if sc.ProactivePossible {
						per[k].proactive++
					}
					if sc.APIPossible {
						per[k].api++
					}
				}
			}
		}
		for k, a := range per {
			b := bands[k.Std]
			res := get(k)
			ex := fmt.Sprintf("%d proactive, %d api of %d approved", a.proactive, a.api, a.approved)
			pro := &refInd{N: a.approved, Explain: ex}
			switch {
			case a.approved > 0:
				pro.Raw = pct(a.proactive, a.approved)
				pro.Units = roundUnits(pro.Raw)
				pro.Status = metrics.Assessed
				pro.Level = proactiveLevel(b, k.Std, pro.Units, a.proactive)
			case k.Std == metrics.People:
				zero := 0 // A9b: «0★: no approved scenario with proactive provision»
				pro.Status, pro.Level = metrics.Assessed, &zero
			default:
				pro.Status = metrics.NoData
			}
			res["proactive_scenario_share"] = pro
			if k.Std == metrics.Business {
				res["api_scenario_share"] = censusShare(a.api, a.approved, b, "api_scenario_share")
				res["api_scenario_share"].Explain = ex
			}
		}
	}
	declared := map[refKey]map[string][]string{}
	for _, d := range reg.Declarations {
		k := refKey{metrics.Standard(d.Standard), d.AgencyID, d.Quarter}
		if declared[k] == nil {
			declared[k] = map[string][]string{}
		}
		declared[k][d.Indicator] = d.Flags
	}
	phoneCaps := []string{"phone_working_hours", "phone_offhours_chatbot_callback", "", "phone_24x7_one_stop_shops", "phone_24x7_agencies"}
	phoneMin := []int64{0, 601, 701, 801, 901} // tenths; 5★ is «свыше 90%» = > 90.0, i.e. ≥ 90.1 after R-ROUND
	bookingCaps := []string{"booking_one_method", "booking_one_method_24x7", "booking_any_method_24x7", "reminder_1d_change_cancel", "reminder_1d_2h_change_cancel"}
	for _, q := range quarters {
		for _, std := range metrics.Standards {
			keys := map[refKey]bool{}
			for k := range declared {
				if k.Std == std && k.Quarter == q {
					keys[k] = true
				}
			}
			for k := range m.phone {
				if k.Std == std && k.Quarter == q {
					keys[k] = true
				}
			}
			for k := range keys {
				b := bands[std]
				cnt := m.phone[k]
				flags, ok := declared[k]["phone_availability"]
				r := &refInd{N: cnt[1], Status: metrics.NoData, Explain: fmt.Sprintf("sat_phone %d/%d, flags %v (declared %v)", cnt[0], cnt[1], flags, ok)}
				if cnt[1] > 0 {
					r.Raw = pct(cnt[0], cnt[1])
					r.Units = roundUnits(r.Raw)
					r.CI = true
					r.CILow, r.CIHigh = wilson(cnt[0], cnt[1], b.Parameters.CIZ)
					r.Status = metrics.NotAssessed
				}
				if ok {
					has := map[string]bool{}
					for _, f := range flags {
						has[f] = true
					}
					enough := cnt[1] >= b.Parameters.MinN.Survey
					l := 0
					for L := 1; L <= 5; L++ {
						c := phoneCaps[L-1]
						if c != "" && !has[c] {
							break
						}
						if L > 1 && (!enough || r.Units < phoneMin[L-1]) {
							break
						}
						l = L
					}
					r.Status, r.Level = metrics.Assessed, &l
				}
				get(k)["phone_availability"] = r
				if std == metrics.People {
					bk := &refInd{Status: metrics.NoData}
					if fl, ok := declared[k]["appointment_booking"]; ok {
						has := map[string]bool{}
						for _, f := range fl {
							has[f] = true
						}
						l := 0
						for L := 1; L <= 5 && has[bookingCaps[L-1]]; L++ {
							l = L
						}
						bk.Status, bk.Level, bk.Explain = metrics.Assessed, &l, fmt.Sprint(fl)
					}
					get(k)["appointment_booking"] = bk
				}
			}
		}
	}
	// A21: «default to the minimum over Table 1 indicators with non-NULL levels».
	cat := metrics.DefaultCatalog()
	m.Overall = map[refKey]*int{}
	for k, res := range m.Res {
		var o *int
		for code, r := range res {
			ind, ok := cat.Lookup(k.Std, code)
			if !ok || ind.Table != 1 || r.Level == nil {
				continue
			}
			if o == nil || *r.Level < *o {
				v := *r.Level
				o = &v
			}
		}
		m.Overall[k] = o
	}
}

// proactiveLevel classifies a proactive share: P uses the A9b ladder (1★ needs ≥ 1 approved
// proactive scenario), B the «до 35%» ladder.
func proactiveLevel(b *metrics.BandSet, std metrics.Standard, units, proactive int64) *int {
	d := metrics.NewDecimal(units, 1)
	l, err := b.Level("proactive_scenario_share", metrics.Facts{Value: &d,
		Metrics: map[string]metrics.Decimal{"approved_proactive_scenarios": metrics.NewDecimal(proactive, 0)}})
	if err != nil {
		panic(err)
	}
	return &l
}
