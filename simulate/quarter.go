package simulate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Moscow is the fixed UTC+3 offset in which the standards' quarters are counted (Russia has kept
// UTC+3 all year since 2014). Generated timestamps carry this offset, a few carry Z.
var Moscow = time.FixedZone("MSK", 3*3600)

// Quarter is a calendar quarter in Moscow time, e.g. 2026Q3.
type Quarter struct {
	Year int
	Q    int // 1–4
}

// ParseQuarter accepts "2026Q3" (also "2026-Q3" and lower case).
func ParseQuarter(s string) (Quarter, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	i := strings.IndexByte(t, 'Q')
	if i < 1 || i != len(t)-2 {
		return Quarter{}, fmt.Errorf("quarter %q: want YYYYQn, e.g. 2026Q3", s)
	}
	y, err := strconv.Atoi(t[:i])
	if err != nil || y < 2000 || y > 2100 {
		return Quarter{}, fmt.Errorf("quarter %q: year must be 2000–2100", s)
	}
	q := int(t[i+1] - '0')
	if q < 1 || q > 4 {
		return Quarter{}, fmt.Errorf("quarter %q: quarter must be 1–4", s)
	}
	return Quarter{y, q}, nil
}

// QuarterOf returns the quarter (in Moscow time) that holds t.
func QuarterOf(t time.Time) Quarter {
	m := t.In(Moscow)
	return Quarter{m.Year(), (int(m.Month())-1)/3 + 1}
}

// LastCompleted returns the last quarter that ended before now (Moscow time).
func LastCompleted(now time.Time) Quarter { return QuarterOf(now).Add(-1) }

// String returns the quarter as "2026Q3".
func (q Quarter) String() string { return strconv.Itoa(q.Year) + "Q" + strconv.Itoa(q.Q) }

// Add returns the quarter n quarters later (earlier for negative n).
func (q Quarter) Add(n int) Quarter {
	i := q.Year*4 + q.Q - 1 + n
	return Quarter{i / 4, i%4 + 1}
}

// Index is a monotone number of the quarter (Year*4 + Q - 1), for distances between quarters.
func (q Quarter) Index() int { return q.Year*4 + q.Q - 1 }

// Start returns the first instant of the quarter in Moscow time.
func (q Quarter) Start() time.Time {
	return time.Date(q.Year, time.Month(3*(q.Q-1)+1), 1, 0, 0, 0, 0, Moscow)
}

// End returns the first instant after the quarter (the next quarter's Start).
func (q Quarter) End() time.Time { return q.Add(1).Start() }
