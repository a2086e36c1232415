package transform

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/scorecardtest"
	"github.com/cxstar/cxstar/metrics"
)

// TestFollowUp: detractor answers become follow-up items exactly once although every event is
// delivered twice (two loads through the ingest path, each stored with its own ingested_at), and
// the share followed up within 5 working days on its boundaries, on 18.16 and current ClickHouse.
// Working time is Monday–Friday in Moscow (UTC+3). Moscow 2026Q3 is [2026-06-30T21:00Z,
// 2026-09-30T21:00Z); 2026-08-03 is a Monday.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestFollowUp(t *testing.T) {
	ctx := context.Background()
	var l lines
	P, B := "person", "business"
	for _, c := range []struct {
		id, ctype, request, question string
		score                        int
		answered, followedUp         string // followedUp "": no follow-up step
	}{
		// A: answer Mon 10:00 MSK, step the next Mon 10:00: exactly 5 working days, in time.
		{"fA", P, "qA", "nps", 3, "2026-08-03T07:00:00Z", "2026-08-10T07:00:00Z"},
		// B: the same + 1 s: late.
		{"fB", P, "qB", "nps", 6, "2026-08-03T07:00:00Z", "2026-08-10T07:00:01Z"},
		// C: Fri 15:00 MSK to the next Fri 15:00 across a weekend: 9 h + 4 × 24 h + 15 h = 120 h, in time.
		{"fC", P, "qC", "satisfaction", 2, "2026-08-07T12:00:00Z", "2026-08-14T12:00:00Z"},
		// D: answer Sat 12:00 MSK counts from Mon 00:00; the deadline is Fri 24:00. A step on the
		// next Saturday 09:00 MSK is after it: late.
		{"fD", P, "qD", "satisfaction", 1, "2026-08-08T09:00:00Z", "2026-08-15T06:00:00Z"},
		// D2: the same answer time, step at Sat 00:00:00 MSK = Fri 24:00, exactly the deadline: in time.
		{"fD2", P, "qD2", "nps_digital", 0, "2026-08-08T09:00:00Z", "2026-08-14T21:00:00Z"},
		// E: never followed up: late.
		{"fE", P, "qE", "nps", 4, "2026-08-04T07:00:00Z", ""},
		// F: the only step came an hour before the answer (an earlier complaint): not followed up, late.
		{"fF", P, "qF", "nps", 5, "2026-08-10T11:00:00Z", "2026-08-10T10:00:00Z"},
		// G: satisfaction 2, followed up the next day: in time.
		{"fG", P, "qG", "satisfaction", 2, "2026-09-01T07:00:00Z", "2026-09-02T07:00:00Z"},
		// I1, I2: two detractor answers about one request, both answered by one step: 2 items in time.
		{"fI1", P, "qI", "nps", 2, "2026-09-10T07:00:00Z", ""},
		{"fI2", P, "qI", "satisfaction", 1, "2026-09-10T07:05:00Z", "2026-09-11T07:00:00Z"},
		// H: a detractor answer one second before Q3 (Moscow): an item of Q2, not of Q3.
		{"fH", P, "qH", "nps", 0, "2026-06-30T20:59:59Z", ""},
		// L: answer Tue 2026-09-29 10:00 MSK, step Fri 2026-10-02 10:00 MSK, in the next quarter: in
		// time, an item of Q3.
		{"fL", P, "qL", "nps", 2, "2026-09-29T07:00:00Z", "2026-10-02T07:00:00Z"},
		// M: answer 2026-07-01 10:00 MSK; the only step came the evening before, in Q2: late.
		{"fM", P, "qM", "nps", 5, "2026-07-01T07:00:00Z", "2026-06-30T20:00:00Z"},
		// K: a business client's detractor answer, followed up in a day.
		{"fK", B, "qK", "nps", 1, "2026-08-05T07:00:00Z", "2026-08-06T07:00:00Z"},
		// Not items: a passive NPS (7), a satisfaction of 3, an ease answer (and below, a detractor
		// without a request).
		{"nX1", P, "qX", "nps", 7, "2026-08-05T07:00:00Z", ""},
		{"nX2", P, "qX", "satisfaction", 3, "2026-08-05T07:00:00Z", ""},
		{"nX4", P, "qX", "ease", 1, "2026-08-05T07:00:00Z", ""},
	} {
		l.rating(c.id, "a1", c.ctype, "c-"+c.request, c.question, c.score, c.answered, map[string]any{"request_id": c.request, "service_id": "s1"})
		if c.followedUp != "" {
			l.service("a1", c.ctype, "c-"+c.request, c.request, "s1", "service", "followed_up", c.followedUp, nil)
		}
	}
	l.rating("nX3", "a1", P, "c-x", "nps", 1, "2026-08-05T07:00:00Z", nil)

	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) {
			conn := e.Conn
			loadLines(t, conn, "first.jsonl", l)
			loadLines(t, conn, "again.jsonl", l) // a redelivery of every event
			var stored, items, unique uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM ratings WHERE event_id = 'fA'").Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM followup_items FINAL").Scan(&items, &unique); err != nil {
				t.Fatal(err)
			}
			// fA, fB, fC, fD, fD2, fE, fF, fG, fI1, fI2, fH, fL, fM, fK: 14 items, one per answer.
			if items != 14 || unique != 14 {
				t.Errorf("follow-up items: %d rows for %d answers, want 14 and 14 (answer fA stored %d times)", items, unique, stored)
			}
			if err := conn.Exec(ctx, "OPTIMIZE TABLE followup_items FINAL"); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, "SELECT count() FROM followup_items").Scan(&items); err != nil {
				t.Fatal(err)
			}
			if items != 14 {
				t.Errorf("after the merge: %d rows, want 14", items)
			}
			inTime := chtest.Strings(t, conn, "SELECT event_id FROM followup_status WHERE within_5_working_days = 1 ORDER BY event_id")
			if got, want := strings.Join(inTime, " "), "fA fC fD2 fG fI1 fI2 fK fL"; got != want {
				t.Errorf("in time: %s, want %s", got, want)
			}

			run, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Now: func() time.Time { return fixedNow }})
			if err != nil {
				t.Fatal(err)
			}
			// People: A, C, D2, G, I1, I2, L of A, B, C, D, D2, E, F, G, I1, I2, L, M = 7/12 = 58.3 %;
			// Wilson 95 %: 32.0–80.7. Business: K, 1/1 = 100.0 %, 20.7–100.0.
			for _, c := range []struct {
				std           metrics.Standard
				value, lo, hi string
				n             int64
			}{
				{metrics.People, "58.3", "32.0", "80.7", 12},
				{metrics.Business, "100.0", "20.7", "100.0", 1},
			} {
				m := scorecardtest.Monitor(run.Scorecard(c.std), "a1", metrics.MonitorFollowUp)
				if m == nil {
					t.Errorf("%s: no follow-up monitor", c.std)
					continue
				}
				if m.Value.String() != c.value || m.CILow.String() != c.lo || m.CIHigh.String() != c.hi || m.N != c.n ||
					m.Status != metrics.Assessed || m.Limit != "5 working days" {
					t.Errorf("%s: %s [%s, %s] n %d %s %q, want %s [%s, %s] n %d assessed", c.std, m.Value, m.CILow, m.CIHigh, m.N, m.Status, m.Limit,
						c.value, c.lo, c.hi, c.n)
				}
			}
			// Until quarter end + 7 days (2026-10-07T21:00Z) the last items may still be followed up.
			early, err := Assess(ctx, conn, Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People},
				Now: func() time.Time { return time.Date(2026, 10, 7, 20, 59, 59, 0, time.UTC) }})
			if err != nil {
				t.Fatal(err)
			}
			if m := scorecardtest.Monitor(early.Scorecard(metrics.People), "a1", metrics.MonitorFollowUp); m == nil || m.Status != metrics.NotAssessed || m.Value.String() != "58.3" {
				t.Errorf("before the last deadline: %+v, want not_assessed 58.3", m)
			}
		})
	}
}
