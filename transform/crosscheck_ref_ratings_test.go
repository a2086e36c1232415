package transform_test

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/metrics"
)

// addRatings computes the survey indicators (R-SURVEY, A12, A24) from the latest answers;
// perQuarter as in buildRef. It follows the rules of docs/indicators.md in their order, each step under the
// words it implements, so that it is checked against the text in one read; it stays whole.
func (m *refModel) addRatings(evs []ingest.Event, loc *time.Location, bands map[metrics.Standard]*metrics.BandSet, perQuarter bool) {
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
			entry(services[k], e.ServiceID).add(e.Score)
		case "nps_digital":
			// P-T2-5: «one NPS for the agency and quarter, pooled over all answers with a digital
			// touchpoint». Standard P only.
			if std != metrics.People || !digitalChannels[e.Channel] {
				continue
			}
			m.det(k, "digital_touchpoint_nps", "service", e.ServiceID, true).add(e.Score)
			m.det(k, "digital_touchpoint_nps", "life_situation", e.LifeSituationID, true).add(e.Score)
			entry(digital, k).add(e.Score)
		case "sat_phone":
			// P-T2-3 / B-T2-15, A14: the satisfaction part of phone availability, grades 4 and 3.
			m.det(k, "phone_availability", "service", e.ServiceID, false).grade(e.Score)
			m.det(k, "phone_availability", "life_situation", e.LifeSituationID, false).grade(e.Score)
			entry(phone, k).grade(e.Score)
		default:
			code, ok := question2code[e.Question]
			if !ok || (businessOnly[code] && std != metrics.Business) {
				continue
			}
			if shares[k] == nil {
				shares[k] = map[string]*shareAcc{}
			}
			m.det(k, code, "service", e.ServiceID, false).grade(e.Score)
			m.det(k, code, "life_situation", e.LifeSituationID, false).grade(e.Score)
			entry(shares[k], code).grade(e.Score)
		}
	}
	for k, byCode := range shares {
		b := bands[k.Std]
		for code, a := range byCode {
			m.result(k)[code] = surveyShare(a.pos, a.n, b, code)
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
		m.result(k)["nps_positive_service_share"] = r
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
		m.result(k)["digital_touchpoint_nps"] = r
	}

	m.phone = map[refKey][2]int64{}
	for k, a := range phone {
		m.phone[k] = [2]int64{a.pos, a.n}
	}
}

// addSocial computes the social-media response time (P-T2-6, A15) from the appeals. It follows the rules of docs/indicators.md in their order, each step under the
// words it implements, so that it is checked against the text in one read; it stays whole.
func (m *refModel) addSocial(evs []ingest.Event, loc *time.Location, bands map[metrics.Standard]*metrics.BandSet) {
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
		mm := entry(msgs, key)
		mm.agency = e.AgencyID
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
		m.result(k)["social_media_response_time"] = r
	}
}
