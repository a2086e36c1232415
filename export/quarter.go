package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Quarter is a calendar quarter such as 2026Q3.
type Quarter struct {
	Year int
	Q    int // 1..4
}

// ParseQuarter parses "2026Q3" (also "2026-Q3" and lower-case q).
func ParseQuarter(s string) (Quarter, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.Replace(t, "-Q", "Q", 1)
	y, q, ok := strings.Cut(t, "Q")
	if !ok {
		return Quarter{}, fmt.Errorf("quarter %q: want YYYYQn, for example 2026Q3", s)
	}
	year, err1 := strconv.Atoi(y)
	n, err2 := strconv.Atoi(q)
	if err1 != nil || err2 != nil || len(y) != 4 || n < 1 || n > 4 || year < 1970 {
		return Quarter{}, fmt.Errorf("quarter %q: want YYYYQn with n in 1..4, for example 2026Q3", s)
	}
	return Quarter{Year: year, Q: n}, nil
}

// String formats the quarter as 2026Q3, the form stored in assessments.quarter.
func (q Quarter) String() string { return fmt.Sprintf("%04dQ%d", q.Year, q.Q) }

// Start is the first instant of the quarter in UTC.
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, time.UTC)
}

// End is the first instant of the next quarter in UTC (exclusive bound).
func (q Quarter) End() time.Time { return q.Next().Start() }

// Next is the following quarter.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{Year: q.Year + 1, Q: 1}
	}
	return Quarter{Year: q.Year, Q: q.Q + 1}
}

// Prev is the preceding quarter.
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{Year: q.Year - 1, Q: 4}
	}
	return Quarter{Year: q.Year, Q: q.Q - 1}
}
