package metrics

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/yamlfile"
)

// Rule says how the levels of a ladder combine (docs/indicators.md R-LADDER).
type Rule string

const (
	// RuleHighest: the level is the highest L whose conditions hold (A3: gaps go down, overlaps up).
	RuleHighest Rule = "highest"
	// RuleCumulative: level L needs the conditions of L and of every level below (composite ladders).
	RuleCumulative Rule = "cumulative"
)

// Cond is one condition of a level. Every part that is set must hold:
// Min: v ≥ Min; Above: v > Above («свыше»); Max: v ≤ Max; Below: v < Below («Менее»);
// Flag: the declared capability Flag is true. v is the indicator value (after R-ROUND) unless
// Metric names a part of a composite ladder. A missing value, metric or flag fails the condition.
type Cond struct {
	Metric string   `yaml:"metric,omitempty" json:"metric,omitempty"`
	Min    *Decimal `yaml:"min,omitempty" json:"min,omitempty"`
	Above  *Decimal `yaml:"above,omitempty" json:"above,omitempty"`
	Max    *Decimal `yaml:"max,omitempty" json:"max,omitempty"`
	Below  *Decimal `yaml:"below,omitempty" json:"below,omitempty"`
	Flag   string   `yaml:"flag,omitempty" json:"flag,omitempty"`
}

// Level is one star level of a ladder: its original text and its conditions (the inline Cond and
// every entry of All). A level without conditions is always met («до 35%», «NPS менее 5%»).
type Level struct {
	Level int    `yaml:"level" json:"level"`
	Text  string `yaml:"text" json:"text"`
	Cond  `yaml:",inline"`
	All   []Cond `yaml:"all,omitempty" json:"all,omitempty"`
}

func (l *Level) conds() []Cond {
	out := append([]Cond(nil), l.All...)
	if l.Cond != (Cond{}) {
		out = append(out, l.Cond)
	}
	return out
}

// Ladder is the band table of one indicator in one standard.
type Ladder struct {
	Rule Rule `yaml:"rule" json:"rule"`
	// ZeroFloor marks ladders whose 1★ band «до 35%» contains 0 % (A13): with
	// parameters.zero_value_floor_star = zero, a value of exactly 0.0 gets 0★.
	ZeroFloor bool `yaml:"zero_floor,omitempty" json:"zero_floor,omitempty"`
	// ZeroWithoutValue: a missing value (denominator 0) is still assessed from the metrics
	// (P-T1-6: no approved scenario at all gives 0★, A9b) instead of NULL.
	ZeroWithoutValue bool    `yaml:"zero_without_value,omitempty" json:"zero_without_value,omitempty"`
	Levels           []Level `yaml:"levels" json:"levels"`
}

// Facts are what a ladder is evaluated on.
type Facts struct {
	// Value is the indicator value; Ladder.Level applies R-ROUND to it first. Nil: no value.
	Value *Decimal
	// Metrics are the numeric parts of composite ladders, compared as given (Evaluate rounds the
	// declared parts of capability ladders by R-ROUND first).
	Metrics map[string]Decimal
	// Flags are declared capabilities.
	Flags map[string]bool
}

// MinN holds the minimum sample sizes (R-NULL, A24, A9).
type MinN struct {
	Survey     int64 `yaml:"survey" json:"survey"`           // valid answers per agency-quarter
	ServiceNPS int64 `yaml:"service_nps" json:"service_nps"` // NPS answers per service (A9)
	Census     int64 `yaml:"census" json:"census"`           // requests, registry rows, messages
}

// Parameters are the configurable rules of a band file; each default is the one of docs/indicators.md.
type Parameters struct {
	Decimals               int      `yaml:"decimals" json:"decimals"`
	CIZ                    float64  `yaml:"ci_z" json:"ci_z"`
	MinN                   MinN     `yaml:"min_n" json:"min_n"`
	RepeatWindowDays       int      `yaml:"repeat_window_days" json:"repeat_window_days"`
	RepeatExcludedServices []string `yaml:"repeat_excluded_services" json:"repeat_excluded_services"`
	Timezone               string   `yaml:"timezone" json:"timezone"`
	ComplianceQuantile     Decimal  `yaml:"compliance_quantile" json:"compliance_quantile"`
	SettleHours            int      `yaml:"settle_hours" json:"settle_hours"`
	AllowAutomatedReplies  bool     `yaml:"allow_automated_replies" json:"allow_automated_replies"`
	ZeroValueFloorStar     string   `yaml:"zero_value_floor_star" json:"zero_value_floor_star"` // keep | zero
	Overall                string   `yaml:"overall" json:"overall"`                             // min_table1 | none
	DigitalChannels        []string `yaml:"digital_channels" json:"digital_channels"`
	SocialChannels         []string `yaml:"social_channels" json:"social_channels"`
	// AckHours is the limit of a written appeal's first acknowledgement (B §4.6.7.3, P §4.6.4.3),
	// a monitored deadline without bands; 0 in a band file means 24.
	AckHours int `yaml:"ack_hours,omitempty" json:"ack_hours,omitempty"`
	// SocialLimitHours are the social-media reply limits monitored without bands (B §4.6.6.2: 4 h for
	// mentions, 2 h for an official appeal or a comment on an official post); empty: no such monitor.
	SocialLimitHours *SocialLimits `yaml:"social_limit_hours,omitempty" json:"social_limit_hours,omitempty"`
}

// SocialLimits are reply limits in hours per message class.
type SocialLimits struct {
	Mention  int `yaml:"mention" json:"mention"`
	Official int `yaml:"official" json:"official"`
}

// Ack returns the acknowledgement limit of written appeals in hours (default 24).
func (p Parameters) Ack() int {
	if p.AckHours <= 0 {
		return 24
	}
	return p.AckHours
}

// BandSet is one versioned band file of one standard.
type BandSet struct {
	Standard      Standard `yaml:"standard" json:"standard"`
	Version       string   `yaml:"version" json:"version"`
	EffectiveFrom string   `yaml:"effective_from" json:"effective_from"` // YYYY-MM-DD, first day in force
	// EffectiveTo is the first day the version no longer applies (YYYY-MM-DD); empty: open-ended.
	EffectiveTo string             `yaml:"effective_to,omitempty" json:"effective_to,omitempty"`
	Source      string             `yaml:"source" json:"source"`
	Parameters  Parameters         `yaml:"parameters" json:"parameters"`
	Indicators  map[string]*Ladder `yaml:"indicators" json:"indicators"`
}

//go:embed bands/*.yaml
var bandFiles embed.FS

// DefaultBands returns the embedded band set of a standard (metrics/bands/<standard>.yaml).
func DefaultBands(std Standard) (*BandSet, error) {
	data, err := bandFiles.ReadFile("bands/" + string(std) + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no embedded band file for standard %q: %w", std, err)
	}
	return ParseBands(data)
}

// BandVersions returns every embedded band version of a standard (metrics/bands/<standard>*.yaml),
// ordered by effective_from. A quarter is banded with the one in force at its end (BandsAt).
func BandVersions(std Standard) ([]*BandSet, error) {
	names, err := fs.Glob(bandFiles, "bands/"+string(std)+"*.yaml")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no embedded band file for standard %q", std)
	}
	var out []*BandSet
	for _, name := range names {
		data, err := bandFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", name, err)
		}
		b, err := ParseBands(data)
		if err != nil {
			return nil, fmt.Errorf("embedded %s: %w", name, err)
		}
		if b.Standard != std {
			continue
		}
		out = append(out, b)
	}
	SortBandVersions(out)
	return out, nil
}

// SortBandVersions orders band versions by effective_from, then version.
func SortBandVersions(v []*BandSet) {
	sort.SliceStable(v, func(i, j int) bool {
		if v[i].EffectiveFrom != v[j].EffectiveFrom {
			return v[i].EffectiveFrom < v[j].EffectiveFrom
		}
		return v[i].Version < v[j].Version
	})
}

// InForce reports whether the version applies on day (YYYY-MM-DD): effective_from ≤ day and,
// when effective_to is set, day < effective_to.
func (b *BandSet) InForce(day string) bool {
	return b.EffectiveFrom <= day && (b.EffectiveTo == "" || day < b.EffectiveTo)
}

// BandsAt returns the version of versions in force on day (YYYY-MM-DD, the last day of the quarter
// being banded): among those InForce, the one with the latest effective_from. Two versions in force
// from the same day are ambiguous and an error, as is a day that no version covers.
func BandsAt(versions []*BandSet, day string) (*BandSet, error) {
	var best *BandSet
	for _, b := range versions {
		if !b.InForce(day) {
			continue
		}
		switch {
		case best == nil || b.EffectiveFrom > best.EffectiveFrom:
			best = b
		case b.EffectiveFrom == best.EffectiveFrom:
			return nil, fmt.Errorf("band versions %s and %s are both in force from %s: give one an effective_to or a later effective_from", best.Version, b.Version, b.EffectiveFrom)
		}
	}
	if best == nil {
		var have []string
		for _, b := range versions {
			to := b.EffectiveTo
			if to == "" {
				to = "…"
			}
			have = append(have, fmt.Sprintf("%s [%s, %s)", b.Version, b.EffectiveFrom, to))
		}
		return nil, fmt.Errorf("no band version is in force on %s (versions: %s): pass --bands FILE or add a version whose effective dates cover it", day, strings.Join(have, ", "))
	}
	return best, nil
}

// BandsYAML returns the embedded band file of a standard.
func BandsYAML(std Standard) []byte {
	data, _ := bandFiles.ReadFile("bands/" + string(std) + ".yaml")
	return data
}

// LoadBands reads an operator's band file (same format as the embedded ones).
func LoadBands(path string) (*BandSet, error) {
	return yamlfile.Load(path, "band file", ParseBands)
}

// QuarterLocation is the time zone in which quarters are counted, the one rule of every command:
// tz when it is set (the --tz flag), otherwise parameters.timezone of b, or of the embedded people
// band file (Europe/Moscow) when b is nil.
func QuarterLocation(tz string, b *BandSet) (*time.Location, error) {
	if tz == "" {
		if b == nil {
			var err error
			if b, err = DefaultBands(People); err != nil {
				return nil, err
			}
		}
		tz = b.Parameters.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w (set --tz or parameters.timezone to an IANA name such as Europe/Moscow or UTC)", tz, err)
	}
	return loc, nil
}

// ParseBands decodes and validates a band file against the catalog: every indicator of the
// standard that has a value or a level must have a ladder. Unknown fields are errors.
func ParseBands(data []byte) (*BandSet, error) {
	b, err := yamlfile.Decode[BandSet](data, "band file")
	if err != nil {
		return nil, err
	}
	if err := b.validate(DefaultCatalog()); err != nil {
		return nil, err
	}
	return b, nil
}

// validate checks a band file against the catalog and reports every problem at once. It is a flat
// list of checks, one per parameter and ladder rule, so its length is the number of rules.
func (b *BandSet) validate(cat *Catalog) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !b.Standard.Valid() {
		bad("standard %q must be people or business", b.Standard)
	}
	if strings.TrimSpace(b.Version) == "" {
		bad("version is empty: every band table must carry a version")
	}
	if _, err := time.Parse("2006-01-02", b.EffectiveFrom); err != nil {
		bad("effective_from %q must be a date YYYY-MM-DD", b.EffectiveFrom)
	}
	if b.EffectiveTo != "" {
		if _, err := time.Parse("2006-01-02", b.EffectiveTo); err != nil {
			bad("effective_to %q must be a date YYYY-MM-DD (or be left out)", b.EffectiveTo)
		} else if b.EffectiveTo <= b.EffectiveFrom {
			bad("effective_to %s must be after effective_from %s", b.EffectiveTo, b.EffectiveFrom)
		}
	}
	p := b.Parameters
	if p.Decimals < 0 || p.Decimals > 6 {
		bad("parameters.decimals %d must be in 0..6", p.Decimals)
	}
	if !(p.CIZ > 0) {
		bad("parameters.ci_z must be > 0 (1.96 for 95 %%)")
	}
	if p.MinN.Survey < 1 || p.MinN.ServiceNPS < 1 || p.MinN.Census < 1 {
		bad("parameters.min_n values must be ≥ 1")
	}
	if p.RepeatWindowDays < 1 {
		bad("parameters.repeat_window_days must be ≥ 1 (28 = 4 weeks)")
	}
	if _, err := time.LoadLocation(p.Timezone); err != nil || p.Timezone == "" {
		bad("parameters.timezone %q is not a time zone (Europe/Moscow)", p.Timezone)
	}
	if p.ComplianceQuantile.Sign() <= 0 || p.ComplianceQuantile.Cmp(NewDecimal(100, 0)) > 0 {
		bad("parameters.compliance_quantile must be in (0, 100]")
	}
	if p.ZeroValueFloorStar != "keep" && p.ZeroValueFloorStar != "zero" {
		bad("parameters.zero_value_floor_star %q must be keep or zero", p.ZeroValueFloorStar)
	}
	if p.AckHours < 0 {
		bad("parameters.ack_hours must be ≥ 0 (24 by default)")
	}
	if l := p.SocialLimitHours; l != nil && (l.Mention <= 0 || l.Official <= 0) {
		bad("parameters.social_limit_hours needs mention and official > 0 (4 and 2 hours)")
	}
	if p.Overall != "min_table1" && p.Overall != "none" {
		bad("parameters.overall %q must be min_table1 or none", p.Overall)
	}
	for code, l := range b.Indicators {
		ind, ok := cat.Lookup(b.Standard, code)
		if !ok {
			bad("indicator %q is not in the %s catalog", code, b.Standard)
			continue
		}
		if l == nil {
			bad("%s: empty ladder", code)
			continue
		}
		if l.Rule != RuleHighest && l.Rule != RuleCumulative {
			bad("%s: rule %q must be highest or cumulative", code, l.Rule)
		}
		if len(l.Levels) != 5 {
			bad("%s: %d levels, want 5 (1–5 stars)", code, len(l.Levels))
		}
		for i, lv := range l.Levels {
			if lv.Level != i+1 {
				bad("%s: level %d at position %d: levels must be 1..5 in order", code, lv.Level, i+1)
			}
			for _, c := range lv.conds() {
				if c.Flag != "" && !contains(ind.Flags, c.Flag) {
					bad("%s level %d: flag %q is not one of the catalog flags %v", code, lv.Level, c.Flag, ind.Flags)
				}
			}
		}
	}
	for _, ind := range cat.ByStandard(b.Standard) {
		if _, ok := b.Indicators[ind.Code]; !ok && b.Standard.Valid() {
			bad("indicator %s (%s) has no ladder", ind.Code, ind.ID)
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// Ladder returns the ladder of an indicator code.
func (b *BandSet) Ladder(code string) (*Ladder, bool) {
	l, ok := b.Indicators[code]
	return l, ok
}

// Level classifies facts on the ladder of code (see Ladder.Level).
func (b *BandSet) Level(code string, f Facts) (int, error) {
	l, ok := b.Indicators[code]
	if !ok {
		return 0, fmt.Errorf("band set %s has no ladder for %q", b.Version, code)
	}
	return l.Level(f, b.Parameters), nil
}

// Level is the star assignment, a pure function: it rounds f.Value with R-ROUND (half-up to
// p.Decimals), then returns the highest level whose conditions hold (RuleHighest) or the highest L
// such that levels 1..L all hold (RuleCumulative). A value meeting no level gets 0 (R-ZERO). The
// caller decides NULL (R-NULL) before calling it: no data, a denominator of 0 or n < min_n.
func (l *Ladder) Level(f Facts, p Parameters) int {
	if f.Value != nil {
		v := f.Value.Round(p.Decimals)
		f.Value = &v
		if l.ZeroFloor && p.ZeroValueFloorStar == "zero" && v.Sign() == 0 {
			return 0
		}
	}
	level := 0
	for _, lv := range l.Levels {
		ok := true
		for _, c := range lv.conds() {
			if !c.holds(f) {
				ok = false
				break
			}
		}
		switch {
		case ok:
			level = lv.Level
		case l.Rule == RuleCumulative:
			return level
		}
	}
	return level
}

func (c Cond) holds(f Facts) bool {
	if c.Flag != "" && !f.Flags[c.Flag] {
		return false
	}
	if c.Min == nil && c.Above == nil && c.Max == nil && c.Below == nil {
		return true
	}
	var v Decimal
	if c.Metric == "" {
		if f.Value == nil {
			return false
		}
		v = *f.Value
	} else {
		m, ok := f.Metrics[c.Metric]
		if !ok {
			return false
		}
		v = m
	}
	if c.Min != nil && v.Cmp(*c.Min) < 0 {
		return false
	}
	if c.Above != nil && v.Cmp(*c.Above) <= 0 {
		return false
	}
	if c.Max != nil && v.Cmp(*c.Max) > 0 {
		return false
	}
	if c.Below != nil && v.Cmp(*c.Below) >= 0 {
		return false
	}
	return true
}
