// Package priorities ranks an agency's life situations — and, inside each, its services, client
// segments and channels — by where the shortfall on the indicators that decide the agency's level
// comes from: clients affected × the weighted gap to the band of the next star and to the national
// median. The score and its weights are data (weights.yaml); docs/indicators.md describes them.
package priorities

import (
	_ "embed"
	"fmt"
	"math"
	"sort"

	"github.com/cxstar/cxstar/internal/yamlfile"
	"github.com/cxstar/cxstar/metrics"
)

// Indicator codes of the score. NPS is the NPS of the `nps` answers of the cell: it has no ladder
// of its own and is compared with the target of weights.yaml.
const (
	Satisfaction = "satisfaction_positive_share"
	Ease         = "ease_positive_share"
	NPS          = "nps"
	Repeats      = "repeat_request_rate"
)

// Weights is the score definition of weights.yaml.
type Weights struct {
	Version      string   `yaml:"version" json:"version"`
	BandWeight   float64  `yaml:"band_weight" json:"band_weight"`
	MedianWeight float64  `yaml:"median_weight" json:"median_weight"`
	Indicators   []Weight `yaml:"indicators" json:"indicators"`
}

// Weight is one indicator's weight; Target replaces the band target for an indicator without a
// ladder (NPS).
type Weight struct {
	Code   string   `yaml:"code" json:"code"`
	Weight float64  `yaml:"weight" json:"weight"`
	Target *float64 `yaml:"target,omitempty" json:"target,omitempty"`
}

//go:embed weights.yaml
var weightsYAML []byte

// DefaultWeights returns the weights of the embedded weights.yaml.
func DefaultWeights() *Weights {
	return yamlfile.MustParse("priorities/weights.yaml", weightsYAML, ParseWeights)
}

// LoadWeights reads an operator's weights file (the format of priorities/weights.yaml).
func LoadWeights(path string) (*Weights, error) {
	return yamlfile.Load(path, "priority weights (--weights)", ParseWeights)
}

// ParseWeights reads a weights file and checks it: known indicator codes, non-negative weights.
func ParseWeights(data []byte) (*Weights, error) {
	w, err := yamlfile.Decode[Weights](data, "priority weights (see priorities/weights.yaml for the format)")
	if err != nil {
		return nil, err
	}
	if w.Version == "" {
		return nil, fmt.Errorf("priority weights: no version: give the file a version string")
	}
	if w.BandWeight < 0 || w.MedianWeight < 0 {
		return nil, fmt.Errorf("priority weights %s: band_weight and median_weight must be ≥ 0", w.Version)
	}
	for _, x := range w.Indicators {
		switch x.Code {
		case Satisfaction, Ease, NPS, Repeats:
		default:
			return nil, fmt.Errorf("priority weights %s: unknown indicator %q: use %s, %s, %s or %s", w.Version, x.Code, Satisfaction, Ease, NPS, Repeats)
		}
		if x.Weight < 0 {
			return nil, fmt.Errorf("priority weights %s: weight of %s must be ≥ 0", w.Version, x.Code)
		}
		if x.Code == NPS && x.Target == nil {
			return nil, fmt.Errorf("priority weights %s: nps has no ladder: give it a target", w.Version)
		}
	}
	return w, nil
}

// Kind says what a cell is: a whole life situation, or a service, a client segment or a channel
// inside one.
type Kind string

// Kinds of cells.
const (
	KindLifeSituation Kind = "life_situation"
	KindService       Kind = "service"
	KindSegment       Kind = "segment"
	KindChannel       Kind = "channel"
)

// Counts are the counts of one cell in one quarter.
type Counts struct {
	// Clients: distinct clients with a request in the cell in the quarter.
	Clients int64 `json:"clients"`
	// SatPos/SatN, EasePos/EaseN: positive and valid answers of the satisfaction and ease questions.
	SatPos  int64 `json:"sat_pos"`
	SatN    int64 `json:"sat_n"`
	EasePos int64 `json:"ease_pos"`
	EaseN   int64 `json:"ease_n"`
	// Promoters, Detractors, NPSN: the `nps` answers.
	Promoters  int64 `json:"promoters"`
	Detractors int64 `json:"detractors"`
	NPSN       int64 `json:"nps_n"`
	// Repeats among Submitted requests (A10).
	Repeats   int64 `json:"repeats"`
	Submitted int64 `json:"submitted"`
}

func (c *Counts) add(o Counts) {
	c.Clients += o.Clients
	c.SatPos += o.SatPos
	c.SatN += o.SatN
	c.EasePos += o.EasePos
	c.EaseN += o.EaseN
	c.Promoters += o.Promoters
	c.Detractors += o.Detractors
	c.NPSN += o.NPSN
	c.Repeats += o.Repeats
	c.Submitted += o.Submitted
}

// Cell is one life situation of one agency (ID empty), or a service, segment or channel inside it.
type Cell struct {
	AgencyID      string `json:"agency_id"`
	LifeSituation string `json:"life_situation_id"`
	Kind          Kind   `json:"kind"`
	ID            string `json:"id"`
	Counts
}

// Gap is one indicator of an entry: its value, sample, targets and weighted shortfall.
type Gap struct {
	Code string `json:"indicator"`
	// Value is nil when the cell has no answers or requests for it.
	Value *float64 `json:"value"`
	N     int64    `json:"n"`
	// BelowMinN: the sample is below min_n; the indicator adds nothing to the score.
	BelowMinN bool `json:"below_min_n"`
	// Target is the band target of the next star (NextLevel); nil at 5 ★ or without a ladder
	// (then the weights' target, NextLevel 0).
	Target    *float64 `json:"target"`
	NextLevel int      `json:"next_level"`
	Median    *float64 `json:"median"`
	// Shortfall = band_weight·gap to Target + median_weight·gap to Median, in points; Weighted is
	// Shortfall × the indicator's weight.
	Shortfall float64 `json:"shortfall"`
	Weighted  float64 `json:"weighted"`
}

// Entry is one ranked (or unrankable) cell.
type Entry struct {
	Rank          int     `json:"rank"` // 1 = fix first; 0 = not ranked (below min_n)
	AgencyID      string  `json:"agency_id"`
	LifeSituation string  `json:"life_situation_id"`
	Kind          Kind    `json:"kind"`
	ID            string  `json:"id"`
	Clients       int64   `json:"clients"`
	Score         float64 `json:"score"`
	BelowMinN     bool    `json:"below_min_n"`
	Gaps          []Gap   `json:"gaps"`
	// RepeatShare is the share of the agency's (or the nation's) repeat requests that fall in
	// this cell, in percent; nil without repeats.
	RepeatShare *float64 `json:"repeat_share"`
	// Children are the services, segments and channels of a life situation, ranked the same way.
	Children []Entry `json:"children,omitempty"`
}

// List is the ranked list of one agency (AgencyID empty: national) in one quarter.
type List struct {
	Quarter  string   `json:"quarter"`
	Standard string   `json:"standard"`
	AgencyID string   `json:"agency_id"`
	Weights  string   `json:"weights_version"`
	Bands    string   `json:"bands_version"`
	Levels   []Level  `json:"levels"`
	Entries  []Entry  `json:"entries"`
	Medians  []Median `json:"medians"`
}

// Level is the level of the list's pooled value of one indicator, which sets the next band.
type Level struct {
	Code  string   `json:"indicator"`
	Value *float64 `json:"value"`
	Level *int     `json:"level"`
}

// Median is the national median of one indicator over the life situations of every agency.
type Median struct {
	Code  string   `json:"indicator"`
	Value *float64 `json:"value"`
}

// value returns an indicator's rounded value and sample in c.
func value(code string, c Counts, decimals int) (*float64, int64) {
	var num, den int64
	switch code {
	case Satisfaction:
		num, den = c.SatPos, c.SatN
	case Ease:
		num, den = c.EasePos, c.EaseN
	case NPS:
		num, den = c.Promoters-c.Detractors, c.NPSN
	case Repeats:
		num, den = c.Repeats, c.Submitted
	}
	if den <= 0 {
		return nil, 0
	}
	d, err := metrics.RoundPct(num, den, decimals)
	if err != nil {
		return nil, den
	}
	f := d.Float64()
	return &f, den
}

func minN(code string, b *metrics.BandSet) int64 {
	if code == Repeats {
		return b.Parameters.MinN.Census
	}
	return b.Parameters.MinN.Survey
}

func lowerIsBetter(code string) bool { return code == Repeats }

// target returns the bound a value must reach for level, in the ladder of code: a min or max bound
// as it is, an above or below bound one rounding step beyond. ok is false when the level has no
// bound on the value.
func target(b *metrics.BandSet, code string, level int) (float64, bool) {
	l, ok := b.Ladder(code)
	if !ok {
		return 0, false
	}
	step := math.Pow(10, -float64(b.Parameters.Decimals))
	for _, lv := range l.Levels {
		if lv.Level != level {
			continue
		}
		c := lv.Cond
		switch {
		case c.Min != nil:
			return c.Min.Float64(), true
		case c.Above != nil:
			return c.Above.Float64() + step, true
		case c.Max != nil:
			return c.Max.Float64(), true
		case c.Below != nil:
			return c.Below.Float64() - step, true
		}
	}
	return 0, false
}

// Rank builds the list of agency (empty: national) from every cell of the quarter. The national
// medians come from the life situations of every agency with a sample of at least min_n; the band
// targets from the level of the list's own pooled value (the agency's life situations pooled, or
// the nation's). A cell ranks when at least one survey indicator reaches min_n; others are listed
// after the ranked ones with BelowMinN. Ties in the score are broken by life situation and id.
// It is one pipeline read top to bottom (medians, pooled cells, targets, scores, order).
func Rank(cells []Cell, agency string, b *metrics.BandSet, w *Weights) List {
	dec := b.Parameters.Decimals
	list := List{AgencyID: agency, Weights: w.Version, Bands: b.Version}
	// national medians over agency life situations
	medians := map[string]*float64{}
	for _, x := range w.Indicators {
		var vs []float64
		for _, c := range cells {
			if c.Kind != KindLifeSituation {
				continue
			}
			if v, n := value(x.Code, c.Counts, dec); v != nil && n >= minN(x.Code, b) {
				vs = append(vs, *v)
			}
		}
		if len(vs) > 0 {
			sort.Float64s(vs)
			m := vs[len(vs)/2]
			if len(vs)%2 == 0 {
				m = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
			}
			m = math.Round(m*math.Pow(10, float64(dec))) / math.Pow(10, float64(dec))
			medians[x.Code] = &m
		}
		list.Medians = append(list.Medians, Median{Code: x.Code, Value: medians[x.Code]})
	}
	// the list's cells, pooled over agencies for the national list
	type key struct {
		ls   string
		kind Kind
		id   string
	}
	pooled := map[key]*Counts{}
	var order []key
	var total Counts
	for _, c := range cells {
		if agency != "" && c.AgencyID != agency {
			continue
		}
		k := key{c.LifeSituation, c.Kind, c.ID}
		if pooled[k] == nil {
			pooled[k] = &Counts{}
			order = append(order, k)
		}
		pooled[k].add(c.Counts)
		if c.Kind == KindLifeSituation {
			total.add(c.Counts)
		}
	}
	// levels of the pooled value: the next star's band is the target
	next := map[string]int{}
	for _, x := range w.Indicators {
		lv := Level{Code: x.Code}
		v, n := value(x.Code, total, dec)
		lv.Value = v
		if l, ok := b.Ladder(x.Code); ok && v != nil && n >= minN(x.Code, b) {
			d, err := metrics.DecimalFromFloat(*v)
			if err == nil {
				level := l.Level(metrics.Facts{Value: &d}, b.Parameters)
				lv.Level = &level
				next[x.Code] = level + 1
			}
		}
		list.Levels = append(list.Levels, lv)
	}
	entry := func(k key, c Counts) Entry {
		e := Entry{AgencyID: agency, LifeSituation: k.ls, Kind: k.kind, ID: k.id, Clients: c.Clients, BelowMinN: true}
		if total.Repeats > 0 && c.Repeats > 0 {
			s := math.Round(1000*float64(c.Repeats)/float64(total.Repeats)) / 10
			e.RepeatShare = &s
		}
		var sum float64
		for _, x := range w.Indicators {
			g := Gap{Code: x.Code, Median: medians[x.Code]}
			g.Value, g.N = value(x.Code, c, dec)
			if x.Target != nil {
				t := *x.Target
				g.Target = &t
			} else if nl := next[x.Code]; nl >= 1 && nl <= 5 {
				if t, ok := target(b, x.Code, nl); ok {
					g.Target, g.NextLevel = &t, nl
				}
			}
			switch {
			case g.Value == nil:
			case g.N < minN(x.Code, b):
				g.BelowMinN = true
			default:
				if x.Code != Repeats {
					e.BelowMinN = false
				}
				gap := func(t *float64) float64 {
					if t == nil {
						return 0
					}
					if lowerIsBetter(x.Code) {
						return math.Max(0, *g.Value-*t)
					}
					return math.Max(0, *t-*g.Value)
				}
				g.Shortfall = w.BandWeight*gap(g.Target) + w.MedianWeight*gap(g.Median)
				g.Weighted = x.Weight * g.Shortfall
				sum += g.Weighted
			}
			e.Gaps = append(e.Gaps, g)
		}
		if !e.BelowMinN {
			e.Score = math.Round(float64(c.Clients)*sum) / 100
		}
		return e
	}
	rank := func(es []Entry) {
		sort.SliceStable(es, func(i, j int) bool {
			a, b := es[i], es[j]
			if a.BelowMinN != b.BelowMinN {
				return !a.BelowMinN
			}
			if a.Score != b.Score {
				return a.Score > b.Score
			}
			if a.LifeSituation != b.LifeSituation {
				return a.LifeSituation < b.LifeSituation
			}
			if a.Kind != b.Kind {
				return a.Kind < b.Kind
			}
			return a.ID < b.ID
		})
		for i := range es {
			if !es[i].BelowMinN {
				es[i].Rank = i + 1
			}
		}
	}
	children := map[string][]Entry{}
	for _, k := range order {
		if k.kind == KindLifeSituation {
			list.Entries = append(list.Entries, entry(k, *pooled[k]))
		} else {
			children[k.ls] = append(children[k.ls], entry(k, *pooled[k]))
		}
	}
	rank(list.Entries)
	for i := range list.Entries {
		ch := children[list.Entries[i].LifeSituation]
		rank(ch)
		list.Entries[i].Children = ch
	}
	return list
}
