// Package simulate generates realistic, anonymised, deterministic event data for cxstar: N
// agencies (federal, regional, municipal; people and business clients) over M quarters, with
// per-agency services, life situations and client scenarios, clients who come back for the same
// service, proactive provision, survey answers whose NPS, satisfaction and ease differ by agency
// and drift over the quarters, appeals and social-media messages answered in minutes to days,
// and a small share of invalid and duplicated events so that rejects and deduplication are
// exercised.
//
// The same options give byte-identical output. Events are written as JSON by appending bytes
// (no reflection, no allocation per event), so generation does not bound a benchmark.
package simulate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/quarter"
)

// Generator produces the events of a simulated set of agencies. Create it with New.
type Generator struct {
	seed          uint64
	agencies      int
	from, to      quarter.Quarter
	fromSet       bool
	requests      int
	invalidShare  float64
	dupShare      float64
	now           func() time.Time
	agencyList    []Agency
	quarters      []quarter.Quarter
	cutoff        time.Time
	personsFactor float64
}

// The defaults of the Options, in one place: New starts from them and the CLI shows them.
const (
	DefaultSeed           = 1
	DefaultAgencies       = 20
	DefaultRequests       = 4000
	DefaultInvalidShare   = 0.002
	DefaultDuplicateShare = 0.005
)

// Option configures a Generator.
type Option func(*Generator)

// WithSeed sets the random seed; the same seed and options give byte-identical output.
// Default: DefaultSeed (1).
func WithSeed(seed uint64) Option { return func(g *Generator) { g.seed = seed } }

// WithAgencies sets the number of agencies. Default: DefaultAgencies (20).
func WithAgencies(n int) Option { return func(g *Generator) { g.agencies = n } }

// WithQuarters sets the first and last simulated quarter (inclusive; counted in Moscow time
// whatever their time zone). Default: the 4 quarters ending with the last complete one in Moscow
// time (see WithClock).
func WithQuarters(from, to quarter.Quarter) Option {
	return func(g *Generator) { g.from, g.to, g.fromSet = from.In(Moscow), to.In(Moscow), true }
}

// WithRequests sets the mean number of service requests per agency and quarter (agencies are
// weighted around it: federal ones get more). Default: DefaultRequests (4,000).
func WithRequests(n int) Option { return func(g *Generator) { g.requests = n } }

// WithInvalidShare sets the probability that a valid event is followed by an invalid line
// (truncated JSON, unknown schema, missing id, bad or future timestamp, bad agency id, personal
// data as client_id, bad enum, score out of range), from 0 to 1. Default: DefaultInvalidShare
// (0.002).
func WithInvalidShare(p float64) Option { return func(g *Generator) { g.invalidShare = p } }

// WithDuplicateShare sets the probability that a valid event is delivered twice (the same bytes
// again, as an at-least-once producer does), from 0 to 1. Default: DefaultDuplicateShare (0.005).
func WithDuplicateShare(p float64) Option { return func(g *Generator) { g.dupShare = p } }

// WithClock sets the clock that decides the default quarters and the cut-off: no event is
// generated after now, so none is rejected as being in the future. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(g *Generator) { g.now = now } }

// New returns a Generator; its agencies and services are drawn at once from the seed.
func New(opts ...Option) *Generator {
	g := &Generator{seed: DefaultSeed, agencies: DefaultAgencies, requests: DefaultRequests,
		invalidShare: DefaultInvalidShare, dupShare: DefaultDuplicateShare, now: time.Now}
	for _, o := range opts {
		o(g)
	}
	now := g.now()
	if !g.fromSet {
		g.to = quarter.LastComplete(now, Moscow)
		g.from = g.to.Add(-3)
	}
	for q := g.from; q.Index() <= g.to.Index(); q = q.Add(1) {
		g.quarters = append(g.quarters, q)
	}
	g.cutoff = g.to.End()
	if now.Before(g.cutoff) {
		g.cutoff = now.Truncate(time.Second)
	}
	if g.agencies < 0 {
		g.agencies = 0
	}
	if len(g.quarters) > 0 {
		g.agencyList = buildAgencies(g.seed, g.agencies, g.from, g.to)
	}
	return g
}

// Agencies returns the simulated agencies with their services, scenarios and parameters.
func (g *Generator) Agencies() []Agency { return g.agencyList }

// Quarters returns the simulated quarters in order.
func (g *Generator) Quarters() []quarter.Quarter { return g.quarters }

// Scenarios returns the client-scenario registry of every agency (reference data for
// `cxstar registry import`).
func (g *Generator) Scenarios() []Scenario {
	var out []Scenario
	for _, a := range g.agencyList {
		out = append(out, a.Scenarios...)
	}
	return out
}

// Stats counts what a run generated.
type Stats struct {
	Agencies, Quarters int
	// Events counts distinct valid events per kind (indexed by ingest.Kind).
	Events [4]int64
	// Duplicates counts extra deliveries of valid events per kind.
	Duplicates [4]int64
	// Invalid counts invalid lines per rejection code the validator is expected to give.
	Invalid map[string]int64
	// InvalidByKind counts invalid lines per kind.
	InvalidByKind [4]int64
	// Requests counts service requests; RepeatRequests those generated as repeat requests
	// (same client and service, submitted within 28 days after a completion).
	Requests, RepeatRequests int64
	// Bytes is the size of all lines, newlines included.
	Bytes int64
}

// Valid returns the number of distinct valid events of all kinds.
func (s Stats) Valid() int64 { return s.Events[1] + s.Events[2] + s.Events[3] }

// Lines returns the number of lines written: valid events, duplicates and invalid lines.
func (s Stats) Lines() int64 {
	n := s.Valid()
	for k := range s.Duplicates {
		n += s.Duplicates[k] + s.InvalidByKind[k]
	}
	return n
}

// DuplicateTotal returns the number of duplicated deliveries of all kinds.
func (s Stats) DuplicateTotal() int64 { return s.Duplicates[1] + s.Duplicates[2] + s.Duplicates[3] }

// InvalidTotal returns the number of invalid lines of all kinds.
func (s Stats) InvalidTotal() int64 {
	return s.InvalidByKind[1] + s.InvalidByKind[2] + s.InvalidByKind[3]
}

// Run generates every agency's events into sink, agency by agency. It stops early, with the
// counts so far, when ctx ends or the sink fails.
func (g *Generator) Run(ctx context.Context, sink Sink) (Stats, error) {
	st := Stats{Agencies: len(g.agencyList), Quarters: len(g.quarters), Invalid: map[string]int64{}}
	if len(g.quarters) == 0 {
		return st, fmt.Errorf("no quarters to simulate: --from %s is after --to %s", g.from, g.to)
	}
	r := &run{g: g, sink: sink, st: &st, buf: make([]byte, 0, 4096)}
	for i := range g.agencyList {
		if err := r.agency(ctx, i); err != nil {
			return st, err
		}
	}
	return st, nil
}

// svcInfo is a service prepared for the hot loop.
type svcInfo struct {
	*Service
	approved  int64 // unix time its scenario was approved; math.MaxInt64 when outside any
	proactive bool
}

type run struct {
	g    *Generator
	sink Sink
	st   *Stats
	r    *rand.Rand
	a    *Agency
	ai   uint64
	buf  []byte
	err  error

	prefix      string // seed and agency, the start of every id
	start, end  int64  // simulated period (unix), end = cut-off
	svcs        [3][]svcInfo
	cum         [3][]float64 // cumulative service weights per client type (1 person, 2 business)
	pool        [3]uint64    // client pool size per client type
	evN, reqN   uint64
	appealN     uint64
	replyMedian float64
}

const quarterSec = 91.3125 * 86400

var clientTypeNames = [3]string{"", "person", "business"}

func (r *run) agency(ctx context.Context, i int) error {
	g := r.g
	a := &g.agencyList[i]
	r.a, r.ai = a, uint64(i)
	r.r = rand.New(rand.NewPCG(g.seed^0x5eed, uint64(i)+1))
	r.prefix = fmt.Sprintf("%08x-%d-", uint32(mix64(g.seed)), i)
	r.start, r.end = g.quarters[0].Start().Unix(), g.cutoff.Unix()
	r.evN, r.reqN, r.appealN = 0, 0, 0
	r.replyMedian = a.ReplyMedian.Seconds()
	for ct := 1; ct <= 2; ct++ {
		r.svcs[ct], r.cum[ct] = r.svcs[ct][:0], r.cum[ct][:0]
	}
	for k := range a.Services {
		s := &a.Services[k]
		ct := 1
		if s.ClientType == "business" {
			ct = 2
		}
		info := svcInfo{Service: s, approved: math.MaxInt64}
		for _, sc := range a.Scenarios {
			if sc.ID == s.ScenarioID && s.ScenarioID != "" {
				info.approved, info.proactive = sc.ApprovedAt.Unix(), sc.ProactivePossible
			}
		}
		sum := s.Weight
		if n := len(r.cum[ct]); n > 0 {
			sum += r.cum[ct][n-1]
		}
		r.svcs[ct], r.cum[ct] = append(r.svcs[ct], info), append(r.cum[ct], sum)
	}
	perQuarter := int(math.Round(float64(g.requests) * a.Weight))
	total := float64(perQuarter * len(g.quarters))
	r.pool[1] = uint64(math.Max(50, 4*total*a.PersonShare))
	r.pool[2] = uint64(math.Max(50, 4*total*(1-a.PersonShare)))
	// A repeat is spawned after a completion (86 % of requests): repeats/all = q·0.86.
	repeatP := a.RepeatShare / 0.86
	for _, q := range g.quarters {
		if err := ctx.Err(); err != nil {
			return err
		}
		qs, qe := q.Start().Unix(), q.End().Unix()
		days := (qe - qs) / 86400
		for n := 0; n < perQuarter; n++ {
			ct := 1
			if r.r.Float64() >= a.PersonShare {
				ct = 2
			}
			if len(r.svcs[ct]) == 0 {
				ct = 3 - ct
			}
			svc := r.pickService(ct)
			client := r.r.Uint64N(r.pool[ct])
			t := qs + r.r.Int64N(days)*86400
			if r.r.Float64() < 0.8 {
				t += 8*3600 + r.r.Int64N(12*3600) // office hours, Moscow time
			} else {
				t += r.r.Int64N(86400)
			}
			r.request(svc, ct, client, t, false, repeatP, 0)
		}
		appeals := int(math.Round(float64(perQuarter) * a.AppealRate))
		for n := 0; n < appeals; n++ {
			r.appeal(qs + r.r.Int64N(qe-qs))
		}
		if r.err != nil {
			return r.err
		}
	}
	return r.err
}

func (r *run) pickService(ct int) *svcInfo {
	cum := r.cum[ct]
	u := r.r.Float64() * cum[len(cum)-1]
	for i, c := range cum {
		if u < c {
			return &r.svcs[ct][i]
		}
	}
	return &r.svcs[ct][len(cum)-1]
}

// quality returns base + drift·(quarters elapsed at t), clamped to [0,1].
func (r *run) quality(base float64, t int64) float64 {
	return clamp01(base + r.a.Drift*float64(t-r.start)/quarterSec)
}

var personChannels = weighted{{"portal", 40}, {"mobile_app", 18}, {"mfc", 20}, {"office", 8}, {"phone", 6}, {"chat_bot", 4}, {"post", 2}, {"other", 2}}
var businessChannels = weighted{{"portal", 45}, {"api", 20}, {"mfc", 8}, {"office", 10}, {"phone", 8}, {"chat_bot", 4}, {"post", 3}, {"other", 2}}

type weighted []struct {
	v string
	w float64
}

func (w weighted) pick(r *rand.Rand) string {
	var sum float64
	for _, x := range w {
		sum += x.w
	}
	u := r.Float64() * sum
	for _, x := range w {
		if u < x.w {
			return x.v
		}
		u -= x.w
	}
	return w[len(w)-1].v
}

func digital(ch string) bool {
	return ch == "portal" || ch == "mobile_app" || ch == "chat_bot" || ch == "api"
}

// svcEvent is one status change of a request.
type svcEvent struct {
	svc       *svcInfo
	ct        int
	client    uint64
	req       uint64
	t         int64
	status    string
	channel   string
	scenario  bool
	segment   string
	proactive bool
}

func (r *run) request(svc *svcInfo, ct int, client uint64, t int64, repeat bool, repeatP float64, depth int) {
	if t >= r.end || r.err != nil {
		return
	}
	r.reqN++
	r.st.Requests++
	if repeat {
		r.st.RepeatRequests++
	}
	e := svcEvent{svc: svc, ct: ct, client: client, req: r.reqN, t: t, status: "submitted"}
	if ct == 1 {
		e.channel = personChannels.pick(r.r)
		if client%10 < 7 {
			e.segment = personSegments[client%uint64(len(personSegments))]
		}
	} else {
		e.channel = businessChannels.pick(r.r)
		if client%10 < 7 {
			e.segment = businessSegments[client%uint64(len(businessSegments))]
		}
	}
	e.scenario = t >= svc.approved
	if e.scenario && svc.proactive && !repeat && r.r.Float64() < r.a.ProactiveShare {
		e.proactive, e.channel = true, "portal"
	}
	r.emitService(&e)
	dur := int64(svc.MeanDuration.Seconds() * math.Exp(0.8*r.r.NormFloat64()))
	if dur < 60 {
		dur = 60
	}
	if r.r.Float64() < 0.6 {
		e.t, e.status = t+int64(float64(dur)*(0.05+0.45*r.r.Float64())), "in_progress"
		if e.t < r.end {
			r.emitService(&e)
		}
	}
	u := r.r.Float64()
	switch {
	case u < 0.86:
		e.status = "completed"
	case u < 0.94:
		e.status = "refused"
	case u < 0.975:
		e.status = "withdrawn"
	default:
		return // still pending at the end of the data
	}
	e.t = t + dur
	if e.t >= r.end {
		return
	}
	r.emitService(&e)
	if e.status != "completed" {
		return
	}
	if r.r.Float64() < r.a.SurveyRate {
		r.survey(&e, e.t+300+r.r.Int64N(48*3600))
	}
	if depth < 6 && r.r.Float64() < repeatP {
		// The same client comes back for the same service within 28 days: a repeat request.
		r.request(svc, ct, client, e.t+3600+r.r.Int64N(27*86400), true, repeatP, depth+1)
	} else if depth < 6 && r.r.Float64() < 0.08 {
		// … or much later, which is not a repeat request.
		r.request(svc, ct, client, e.t+30*86400+r.r.Int64N(90*86400), false, repeatP, depth+1)
	}
}

// ratingEvent is one survey answer.
type ratingEvent struct {
	e        *svcEvent
	t        int64
	question string
	score    int
}

var businessQuestions = []string{"sat_compliance_costs", "sat_assessment_costs", "sat_requirements_evaluation",
	"sat_informing_training", "sat_feedback_channels", "sat_path_time", "sat_risk_profile", "sat_control_activities"}

func (r *run) survey(e *svcEvent, t int64) {
	if t >= r.end {
		return
	}
	a := r.a
	qn := r.quality(a.NPSQuality+e.svc.NPSOffset, e.t)
	qs := r.quality(a.SatQuality, e.t)
	qe := r.quality(a.EaseQuality, e.t)
	rt := ratingEvent{e: e, t: t}
	rt.question, rt.score = "nps", r.nps(qn)
	r.emitRating(&rt)
	rt.t++
	rt.question, rt.score = "satisfaction", r.score4(qs)
	r.emitRating(&rt)
	rt.t++
	rt.question, rt.score = "ease", r.score4(qe)
	r.emitRating(&rt)
	if digital(e.channel) && r.r.Float64() < 0.7 {
		rt.t++
		rt.question, rt.score = "nps_digital", r.nps(clamp01(qn+0.05))
		r.emitRating(&rt)
	}
	if e.channel == "phone" || r.r.Float64() < 0.05 {
		rt.t++
		rt.question, rt.score = "sat_phone", r.score4(clamp01(qs-0.05))
		r.emitRating(&rt)
	}
	if e.ct == 2 {
		for i, q := range businessQuestions {
			if r.r.Float64() < 0.35 {
				rt.t++
				rt.question, rt.score = q, r.score4(clamp01(qs+0.06*float64(i%3-1)))
				r.emitRating(&rt)
			}
		}
	}
}

// nps draws a 0–10 answer: quality 0.1 gives an NPS near −70, 0.9 near +60.
func (r *run) nps(q float64) int {
	return clampInt(int(math.Round(4.5+5.5*q+2*r.r.NormFloat64())), 0, 10)
}

// score4 draws a 1–4 answer (4 = satisfied / easy).
func (r *run) score4(q float64) int {
	return clampInt(int(math.Round(1.6+2.4*q+0.8*r.r.NormFloat64())), 1, 4)
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// appealEvent is one step of an appeal or social-media message.
type appealEvent struct {
	id        uint64
	t         int64
	ct        int
	client    uint64 // 0: anonymous
	step      string
	msgType   string
	channel   string
	automated bool
	excluded  bool
	reply     string
	svc       *svcInfo
}

var socialTypes = weighted{{"mention", 35}, {"official_appeal", 25}, {"comment_on_official_post", 25}, {"written_appeal", 15}}
var writtenChannels = weighted{{"portal", 40}, {"email", 25}, {"letter", 10}, {"phone", 15}, {"chat_bot", 10}}

var replies = func() []string {
	texts := []string{
		"Добрый день! Ваше обращение рассмотрено, ответ направлен в личный кабинет.",
		"Здравствуйте. Благодарим за сообщение. Специалист свяжется с вами в течение рабочего дня.",
		"Добрый день! Выплата назначена, средства поступят на счёт в течение 5 рабочих дней.",
		"Здравствуйте! Для записи на приём воспользуйтесь порталом госуслуг или позвоните по номеру из раздела «Контакты».",
		"Уважаемый заявитель! По результатам проверки нарушений не выявлено. Подробности — в письме.",
		"Hello! Your request has been registered; we will reply within one working day.",
	}
	for i, t := range texts {
		texts[i] = jsonEscape(t)
	}
	return texts
}()

var autoReply = jsonEscape("Ваше сообщение получено и зарегистрировано. Это автоматический ответ.")

func (r *run) appeal(t int64) {
	if r.err != nil || t >= r.end {
		return
	}
	a := r.a
	r.appealN++
	e := appealEvent{id: r.appealN, t: t, ct: 1, step: "received"}
	if r.r.Float64() >= a.PersonShare {
		e.ct = 2
	}
	if r.r.Float64() < 0.6 {
		e.client = 1 + r.r.Uint64N(r.pool[e.ct]-1)
	}
	e.msgType = socialTypes.pick(r.r)
	written := e.msgType == "written_appeal"
	switch {
	case written:
		e.channel = writtenChannels.pick(r.r)
	case r.r.Float64() < 0.7:
		e.channel = "social_network"
	default:
		e.channel = "public_chat"
	}
	if ct := e.ct; len(r.svcs[ct]) > 0 && r.r.Float64() < 0.5 {
		e.svc = r.pickService(ct)
	}
	e.excluded = r.r.Float64() < 0.03
	r.emitAppeal(&e)
	if e.excluded {
		return
	}
	e.msgType, e.excluded = "", false
	if r.r.Float64() < 0.3 {
		e.step, e.automated, e.reply, e.t = "replied", true, autoReply, t+5+r.r.Int64N(55)
		if e.t < r.end {
			r.emitAppeal(&e)
		}
	}
	sla := a.ReplySLA.Seconds()
	switch {
	case written:
		sla = 0 // the SLA is the social-media one (A15)
	case e.msgType == "mention":
		sla *= 2
	}
	if sla == 0 && r.r.Float64() >= 0.95 {
		return // never answered
	}
	med := r.replyMedian
	if written {
		med *= 8
	}
	rt := int64(med * math.Exp(1.1*r.r.NormFloat64()))
	if rt < 30 {
		rt = 30
	}
	if lim := int64(sla * (0.3 + 0.7*r.r.Float64())); sla > 0 && rt > lim {
		rt = lim // an agency with a reply SLA answers every social-media message within it
	}
	e.step, e.automated, e.reply, e.t = "replied", false, replies[r.r.IntN(len(replies))], t+rt
	if e.t >= r.end {
		return
	}
	r.emitAppeal(&e)
	if r.r.Float64() < 0.7 {
		e.step, e.reply, e.t = "resolved", "", e.t+3600+r.r.Int64N(72*3600)
		if e.t < r.end {
			r.emitAppeal(&e)
		}
	}
}

// defect is the kind of damage done to an invalid line.
type defect uint8

const (
	defNone defect = iota
	defInvalidJSON
	defUnknownSchema
	defMissingID
	defBadTimestamp
	defFuture
	defBadAgency
	defPersonalData
	defBadEnum
	defOutOfRange // ratings only
)

var defectCodes = [...]string{
	defInvalidJSON:   ingest.CodeInvalidJSON,
	defUnknownSchema: ingest.CodeUnknownSchema,
	defMissingID:     ingest.CodeMissingField,
	defBadTimestamp:  ingest.CodeBadTimestamp,
	defFuture:        ingest.CodeFutureTimestamp,
	defBadAgency:     ingest.CodeBadID,
	defPersonalData:  ingest.CodePersonalData,
	defBadEnum:       ingest.CodeBadEnum,
	defOutOfRange:    ingest.CodeOutOfRange,
}

// ExpectedCodes lists the rejection codes the generator's invalid lines provoke.
func ExpectedCodes() []string { return append([]string(nil), defectCodes[1:]...) }

func (r *run) pickDefect(kind ingest.Kind) defect {
	if kind == ingest.KindRating {
		return defect(1 + r.r.IntN(int(defOutOfRange)))
	}
	return defect(1 + r.r.IntN(int(defBadEnum)))
}

// write sends a line and counts it; then, by chance, a duplicate.
func (r *run) write(kind ingest.Kind, key, line []byte, def defect) {
	if r.err != nil {
		return
	}
	if r.err = r.sink.Write(kind, key, line); r.err != nil {
		r.err = fmt.Errorf("write simulated %s event: %w", kind, r.err)
		return
	}
	r.st.Bytes += int64(len(line)) + 1
	if def != defNone {
		r.st.Invalid[defectCodes[def]]++
		r.st.InvalidByKind[kind]++
		return
	}
	r.st.Events[kind]++
	if r.r.Float64() < r.g.dupShare {
		if r.err = r.sink.Write(kind, key, line); r.err != nil {
			r.err = fmt.Errorf("write simulated %s event: %w", kind, r.err)
			return
		}
		r.st.Bytes += int64(len(line)) + 1
		r.st.Duplicates[kind]++
	}
}

// header appends the fields common to all kinds; it returns the buffer.
func (r *run) header(b []byte, schema string, t int64, ct int, client uint64, def defect) []byte {
	b = append(b, `{"schema":"`...)
	b = append(b, schema...)
	if def == defUnknownSchema {
		b[len(b)-1] = '9' // service_event.v9
	}
	b = append(b, '"')
	r.evN++
	if def != defMissingID {
		b = append(b, `,"event_id":"`...)
		b = append(b, r.prefix...)
		if def != defNone {
			b = append(b, 'x')
		} else {
			b = append(b, 'e')
		}
		b = strconv.AppendUint(b, r.evN, 10)
		b = append(b, '"')
	}
	switch def {
	case defBadTimestamp:
		b = append(b, `,"occurred_at":"2026-07-01 10:00:00"`...)
	case defFuture:
		b = appendTS(b, 4070908800+t%86400, false) // 2099
	default:
		b = appendTS(b, t, r.evN%10 == 0)
	}
	if def == defBadAgency {
		b = appendStr(b, "agency_id", "Agency "+r.a.ID)
	} else {
		b = appendStr(b, "agency_id", r.a.ID)
	}
	b = appendStr(b, "client_type", clientTypeNames[ct])
	switch {
	case def == defPersonalData:
		b = appendStr(b, "client_id", "ivan.petrov@example.ru")
	case client > 0 || schema != "appeal.v1":
		b = append(b, `,"client_id":"`...)
		h := mix64(r.g.seed ^ r.ai<<40 ^ uint64(ct)<<38 ^ client)
		b = appendHex64(b, h)
		b = appendHex64(b, mix64(h))
		b = append(b, '"')
	}
	return b
}

func (r *run) appendReqID(b []byte, req uint64) []byte {
	b = append(b, `,"request_id":"`...)
	b = append(b, r.prefix...)
	b = append(b, 'r')
	b = strconv.AppendUint(b, req, 10)
	return append(b, '"')
}

func (r *run) emitService(e *svcEvent) {
	r.buildService(e, defNone)
	if r.r.Float64() < r.g.invalidShare {
		r.buildService(e, r.pickDefect(ingest.KindService))
	}
}

func (r *run) buildService(e *svcEvent, def defect) {
	b := r.header(r.buf[:0], "service_event.v1", e.t, e.ct, e.client, def)
	ks := len(b) + len(`,"request_id":"`)
	b = r.appendReqID(b, e.req)
	ke := len(b) - 1
	s := e.svc
	b = appendStr(b, "service_id", s.ID)
	b = appendStr(b, "service_kind", s.Kind)
	if def == defBadEnum {
		b = appendStr(b, "status", "done")
	} else {
		b = appendStr(b, "status", e.status)
	}
	b = appendStr(b, "channel", e.channel)
	b = appendStr(b, "life_situation_id", s.LifeSituationID)
	if e.scenario {
		b = appendStr(b, "scenario_id", s.ScenarioID)
	}
	if e.segment != "" {
		b = appendStr(b, "segment_id", e.segment)
	}
	if e.proactive {
		b = appendBool(b, "proactive", true)
	}
	b = append(b, '}')
	r.finish(ingest.KindService, b, ks, ke, def)
}

func (r *run) finish(kind ingest.Kind, b []byte, ks, ke int, def defect) {
	if def == defInvalidJSON {
		b = b[:len(b)-7]
	}
	r.buf = b
	r.write(kind, b[ks:ke], b, def)
}

func (r *run) emitRating(e *ratingEvent) {
	r.buildRating(e, defNone)
	if r.r.Float64() < r.g.invalidShare {
		r.buildRating(e, r.pickDefect(ingest.KindRating))
	}
}

func (r *run) buildRating(e *ratingEvent, def defect) {
	se := e.e
	b := r.header(r.buf[:0], "rating.v1", e.t, se.ct, se.client, def)
	ks := len(`{"schema":"rating.v1","event_id":"`)
	ke := bytesIndexQuote(b, ks)
	if def == defMissingID {
		ks, ke = 0, 0
	}
	if def == defBadEnum {
		b = appendStr(b, "question", "csat")
	} else {
		b = appendStr(b, "question", e.question)
	}
	score := uint64(e.score)
	if def == defOutOfRange {
		score = 5
		if e.question == "nps" || e.question == "nps_digital" {
			score = 11
		}
	}
	b = appendUint(b, "score", score)
	b = appendStr(b, "service_id", se.svc.ID)
	b = r.appendReqID(b, se.req)
	b = appendStr(b, "life_situation_id", se.svc.LifeSituationID)
	if se.scenario {
		b = appendStr(b, "scenario_id", se.svc.ScenarioID)
	}
	b = appendStr(b, "channel", se.channel)
	b = append(b, '}')
	r.finish(ingest.KindRating, b, ks, ke, def)
}

// bytesIndexQuote returns the index of the first '"' at or after i (the end of a string value).
func bytesIndexQuote(b []byte, i int) int {
	for ; i < len(b); i++ {
		if b[i] == '"' {
			return i
		}
	}
	return len(b)
}

func (r *run) emitAppeal(e *appealEvent) {
	r.buildAppeal(e, defNone)
	if r.r.Float64() < r.g.invalidShare {
		r.buildAppeal(e, r.pickDefect(ingest.KindAppeal))
	}
}

func (r *run) buildAppeal(e *appealEvent, def defect) {
	b := r.header(r.buf[:0], "appeal.v1", e.t, e.ct, e.client, def)
	b = append(b, `,"appeal_id":"`...)
	ks := len(b)
	b = append(b, r.prefix...)
	b = append(b, 'a')
	b = strconv.AppendUint(b, e.id, 10)
	ke := len(b)
	b = append(b, '"')
	if def == defBadEnum {
		b = appendStr(b, "step", "closed")
	} else {
		b = appendStr(b, "step", e.step)
	}
	if e.msgType != "" {
		b = appendStr(b, "message_type", e.msgType)
	}
	b = appendStr(b, "channel", e.channel)
	if e.automated {
		b = appendBool(b, "automated", true)
	}
	if e.excluded {
		b = appendBool(b, "excluded", true)
	}
	if e.reply != "" {
		b = appendStr(b, "reply_text", e.reply)
	}
	if e.svc != nil {
		b = appendStr(b, "service_id", e.svc.ID)
		b = appendStr(b, "life_situation_id", e.svc.LifeSituationID)
	}
	b = append(b, '}')
	r.finish(ingest.KindAppeal, b, ks, ke, def)
}
