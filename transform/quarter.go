package transform

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Quarter is a calendar quarter in a time zone (A20: Europe/Moscow by default).
type Quarter struct {
	Year, Q int
	Loc     *time.Location
}

var quarterRE = regexp.MustCompile(`^(\d{4})\s*-?\s*[Qq]([1-4])$`)

// ParseQuarter reads "2026Q3" (also "2026-Q3", "2026q3") in the given time zone.
func ParseQuarter(s string, loc *time.Location) (Quarter, error) {
	m := quarterRE.FindStringSubmatch(s)
	if m == nil {
		return Quarter{}, fmt.Errorf("quarter %q: write it as YYYYQn, e.g. 2026Q3", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	if loc == nil {
		loc = time.UTC
	}
	return Quarter{Year: y, Q: q, Loc: loc}, nil
}

// QuarterOf returns the quarter that contains t in loc.
func QuarterOf(t time.Time, loc *time.Location) Quarter {
	lt := t.In(loc)
	return Quarter{Year: lt.Year(), Q: (int(lt.Month())-1)/3 + 1, Loc: loc}
}

// String is "2026Q3".
func (q Quarter) String() string { return fmt.Sprintf("%dQ%d", q.Year, q.Q) }

// Start is the first instant of the quarter (local midnight of its first day).
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, q.Loc)
}

// End is the first instant after the quarter.
func (q Quarter) End() time.Time { return q.Start().AddDate(0, 3, 0) }

// StartDate is the local calendar date of the first day (the quarter_start column).
func (q Quarter) StartDate() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, time.UTC)
}
