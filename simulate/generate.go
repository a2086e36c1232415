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
	"time"

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
	followUpShare float64
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

// WithFollowUpShare sets the probability that the agency follows up a survey whose answers
// include a detractor's (nps or nps_digital 0–6, satisfaction 1–2): a service event with status
// followed_up for the request, 1 hour to 10 days after the answers (contract v1.1), from 0 to 1.
// Default: 0 (no follow-up steps, the data of contract v1).
func WithFollowUpShare(p float64) Option { return func(g *Generator) { g.followUpShare = p } }

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
