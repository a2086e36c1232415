package transform_test

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/metrics"
)

// edgeEvents are hand-made events of one more agency, xc-edge, on the edges the simulator rarely
// hits (Moscow midnight = 21:00 UTC). Expected by the specification:
//   - request e-r1 (person, xc-edge.s1) submitted 2026-03-31 23:59:59 MSK (Q1), completed
//     2026-04-01 00:00:00 MSK (Q2) = t1. Requests of the same client and service submitted at t1
//     (e-r2: not a repeat, t1 < submitted fails), at t1 + 28 days exactly (e-r3: a repeat, «≤ t1 + 28×24 h»)
//     and one second later (e-r4: not a repeat). Q2 repeat rate = 1/3 = 33.3 %, Q1 = 0/1.
//   - a satisfaction answer for e-r1 in Q1 (grade 1) re-answered in Q2 (grade 4): A24 «One answer per
//     client per request per question (the latest kept)».
//   - an nps answer without service_id: it cannot count for any service (A9).
//   - one mention answered in 1 h and no official appeal or comment in 2026Q2: A15 «level = max L
//     such that all mentions have rt ≤ M_L and all official appeals and comments have rt ≤ O_L»
//     holds for L = 5 (nothing to violate in the empty class).
//   - an official appeal in a public chat answered automatically after 30 min and officially after
//     exactly 2 h: «не должно превышать … 2 часа» (A2: ≤) still meets 5★; unanswered messages that
//     do not count: an official appeal by e-mail (not a social network or public chat), an
//     excluded mention (moderation), a written appeal in a public chat (neither class), a business
//     client's mention (P-T2-6 exists only in P). 2026Q2: 2 messages, 2 within the 5★ limits, 5★.
//   - a business client's two sat_path_time answers: below min_n (not assessed), every other B
//     indicator of xc-edge has no data.
const edgeEvents = `{"schema":"service_event.v1","event_id":"xe-1","occurred_at":"2026-03-31T23:59:59+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","request_id":"e-r1","service_id":"xc-edge.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xe-2","occurred_at":"2026-03-31T21:00:00Z","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","request_id":"e-r1","service_id":"xc-edge.s1","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xe-3","occurred_at":"2026-04-01T00:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","request_id":"e-r2","service_id":"xc-edge.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xe-4","occurred_at":"2026-04-29T00:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","request_id":"e-r3","service_id":"xc-edge.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xe-5","occurred_at":"2026-04-29T00:00:01+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","request_id":"e-r4","service_id":"xc-edge.s1","status":"submitted","channel":"portal"}
{"schema":"rating.v1","event_id":"xe-6","occurred_at":"2026-03-31T23:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","question":"satisfaction","score":1,"service_id":"xc-edge.s1","request_id":"e-r1"}
{"schema":"rating.v1","event_id":"xe-7","occurred_at":"2026-04-01T01:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","question":"satisfaction","score":4,"service_id":"xc-edge.s1","request_id":"e-r1"}
{"schema":"rating.v1","event_id":"xe-8","occurred_at":"2026-04-02T10:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee01","question":"nps","score":10,"request_id":"e-r1"}
{"schema":"rating.v1","event_id":"xe-9","occurred_at":"2026-05-02T10:00:00+03:00","agency_id":"xc-edge","client_type":"business","client_id":"b0ffee01","question":"sat_path_time","score":3,"request_id":"e-b1"}
{"schema":"service_event.v1","event_id":"xe-11","occurred_at":"2026-03-30T10:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee02","request_id":"e-r5","service_id":"xc-edge.s2","status":"submitted","channel":"portal","scenario_id":"sc-edge"}
{"schema":"service_event.v1","event_id":"xe-12","occurred_at":"2026-04-03T10:00:00+03:00","agency_id":"xc-edge","client_type":"person","client_id":"c0ffee02","request_id":"e-r5","service_id":"xc-edge.s2","status":"completed","channel":"portal","scenario_id":"sc-edge"}
{"schema":"appeal.v1","event_id":"xe-13","occurred_at":"2026-05-05T10:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a1","step":"received","message_type":"mention","channel":"social_network"}
{"schema":"appeal.v1","event_id":"xe-14","occurred_at":"2026-05-05T11:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a1","step":"replied","channel":"social_network","reply_text":"Добрый день! Ответили в личном кабинете."}
{"schema":"appeal.v1","event_id":"xe-15","occurred_at":"2026-05-06T12:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a2","step":"received","message_type":"official_appeal","channel":"public_chat"}
{"schema":"appeal.v1","event_id":"xe-16","occurred_at":"2026-05-06T12:30:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a2","step":"replied","channel":"public_chat","automated":true,"reply_text":"Сообщение получено."}
{"schema":"appeal.v1","event_id":"xe-17","occurred_at":"2026-05-06T14:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a2","step":"replied","channel":"public_chat","reply_text":"Добрый день! Ответ направлен."}
{"schema":"appeal.v1","event_id":"xe-18","occurred_at":"2026-05-07T12:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a3","step":"received","message_type":"official_appeal","channel":"email"}
{"schema":"appeal.v1","event_id":"xe-19","occurred_at":"2026-05-07T12:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a4","step":"received","message_type":"mention","channel":"social_network","excluded":true}
{"schema":"appeal.v1","event_id":"xe-20","occurred_at":"2026-05-07T12:00:00+03:00","agency_id":"xc-edge","client_type":"person","appeal_id":"e-a5","step":"received","message_type":"written_appeal","channel":"public_chat"}
{"schema":"appeal.v1","event_id":"xe-21","occurred_at":"2026-05-07T12:00:00+03:00","agency_id":"xc-edge","client_type":"business","appeal_id":"e-a6","step":"received","message_type":"mention","channel":"social_network"}
{"schema":"rating.v1","event_id":"xe-10","occurred_at":"2026-05-03T10:00:00+03:00","agency_id":"xc-edge","client_type":"business","client_id":"b0ffee02","question":"sat_path_time","score":2,"request_id":"e-b2"}
`

// edgeValid is the number of lines of edgeEvents.
const edgeValid = 21

// fastEvents are hand-made service events of one more agency, xc-fast, for the rows of one request
// per client × service, which services.sql reduces without sorting (its step 0), next to rows of
// two (2026Q2 starts 2026-03-31 21:00 UTC, its lookback 28 days earlier, 2026-03-03 21:00 UTC):
//   - f-r1 (s1) completed 2026-04-10, submitted 2026-04-20: its own completion is earlier and
//     within 28 days: a repeat;
//   - f-r2 (s2) completed 2026-04-01 10:00, submitted exactly 28 days later: a repeat (≤ t1 + 28 d);
//   - f-r3 (s3) the same one second later: not a repeat;
//   - f-r4 (s4) submitted and completed in the same second: not a repeat (t1 < submitted fails);
//   - s5: f-r6 submitted 2026-03-10 and completed 2026-03-20 (the lookback), f-r5 submitted
//     2026-04-05: two requests in the window, f-r5 a repeat;
//   - s6: f-r7 submitted and completed before the lookback (2026-02-27, 2026-03-01; the month of
//     the lookback's start), f-r8 submitted 2026-04-02: one request in the window, not a repeat;
//   - f-r9 (s7) submitted 2026-03-25 within scenario sc-fast, completed 2026-04-03 without one:
//     active in 2026Q2 and in a scenario there, but not submitted in it.
//
// Repeats: 2026Q2 f-r1, f-r2, f-r5 of f-r1..f-r5 and f-r8: 3/6 = 50.0 % → 0★; 2026Q1 none of
// f-r6, f-r7, f-r9: 0/3 → 5★.
const fastEvents = `{"schema":"service_event.v1","event_id":"xf-1","occurred_at":"2026-04-10T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000001","request_id":"f-r1","service_id":"xc-fast.s1","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-2","occurred_at":"2026-04-20T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000001","request_id":"f-r1","service_id":"xc-fast.s1","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-3","occurred_at":"2026-04-01T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000002","request_id":"f-r2","service_id":"xc-fast.s2","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-4","occurred_at":"2026-04-29T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000002","request_id":"f-r2","service_id":"xc-fast.s2","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-5","occurred_at":"2026-04-01T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000003","request_id":"f-r3","service_id":"xc-fast.s3","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-6","occurred_at":"2026-04-29T10:00:01Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000003","request_id":"f-r3","service_id":"xc-fast.s3","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-7","occurred_at":"2026-04-05T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000004","request_id":"f-r4","service_id":"xc-fast.s4","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-8","occurred_at":"2026-04-05T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000004","request_id":"f-r4","service_id":"xc-fast.s4","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-9","occurred_at":"2026-03-10T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000005","request_id":"f-r6","service_id":"xc-fast.s5","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-10","occurred_at":"2026-03-20T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000005","request_id":"f-r6","service_id":"xc-fast.s5","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-11","occurred_at":"2026-04-05T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000005","request_id":"f-r5","service_id":"xc-fast.s5","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-12","occurred_at":"2026-02-27T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000006","request_id":"f-r7","service_id":"xc-fast.s6","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-13","occurred_at":"2026-03-01T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000006","request_id":"f-r7","service_id":"xc-fast.s6","status":"completed","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-14","occurred_at":"2026-04-02T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000006","request_id":"f-r8","service_id":"xc-fast.s6","status":"submitted","channel":"portal"}
{"schema":"service_event.v1","event_id":"xf-15","occurred_at":"2026-03-25T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000007","request_id":"f-r9","service_id":"xc-fast.s7","status":"submitted","channel":"portal","scenario_id":"sc-fast"}
{"schema":"service_event.v1","event_id":"xf-16","occurred_at":"2026-04-03T10:00:00Z","agency_id":"xc-fast","client_type":"person","client_id":"f0000007","request_id":"f-r9","service_id":"xc-fast.s7","status":"completed","channel":"portal"}
`

// fastValid is the number of lines of fastEvents.
const fastValid = 16

// checkEdgeRef checks the reference itself on the hand-made xc-edge events, against arithmetic
// done by hand (Wilson with z = 1.96: 1/1 → [20.654, 100], 1/2 → [9.453, 90.547]).
func checkEdgeRef(t *testing.T, ref *refModel) {
	t.Helper()
	type exp struct {
		std        metrics.Standard
		q, code    string
		status     metrics.Status
		units, n   int64
		level      int // -1: null
		low, high  float64
		hasCI      bool
		annotation string
		agency     string
	}
	for _, e := range []exp{
		// Q1 requests submitted: e-r1 (s1), e-r5 (s2); e-r1's completion is 2026-04-01 00:00 MSK (Q2),
		// so nothing can repeat in Q1: 0/2 = 0.0 %, P_REPEAT 0.0 ≤ 0.5 → 5★.
		{metrics.People, "2026Q1", "repeat_request_rate", metrics.Assessed, 0, 2, 5, 0, 0, false, "0/2", ""},
		// Q2: e-r2 at t1 (not > t1), e-r3 at t1 + 28 d (repeat), e-r4 one second later: 1/3 = 33.3 % > 10.0 → 0★.
		{metrics.People, "2026Q2", "repeat_request_rate", metrics.Assessed, 333, 3, 0, 0, 0, false, "1/3", ""},
		// xc-fast (fastEvents): one request per client × service and two, repeat edges.
		{metrics.People, "2026Q2", "repeat_request_rate", metrics.Assessed, 500, 6, 0, 0, 0, false, "3/6", "xc-fast"},
		{metrics.People, "2026Q1", "repeat_request_rate", metrics.Assessed, 0, 3, 5, 0, 0, false, "0/3", "xc-fast"},
		// Q1: s1 (e-r1, no scenario) and s2 (e-r5, scenario): 1/2 = 50.0 % → 2★ (35.1–50).
		{metrics.People, "2026Q1", "scenario_coverage", metrics.Assessed, 500, 2, 2, 0, 0, false, "1/2", ""},
		// Q2: s1 (e-r1 completed, e-r2..4) and s2 (e-r5 completed within sc-edge): 1/2 = 50.0 %.
		{metrics.People, "2026Q2", "scenario_coverage", metrics.Assessed, 500, 2, 2, 0, 0, false, "1/2", ""},
		// The Q1 grade 1 is superseded by the Q2 grade 4 (A24): Q1 no data, Q2 1/1 = 100.0 % below min_n.
		{metrics.People, "2026Q1", "satisfaction_positive_share", metrics.NoData, 0, 0, -1, 0, 0, false, "none", ""},
		{metrics.People, "2026Q2", "satisfaction_positive_share", metrics.NotAssessed, 1000, 1, -1, 20.654329147, 100, true, "1/1", ""},
		// The only nps answer has no service_id (A9): no data.
		{metrics.People, "2026Q2", "nps_positive_service_share", metrics.NoData, 0, 0, -1, 0, 0, false, "none", ""},
		// Business: grades 3 and 2: 1/2 = 50.0 %, n 2 < 30.
		{metrics.Business, "2026Q2", "sat_client_path_time", metrics.NotAssessed, 500, 2, -1, 9.452865480, 90.547134520, true, "1/2", ""},
		{metrics.Business, "2026Q2", "ease_positive_share", metrics.NoData, 0, 0, -1, 0, 0, false, "none", ""},
		// A mention answered in 1 h and an official appeal in exactly 2 h: 2/2 within the 5★ limits, 5★.
		{metrics.People, "2026Q2", "social_media_response_time", metrics.Assessed, 1000, 2, 5, 0, 0, false, "2/2", ""},
		// xc-round services: s1 NPS 0 (10/10/10), s2 NPS > 0 (11/10/9), s3 29 promoters (below min_n):
		// 1 of 2 positive = 50.0 % → 0★ (A8: NPS = 0 is not positive), Wilson 1/2.
		{metrics.People, "2026Q2", "nps_positive_service_share", metrics.Assessed, 500, 2, 0, 9.452865, 90.547135, true, "1/2", "xc-round"},
		// Wilson 16/30 → [36.142, 69.768]; 29/29 → [88.303, 100].
		{metrics.Business, "2026Q2", "ease_positive_share", metrics.Assessed, 533, 30, 1, 36.142013, 69.767873, true, "16/30", "xc-round"},
		{metrics.People, "2026Q2", "ease_positive_share", metrics.NotAssessed, 1000, 29, -1, 88.302641, 100, true, "29/29", "xc-round"},
		// xc-round (roundingEvents); Wilson 1001/2000 → [47.861, 52.239], 87/2000 → [3.540, 5.335];
		// NPS −0.0495 ± 1.96·sqrt((0.0495 − 0.0495²)/2000) → [−5.901, −3.999].
		{metrics.People, "2026Q2", "satisfaction_positive_share", metrics.Assessed, 501, 2000, 1, 47.860660, 52.239148, true, "1001/2000", "xc-round"},
		{metrics.Business, "2026Q2", "satisfaction_positive_share", metrics.Assessed, 44, 2000, 0, 3.540115, 5.334917, true, "87/2000", "xc-round"},
		{metrics.People, "2026Q2", "digital_touchpoint_nps", metrics.Assessed, -50, 2000, 1, -5.900648, -3.999352, true, "(0−99)/2000", "xc-round"},
	} {
		if e.agency == "" {
			e.agency = "xc-edge"
		}
		got := ref.Res[refKey{e.std, e.agency, e.q}][e.code]
		if got == nil {
			got = &refInd{Status: metrics.NoData}
		}
		var lv *int
		if e.level >= 0 {
			lv = &e.level
		}
		want := &refInd{Status: e.status, N: e.n, Units: e.units, Level: lv, CI: e.hasCI, CILow: e.low, CIHigh: e.high}
		if e.status != metrics.NoData {
			want.Raw = new(big.Rat) // presence only; Units is compared
		}
		bad := got.Status != want.Status || got.N != want.N || (got.Raw == nil) != (want.Raw == nil) || got.Units != want.Units ||
			lvl(got.Level) != lvl(want.Level) || got.CI != want.CI || math.Abs(got.CILow-want.CILow) > 1e-6 || math.Abs(got.CIHigh-want.CIHigh) > 1e-6
		if bad {
			t.Errorf("reference %s %s %s %s = %+v, want %s: %+v", e.std, e.q, e.agency, e.code, *got, e.annotation, *want)
		}
	}
}

// roundingValid is the number of lines of roundingEvents.
const roundingValid = 3*2000 + 2 + 30 + 30 + 29 + 30 + 29

// roundingEvents are 2,000 answers each of three questions of one more agency, xc-round, in 2026Q2,
// whose exact values end in 5 at the second decimal, where binary floating point falls below the
// half (A1: «round half-up to one decimal … use decimal arithmetic, not binary floats»):
//   - people satisfaction, 1,001 of 2,000 positive: 50.05 % → 50.1 → 1★ (float64 gives 50.04999…, 50.0, 0★);
//   - business satisfaction, 87 of 2,000 positive: 4.35 % → 4.4 (float64 4.34999…);
//   - people nps_digital, 0 promoters and 99 detractors of 2,000: −4.95 → −5.0 (half away from zero);
//     two more promoters at non-digital touchpoints (mfc, none) do not count (P-T2-5);
//   - people nps by service: xr.s1 10 promoters, 10 passives, 10 detractors (NPS 0); xr.s2 11, 9, 10
//     (NPS > 0); xr.s3 29 promoters (below min_n 30);
//   - min_n = 30 exactly: business ease 16 of 30 positive = 53.3 % → 1★ assessed; people ease 29
//     answers, all positive: 100.0 % but not assessed.
func roundingEvents() string {
	var b strings.Builder
	base := time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)
	line := func(i int, ct, q string, score int) {
		fmt.Fprintf(&b, `{"schema":"rating.v1","event_id":"xr-%s-%s-%d","occurred_at":"%s","agency_id":"xc-round","client_type":"%s","client_id":"%x","question":"%s","score":%d,"request_id":"xr-%s-%d","channel":"portal"}`+"\n",
			ct, q, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), ct, 0xabc000+i, q, score, ct, i)
	}
	for i := 0; i < 2000; i++ {
		line(i, "person", "satisfaction", map[bool]int{true: 4, false: 2}[i < 1001])
		line(i, "business", "satisfaction", map[bool]int{true: 3, false: 1}[i < 87])
		line(i, "person", "nps_digital", map[bool]int{true: 3, false: 8}[i < 99])
	}
	for i, ch := range []string{`,"channel":"mfc"`, ``} {
		fmt.Fprintf(&b, `{"schema":"rating.v1","event_id":"xr-nd-%d","occurred_at":"2026-05-13T10:00:00+03:00","agency_id":"xc-round","client_type":"person","client_id":"%x","question":"nps_digital","score":10,"request_id":"xr-nd-%d"%s}`+"\n", i, 0xdd00+i, i, ch)
	}
	svc := func(id string, prom, pass, det int) {
		for i := 0; i < prom+pass+det; i++ {
			score := 10
			if i >= prom {
				score = 7
			}
			if i >= prom+pass {
				score = 0
			}
			fmt.Fprintf(&b, `{"schema":"rating.v1","event_id":"xr-%s-%d","occurred_at":"2026-05-14T10:00:00+03:00","agency_id":"xc-round","client_type":"person","client_id":"%x","question":"nps","score":%d,"service_id":"%s","request_id":"xr-%s-%d"}`+"\n", id, i, 0xee00+i, score, id, id, i)
		}
	}
	svc("xr.s1", 10, 10, 10)
	svc("xr.s2", 11, 9, 10)
	svc("xr.s3", 29, 0, 0)
	for i := 0; i < 30; i++ {
		line(3000+i, "business", "ease", map[bool]int{true: 4, false: 1}[i < 16])
		if i < 29 {
			line(3000+i, "person", "ease", 4)
		}
	}
	return b.String()
}
