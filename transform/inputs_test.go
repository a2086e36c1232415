package transform

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/metrics"
)

// TestInputsOutOfStep: counts whose names table row is missing stop the run with an error that
// names the table and the repair, instead of disappearing from the assessment (on both engines).
func TestInputsOutOfStep(t *testing.T) {
	ctx := context.Background()
	for _, table := range []string{"rating_groups", "service_groups"} {
		t.Run(table, func(t *testing.T) {
			for _, e := range chdbtest.Both(t) {
				t.Run(e.Name, func(t *testing.T) {
					conn := e.Conn
					var l lines
					l.rating("", "a1", "person", "c1", "ease", 4, "2026-07-10T10:00:00Z", nil)
					l.service("a1", "person", "c1", "R1", "sA", "service", "submitted", "2026-07-10T10:00:00Z", nil)
					loadLines(t, conn, "inputs.jsonl", l)
					now := func() time.Time { return fixedNow }
					if _, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Now: now}); err != nil {
						t.Fatalf("assess before the names are removed: %v", err)
					}
					if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
						t.Fatal(err)
					}
					_, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Now: now})
					if err == nil || !strings.Contains(err.Error(), "without a row in "+table) || !strings.Contains(err.Error(), "022_indicator_inputs.sql") {
						t.Fatalf("assess with %s emptied: error %v, want one naming the table and the repair", table, err)
					}
				})
			}
		})
	}
}

// TestOtherTimeZone: rating_answers is partitioned by Moscow quarter and client_service_events by
// UTC month; a quarter in another time zone (Vladivostok, UTC+10: 2026Q3 is [2026-06-30T14:00Z,
// 2026-09-30T14:00Z)) still counts exactly its own events, on 18.16 and on current ClickHouse.
func TestOtherTimeZone(t *testing.T) {
	ctx := context.Background()
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) {
			conn := e.Conn
			var l lines
			P := "person"
			// Ease answers around both quarter starts: Vladivostok Q3 has the 2nd and 3rd, Moscow Q3 the 3rd
			// and 4th (the 2nd lies in Moscow's Q2 partition).
			for i, at := range []string{"2026-06-30T13:59:59Z", "2026-06-30T14:00:00Z", "2026-09-30T13:59:59Z", "2026-09-30T14:00:00Z"} {
				l.rating("", "a1", P, fmt.Sprintf("c%d", i), "ease", 4, at, nil)
			}
			// Client cx answers about R1 twice; the latest (09-30T15:00Z) is Vladivostok Q4 and Moscow Q3:
			// it counts in Moscow Q3 only, and the earlier answer counts nowhere (A24).
			l.rating("", "a1", P, "cx", "ease", 1, "2026-06-30T15:00:00Z", map[string]any{"request_id": "R1", "service_id": "sA"})
			l.rating("", "a1", P, "cx", "ease", 4, "2026-09-30T15:00:00Z", map[string]any{"request_id": "R1", "service_id": "sA"})
			// A request submitted at 06-30T15:00Z: Vladivostok Q3, Moscow Q2.
			l.service("a1", P, "c1", "R2", "sA", "service", "submitted", "2026-06-30T15:00:00Z", nil)
			loadLines(t, conn, "tz.jsonl", l)

			now := func() time.Time { return fixedNow }
			for _, c := range []struct {
				tz              string
				ease, submitted int64
			}{
				{"Asia/Vladivostok", 2, 1},
				{"Europe/Moscow", 3, 0},
			} {
				run, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Timezone: c.tz, Standards: []metrics.Standard{metrics.People}, Now: now})
				if err != nil {
					t.Fatalf("%s: %v", c.tz, err)
				}
				rep := run.Scorecard(metrics.People)
				if got := find(rep, "a1", "ease_positive_share").N; got != c.ease {
					t.Errorf("%s: %d ease answers in 2026Q3, want %d", c.tz, got, c.ease)
				}
				if got := find(rep, "a1", "repeat_request_rate").N; got != c.submitted {
					t.Errorf("%s: %d requests submitted in 2026Q3, want %d", c.tz, got, c.submitted)
				}
			}
		})
	}
}

// TestAgencyRunReadsItsGroups: client_service_events has no agency column, so an assessment of one
// agency reads the service groups service_groups names for it. Two agencies with the same clients
// and services: a1 has 1 repeat of 2 requests submitted in 2026Q3 (50.0 %), a3 has 2 of 3 (66.7 %).
// The run for a1 finds a1 alone with its own rate, as the run over every agency does (both engines).
func TestAgencyRunReadsItsGroups(t *testing.T) {
	ctx := context.Background()
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) {
			var l lines
			for _, ag := range []string{"a1", "a3"} {
				l.service(ag, "person", "c1", "r1", "sA", "service", "submitted", "2026-07-10T10:00:00Z", nil)
				l.service(ag, "person", "c1", "r1", "sA", "service", "completed", "2026-07-12T10:00:00Z", nil)
				l.service(ag, "person", "c1", "r2", "sA", "service", "submitted", "2026-07-20T10:00:00Z", nil) // within 28 days: a repeat
			}
			l.service("a3", "person", "c1", "r3", "sA", "service", "submitted", "2026-07-21T10:00:00Z", nil) // a repeat too
			loadLines(t, e.Conn, "agencies.jsonl", l)
			now := func() time.Time { return fixedNow }
			rate := func(req Request) map[string]string {
				req.Quarter, req.Now, req.Standards = "2026Q3", now, []metrics.Standard{metrics.People}
				run, err := Assess(ctx, e.Conn, req)
				if err != nil {
					t.Fatalf("assess %+v: %v", req, err)
				}
				out := map[string]string{}
				for _, a := range run.Scorecard(metrics.People).Agencies {
					for _, r := range a.Indicators {
						if r.Code == "repeat_request_rate" && r.Value != nil {
							out[a.AgencyID] = fmt.Sprintf("%s of %d", r.Value, r.N)
						}
					}
				}
				return out
			}
			all, one := rate(Request{}), rate(Request{Agency: "a1"})
			if fmt.Sprint(all) != "map[a1:50.0 of 2 a3:66.7 of 3]" {
				t.Errorf("repeat rates of every agency: %v, want a1 50.0 of 2, a3 66.7 of 3", all)
			}
			if fmt.Sprint(one) != "map[a1:50.0 of 2]" {
				t.Errorf("repeat rates of the run for a1: %v, want a1 alone, 50.0 of 2", one)
			}
		})
	}
}

// TestRatingScaleValidity: answers outside their question's scale (0–10 for NPS questions, 1–4 for
// the others) count nowhere, on both engines. They are inserted into ratings directly, as the loader
// refuses them (INSERT … SELECT, as the native protocol sends the rows of INSERT … VALUES as a block), into the same groups as valid answers: a score valid on the other scale (10 for
// satisfaction, 1–4 is valid for NPS anyway) must not count either.
func TestRatingScaleValidity(t *testing.T) {
	ctx := context.Background()
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) {
			var l lines
			portal := map[string]any{"service_id": "s1", "channel": "portal"}
			for i, score := range []int{4, 3, 2, 1} {
				l.rating(fmt.Sprintf("sat-%d", i), "av", "person", fmt.Sprintf("c%d", i), "satisfaction", score, "2026-07-10T10:00:00Z", portal)
			}
			for i, score := range []int{10, 9, 8, 6, 0} {
				l.rating(fmt.Sprintf("nps-%d", i), "av", "person", fmt.Sprintf("c%d", i), "nps_digital", score, "2026-07-10T10:00:00Z", portal)
			}
			loadLines(t, e.Conn, "valid.jsonl", l)
			for i, bad := range []struct {
				question string
				score    int
			}{{"satisfaction", 0}, {"satisfaction", 5}, {"satisfaction", 10}, {"nps_digital", 11}, {"nps_digital", 255}} {
				q := fmt.Sprintf(`INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)
SELECT 'bad-%d', toDateTime('2026-07-11 10:00:00', 'UTC'), 'av', 'person', 'cb%d', '%s', %d, 's1', '', '', '', 'portal', now(), 'test'`, i, i, bad.question, bad.score)
				if err := e.Conn.Exec(ctx, q); err != nil {
					t.Fatalf("insert an answer outside the scale: %v", err)
				}
			}
			run, err := Assess(ctx, e.Conn, Request{Quarter: "2026Q3", Now: func() time.Time { return fixedNow }, Standards: []metrics.Standard{metrics.People}})
			if err != nil {
				t.Fatalf("assess: %v", err)
			}
			got := map[string]string{}
			for _, a := range run.Scorecard(metrics.People).Agencies {
				for _, r := range a.Indicators {
					switch r.Code {
					case "satisfaction_positive_share":
						got[r.Code] = fmt.Sprintf("%d of %d", r.Tally.Num, r.Tally.Den)
					case "digital_touchpoint_nps":
						got[r.Code] = fmt.Sprintf("n %d, promoters %d, detractors %d", r.N, r.Tally.Promoters, r.Tally.Detractors)
					}
				}
			}
			want := map[string]string{"satisfaction_positive_share": "2 of 4", "digital_touchpoint_nps": "n 5, promoters 2, detractors 2"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("counts with answers outside the scale %v, want %v", got, want)
			}
		})
	}
}

// TestEventPairsAcrossMerges: client_service_events keeps each status event as a request value and
// a time value side by side in one state (migration 054); merging states (FINAL at read time, and
// OPTIMIZE on disk) must keep every pair together. Three separate loads of one client × service
// (three states), then each event must come back as one pair whose status (request value) and
// second (time value) are the event's own, and the events of one request share its request hash,
// on both engines.
func TestEventPairsAcrossMerges(t *testing.T) {
	ctx := context.Background()
	type ev struct{ request, status, at string }
	loads := [][]ev{
		{{"R1", "submitted", "2026-07-01T10:00:00Z"}, {"R1", "in_progress", "2026-07-02T11:00:00Z"}},
		{{"R1", "completed", "2026-07-03T12:00:00Z"}, {"R2", "submitted", "2026-07-05T09:30:00Z"}},
		{{"R2", "refused", "2026-07-06T08:15:00Z"}, {"R3", "submitted", "2026-07-07T07:00:00Z"}},
	}
	code := map[string]uint64{"submitted": 1, "in_progress": 2, "completed": 3, "refused": 4}
	var want []string // status@unix second of every event
	wantReq := map[string][]string{}
	for _, load := range loads {
		for _, e := range load {
			at, err := time.Parse(time.RFC3339, e.at)
			if err != nil {
				t.Fatal(err)
			}
			p := fmt.Sprintf("%d@%d", code[e.status], at.Unix())
			want = append(want, p)
			wantReq[e.request] = append(wantReq[e.request], p)
		}
	}
	// What each check compares with, sorted once: the events, and the events of each request.
	sort.Strings(want)
	var wReq []string
	for _, ps := range wantReq {
		sort.Strings(ps)
		wReq = append(wReq, fmt.Sprint(ps))
	}
	sort.Strings(wReq)
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) {
			for i, load := range loads {
				var l lines
				for _, ev := range load {
					l.service("a1", "person", "c1", ev.request, "sA", "service", ev.status, ev.at, nil)
				}
				loadLines(t, e.Conn, fmt.Sprintf("pairs-%d.jsonl", i), l)
			}
			check := func(when string) {
				t.Helper()
				rows, err := e.Conn.Query(ctx, "SELECT finalizeAggregation(ev_bits) FROM client_service_events FINAL")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var states [][]uint64
				for rows.Next() {
					var bits []uint64
					if err := rows.Scan(&bits); err != nil {
						t.Fatal(err)
					}
					states = append(states, bits)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if len(states) != 1 || len(states[0]) != 2*len(want) {
					t.Fatalf("%s: %d rows of %v values, want one row of %d (a request and a time value per event)", when, len(states), states, 2*len(want))
				}
				var got []string
				byHash := map[uint64][]string{}
				for i := 0; i < len(states[0]); i += 2 {
					req, tm := states[0][i], states[0][i+1]
					p := fmt.Sprintf("%d@%d", req>>4&7, tm>>32)
					got = append(got, p)
					byHash[req>>8] = append(byHash[req>>8], p)
				}
				sort.Strings(got)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: events (status@second) %v, want %v", when, got, want)
				}
				var gotReq []string
				for _, ps := range byHash {
					sort.Strings(ps)
					gotReq = append(gotReq, fmt.Sprint(ps))
				}
				sort.Strings(gotReq)
				if fmt.Sprint(gotReq) != fmt.Sprint(wReq) {
					t.Errorf("%s: events by request hash %v, want %v", when, gotReq, wReq)
				}
			}
			check("FINAL over the loads' parts")
			if err := e.Conn.Exec(ctx, "OPTIMIZE TABLE client_service_events FINAL"); err != nil {
				t.Fatal(err)
			}
			check("after OPTIMIZE … FINAL")
		})
	}
}
