package transform

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

func TestQuarterMoscow(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	q, err := quarter.Parse("2026Q3", msk)
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Start().UTC().Format(time.RFC3339); got != "2026-06-30T21:00:00Z" {
		t.Errorf("2026Q3 starts at %s UTC, want 2026-06-30T21:00:00Z (Moscow is UTC+3)", got)
	}
	if got := q.End().UTC().Format(time.RFC3339); got != "2026-09-30T21:00:00Z" {
		t.Errorf("2026Q3 ends at %s UTC", got)
	}
	if got := quarter.Of(time.Date(2026, 9, 30, 21, 0, 0, 0, time.UTC), msk).String(); got != "2026Q4" {
		t.Errorf("21:00Z on 30 Sep is %s in Moscow, want 2026Q4", got)
	}
	if got := quarter.Of(time.Date(2026, 9, 30, 20, 59, 59, 0, time.UTC), msk).String(); got != "2026Q3" {
		t.Errorf("20:59:59Z on 30 Sep is %s, want 2026Q3", got)
	}
	for _, bad := range []string{"2026Q5", "Q3", "2026-07", ""} {
		if _, err := quarter.Parse(bad, msk); err == nil {
			t.Errorf("quarter.Parse(%q) accepted", bad)
		}
	}
}

// TestQuantileHours: k = ⌈q·n/100⌉-th smallest response time, unanswered = infinitely late.
func TestQuantileHours(t *testing.T) {
	h := func(x float64) int64 { return int64(x * 3600) }
	q100, q95 := metrics.NewDecimal(100, 0), metrics.NewDecimal(95, 0)
	cases := []struct {
		secs []int64
		q    metrics.Decimal
		want string
		ok   bool
	}{
		{nil, q100, "0", true},
		{[]int64{h(7), h(5)}, q100, "7.000000", true},
		{[]int64{h(1), -1}, q100, "", false},
		{[]int64{h(4) + 1}, q100, "4.000278", true}, // one second late stays above 4 h
		// 20 messages, 95 %: k = 19 → the 19th smallest; one unanswered message is tolerated.
		{append([]int64{-1}, repeatSecs(h(2), 19)...), q95, "2.000000", true},
		{append([]int64{-1, -1}, repeatSecs(h(2), 18)...), q95, "", false},
	}
	for i, c := range cases {
		got, ok := quantileHours(c.secs, c.q)
		if ok != c.ok || (ok && got.String() != c.want) {
			t.Errorf("case %d: %s, %v; want %s, %v", i, got, ok, c.want, c.ok)
		}
	}
}

func repeatSecs(s int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestReportJSONShape checks the exact JSON shape of `cxstar assess --format json`.
func TestReportJSONShape(t *testing.T) {
	v := metrics.MustParseDecimal("66.7")
	lo, hi := metrics.MustParseDecimal("40.1"), metrics.MustParseDecimal("87.0")
	l := 2
	rep := metrics.Scorecard{Quarter: "2026Q3", Standard: metrics.People, BandsVersion: "P-1", Agencies: []metrics.AgencyScorecard{{
		AgencyID: "a1", OverallLevel: &l,
		Indicators: []metrics.Result{
			{Code: "nps_positive_service_share", Value: &v, Level: &l, N: 123, CILow: &lo, CIHigh: &hi, Status: metrics.Assessed, ID: "P-T1-4", Reason: "x"},
			{Code: "ease_positive_share", N: 0, Status: metrics.NoData},
		},
	}}}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	want := `{"quarter":"2026Q3","standard":"people","bands_version":"P-1","agencies":[{"agency_id":"a1","overall_level":2,"indicators":[` +
		`{"code":"nps_positive_service_share","value":66.7,"level":2,"n":123,"ci_low":40.1,"ci_high":87.0,"status":"assessed"},` +
		`{"code":"ease_positive_share","value":null,"level":null,"n":0,"ci_low":null,"ci_high":null,"status":"no_data"}]}]}` + "\n"
	if buf.String() != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", buf.String(), want)
	}
	if !json.Valid(buf.Bytes()) {
		t.Error("invalid JSON")
	}
}
