package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

type trend struct {
	W, H   int
	Line   string
	Points []trendPoint
	Labels []trendLabel
	Empty  bool
}

type trendPoint struct {
	X, Y  string
	Title string
}

type trendLabel struct {
	X, Y, Text, Anchor string
}

// buildTrend draws the indicator's value over the trend quarters as an inline SVG line: x is the
// quarter, y the value on a fixed scale (0–100 for percentages, −100–100 for NPS points, else the
// data's own range).
func buildTrend(quarters []quarter.Quarter, values map[string]*float64, unit string, lang metrics.Lang) trend {
	const W, H, padX, padTop, padBottom = 200, 64, 14, 8, 16
	t := trend{W: W, H: H}
	lo, hi := 0.0, 100.0
	switch unit {
	case "percent":
	case "nps_points":
		lo = -100
	default:
		first := true
		for _, v := range values {
			if v == nil {
				continue
			}
			if first || *v < lo {
				lo = *v
			}
			if first || *v > hi {
				hi = *v
			}
			first = false
		}
		if hi-lo < 1 {
			hi, lo = hi+1, lo-1
		}
	}
	step := 0.0
	if len(quarters) > 1 {
		step = float64(W-2*padX) / float64(len(quarters)-1)
	}
	var line []string
	for i, q := range quarters {
		x := float64(padX) + step*float64(i)
		if len(quarters) == 1 {
			x = W / 2
		}
		if i == 0 || i == len(quarters)-1 {
			anchor := "start"
			if i == len(quarters)-1 && len(quarters) > 1 {
				anchor = "end"
			}
			if len(quarters) == 1 {
				anchor = "middle"
			}
			lx := x - padX/2
			if anchor == "end" {
				lx = x + padX/2
			} else if anchor == "middle" {
				lx = x
			}
			t.Labels = append(t.Labels, trendLabel{X: coord(lx), Y: coord(H - 3), Text: q.String(), Anchor: anchor})
		}
		v := values[q.String()]
		if v == nil {
			continue
		}
		c := math.Max(lo, math.Min(hi, *v))
		y := float64(padTop) + (hi-c)/(hi-lo)*float64(H-padTop-padBottom)
		line = append(line, coord(x)+","+coord(y))
		t.Points = append(t.Points, trendPoint{X: coord(x), Y: coord(y), Title: q.String() + ": " + num(*v, lang) + unitSuffix(unit)})
	}
	t.Line = strings.Join(line, " ")
	t.Empty = len(t.Points) == 0
	return t
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
