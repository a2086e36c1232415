package priorities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// TestLoadCounts runs the counting query on the 18.16 server and on current ClickHouse (chDB) over
// a few events whose cells are worked out by hand (quarter 2026Q3 in Moscow time: 2026-06-30 21:00
// UTC … 2026-09-30 21:00 UTC), and compares the engines' rows of every query.
func TestLoadCounts(t *testing.T) {
	chdbtest.OnBoth(t, "", func(t *testing.T, conn driver.Conn) any { loadCounts(t, conn); return nil })
}

func loadCounts(t *testing.T, conn driver.Conn) {
	svc, rat := loadFixture(t)
	chtest.Insert(t, conn, "INSERT INTO service_events ("+serviceCols+")", svc)
	chtest.Insert(t, conn, "INSERT INTO ratings ("+ratingCols+")", rat)
	b, err := metrics.DefaultBands(metrics.People)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := Load(context.Background(), conn, fixtureQuarter(), metrics.People, "", b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Counts{}
	for _, c := range cells {
		got[c.LifeSituation+"/"+string(c.Kind)+"/"+c.ID] = c.Counts
	}
	for k, w := range fixtureWant {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := fixtureWant[k]; !ok {
			t.Errorf("unexpected cell %s: %+v", k, got[k])
		}
	}

	// Stored: L1 has 2 of 30 survey answers, L2 none: nothing ranks, every row says below min_n.
	list := Rank(cells, "A", b, DefaultWeights())
	national := Rank(cells, "", b, DefaultWeights())
	if err := Store(context.Background(), conn, "run1", time.Now(), fixtureQuarter(), metrics.People, []List{list, national}); err != nil {
		t.Fatal(err)
	}
	var rows, below, ranked uint64
	var why string
	if err := conn.QueryRow(context.Background(), "SELECT count(), sum(below_min_n), countIf(rank > 0), anyIf(why_ru, agency_id = 'A' AND kind = 'life_situation' AND life_situation_id = 'L1') FROM priorities_latest WHERE quarter = '2026Q3' AND standard = 'people'").Scan(&rows, &below, &ranked, &why); err != nil {
		t.Fatal(err)
	}
	// 10 cells per list (2 life situations + 8 inside them), two lists.
	if rows != 20 || below != 20 || ranked != 0 || why != "2 клиента; мало ответов (меньше min_n): не ранжируется" {
		t.Errorf("stored %d rows, %d below min_n, %d ranked, why %q", rows, below, ranked, why)
	}
}

const (
	serviceCols = "event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source"
	ratingCols  = "event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source"
)

func fixtureQuarter() quarter.Quarter {
	loc, _ := time.LoadLocation("Europe/Moscow")
	q, _ := quarter.Parse("2026Q3", loc)
	return q
}

// loadFixture returns the service events and answers of TestLoadCounts as rows of serviceCols and
// ratingCols.
func loadFixture(t testing.TB) (svc, rat [][]any) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ev := func(client, req, service, status, when, ls, seg, channel string) {
		svc = append(svc, []any{fmt.Sprintf("s%d", len(svc)), at(when), "A", "person", client, req, service, "service", status, channel, ls, "", seg, uint8(0), time.Now(), "t"})
	}
	// c1, s1: r1 completed on 07-05, r2 submitted on 07-20 (15 days later): a repeat.
	ev("c1", "r1", "s1", "submitted", "2026-07-01 10:00", "L1", "Y", "portal")
	ev("c1", "r1", "s1", "completed", "2026-07-05 10:00", "L1", "Y", "portal")
	ev("c1", "r2", "s1", "submitted", "2026-07-20 10:00", "L1", "Y", "mfc")
	// c2, s1: r3 entirely in the previous quarter (not active), r4 20 days after its completion: a repeat.
	ev("c2", "r3", "s1", "submitted", "2026-06-10 10:00", "L1", "O", "portal")
	ev("c2", "r3", "s1", "completed", "2026-06-20 10:00", "L1", "O", "portal")
	ev("c2", "r4", "s1", "submitted", "2026-07-10 10:00", "L1", "O", "portal")
	// c3, s2: r6 44 days after r5's completion: not a repeat.
	ev("c3", "r5", "s2", "submitted", "2026-08-01 10:00", "L2", "O", "portal")
	ev("c3", "r5", "s2", "completed", "2026-08-02 10:00", "L2", "O", "portal")
	ev("c3", "r6", "s2", "submitted", "2026-09-15 10:00", "L2", "O", "portal")
	// c4, s2: r8 after a refusal: not a repeat; no segment.
	ev("c4", "r7", "s2", "submitted", "2026-07-02 10:00", "L2", "", "portal")
	ev("c4", "r7", "s2", "refused", "2026-07-03 10:00", "L2", "", "portal")
	ev("c4", "r8", "s2", "submitted", "2026-07-04 10:00", "L2", "", "portal")
	ans := func(client, question string, score uint8, service, req, when, ls string) {
		rat = append(rat, []any{fmt.Sprintf("a%d", len(rat)), at(when), "A", "person", client, question, score, service, req, ls, "", "portal", time.Now(), "t"})
	}
	ans("c1", "satisfaction", 1, "s1", "r1", "2026-07-06 10:00", "L1") // replaced by the next one
	ans("c1", "satisfaction", 4, "s1", "r1", "2026-07-07 10:00", "L1") // positive
	ans("c2", "satisfaction", 2, "s1", "", "2026-07-11 10:00", "L1")   // no request: keyed by its event
	ans("c2", "nps", 10, "s1", "r4", "2026-07-11 11:00", "L1")         // promoter
	ans("c1", "nps", 3, "s1", "r2", "2026-07-21 10:00", "L1")          // detractor
	ans("c1", "ease", 3, "s1", "r2", "2026-07-21 10:01", "L1")         // positive
	ans("c1", "ease", 1, "s1", "r9", "2026-06-01 10:00", "L1")         // previous quarter
	ans("c3", "satisfaction", 4, "s2", "r6", "2026-09-20 10:00", "L2") // replaced by an answer of Q4:
	ans("c3", "satisfaction", 1, "s2", "r6", "2026-10-05 10:00", "L2") // counted in neither here
	return svc, rat
}

// fixtureWant are the cells of loadFixture, worked out by hand.
var fixtureWant = map[string]Counts{
	"L1/life_situation/": {Clients: 2, Submitted: 3, Repeats: 2, SatPos: 1, SatN: 2, EasePos: 1, EaseN: 1, Promoters: 1, Detractors: 1, NPSN: 2},
	"L1/service/s1":      {Clients: 2, Submitted: 3, Repeats: 2, SatPos: 1, SatN: 2, EasePos: 1, EaseN: 1, Promoters: 1, Detractors: 1, NPSN: 2},
	"L1/segment/Y":       {Clients: 1, Submitted: 2, Repeats: 1, SatPos: 1, SatN: 1, EasePos: 1, EaseN: 1, Detractors: 1, NPSN: 1},
	"L1/segment/O":       {Clients: 1, Submitted: 1, Repeats: 1, SatN: 1, Promoters: 1, NPSN: 1},
	"L1/channel/portal":  {Clients: 2, Submitted: 2, Repeats: 1, SatPos: 1, SatN: 2, EasePos: 1, EaseN: 1, Promoters: 1, Detractors: 1, NPSN: 2},
	"L1/channel/mfc":     {Clients: 1, Submitted: 1, Repeats: 1},
	"L2/life_situation/": {Clients: 2, Submitted: 4},
	"L2/service/s2":      {Clients: 2, Submitted: 4},
	"L2/segment/O":       {Clients: 1, Submitted: 2},
	"L2/channel/portal":  {Clients: 2, Submitted: 4},
}
