package transform

import (
	"math/big"
	"sort"

	"github.com/cxstar/cxstar/metrics"
)

// inputFor turns the aggregated rows of one agency into the Evaluate input of one indicator and
// its drill-down values per service and per life situation.
func inputFor(ind *metrics.Indicator, b *metrics.BandSet, d *agencyData, hold string) (metrics.Input, []Detail) {
	p := b.Parameters
	var in metrics.Input
	var details []Detail
	decl := d.declarations[ind.Code]
	if decl != nil {
		in.Declared = true
		in.Flags, in.Metrics = decl.flags, decl.metrics
	}
	shareDetail := func(dim, id string, num, den int64) {
		if id == "" || den <= 0 {
			return
		}
		v, _ := metrics.SharePct(num, den)
		v = v.Round(p.Decimals)
		dt := Detail{Dimension: dim, DimensionID: id, Value: &v, N: den}
		if iv, err := metrics.Wilson(num, den, p.CIZ); err == nil {
			dt.CILow, dt.CIHigh = dec(iv.Low, p.Decimals), dec(iv.High, p.Decimals)
		}
		details = append(details, dt)
	}
	npsDetail := func(dim, id string, c counts) {
		if id == "" || c.n <= 0 {
			return
		}
		v, _ := metrics.NPS(c.prom, c.det, c.n)
		v = v.Round(p.Decimals)
		dt := Detail{Dimension: dim, DimensionID: id, Value: &v, N: c.n}
		if iv, err := metrics.NPSInterval(c.prom, c.det, c.n, p.CIZ); err == nil {
			dt.CILow, dt.CIHigh = dec(iv.Low, p.Decimals), dec(iv.High, p.Decimals)
		}
		details = append(details, dt)
	}
	pooled := func(questions []string) (tot counts, bySvc, byLS map[string]*counts) {
		bySvc, byLS = map[string]*counts{}, map[string]*counts{}
		for _, q := range questions {
			qa := d.ratings[q]
			if qa == nil {
				continue
			}
			tot.add(qa.total)
			for id, c := range qa.bySvc {
				addTo(bySvc, id, *c)
			}
			for id, c := range qa.byLS {
				addTo(byLS, id, *c)
			}
		}
		return
	}

	switch ind.Code {
	case "scenario_coverage":
		type svc struct{ active, scen bool }
		all := map[string]*svc{}
		perLS := map[string]map[string]*svc{}
		volActive, volScen := map[string]int64{}, map[string]int64{}
		for _, r := range d.services {
			// P counts «услуг и сервисов» (no support measures, D6); B counts all three kinds.
			if b.Standard == metrics.People && r.kind == "support_measure" {
				continue
			}
			if r.active == 0 {
				continue
			}
			mark := func(m map[string]*svc) {
				s := m[r.serviceID]
				if s == nil {
					s = &svc{}
					m[r.serviceID] = s
				}
				s.active = true
				s.scen = s.scen || r.inScenario > 0
			}
			mark(all)
			if r.ls != "" {
				if perLS[r.ls] == nil {
					perLS[r.ls] = map[string]*svc{}
				}
				mark(perLS[r.ls])
			}
			volActive[r.serviceID] += r.active
			volScen[r.serviceID] += r.inScenario
		}
		count := func(m map[string]*svc) (num, den int64) {
			for _, s := range m {
				den++
				if s.scen {
					num++
				}
			}
			return
		}
		in.Num, in.Den = count(all)
		for _, id := range sortedKeys(perLS) {
			n, dd := count(perLS[id])
			shareDetail("life_situation", id, n, dd)
		}
		for _, id := range sortedKeys(volActive) {
			shareDetail("service", id, volScen[id], volActive[id]) // volume-weighted diagnostic
		}
	case "repeat_request_rate":
		svcRep, svcSub, lsRep, lsSub := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
		for _, r := range d.services {
			in.Num += r.repeats
			in.Den += r.submitted
			svcRep[r.serviceID] += r.repeats
			svcSub[r.serviceID] += r.submitted
			if r.ls != "" {
				lsRep[r.ls] += r.repeats
				lsSub[r.ls] += r.submitted
			}
		}
		for _, id := range sortedKeys(svcSub) {
			shareDetail("service", id, svcRep[id], svcSub[id])
		}
		for _, id := range sortedKeys(lsSub) {
			shareDetail("life_situation", id, lsRep[id], lsSub[id])
		}
	case "nps_positive_service_share":
		tot, bySvc, byLS := pooled(ind.Questions)
		_ = tot
		for _, id := range sortedKeys(bySvc) {
			c := bySvc[id]
			in.Services = append(in.Services, metrics.ServiceCount{ID: id, Promoters: c.prom, Detractors: c.det, N: c.n})
			npsDetail("service", id, *c)
		}
		for _, id := range sortedKeys(byLS) {
			npsDetail("life_situation", id, *byLS[id])
		}
	case "digital_touchpoint_nps":
		for _, q := range ind.Questions {
			qa := d.ratings[q]
			if qa == nil {
				continue
			}
			in.Promoters += qa.digital.prom
			in.Detractors += qa.digital.det
			in.N += qa.digital.n
			for _, id := range sortedKeys(qa.digitalSvc) {
				npsDetail("service", id, *qa.digitalSvc[id])
			}
			for _, id := range sortedKeys(qa.digitLS) {
				npsDetail("life_situation", id, *qa.digitLS[id])
			}
		}
	case "proactive_scenario_share", "api_scenario_share":
		if r := d.registry; r != nil {
			in.Registered = true
			in.Den = r.approved
			in.Num = r.proactive
			if ind.Code == "api_scenario_share" {
				in.Num = r.api
			}
			in.Metrics = map[string]metrics.Decimal{"approved_proactive_scenarios": metrics.NewDecimal(r.proactive, 0)}
		}
	case "social_media_response_time":
		limits := responseLimits(b.Indicators[ind.Code])
		for class, secs := range d.appeals {
			for _, s := range secs {
				in.N++
				if s >= 0 && limits[class] != nil && big.NewRat(s, 3600).Cmp(limits[class]) <= 0 {
					in.Num++
				}
			}
		}
		if in.N > 0 {
			in.Metrics = map[string]metrics.Decimal{}
			for _, class := range []string{"mention", "official"} {
				if v, ok := quantileHours(d.appeals[class], p.ComplianceQuantile); ok {
					in.Metrics[class+"_rt_hours"] = v
				}
			}
			in.Hold = hold
		}
	default:
		if len(ind.Questions) > 0 && ind.Kind != metrics.KindNPS { // satisfaction shares, phone satisfaction
			tot, bySvc, byLS := pooled(ind.Questions)
			in.Num, in.Den = tot.pos, tot.n
			for _, id := range sortedKeys(bySvc) {
				shareDetail("service", id, bySvc[id].pos, bySvc[id].n)
			}
			for _, id := range sortedKeys(byLS) {
				shareDetail("life_situation", id, byLS[id].pos, byLS[id].n)
			}
		} else if decl != nil && ind.Kind != metrics.KindCapability { // registry / external shares
			in.Value = decl.value
			in.Num, in.Den = decl.num, decl.den
		}
	}
	return in, details
}

// responseLimits reads the 5★ limits (hours) of each message class from the ladder, for the value
// of P-T2-6 (share of messages answered within them).
func responseLimits(l *metrics.Ladder) map[string]*big.Rat {
	out := map[string]*big.Rat{}
	if l == nil || len(l.Levels) == 0 {
		return out
	}
	top := l.Levels[len(l.Levels)-1]
	conds := append([]metrics.Cond{top.Cond}, top.All...)
	for _, c := range conds {
		if c.Max == nil {
			continue
		}
		r := new(big.Rat).SetFrac64(c.Max.Units(), 1)
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.Max.Scale())), nil)))
		switch c.Metric {
		case "mention_rt_hours":
			out["mention"] = r
		case "official_rt_hours":
			out["official"] = r
		}
	}
	return out
}

// quantileHours returns the response time (hours, 6 decimals rounded up so that any excess over a
// limit stays visible) that the compliance quantile q (%) of the messages meet: the k-th smallest
// with k = ⌈q·n/100⌉, unanswered messages counting as infinitely late. An empty class gives 0
// (nothing to answer); false when the k-th message is unanswered.
func quantileHours(secs []int64, q metrics.Decimal) (metrics.Decimal, bool) {
	if len(secs) == 0 {
		return metrics.NewDecimal(0, 0), true
	}
	s := append([]int64(nil), secs...)
	sort.Slice(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a < 0 {
			return false
		}
		if b < 0 {
			return true
		}
		return a < b
	})
	// k = ceil(q·n/100), q = units·10^-scale.
	num := new(big.Int).Mul(big.NewInt(q.Units()), big.NewInt(int64(len(s))))
	den := new(big.Int).Mul(big.NewInt(100), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(q.Scale())), nil))
	k, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Sign() > 0 {
		k.Add(k, big.NewInt(1))
	}
	i := int(k.Int64()) - 1
	if i < 0 {
		i = 0
	}
	if s[i] < 0 {
		return metrics.Decimal{}, false
	}
	// ceil(seconds·10^6/3600) / 10^6
	micro := (s[i]*1_000_000 + 3599) / 3600
	return metrics.NewDecimal(micro, 6), true
}

func dec(x float64, decimals int) *metrics.Decimal {
	d, err := metrics.DecimalFromFloat(x)
	if err != nil {
		return nil
	}
	d = d.Round(decimals)
	return &d
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
