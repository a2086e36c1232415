package transform

import (
	"fmt"
)

// goldenEvents is the hand-built data set of 2026Q3. Agency "a1" has people (person) events,
// agency "a2" business events. Every expected number is derived in TestGolden. It is data, a
// block of events per indicator under the numbers it must give, so its length is the data's.
func goldenEvents() (main, late lines) {
	var l lines
	P, B := "person", "business"
	// ── a1 ease (people): in Q3 4,4,3,2,1,3 → 4 positive of 6; plus one answer on each side of the
	// Moscow quarter start: 20:59:59Z is Q2 (excluded), 21:00:00Z is Q3 (score 4, included).
	for i, s := range []int{4, 4, 3, 2, 1, 3} {
		l.rating("", "a1", P, fmt.Sprintf("c%d", i), "ease", s, "2026-07-1"+fmt.Sprint(i)+"T10:00:00Z", nil)
	}
	l.rating("", "a1", P, "cq2", "ease", 1, lastQ2, nil)
	l.rating("", "a1", P, "cq3", "ease", 4, firstQ3, nil)
	// ── a1 satisfaction: 4,3,3,2,1 and client cx answering twice about request R1 (1, then 4):
	// only the latest answer counts (A24) → 4,3,3,2,1,4.
	for i, s := range []int{4, 3, 3, 2, 1} {
		l.rating("", "a1", P, fmt.Sprintf("c%d", i), "satisfaction", s, "2026-08-0"+fmt.Sprint(i+1)+"T10:00:00Z", nil)
	}
	l.rating("", "a1", P, "cx", "satisfaction", 1, "2026-08-10T10:00:00Z", map[string]any{"request_id": "R1", "service_id": "sA"})
	l.rating("", "a1", P, "cx", "satisfaction", 4, "2026-08-11T10:00:00Z", map[string]any{"request_id": "R1", "service_id": "sA"})
	// ── a1 nps per service: s1 10,9,9,5; s2 10,0,3; s3 9,6,7,8; s4 10,10 (below service min_n 3).
	for svc, scores := range map[string][]int{"s1": {10, 9, 9, 5}, "s2": {10, 0, 3}, "s3": {9, 6, 7, 8}, "s4": {10, 10}} {
		for i, s := range scores {
			l.rating("", "a1", P, fmt.Sprintf("n%s%d", svc, i), "nps", s, "2026-09-01T10:00:00Z", map[string]any{"service_id": svc, "life_situation_id": "ls1"})
		}
	}
	// ── a1 nps_digital: portal/mobile_app/chat_bot 10,9,9,8,0; one office answer (not digital).
	for i, s := range []int{10, 9, 9, 8, 0} {
		ch := []string{"portal", "mobile_app", "chat_bot", "portal", "portal"}[i]
		l.rating("", "a1", P, fmt.Sprintf("d%d", i), "nps_digital", s, "2026-09-02T10:00:00Z", map[string]any{"channel": ch})
	}
	l.rating("", "a1", P, "d9", "nps_digital", 0, "2026-09-02T10:00:00Z", map[string]any{"channel": "office"})
	// ── a1 sat_phone: 4,4,4,3,1.
	for i, s := range []int{4, 4, 4, 3, 1} {
		l.rating("", "a1", P, fmt.Sprintf("p%d", i), "sat_phone", s, "2026-09-03T10:00:00Z", map[string]any{"channel": "phone"})
	}
	// ── a1 service histories (people).
	sv := func(client, req, svc, kind, status, at string, extra map[string]any) {
		l.service("a1", P, client, req, svc, kind, status, at, extra)
	}
	sv("c1", "r1", "sA", "service", "submitted", "2026-06-05T10:00:00Z", nil)
	sv("c1", "r1", "sA", "service", "completed", "2026-06-20T10:00:00Z", nil) // Q2: lookback only
	sv("c1", "r2", "sA", "service", "submitted", "2026-07-10T09:00:00Z", map[string]any{"scenario_id": "sc1", "life_situation_id": "ls1"})
	sv("c1", "r2", "sA", "service", "completed", "2026-07-12T10:00:00Z", map[string]any{"scenario_id": "sc1", "life_situation_id": "ls1"})
	sv("c1", "r3", "sA", "service", "submitted", "2026-08-20T10:00:00Z", nil) // 07-12 + 28 d = 08-09: not a repeat
	sv("c2", "r4", "sB", "service", "submitted", "2026-07-01T10:00:00Z", nil)
	sv("c2", "r4", "sB", "service", "refused", "2026-07-02T10:00:00Z", nil)
	sv("c2", "r5", "sB", "service", "submitted", "2026-07-05T10:00:00Z", nil) // after a refusal: not a repeat
	sv("c3", "r6", "sC", "service", "submitted", firstQ3, nil)                // first second of Q3 in Moscow
	sv("c3", "r6", "sC", "service", "completed", "2026-07-01T10:00:00Z", nil)
	sv("c3", "r7", "sC", "service", "submitted", lastQ2, nil) // last second of Q2: not in the denominator
	sv("c3", "r7", "sC", "service", "completed", "2026-07-03T10:00:00Z", nil)
	sv("c3", "r8", "sC", "service", "submitted", "2026-07-03T12:00:00Z", nil) // repeat (after r6 and r7): counted once
	sv("c4", "r9", "sA", "service", "submitted", lastQ3, nil)                 // last second of Q3
	sv("c4", "r10", "sA", "service", "submitted", firstQ4, nil)               // Q4
	sv("c5", "r11", "sD", "support_measure", "submitted", "2026-07-15T10:00:00Z", map[string]any{"scenario_id": "sc2"})
	// ── a1 social media (people).
	ap := func(id, step, mt, ch, at string, extra map[string]any) { l.appeal("a1", id, step, mt, ch, at, extra) }
	ap("m1", "received", "mention", "social_network", "2026-07-01T10:00:00Z", nil)
	ap("m1", "replied", "", "social_network", "2026-07-01T17:00:00Z", nil) // 7 h
	ap("m2", "received", "official_appeal", "public_chat", "2026-07-02T10:00:00Z", nil)
	ap("m2", "replied", "", "public_chat", "2026-07-02T13:30:00Z", nil) // 3.5 h
	ap("m3", "received", "comment_on_official_post", "social_network", "2026-07-03T10:00:00Z", nil)
	ap("m3", "replied", "", "social_network", "2026-07-03T11:00:00Z", nil)                                      // 1 h
	ap("m4", "received", "mention", "social_network", "2026-07-04T10:00:00Z", map[string]any{"excluded": true}) // moderated: excluded
	ap("m5", "received", "official_appeal", "email", "2026-07-04T10:00:00Z", nil)                               // not social: ignored
	ap("m6", "received", "mention", "social_network", "2026-07-05T10:00:00Z", nil)
	ap("m6", "replied", "", "social_network", "2026-07-05T10:01:00Z", map[string]any{"automated": true}) // automatic: not an answer
	ap("m6", "replied", "", "social_network", "2026-07-05T15:00:00Z", nil)                               // 5 h
	// ── a2 business: 10 requests submitted in Q3, one repeat → exactly 10.0 %.
	bs := func(client, req, svc, kind, status, at string, extra map[string]any) {
		l.service("a2", B, client, req, svc, kind, status, at, extra)
	}
	bs("b9", "q20", "sX", "service", "submitted", "2026-07-01T10:00:00Z", nil)
	bs("b9", "q20", "sX", "service", "completed", "2026-07-02T10:00:00Z", nil)
	bs("b9", "q21", "sX", "service", "submitted", "2026-07-05T10:00:00Z", nil)
	for i := 22; i <= 29; i++ {
		svc, kind := "sY", "service"
		var extra map[string]any
		if i >= 26 {
			svc, kind = "sZ", "support_measure"
			extra = map[string]any{"scenario_id": "sc20"}
		}
		if i == 22 {
			extra = map[string]any{"scenario_id": "sc21"}
		}
		bs(fmt.Sprintf("b%d", i), fmt.Sprintf("q%d", i), svc, kind, "submitted", "2026-08-01T10:00:00Z", extra)
	}
	// a2 sat_compliance_costs 4,3,2,1 → 50.0; ease 4,4,4 (below min_n 4).
	for i, s := range []int{4, 3, 2, 1} {
		l.rating("", "a2", B, fmt.Sprintf("bc%d", i), "sat_compliance_costs", s, "2026-08-05T10:00:00Z", nil)
	}
	for i := 0; i < 3; i++ {
		l.rating("", "a2", B, fmt.Sprintf("be%d", i), "ease", 4, "2026-08-06T10:00:00Z", nil)
	}
	// Late: one more a1 ease answer (score 1) delivered after the first assessment.
	var lt lines
	lt.rating("late-ease-1", "a1", P, "c-late", "ease", 1, "2026-09-15T10:00:00Z", nil)
	return l, lt
}
