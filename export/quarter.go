package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Quarter is a calendar quarter such as 2026Q3 in a time zone.
type Quarter struct {
	Year int            // calendar year
	Q    int            // 1..4
	Loc  *time.Location // time zone of the quarter's boundaries; nil means UTC
}

// In returns the same quarter with its boundaries in loc (the assessment uses Europe/Moscow, A20).
func (q Quarter) In(loc *time.Location) Quarter {
	q.Loc = loc
	return q
}

// ParseQuarter parses "2026Q3" (also "2026-Q3" and lower-case q) as a UTC quarter; use In for
// another time zone.
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

// Start is the first instant of the quarter: local midnight of its first day in Loc (UTC when nil).
func (q Quarter) Start() time.Time {
	loc := q.Loc
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, loc)
}

// End is the first instant of the next quarter (exclusive bound).
func (q Quarter) End() time.Time { return q.Next().Start() }

// Next is the following quarter.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{Year: q.Year + 1, Q: 1, Loc: q.Loc}
	}
	return Quarter{Year: q.Year, Q: q.Q + 1, Loc: q.Loc}
}

// Prev is the preceding quarter.
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{Year: q.Year - 1, Q: 4, Loc: q.Loc}
	}
	return Quarter{Year: q.Year, Q: q.Q - 1, Loc: q.Loc}
}
