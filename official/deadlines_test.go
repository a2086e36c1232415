package official

import (
	"context"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/scorecardtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

// The written-appeal acknowledgement (24 h) and the business social-media replies (4 h / 2 h) on
// their boundaries. Moscow 2026Q3 is [2026-06-30T21:00:00Z, 2026-09-30T21:00:00Z).
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestDeadlines(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	var f feed
	const in = "2026-08-01T10:00:00Z"
	written := func(agency, ctype, id, at string) {
		f.appeal(agency, ctype, id, "received", "written_appeal", "email", at)
	}
	reply := func(agency, ctype, id, at string, flags ...string) {
		f.appeal(agency, ctype, id, "replied", "", "email", at, flags...)
	}
	// People, agency a1: written appeals.
	written("a1", "person", "w1", in)
	reply("a1", "person", "w1", "2026-08-02T10:00:00Z") // exactly 24 h: in time
	written("a1", "person", "w2", in)
	reply("a1", "person", "w2", "2026-08-02T10:00:01Z") // 24 h + 1 s: late
	written("a1", "person", "w3", in)                   // never acknowledged: late
	written("a1", "person", "w4", in)
	reply("a1", "person", "w4", "2026-08-01T10:01:00Z", "automated") // an automatic receipt notice counts
	written("a1", "person", "w5", "2026-09-30T20:00:00Z")
	reply("a1", "person", "w5", "2026-10-01T19:00:00Z")   // 23 h, after quarter end: in time
	written("a1", "person", "w6", "2026-09-30T21:00:00Z") // first second of Q4: not in Q3
	written("a1", "person", "w7", in)
	f.appeal("a1", "person", "w7", "received", "written_appeal", "email", in, "excluded") // moderated: left out
	// Business, agency b1: social-media messages and one written appeal.
	social := func(id, mtype, at string, flags ...string) {
		f.appeal("b1", "business", id, "received", mtype, "social_network", at, flags...)
	}
	sreply := func(id, at string, flags ...string) {
		f.appeal("b1", "business", id, "replied", "", "social_network", at, flags...)
	}
	social("m1", "mention", "2026-08-10T00:00:00Z")
	sreply("m1", "2026-08-10T04:00:00Z") // mention, exactly 4 h: in time
	social("m2", "mention", "2026-08-10T00:00:00Z")
	sreply("m2", "2026-08-10T04:00:01Z") // 4 h + 1 s: late
	social("o1", "official_appeal", "2026-08-10T00:00:00Z")
	sreply("o1", "2026-08-10T02:00:00Z") // official appeal, exactly 2 h: in time
	social("o2", "comment_on_official_post", "2026-08-10T00:00:00Z")
	sreply("o2", "2026-08-10T02:00:01Z")                    // comment, 2 h + 1 s: late
	social("o3", "official_appeal", "2026-08-10T00:00:00Z") // unanswered: late
	social("o4", "official_appeal", "2026-08-10T00:00:00Z")
	sreply("o4", "2026-08-10T00:01:00Z", "automated") // automatic replies do not count here: late
	social("x1", "mention", "2026-08-10T00:00:00Z", "excluded")
	written("b1", "business", "wb1", in)
	reply("b1", "business", "wb1", "2026-08-02T10:00:00Z")
	f.load(t, conn, time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC))

	run, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		std             metrics.Standard
		agency, code    string
		value, lo, hi   string
		n               int64
		clause, limit   string
		missingExpected bool
	}{
		// w1, w4, w5 of w1–w5 in time: 3/5 = 60.0 %; Wilson 95 %: 23.1–88.2.
		{metrics.People, "a1", metrics.MonitorWrittenAck, "60.0", "23.1", "88.2", 5, "P §4.6.4.3", "24 h", false},
		// P has the social-media ladder (P-T2-6) and no separate monitor.
		{metrics.People, "a1", metrics.MonitorSocialReply, "", "", "", 0, "", "", true},
		// m1, o1 of m1, m2, o1, o2, o3, o4 in time: 2/6 = 33.3 %; Wilson 95 %: 9.7–70.0.
		{metrics.Business, "b1", metrics.MonitorSocialReply, "33.3", "9.7", "70.0", 6, "B §4.6.6.2", "4 h / 2 h", false},
		// wb1 exactly 24 h: 1/1 = 100.0 %; Wilson 95 %: 20.7–100.0.
		{metrics.Business, "b1", metrics.MonitorWrittenAck, "100.0", "20.7", "100.0", 1, "B §4.6.7.3", "24 h", false},
	}
	for _, c := range cases {
		m := scorecardtest.Monitor(run.Scorecard(c.std), c.agency, c.code)
		if c.missingExpected {
			if m != nil {
				t.Errorf("%s %s %s: unexpected monitor %+v", c.std, c.agency, c.code, m)
			}
			continue
		}
		if m == nil {
			t.Errorf("%s %s %s: missing", c.std, c.agency, c.code)
			continue
		}
		if m.Value.String() != c.value || m.CILow.String() != c.lo || m.CIHigh.String() != c.hi || m.N != c.n || m.Status != metrics.Assessed || m.Clause != c.clause || m.Limit != c.limit {
			t.Errorf("%s %s %s: %s [%s, %s] n %d %s %s %s, want %s [%s, %s] n %d assessed %s %s", c.std, c.agency, c.code,
				m.Value, m.CILow, m.CIHigh, m.N, m.Status, m.Clause, m.Limit, c.value, c.lo, c.hi, c.n, c.clause, c.limit)
		}
	}

	// Before quarter end + 24 h the last acknowledgements are not due yet: not assessed, value shown.
	early, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People},
		Now: func() time.Time { return time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if m := scorecardtest.Monitor(early.Scorecard(metrics.People), "a1", metrics.MonitorWrittenAck); m == nil || m.Status != metrics.NotAssessed || m.Value.String() != "60.0" {
		t.Errorf("before the deadline: %+v, want not_assessed 60.0", m)
	}
}

// Scenario coverage of an agency whose events carry no scenario_id comes from the service_ids of
// its approved scenarios (owner or participant), and the output says so.
func TestCoverageFromRegistry(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	var f feed
	for _, s := range []string{"s1", "s2", "s3"} {
		f.service("c1", "person", "r-"+s, s, "submitted", "", "2026-08-05T10:00:00Z")
	}
	f.service("c2", "person", "r-c2a", "s1", "submitted", "sc-x", "2026-08-05T10:00:00Z")
	f.service("c2", "person", "r-c2b", "s2", "submitted", "", "2026-08-05T10:00:00Z")
	f.load(t, conn, time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC))
	importRegistry(t, conn, `{"scenarios": [
	  {"scenario_id": "k1", "owner_agency_id": "c1", "standard": "people", "status": "approved", "approved_at": "2026-03-01T00:00:00Z", "service_ids": ["s1"]},
	  {"scenario_id": "k2", "owner_agency_id": "z9", "participating_agency_ids": ["c1"], "status": "approved", "approved_at": "2026-03-01T00:00:00Z", "service_ids": ["s2", "s9"]},
	  {"scenario_id": "k3", "owner_agency_id": "c1", "standard": "people", "status": "draft", "service_ids": ["s3"]},
	  {"scenario_id": "k4", "owner_agency_id": "c1", "standard": "people", "status": "approved", "approved_at": "2026-10-15T00:00:00Z", "service_ids": ["s3"]},
	  {"scenario_id": "k5", "owner_agency_id": "c2", "standard": "people", "status": "approved", "approved_at": "2026-03-01T00:00:00Z", "service_ids": ["s1", "s2"]}
	]}`, time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC))
	run, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ agency, value, level, source string }{
		// s1 (k1), s2 (k2, as participant) of s1–s3; k3 is a draft and k4 approved after quarter end: 2/3 = 66.7 → 3★.
		{"c1", "66.7", "3", "service_ids of approved scenarios in the registry"},
		// c2's events carry a scenario_id: s1 of s1, s2 → 50.0 → 2★, whatever the registry says.
		{"c2", "50.0", "2", "scenario_id of events"},
	} {
		r := result(t, run, metrics.People, c.agency, "scenario_coverage")
		if r.Value.String() != c.value || levelStr(r.Level) != c.level || r.N != 3-map[string]int64{"c1": 0, "c2": 1}[c.agency] || r.Source != c.source {
			t.Errorf("%s: coverage %s level %s n %d source %q, want %s %s %q", c.agency, r.Value, levelStr(r.Level), r.N, r.Source, c.value, c.level, c.source)
		}
	}
}
