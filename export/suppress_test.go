package export

import (
	"fmt"
	"testing"
)

func TestSuppress(t *testing.T) {
	cases := []struct {
		name      string
		counts    []int64
		pre       []bool
		total     int64
		k         int64
		want      []bool
		wantTotal bool
	}{
		{"all at k are published", []int64{10, 10}, nil, 20, 10, []bool{false, false}, false},
		// 9 = k−1 is suppressed; alone it would be total − 12 − 10, so the smallest published
		// cell (10) goes too: 9 + 10 = 19 ≥ 10.
		{"k-1 with secondary", []int64{12, 10, 9}, nil, 31, 10, []bool{false, true, true}, false},
		// Two small cells 3 + 8 = 11 ≥ 10 already hide each other.
		{"two small cells hide each other", []int64{15, 3, 8}, nil, 26, 10, []bool{false, true, true}, false},
		// 3 + 4 = 7 < 10: the smallest published (20, lower index on the tie) joins them.
		{"secondary picks smallest, then lower index", []int64{20, 3, 20, 4}, nil, 47, 10, []bool{true, true, false, true}, false},
		{"total below k hides everything", []int64{5, 4}, nil, 9, 10, []bool{true, true}, true},
		{"zero is no data, not a cell", []int64{0, 12, 11}, nil, 23, 10, []bool{false, false, false}, false},
		// A cell suppressed by an earlier pass counts as suppressed with its count (15 ≥ 10).
		{"pre-suppressed large cell", []int64{15, 12}, []bool{true, false}, 27, 10, []bool{true, false}, false},
		// Pre-suppressed with only 4: the other cell must go as well.
		{"pre-suppressed small cell", []int64{4, 12}, []bool{true, false}, 16, 10, []bool{true, true}, false},
		{"k = 1 suppresses nothing", []int64{1, 2}, nil, 3, 1, []bool{false, false}, false},
	}
	for _, c := range cases {
		got, tot := Suppress(c.counts, c.pre, c.total, c.k)
		if fmt.Sprint(got) != fmt.Sprint(c.want) || tot != c.wantTotal {
			t.Errorf("%s: Suppress(%v, %v, %d, %d) = %v, %v; want %v, %v", c.name, c.counts, c.pre, c.total, c.k, got, tot, c.want, c.wantTotal)
		}
	}
}
