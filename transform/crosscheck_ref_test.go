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
	for i := range evs {
		m.mark(stdOf(evs[i].ClientType), quarterOf(evs[i].OccurredAt, loc), evs[i].AgencyID)
	}
	m.addServices(evs, loc, bands)
	m.addRatings(evs, loc, bands, perQuarter)
	m.addSocial(evs, loc, bands)
	return m
}

// result returns the reference results of k, made when missing.
func (m *refModel) result(k refKey) map[string]*refInd {
	r := m.Res[k]
	if r == nil {
		r = map[string]*refInd{}
		m.Res[k] = r
	}
	return r
}

// mark records that agency has events of standard std in quarter q.
func (m *refModel) mark(std metrics.Standard, q, agency string) {
	if m.Agencies[std] == nil {
		m.Agencies[std] = map[string]map[string]bool{}
	}
	if m.Agencies[std][q] == nil {
		m.Agencies[std][q] = map[string]bool{}
	}
	m.Agencies[std][q][agency] = true
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

// entry returns m[k], adding a zero accumulator first when m has none.
func entry[K comparable, V any](m map[K]*V, k K) *V {
	v := m[k]
	if v == nil {
		v = new(V)
		m[k] = v
	}
	return v
}

// shareAcc counts the valid grades of a survey share and the positive ones.
type shareAcc struct{ pos, n int64 }

// grade counts one answer. S-SAT / S-EASE (and the satisfaction part of phone availability):
// positive = grades 4 and 3 among valid grades 1–4.
func (a *shareAcc) grade(score uint8) {
	if score >= 1 && score <= 4 {
		a.n++
		if score >= 3 {
			a.pos++
		}
	}
}

// censusShare is a share of complete counts: no interval, min_n.census.
func censusShare(num, den int64, b *metrics.BandSet, code string) *refInd {
	return share(num, den, b, code, false, b.Parameters.MinN.Census)
}

// surveyShare is a share of survey answers: Wilson interval, min_n.survey.
func surveyShare(num, den int64, b *metrics.BandSet, code string) *refInd {
	return share(num, den, b, code, true, b.Parameters.MinN.Survey)
}

// share is num of den in per cent, with the Wilson interval when ci, assessed from minN on
// (R-NULL: «sample below min_n»).
func share(num, den int64, b *metrics.BandSet, code string, ci bool, minN int64) *refInd {
	r := &refInd{N: den, Explain: fmt.Sprintf("%d/%d", num, den)}
	if den == 0 {
		r.Status = metrics.NoData
		return r
	}
	r.Raw = pct(num, den)
	r.Units = roundUnits(r.Raw)
	if ci {
		r.CI = true
		r.CILow, r.CIHigh = wilson(num, den, b.Parameters.CIZ)
	}
	if den < minN {
		r.Status = metrics.NotAssessed
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
