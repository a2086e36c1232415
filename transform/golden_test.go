package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/scorecardtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/registry"
)

// fixedNow is after 2026Q3 + settle hours, so social-media answers have settled (A15).
var fixedNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Moscow is UTC+3 all year: 2026Q3 is [2026-06-30T21:00:00Z, 2026-09-30T21:00:00Z).
const (
	lastQ2  = "2026-06-30T20:59:59Z"
	firstQ3 = "2026-06-30T21:00:00Z"
	lastQ3  = "2026-09-30T20:59:59Z"
	firstQ4 = "2026-09-30T21:00:00Z"
)

type lines []string

var evSeq int

func (l *lines) rating(id, agency, ctype, client, question string, score int, at string, extra map[string]any) {
	if id == "" {
		evSeq++
		id = fmt.Sprintf("r-%d", evSeq)
	}
	m := map[string]any{"schema": "rating.v1", "event_id": id, "occurred_at": at, "agency_id": agency, "client_type": ctype,
		"client_id": client, "question": question, "score": score}
	for k, v := range extra {
		m[k] = v
	}
	l.add(m)
}

func (l *lines) service(agency, ctype, client, request, service, kind, status, at string, extra map[string]any) {
	evSeq++
	m := map[string]any{"schema": "service_event.v1", "event_id": fmt.Sprintf("s-%d-%s-%s", evSeq, request, status), "occurred_at": at,
		"agency_id": agency, "client_type": ctype, "client_id": client, "request_id": request, "service_id": service,
		"service_kind": kind, "status": status, "channel": "portal"}
	for k, v := range extra {
		m[k] = v
	}
	l.add(m)
}

func (l *lines) appeal(agency, appeal, step, mtype, channel, at string, extra map[string]any) {
	evSeq++
	m := map[string]any{"schema": "appeal.v1", "event_id": fmt.Sprintf("a-%d", evSeq), "occurred_at": at, "agency_id": agency,
		"client_type": "person", "appeal_id": appeal, "step": step, "channel": channel}
	if mtype != "" {
		m["message_type"] = mtype
	}
	for k, v := range extra {
		m[k] = v
	}
	l.add(m)
}

func (l *lines) add(m map[string]any) {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	*l = append(*l, string(b))
}

// loadLines writes the lines to a file and loads it through the ingest path (validation, batches,
// the ClickHouse writer), as `cxstar backfill` does. Every line must be accepted.
func loadLines(t *testing.T, conn driver.Conn, name string, l lines) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(l, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var rejects strings.Builder
	loader := ingest.NewLoader(ingest.NewValidator(ingest.WithClock(func() time.Time { return fixedNow })), ingest.NewWriter(conn), ingest.WithRejects(&rejects))
	st, err := loader.Load(context.Background(), []string{path})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if st.Rejected != 0 {
		t.Fatalf("load %s: %d lines rejected:\n%s", name, st.Rejected, rejects.String())
	}
}

// testBands returns the embedded band sets with small min_n, so that hand-made samples are assessed.
func testBands(t *testing.T, survey, serviceNPS int64) map[metrics.Standard]*metrics.BandSet {
	t.Helper()
	out := map[metrics.Standard]*metrics.BandSet{}
	for _, std := range metrics.Standards {
		b, err := metrics.DefaultBands(std)
		if err != nil {
			t.Fatal(err)
		}
		b.Parameters.MinN.Survey = survey
		b.Parameters.MinN.ServiceNPS = serviceNPS
		out[std] = b
	}
	return out
}

type want struct {
	value  string // "" = null
	level  int    // -1 = null
	n      int64
	status metrics.Status
}

func checkAgency(t *testing.T, rep *metrics.Scorecard, agency string, overall int, wants map[string]want) {
	t.Helper()
	var ar *metrics.AgencyScorecard
	for i := range rep.Agencies {
		if rep.Agencies[i].AgencyID == agency {
			ar = &rep.Agencies[i]
		}
	}
	if ar == nil {
		t.Fatalf("%s report has no agency %s", rep.Standard, agency)
	}
	if got := lvl(ar.OverallLevel); got != overall {
		t.Errorf("%s %s overall level %d, want %d", rep.Standard, agency, got, overall)
	}
	seen := map[string]bool{}
	for _, r := range ar.Indicators {
		seen[r.Code] = true
		w, ok := wants[r.Code]
		if !ok {
			w = want{level: -1, status: metrics.NoData}
		}
		val := ""
		if r.Value != nil {
			val = r.Value.String()
		}
		if val != w.value || lvl(r.Level) != w.level || r.N != w.n || r.Status != w.status {
			t.Errorf("%s %s %s: value %q level %d n %d status %s (%s); want value %q level %d n %d status %s",
				rep.Standard, agency, r.Code, val, lvl(r.Level), r.N, r.Status, r.Reason, w.value, w.level, w.n, w.status)
		}
	}
	for code := range wants {
		if !seen[code] {
			t.Errorf("%s %s: indicator %s missing from the report", rep.Standard, agency, code)
		}
	}
}

func lvl(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// TestGolden checks hand-computed values on the 18.16 server and on current ClickHouse, and that
// both engines return the same rows for every query of every run and the same runs.
func TestGolden(t *testing.T) {
	runs := chdbtest.OnBoth(t, "assessment runs", golden)
	t.Logf("%d runs on each engine", len(runs))
}

// assessed is what a run computed: Run without its id and time.
type assessed struct {
	Scorecards []metrics.Scorecard
	Details    []Detail
}

func results(runs ...*Run) []assessed {
	out := make([]assessed, len(runs))
	for i, r := range runs {
		out[i] = assessed{r.Scorecards, r.Details}
	}
	return out
}

// golden loads the hand-built data set (twice, and the late lines), imports its registry and
// assesses 2026Q3 on conn. It is one scenario read top to bottom, the data inline beside the steps
// that load it, so it stays whole.
func golden(t *testing.T, conn driver.Conn) []assessed {
	ctx := context.Background()
	mainLines, lateLines := goldenEvents()
	loadLines(t, conn, "golden.jsonl", mainLines)
	// The same file again: every event arrives a second time (duplicates in ClickHouse until merges).
	loadLines(t, conn, "golden-again.jsonl", mainLines)

	reg := `{"scenarios": [
	  {"scenario_id": "sc1", "life_situation_id": "ls1", "owner_agency_id": "a1", "standard": "people", "status": "approved", "approved_at": "2026-05-01T00:00:00Z", "proactive_possible": true, "service_ids": ["sA"]},
	  {"scenario_id": "sc3", "owner_agency_id": "a1", "standard": "people", "status": "approved", "approved_at": "2026-08-01T00:00:00Z"},
	  {"scenario_id": "sc4", "owner_agency_id": "a1", "standard": "people", "status": "draft", "proactive_possible": true},
	  {"scenario_id": "sc5", "owner_agency_id": "a1", "standard": "people", "status": "approved", "approved_at": "2026-10-15T00:00:00Z", "proactive_possible": true},
	  {"scenario_id": "sc10", "owner_agency_id": "a2", "standard": "business", "status": "approved", "approved_at": "2026-01-10T00:00:00Z", "api_possible": true},
	  {"scenario_id": "sc11", "owner_agency_id": "a2", "standard": "business", "status": "approved", "approved_at": "2026-01-10T00:00:00Z"},
	  {"scenario_id": "sc12", "owner_agency_id": "a2", "standard": "business", "status": "approved", "approved_at": "2026-01-10T00:00:00Z", "api_possible": true, "proactive_possible": true}
	],
	"declarations": [
	  {"agency_id": "a1", "quarter": "2026Q3", "standard": "people", "indicator": "phone_availability", "flags": ["phone_working_hours", "phone_offhours_chatbot_callback"], "evidence": "order 12"},
	  {"agency_id": "a1", "quarter": "2026Q3", "standard": "people", "indicator": "appointment_booking", "flags": ["booking_one_method", "booking_one_method_24x7"]},
	  {"agency_id": "a2", "quarter": "2026Q3", "standard": "business", "indicator": "info_reqs_confirmable_from_state_data_share", "num": 7, "den": 10}
	]}`
	regPath := filepath.Join(t.TempDir(), "registry.json")
	if err := os.WriteFile(regPath, []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Import(ctx, conn, regPath, fixedNow); err != nil {
		t.Fatal(err)
	}

	bands := testBands(t, 4, 3)
	run, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Bands: bands, Store: true, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	people, business := run.Scorecard(metrics.People), run.Scorecard(metrics.Business)
	if len(people.Agencies) != 1 || len(business.Agencies) != 1 {
		t.Fatalf("agencies: people %d, business %d; want 1 and 1", len(people.Agencies), len(business.Agencies))
	}
	checkAgency(t, people, "a1", 0, map[string]want{
		// services active in Q3 (support measures excluded for P): sA, sB, sC; within a scenario: sA → 1/3 = 33.3 % → 1★ («до 35%»).
		"scenario_coverage": {"33.3", 1, 3, metrics.Assessed},
		// ease: Q3 answers 4,4,3,2,1,3 and 4 at 21:00:00Z; the Q2 answer is out → 5/7 = 71.428… → 71.4 → 3★ (≥ 70.1).
		"ease_positive_share": {"71.4", 3, 7, metrics.Assessed},
		// submitted in Q3: r2 r3 r4 r5 r6 r8 r9 r11 = 8; repeats r2 (after r1, 06-20 + 28 d) and r8 (after r6/r7) = 2 → 25.0 % → 0★ (P: > 10.0).
		"repeat_request_rate": {"25.0", 0, 8, metrics.Assessed},
		// services with ≥ 3 answers: s1 (3 promoters − 1 detractor > 0), s2 (1 − 2), s3 (1 − 1 = 0, not positive) → 1/3 = 33.3 → 0★.
		"nps_positive_service_share": {"33.3", 0, 3, metrics.Assessed},
		// satisfaction: 4,3,3,2,1 and cx's latest 4 → 4/6 = 66.666… → 66.7 → 2★.
		"satisfaction_positive_share": {"66.7", 2, 6, metrics.Assessed},
		// approved by quarter end: sc1 (proactive), sc3 → 1/2 = 50.0 → 4★ (35.1–50.9, A9b).
		"proactive_scenario_share": {"50.0", 4, 2, metrics.Assessed},
		// phone: 4 of 5 positive = 80.0; CAP1+CAP2 declared → 3★ (≥ 70.1; 4★ needs CAP4).
		"phone_availability": {"80.0", 3, 5, metrics.Assessed},
		// digital NPS: 10,9,9,8,0 → (3 − 1)/5 = 40.0 → 4★ (30.1–50.0).
		"digital_touchpoint_nps": {"40.0", 4, 5, metrics.Assessed},
		// social: m1 7 h, m6 5 h (mentions), m2 3.5 h, m3 1 h (official); max 7 h / 3.5 h → 3★; within 4 h / 2 h: m3 → 1/4 = 25.0.
		"social_media_response_time": {"25.0", 3, 4, metrics.Assessed},
		"appointment_booking":        {"", 2, 0, metrics.Assessed},
	})
	checkAgency(t, business, "a2", 0, map[string]want{
		// sX, sY, sZ active; sY (q22) and sZ (support measures count in B) in scenarios → 2/3 = 66.7 → 3★.
		"scenario_coverage": {"66.7", 3, 3, metrics.Assessed},
		// 3 answers < min_n 4 → not assessed, value still shown.
		"ease_positive_share": {"100.0", -1, 3, metrics.NotAssessed},
		// 10 submitted, 1 repeat → 10.0 % → B 0★ («Менее 10%» not met; P would give 1★).
		"repeat_request_rate": {"10.0", 0, 10, metrics.Assessed},
		// 4,3,2,1 → 2/4 = 50.0 → 0★.
		"sat_compliance_cost_reduction": {"50.0", 0, 4, metrics.Assessed},
		// sc10, sc11, sc12 approved: proactive sc12 → 33.3 → 1★; API sc10, sc12 → 66.7 → 3★.
		"proactive_scenario_share": {"33.3", 1, 3, metrics.Assessed},
		"api_scenario_share":       {"66.7", 3, 3, metrics.Assessed},
		// declared 7/10 → 70.0 → 3★ (≥ 50, < 80).
		"info_reqs_confirmable_from_state_data_share": {"70.0", 3, 10, metrics.Assessed},
	})

	// Drill-down: per-service NPS of a1 (s1 = (3 − 1)/4 = 50.0, s4 = 100.0 with n 2) and repeat rate per service.
	details := map[string]Detail{}
	for _, d := range run.Details {
		details[string(d.Standard)+"/"+d.AgencyID+"/"+d.Indicator+"/"+d.Dimension+"/"+d.DimensionID] = d
	}
	for k, w := range map[string]struct {
		v string
		n int64
	}{
		"people/a1/nps_positive_service_share/service/s1":         {"50.0", 4},
		"people/a1/nps_positive_service_share/service/s2":         {"-33.3", 3},
		"people/a1/nps_positive_service_share/service/s4":         {"100.0", 2},
		"people/a1/nps_positive_service_share/life_situation/ls1": {"23.1", 13}, // (7 − 4)/13 = 23.08
		"people/a1/repeat_request_rate/service/sA":                {"33.3", 3},  // r2 of r2, r3, r9
		"people/a1/repeat_request_rate/service/sC":                {"50.0", 2},  // r8 of r6, r8
		"people/a1/scenario_coverage/life_situation/ls1":          {"100.0", 1},
		"business/a2/scenario_coverage/service/sY":                {"25.0", 4},
	} {
		d, ok := details[k]
		if !ok || d.Value == nil || d.Value.String() != w.v || d.N != w.n {
			t.Errorf("detail %s = %+v, want value %s n %d", k, d, w.v, w.n)
		}
	}

	// Stored rows: one per agency × indicator of each standard, readable through the latest view.
	var rows uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM assessments_latest WHERE quarter = '2026Q3'").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := uint64(len(metrics.DefaultCatalog().ByStandard(metrics.People)) + len(metrics.DefaultCatalog().ByStandard(metrics.Business))); rows != want {
		t.Errorf("assessments_latest has %d rows, want %d", rows, want)
	}

	// Late event: one more a1 ease answer (score 1) → 5/8 = 62.5 → 2★; the latest view shows the new run only.
	loadLines(t, conn, "late.jsonl", lateLines)
	run2, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People}, Bands: bands, Store: true, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ease := find(run2.Scorecard(metrics.People), "a1", "ease_positive_share")
	if ease.Value.String() != "62.5" || lvl(ease.Level) != 2 || ease.N != 8 {
		t.Errorf("after the late answer: ease %s level %d n %d, want 62.5, 2, 8", ease.Value, lvl(ease.Level), ease.N)
	}
	var v float64
	var runs uint64
	if err := conn.QueryRow(ctx, "SELECT any(value), uniqExact(run_id) FROM assessments_latest WHERE quarter = '2026Q3' AND standard = 'people' AND agency_id = 'a1' AND indicator = 'ease_positive_share'").Scan(&v, &runs); err != nil {
		t.Fatal(err)
	}
	if v != 62.5 || runs != 1 {
		t.Errorf("assessments_latest after recomputation: value %v from %d runs, want 62.5 from 1", v, runs)
	}
	if err := conn.QueryRow(ctx, "SELECT uniqExact(run_id) FROM assessments WHERE quarter = '2026Q3' AND standard = 'people'").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("assessments keeps %d people runs, want 2 (history)", runs)
	}

	// Default min_n (30): every survey value of a1 is below it → not assessed; census values stay.
	run3, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People}, Agency: "a1", Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	checkAgency(t, run3.Scorecard(metrics.People), "a1", 0, map[string]want{
		"scenario_coverage":           {"33.3", 1, 3, metrics.Assessed},
		"ease_positive_share":         {"62.5", -1, 8, metrics.NotAssessed},
		"repeat_request_rate":         {"25.0", 0, 8, metrics.Assessed},
		"nps_positive_service_share":  {"", -1, 0, metrics.NotAssessed}, // no service reaches 30 answers
		"satisfaction_positive_share": {"66.7", -1, 6, metrics.NotAssessed},
		"proactive_scenario_share":    {"50.0", 4, 2, metrics.Assessed},
		"phone_availability":          {"80.0", 1, 5, metrics.Assessed}, // A14: satisfaction below min_n caps at 1★
		"digital_touchpoint_nps":      {"40.0", -1, 5, metrics.NotAssessed},
		"social_media_response_time":  {"25.0", 3, 4, metrics.Assessed},
		"appointment_booking":         {"", 2, 0, metrics.Assessed},
	})

	// Empty quarter: no agency without --agency; with it, every indicator has no data.
	run4, err := Assess(ctx, conn, Request{Quarter: "2025Q1", Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(run4.Scorecard(metrics.People).Agencies) + len(run4.Scorecard(metrics.Business).Agencies); n != 0 {
		t.Errorf("2025Q1 has %d agencies, want 0", n)
	}
	run5, err := Assess(ctx, conn, Request{Quarter: "2025Q1", Standards: []metrics.Standard{metrics.Business}, Agency: "a2", Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	// a2's registry scenarios were approved on 2026-01-10, after 2025Q1: the agency is in the
	// registry but has no approved scenario → NULL for B (no «0★ without value» rule in B).
	checkAgency(t, run5.Scorecard(metrics.Business), "a2", -1, map[string]want{})

	// Q4 holds only r10 (submitted at 2026-09-30T21:00:00Z = Moscow midnight of 1 October).
	run6, err := Assess(ctx, conn, Request{Quarter: "2026Q4", Standards: []metrics.Standard{metrics.People}, Agency: "a1", Bands: bands, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	rr := find(run6.Scorecard(metrics.People), "a1", "repeat_request_rate")
	if rr.N != 1 || rr.Value.String() != "0.0" || lvl(rr.Level) != 5 {
		t.Errorf("2026Q4 repeat rate: %s n %d level %d, want 0.0, n 1, 5★", rr.Value, rr.N, lvl(rr.Level))
	}
	// Social-media answers of 2026Q4 have not settled before 2027-01-01T21:00Z (quarter end + 24 h).
	run7, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People}, Agency: "a1", Bands: bands,
		Now: func() time.Time { return time.Date(2026, 10, 1, 20, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if sm := find(run7.Scorecard(metrics.People), "a1", "social_media_response_time"); sm.Status != metrics.NotAssessed || sm.Level != nil {
		t.Errorf("before settling: social media %s level %v, want not_assessed", sm.Status, sm.Level)
	}
	return results(run, run2, run3, run4, run5, run6, run7)
}

// find returns agency's result for code in rep; the zero Result when rep has none.
func find(rep *metrics.Scorecard, agency, code string) metrics.Result {
	r, _ := scorecardtest.Result(rep, agency, code)
	return r
}
