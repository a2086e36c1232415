package quarter

import (
	"testing"
	"time"
)

// TestFirstHours: around the turn of a quarter the default (last complete) quarter follows the
// clock of the given zone. Moscow is UTC+3 all year, so 1 October 00:00 there is 30 September
// 21:00 UTC: between 21:00 and 24:00 UTC Moscow is already in Q4 and UTC is still in Q3.
func TestFirstHours(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now      string // UTC
		loc      *time.Location
		of, last string
	}{
		{"2026-09-30T20:59:59Z", msk, "2026Q3", "2026Q2"},
		{"2026-09-30T21:00:00Z", msk, "2026Q4", "2026Q3"},
		{"2026-09-30T23:30:00Z", msk, "2026Q4", "2026Q3"},
		{"2026-09-30T23:30:00Z", time.UTC, "2026Q3", "2026Q2"},
		{"2026-09-30T23:30:00Z", nil, "2026Q3", "2026Q2"},
		{"2026-10-01T00:00:00Z", time.UTC, "2026Q4", "2026Q3"},
		{"2026-10-01T02:59:59Z", msk, "2026Q4", "2026Q3"},
		// New Year: 31 December 21:00 UTC is already 1 January in Moscow.
		{"2026-12-31T20:59:59Z", msk, "2026Q4", "2026Q3"},
		{"2026-12-31T21:00:00Z", msk, "2027Q1", "2026Q4"},
		{"2026-12-31T21:00:00Z", time.UTC, "2026Q4", "2026Q3"},
	} {
		now, err := time.Parse(time.RFC3339, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		if got := Of(now, tc.loc).String(); got != tc.of {
			t.Errorf("Of(%s, %v) = %s, want %s", tc.now, tc.loc, got, tc.of)
		}
		if got := LastComplete(now, tc.loc).String(); got != tc.last {
			t.Errorf("LastComplete(%s, %v) = %s, want %s", tc.now, tc.loc, got, tc.last)
		}
	}
}

func TestParseAndBounds(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in         string
		loc        *time.Location
		want       string
		start, end string // UTC
		date       string // StartDate, the quarter_start column
	}{
		{"2026Q3", msk, "2026Q3", "2026-06-30T21:00:00Z", "2026-09-30T21:00:00Z", "2026-07-01"},
		{"2026-q1", msk, "2026Q1", "2025-12-31T21:00:00Z", "2026-03-31T21:00:00Z", "2026-01-01"},
		{"2025Q4", msk, "2025Q4", "2025-09-30T21:00:00Z", "2025-12-31T21:00:00Z", "2025-10-01"},
		{"2026q3", nil, "2026Q3", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z", "2026-07-01"},
		{" 2026 - Q4 ", time.UTC, "2026Q4", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-10-01"},
	} {
		q, err := Parse(tc.in, tc.loc)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		start, end := q.Start().UTC().Format(time.RFC3339), q.End().UTC().Format(time.RFC3339)
		if q.String() != tc.want || start != tc.start || end != tc.end {
			t.Errorf("Parse(%q) = %s [%s, %s), want %s [%s, %s)", tc.in, q, start, end, tc.want, tc.start, tc.end)
		}
		if got := q.StartDate(); got.Format(time.DateOnly) != tc.date || got.Location() != time.UTC || got.Hour() != 0 {
			t.Errorf("Parse(%q).StartDate() = %s, want %s 00:00 UTC", tc.in, got, tc.date)
		}
	}
	for _, bad := range []string{"", "2026", "2026Q5", "2026Q0", "Q3", "26Q1", "1999Q1", "2101Q1", "2026Q12", "2026-07"} {
		if q, err := Parse(bad, msk); err == nil {
			t.Errorf("Parse(%q) = %s, want an error", bad, q)
		}
	}
}

func TestArithmetic(t *testing.T) {
	for _, tc := range []struct {
		q    Quarter
		n    int
		want string
	}{
		{Quarter{Year: 2026, Q: 1}, -1, "2025Q4"},
		{Quarter{Year: 2026, Q: 4}, 1, "2027Q1"},
		{Quarter{Year: 2026, Q: 3}, -5, "2025Q2"},
		{Quarter{Year: 2026, Q: 3}, 0, "2026Q3"},
		{Quarter{Year: 2026, Q: 2}, 7, "2028Q1"},
	} {
		if got := tc.q.Add(tc.n).String(); got != tc.want {
			t.Errorf("%s + %d = %s, want %s", tc.q, tc.n, got, tc.want)
		}
	}
	q := Quarter{Year: 2026, Q: 3}
	if q.Next().String() != "2026Q4" || q.Prev().String() != "2026Q2" || q.Next().Index()-q.Prev().Index() != 2 {
		t.Errorf("Next/Prev/Index of %s: %s %s", q, q.Next(), q.Prev())
	}
}
