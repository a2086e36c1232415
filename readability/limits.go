package readability

import (
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/yamlfile"
)

// Bound is the limit of one index: Min (value ≥ Min) and/or Max (value ≤ Max).
type Bound struct {
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// holds reports whether v (rounded to two decimals, as reported) is within the bound.
func (b Bound) holds(v float64) bool {
	return (b.Min == nil || v >= *b.Min) && (b.Max == nil || v <= *b.Max)
}

// Segment is one client segment's limits.
type Segment struct {
	Description string           `yaml:"description" json:"description"`
	Limits      map[string]Bound `yaml:"limits" json:"limits"`
}

// Limits is one versioned limits file: the limits of every segment.
type Limits struct {
	Version        string `yaml:"version" json:"version"`
	EffectiveFrom  string `yaml:"effective_from" json:"effective_from"` // YYYY-MM-DD
	Source         string `yaml:"source" json:"source"`
	DefaultSegment string `yaml:"default_segment" json:"default_segment"`
	// CoverageCheckedShare is the share of a life situation's written replies, in percent, that
	// must have been checked for the life situation to count in P-T2-4's readability coverage
	// computed from data (readability/replies).
	CoverageCheckedShare float64             `yaml:"coverage_checked_share" json:"coverage_checked_share"`
	Segments             map[string]*Segment `yaml:"segments" json:"segments"`
}

//go:embed limits/segments.yaml
var defaultLimitsYAML []byte

var defaultLimits = yamlfile.MustParse("readability/limits/segments.yaml", defaultLimitsYAML, ParseLimits)

// DefaultLimits returns the embedded limits (readability/limits/segments.yaml). Do not modify it.
func DefaultLimits() *Limits { return defaultLimits }

// LoadLimits reads an operator's limits file (the format of the embedded one).
func LoadLimits(path string) (*Limits, error) {
	return yamlfile.Load(path, "readability limits (--limits)", ParseLimits)
}

// ParseLimits decodes and checks a limits file: a version, an effective date, a default segment
// that exists, known index names, and min ≤ max. Unknown fields are errors.
func ParseLimits(data []byte) (*Limits, error) {
	l, err := yamlfile.Decode[Limits](data, "limits file")
	if err != nil {
		return nil, err
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(l.Version) == "" {
		bad("version is empty: every limits file carries a version")
	}
	if _, err := time.Parse("2006-01-02", l.EffectiveFrom); err != nil {
		bad("effective_from %q must be a date YYYY-MM-DD", l.EffectiveFrom)
	}
	if !(l.CoverageCheckedShare > 0 && l.CoverageCheckedShare <= 100) {
		bad("coverage_checked_share %v must be in (0, 100]: the percentage of a life situation's replies that must be checked", l.CoverageCheckedShare)
	}
	if len(l.Segments) == 0 {
		bad("segments is empty")
	}
	if _, ok := l.Segments[l.DefaultSegment]; !ok {
		bad("default_segment %q is not one of the segments %v", l.DefaultSegment, l.segmentNames())
	}
	for name, s := range l.Segments {
		if s == nil || len(s.Limits) == 0 {
			bad("segment %s has no limits", name)
			continue
		}
		for idx, b := range s.Limits {
			if _, ok := (Indices{}).value(idx); !ok {
				bad("segment %s: %q is not an index (%s)", name, idx, strings.Join(IndexNames, ", "))
			}
			if b.Min == nil && b.Max == nil {
				bad("segment %s, %s: set min or max", name, idx)
			}
			if b.Min != nil && b.Max != nil && *b.Min > *b.Max {
				bad("segment %s, %s: min %v is above max %v", name, idx, *b.Min, *b.Max)
			}
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Limits) segmentNames() []string {
	names := make([]string, 0, len(l.Segments))
	for n := range l.Segments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrUnknownSegment is returned (wrapped) for a segment the limits file does not define.
var ErrUnknownSegment = errors.New("unknown segment")

// Check is the result of one limit.
type Check struct {
	Index string   `json:"index"`
	Value float64  `json:"value"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	Pass  bool     `json:"pass"`
}

// Result is the readability check of one text: the JSON answer of the HTTP check and of
// `cxstar readability --format json`.
type Result struct {
	Segment       string   `json:"segment"`
	LimitsVersion string   `json:"limits_version"`
	Counts        Counts   `json:"counts"`
	Scored        bool     `json:"scored"` // false when the text has no words
	Indices       *Indices `json:"indices,omitempty"`
	Checks        []Check  `json:"checks,omitempty"`
	Pass          bool     `json:"pass"` // every limit of the segment holds
	Reason        string   `json:"reason,omitempty"`
}

// Score counts text, computes its indices and checks them against the limits of segment (the
// default segment when empty). The only error is an unknown segment (ErrUnknownSegment). A text
// without words is not scored and does not pass.
func (l *Limits) Score(text, segment string) (Result, error) {
	return l.ScoreCounts(Count(text), segment)
}

// ScoreCounts is Score on counts already made (e.g. the stored counts of a reply).
func (l *Limits) ScoreCounts(c Counts, segment string) (Result, error) {
	if segment == "" {
		segment = l.DefaultSegment
	}
	seg, ok := l.Segments[segment]
	if !ok {
		return Result{}, fmt.Errorf("%w %q: use one of %s (limits %s)", ErrUnknownSegment, segment, strings.Join(l.segmentNames(), ", "), l.Version)
	}
	r := Result{Segment: segment, LimitsVersion: l.Version, Counts: c}
	ix, ok := Compute(c)
	if !ok {
		r.Reason = "the text has no words: nothing to score"
		return r, nil
	}
	r.Scored, r.Indices, r.Pass = true, &ix, true
	for _, name := range IndexNames {
		b, ok := seg.Limits[name]
		if !ok {
			continue
		}
		v, _ := ix.value(name)
		ch := Check{Index: name, Value: v, Min: b.Min, Max: b.Max, Pass: b.holds(v)}
		r.Pass = r.Pass && ch.Pass
		r.Checks = append(r.Checks, ch)
	}
	return r, nil
}
