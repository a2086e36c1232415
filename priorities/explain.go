package priorities

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cxstar/cxstar/metrics"
)

var gapNames = map[string][2]string{
	Satisfaction: {"удовлетворённость", "satisfaction"},
	Ease:         {"лёгкость получения", "ease"},
	NPS:          {"NPS", "NPS"},
	Repeats:      {"повторные обращения", "repeat requests"},
}

// Why says in words and numbers why an entry ranks where it does, in lang: the clients, the
// indicators with a shortfall (largest first) against the targets they miss (the next star's band,
// the national median), and the entry's part of the repeat requests, e.g. «3 412 клиентов;
// удовлетворённость 41,2 % при 70,1 % для 3★ (медиана 63,0 %); 38,0 % повторных обращений
// приходятся на эту ситуацию».
// It is one sentence built part by part in reading order, each part with its two languages.
func Why(e Entry, lang metrics.Lang) string {
	en := lang == metrics.EN
	var parts []string
	if en {
		noun := "clients"
		if e.Clients == 1 {
			noun = "client"
		}
		parts = append(parts, group(e.Clients, en)+" "+noun)
	} else {
		parts = append(parts, group(e.Clients, en)+" "+clientsRU(e.Clients))
	}
	if e.BelowMinN {
		if en {
			parts = append(parts, "too few answers (below min_n): not ranked")
		} else {
			parts = append(parts, "мало ответов (меньше min_n): не ранжируется")
		}
		return strings.Join(parts, "; ")
	}
	gaps := append([]Gap(nil), e.Gaps...)
	sort.SliceStable(gaps, func(i, j int) bool { return gaps[i].Weighted > gaps[j].Weighted })
	for _, g := range gaps {
		if g.Weighted <= 0 || g.Value == nil {
			continue
		}
		name := gapNames[g.Code][0]
		if en {
			name = gapNames[g.Code][1]
		}
		unit := " %"
		if g.Code == NPS {
			unit = ""
		}
		s := name + " " + num(*g.Value, en) + unit
		short := func(t *float64) bool {
			if t == nil {
				return false
			}
			if g.Code == Repeats {
				return *g.Value > *t
			}
			return *g.Value < *t
		}
		band := ""
		if short(g.Target) {
			band = num(*g.Target, en) + unit
			switch {
			case g.NextLevel > 0 && en:
				band += " for " + strconv.Itoa(g.NextLevel) + "★"
			case g.NextLevel > 0:
				band += " для " + strconv.Itoa(g.NextLevel) + "★"
			case en:
				band += " target"
			default:
				band += " — цель"
			}
		}
		median := ""
		if short(g.Median) {
			median = num(*g.Median, en) + unit
		}
		switch {
		case band != "" && median != "" && en:
			s += " against " + band + " (median " + median + ")"
		case band != "" && median != "":
			s += " при " + band + " (медиана " + median + ")"
		case band != "" && en:
			s += " against " + band
		case band != "":
			s += " при " + band
		case en:
			s += " against the median " + median
		default:
			s += " при медиане " + median
		}
		parts = append(parts, s)
	}
	if e.RepeatShare != nil {
		if en {
			parts = append(parts, num(*e.RepeatShare, en)+" % of repeat requests fall here")
		} else {
			parts = append(parts, num(*e.RepeatShare, en)+" % повторных обращений приходятся на эту ситуацию")
		}
	}
	return strings.Join(parts, "; ")
}

// clientsRU is the Russian plural of «клиент» after n: 1 клиент, 2 клиента, 5 клиентов, 21 клиент.
func clientsRU(n int64) string {
	switch {
	case n%100 >= 11 && n%100 <= 14:
		return "клиентов"
	case n%10 == 1:
		return "клиент"
	case n%10 >= 2 && n%10 <= 4:
		return "клиента"
	}
	return "клиентов"
}

// group writes n with thousands separated: "3 412" in Russian (a no-break space), "3,412" in English.
func group(n int64, en bool) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "\u00a0"
	if en {
		sep = ","
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// num writes a value with one decimal: "41,2" in Russian, "41.2" in English.
func num(v float64, en bool) string {
	s := fmt.Sprintf("%.1f", v)
	if !en {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
