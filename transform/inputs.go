package transform

import (
	"math/big"
	"sort"

	"github.com/cxstar/cxstar/metrics"
)

// inputFor turns the aggregated rows of one agency into the Evaluate input of one indicator and
// its drill-down values per service and per life situation, from the counts the catalog names
// for it (metrics.Counts) and, for answers, its kind.
func inputFor(ind *metrics.Indicator, b *metrics.BandSet, d *agencyData, hold string) (metrics.Input, []Detail) {
	x := &inputs{p: b.Parameters, d: d}
	decl := d.declarations[ind.Code]
	if decl != nil {
		x.in.Declared = true
		x.in.Flags, x.in.Metrics = decl.flags, decl.metrics
	}
	switch ind.Counts {
	case metrics.CountAnswers, metrics.CountDigitalAnswers:
		x.answers(ind, ind.Counts == metrics.CountDigitalAnswers)
	case metrics.CountScenarioServices:
		x.scenarioServices(b.Standard)
	case metrics.CountRepeatRequests:
		x.repeatRequests()
	case metrics.CountProactiveScenarios, metrics.CountAPIScenarios:
		x.scenarios(ind.Counts == metrics.CountAPIScenarios)
	case metrics.CountMessages:
		x.messages(b.Indicators[ind.Code], hold)
	case metrics.CountDeclared:
		if decl != nil && ind.Kind != metrics.KindCapability { // registry / external shares
			x.in.Value = decl.value
			x.in.Num, x.in.Den = decl.num, decl.den
		}
	}
	return x.in, x.details
}

// inputs builds one indicator's input and drill-down values from one agency's rows.
type inputs struct {
	p       metrics.Parameters
	d       *agencyData
	in      metrics.Input
	details []Detail
}

// shareDetail adds the drill-down share num/den of one service or life situation.
func (x *inputs) shareDetail(dim, id string, num, den int64) {
	if id == "" || den <= 0 {
		return
	}
	v, _ := metrics.SharePct(num, den)
	v = v.Round(x.p.Decimals)
	dt := Detail{Dimension: dim, DimensionID: id, Value: &v, N: den}
	if iv, err := metrics.Wilson(num, den, x.p.CIZ); err == nil {
		dt.CILow, dt.CIHigh = dec(iv.Low, x.p.Decimals), dec(iv.High, x.p.Decimals)
	}
	x.details = append(x.details, dt)
}

// npsDetail adds the drill-down NPS of one service or life situation.
func (x *inputs) npsDetail(dim, id string, c counts) {
	if id == "" || c.n <= 0 {
		return
	}
	v, _ := metrics.NPS(c.prom, c.det, c.n)
	v = v.Round(x.p.Decimals)
	dt := Detail{Dimension: dim, DimensionID: id, Value: &v, N: c.n}
	if iv, err := metrics.NPSInterval(c.prom, c.det, c.n, x.p.CIZ); err == nil {
		dt.CILow, dt.CIHigh = dec(iv.Low, x.p.Decimals), dec(iv.High, x.p.Decimals)
	}
	x.details = append(x.details, dt)
}

// pooled adds up the answers to questions (only those given in a digital channel when digital),
// in total, per service and per life situation.
func (x *inputs) pooled(questions []string, digital bool) (tot counts, bySvc, byLS map[string]*counts) {
	bySvc, byLS = map[string]*counts{}, map[string]*counts{}
	for _, q := range questions {
		qa := x.d.ratings[q]
		if qa == nil {
			continue
		}
		t, svc, ls := qa.total, qa.bySvc, qa.byLS
		if digital {
			t, svc, ls = qa.digital, qa.digitalSvc, qa.digitLS
		}
		tot.add(t)
		for id, c := range svc {
			addTo(bySvc, id, *c)
		}
		for id, c := range ls {
			addTo(byLS, id, *c)
		}
	}
	return
}

// answers: the NPS of the pooled answers, the share of services with a positive NPS, or the share
// of positive answers, by the indicator's kind.
func (x *inputs) answers(ind *metrics.Indicator, digital bool) {
	tot, bySvc, byLS := x.pooled(ind.Questions, digital)
	switch ind.Kind {
	case metrics.KindNPS:
		x.in.Promoters, x.in.Detractors, x.in.N = tot.prom, tot.det, tot.n
		for _, id := range sortedKeys(bySvc) {
			x.npsDetail("service", id, *bySvc[id])
		}
		for _, id := range sortedKeys(byLS) {
			x.npsDetail("life_situation", id, *byLS[id])
		}
	case metrics.KindNPSServiceShare:
		for _, id := range sortedKeys(bySvc) {
			c := bySvc[id]
			x.in.Services = append(x.in.Services, metrics.ServiceCount{ID: id, Promoters: c.prom, Detractors: c.det, N: c.n})
			x.npsDetail("service", id, *c)
		}
		for _, id := range sortedKeys(byLS) {
			x.npsDetail("life_situation", id, *byLS[id])
		}
	default: // satisfaction shares, phone satisfaction
		x.in.Num, x.in.Den = tot.pos, tot.n
		for _, id := range sortedKeys(bySvc) {
			x.shareDetail("service", id, bySvc[id].pos, bySvc[id].n)
		}
		for _, id := range sortedKeys(byLS) {
			x.shareDetail("life_situation", id, byLS[id].pos, byLS[id].n)
		}
	}
}

// scenarioServices: the share of services with requests that were provided within a client
// scenario; per life situation, and volume-weighted per service as a diagnostic.
func (x *inputs) scenarioServices(std metrics.Standard) {
	type svc struct{ active, scen bool }
	all := map[string]*svc{}
	perLS := map[string]map[string]*svc{}
	volActive, volScen := map[string]int64{}, map[string]int64{}
	mark := func(m map[string]*svc, r serviceRow) {
		s := m[r.serviceID]
		if s == nil {
			s = &svc{}
			m[r.serviceID] = s
		}
		s.active = true
		s.scen = s.scen || r.inScenario > 0
	}
	for _, r := range x.d.services {
		// P counts «услуг и сервисов» (no support measures, D6); B counts all three kinds.
		if std == metrics.People && r.kind == "support_measure" {
			continue
		}
		if r.active == 0 {
			continue
		}
		mark(all, r)
		if r.ls != "" {
			if perLS[r.ls] == nil {
				perLS[r.ls] = map[string]*svc{}
			}
			mark(perLS[r.ls], r)
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
	x.in.Num, x.in.Den = count(all)
	for _, id := range sortedKeys(perLS) {
		n, dd := count(perLS[id])
		x.shareDetail("life_situation", id, n, dd)
	}
	for _, id := range sortedKeys(volActive) {
		x.shareDetail("service", id, volScen[id], volActive[id]) // volume-weighted diagnostic
	}
}

// repeatRequests: the share of submitted requests that repeat an earlier one.
func (x *inputs) repeatRequests() {
	svcRep, svcSub, lsRep, lsSub := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, r := range x.d.services {
		x.in.Num += r.repeats
		x.in.Den += r.submitted
		svcRep[r.serviceID] += r.repeats
		svcSub[r.serviceID] += r.submitted
		if r.ls != "" {
			lsRep[r.ls] += r.repeats
			lsSub[r.ls] += r.submitted
		}
	}
	for _, id := range sortedKeys(svcSub) {
		x.shareDetail("service", id, svcRep[id], svcSub[id])
	}
	for _, id := range sortedKeys(lsSub) {
		x.shareDetail("life_situation", id, lsRep[id], lsSub[id])
	}
}

// scenarios: the share of approved client scenarios that run proactively (or over an API).
func (x *inputs) scenarios(api bool) {
	r := x.d.registry
	if r == nil {
		return
	}
	x.in.Registered = true
	x.in.Den = r.approved
	x.in.Num = r.proactive
	if api {
		x.in.Num = r.api
	}
	x.in.Metrics = map[string]metrics.Decimal{"approved_proactive_scenarios": metrics.NewDecimal(r.proactive, 0)}
}

// messages: the share of social-media messages answered within the 5★ limit of their class, and
// the response time the compliance quantile meets per class; held while the quarter settles.
func (x *inputs) messages(l *metrics.Ladder, hold string) {
	limits := responseLimits(l)
	for class, secs := range x.d.appeals {
		for _, s := range secs {
			x.in.N++
			if s >= 0 && limits[class] != nil && big.NewRat(s, 3600).Cmp(limits[class]) <= 0 {
				x.in.Num++
			}
		}
	}
	if x.in.N > 0 {
		x.in.Metrics = map[string]metrics.Decimal{}
		for _, class := range []string{"mention", "official"} {
			if v, ok := quantileHours(x.d.appeals[class], x.p.ComplianceQuantile); ok {
				x.in.Metrics[class+"_rt_hours"] = v
			}
		}
		x.in.Hold = hold
	}
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
