// Package quarter is the calendar quarter every command counts in: "2026Q3", its first and last
// instant in a time zone, the quarters around it, and the default quarter of a command (the last
// one that has ended). The time zone of the assessment is the band file's parameters.timezone
// (metrics.QuarterLocation resolves it); this package takes the zone as given.
package quarter

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Quarter is a calendar quarter in a time zone. Loc nil means UTC.
type Quarter struct {
	Year int            // calendar year
	Q    int            // 1–4
	Loc  *time.Location // time zone of the boundaries; nil means UTC
}

var quarterRE = regexp.MustCompile(`^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$`)

// Parse reads "2026Q3" (also "2026-Q3" and "2026q3") as a quarter in loc (nil: UTC). Years run
// from 2000 to 2100.
func Parse(s string, loc *time.Location) (Quarter, error) {
	m := quarterRE.FindStringSubmatch(s)
	if m == nil {
		return Quarter{}, fmt.Errorf("quarter %q: write it as YYYYQn with n from 1 to 4, e.g. 2026Q3", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	if y < 2000 || y > 2100 {
		return Quarter{}, fmt.Errorf("quarter %q: the year must be from 2000 to 2100", s)
	}
	return Quarter{Year: y, Q: q, Loc: loc}, nil
}

// Of returns the quarter that holds t in loc (nil: UTC).
func Of(t time.Time, loc *time.Location) Quarter {
	lt := t.In(orUTC(loc))
	return Quarter{Year: lt.Year(), Q: (int(lt.Month())-1)/3 + 1, Loc: loc}
}

// LastComplete returns the last quarter that ended at or before now in loc: the default quarter
// of assess, report and export, and the last quarter the simulator generates.
func LastComplete(now time.Time, loc *time.Location) Quarter { return Of(now, loc).Prev() }

// String is "2026Q3", the form stored in assessments.quarter.
func (q Quarter) String() string { return fmt.Sprintf("%04dQ%d", q.Year, q.Q) }

// In returns the same quarter with its boundaries in loc.
func (q Quarter) In(loc *time.Location) Quarter {
	q.Loc = loc
	return q
}

// Start is the first instant of the quarter: local midnight of its first day.
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, orUTC(q.Loc))
}

// End is the first instant after the quarter (the next quarter's Start).
func (q Quarter) End() time.Time { return q.Next().Start() }

// StartDate is the calendar date of the quarter's first day at midnight UTC (the quarter_start
// column).
func (q Quarter) StartDate() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, time.UTC)
}

// Add returns the quarter n quarters later (earlier for negative n), in the same time zone.
func (q Quarter) Add(n int) Quarter {
	i := q.Index() + n
	return Quarter{Year: i / 4, Q: i%4 + 1, Loc: q.Loc}
}

// Next is the following quarter.
func (q Quarter) Next() Quarter { return q.Add(1) }

// Prev is the preceding quarter.
func (q Quarter) Prev() Quarter { return q.Add(-1) }

// Index is a monotone number of the quarter (Year*4 + Q - 1), for distances between quarters.
func (q Quarter) Index() int { return q.Year*4 + q.Q - 1 }

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
