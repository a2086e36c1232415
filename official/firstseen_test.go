package official

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/export"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/transform"
)

// An event is late when its first arrival is after closing, whatever merging keeps of it: Kafka
// redelivering an answer stored before closing is not late (0), before and after OPTIMIZE FINAL
// has replaced the stored copy by the redelivered one; a new answer after closing is (1). Open data
// of the closed quarter keeps the redelivered answer and leaves the new one out. On 18.16 and on
// current ClickHouse.
func TestLateIsFirstArrival(t *testing.T) {
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) { lateIsFirstArrival(t, e.Conn) })
	}
}

func lateIsFirstArrival(t *testing.T, conn driver.Conn) {
	ctx := context.Background()
	bands := smallDefaultBands(t)
	req := func(now time.Time) transform.Request {
		return transform.Request{Quarter: "2026Q3", Bands: bands, Now: func() time.Time { return now }}
	}
	answer := func(f *feed, id, client string, score int) {
		f.add(map[string]any{"event_id": id, "schema": "rating.v1", "occurred_at": "2026-08-01T10:00:00Z", "agency_id": "a1",
			"client_type": "person", "client_id": client, "request_id": "r-" + client, "question": "satisfaction", "score": score, "channel": "portal"})
	}
	var f feed
	for i, s := range []int{4, 3, 2, 4, 1, 3} {
		answer(&f, fmt.Sprintf("ev-%d", i+1), fmt.Sprintf("c%d", i+1), s)
	}
	f.load(t, conn, time.Now().UTC())

	closed := nextSecond()
	rev, _, err := Close(ctx, conn, req(closed), "")
	if err != nil {
		t.Fatal(err)
	}
	lateNow := func(step string, want string) {
		t.Helper()
		pd, err := Check(ctx, conn, req(time.Now().UTC()), rev)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(pd.Late); got != want {
			t.Errorf("%s: late data %s, want %s", step, got, want)
		}
	}
	optimize := func() {
		t.Helper()
		if err := conn.Exec(ctx, "OPTIMIZE TABLE ratings FINAL"); err != nil {
			t.Fatal(err)
		}
	}

	redelivered := nextSecond()
	answer(&f, "ev-2", "c2", 3)
	f.load(t, conn, time.Now().UTC())
	lateNow("redelivery, before a merge", "[]")
	optimize()
	var copies uint64
	var survivor time.Time
	if err := conn.QueryRow(ctx, "SELECT count(), max(ingested_at) FROM ratings WHERE event_id = 'ev-2'").Scan(&copies, &survivor); err != nil {
		t.Fatal(err)
	}
	if copies != 1 || survivor.Before(redelivered) {
		t.Fatalf("after OPTIMIZE FINAL ev-2 has %d copies stored at %s: want only the redelivered one (at or after %s)", copies, survivor, redelivered)
	}
	lateNow("redelivery, after a merge", "[]")
	// a1 at closing: satisfaction 4, 3, 2, 4, 1, 3 → 4 of 6 positive = 66.7 %.
	openData := func(step string) {
		t.Helper()
		od, err := export.BuildOpenData(ctx, conn, quarter.Quarter{Year: 2026, Q: 3}, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, c := range od.Cells {
			if c.AgencyID == "a1" && c.Total && c.Satisfaction.Value != nil && c.Satisfaction.Answers != nil {
				got = fmt.Sprintf("%v on %d", *c.Satisfaction.Value, *c.Satisfaction.Answers)
			}
		}
		if got != "66.7 on 6" {
			t.Errorf("%s: open data of the closed quarter: a1 satisfaction %q, want 66.7 on 6", step, got)
		}
	}
	openData("redelivery, after a merge")

	nextSecond()
	answer(&f, "ev-7", "c7", 4)
	f.load(t, conn, time.Now().UTC())
	optimize()
	lateNow("a new answer after closing, after a merge", "[{a1 ratings 1}]")
	openData("a new answer after closing, after a merge")
}
