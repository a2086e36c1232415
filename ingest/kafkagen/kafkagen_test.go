package kafkagen

import (
	"testing"
	"time"
)

func TestOccurredAtWithinSpan(t *testing.T) {
	end := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		n, i int
		want time.Time
	}{
		{n: 3, i: 2, want: time.Date(2026, 6, 1, 8, 0, 14, 0, time.UTC)},
		// 1 M events at 7 s: 81 days.
		{n: 1_000_000, i: 999_999, want: time.Date(2026, 8, 21, 8, 26, 33, 0, time.UTC)},
		// 7 s × 1,888,457 still fits 153 days (13,219,200 s); one event more does not.
		{n: 1_888_457, i: 1_888_456, want: time.Date(2026, 11, 1, 7, 59, 52, 0, time.UTC)},
		// 3 M events: 13,219,200 s / 3 M = 4.4064 s apart.
		{n: 3_000_000, i: 2_999_999, want: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC).Add(2_999_999 * 4406400 * time.Microsecond)},
	} {
		got := occurredAt(tc.i, tc.n)
		if !got.Equal(tc.want) {
			t.Errorf("occurredAt(%d, %d) = %v, want %v", tc.i, tc.n, got, tc.want)
		}
		if !got.Before(end) {
			t.Errorf("occurredAt(%d, %d) = %v, not before %v", tc.i, tc.n, got, end)
		}
	}
}
