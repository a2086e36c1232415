// Package metrics is the indicator domain of the two standards (not the Prometheus metrics of the
// services): the indicator catalog, the versioned star bands, exact decimal rounding, intervals and
// the star assignment. The rules are described in docs/indicators.md.
package metrics

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cxstar/cxstar/internal/yamlfile"
)

// Standard names one of the two standards. The values are the ones of the assessments table.
type Standard string

const (
	// People is the standard «Государство для людей» (code P, natural persons).
	People Standard = "people"
	// Business is the standard «Государство для бизнеса» (code B, business clients).
	Business Standard = "business"
)

// Standards lists both standards in a fixed order.
var Standards = []Standard{People, Business}

// ParseStandard accepts "people"/"business" (any case) and the one-letter codes "P"/"B".
func ParseStandard(s string) (Standard, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "people", "p":
		return People, nil
	case "business", "b":
		return Business, nil
	}
	return "", fmt.Errorf("unknown standard %q: use people (P, «Государство для людей») or business (B, «Государство для бизнеса»)", s)
}

// Letter is the one-letter code of docs/indicators.md: "P" or "B".
func (s Standard) Letter() string {
	switch s {
	case People:
		return "P"
	case Business:
		return "B"
	}
	return "?"
}

// Valid reports whether s is People or Business.
func (s Standard) Valid() bool { return s == People || s == Business }

// Direction says whether a higher or a lower value is better.
type Direction string

const (
	// HigherIsBetter: shares of positive ratings, coverage, NPS, capability ladders.
	HigherIsBetter Direction = "higher"
	// LowerIsBetter: the repeat-request rate.
	LowerIsBetter Direction = "lower"
)

// Kind says how the indicator value is computed and which Assess input it needs.
type Kind string

const (
	// KindShare: value = 100·num/den (Input.Num, Input.Den).
	KindShare Kind = "share"
	// KindNPS: value = NPS of one pool of 0–10 answers (Input.Promoters, Detractors, N).
	KindNPS Kind = "nps"
	// KindNPSServiceShare: value = share of services whose NPS is positive (Input.Services).
	KindNPSServiceShare Kind = "nps_service_share"
	// KindRelativeChange: value = 100·(base − current)/base; may be negative (Input.Num = base − current, Input.Den = base).
	KindRelativeChange Kind = "relative_change"
	// KindCapability: a cumulative ladder of declared capabilities and numeric parts (Input.Flags, Input.Metrics).
	KindCapability Kind = "capability"
	// KindResponseTime: response-time limits per message class (Input.ResponseTimes).
	KindResponseTime Kind = "response_time"
)

// Counts says which counts of the assessment inputs feed an indicator: transform builds the
// indicator's input from them. Left out in catalog.yaml it is CountMessages for the
// response_time kind, CountAnswers for an indicator with questions, and CountDeclared otherwise.
type Counts string

const (
	// CountAnswers: the answers to the indicator's questions (a share of positive answers, an
	// NPS, or an NPS per service, by kind).
	CountAnswers Counts = "answers"
	// CountDigitalAnswers: the answers to the indicator's questions given in a digital channel
	// (parameters.digital_channels).
	CountDigitalAnswers Counts = "digital_answers"
	// CountScenarioServices: the services with requests, and those of them provided within a
	// client scenario.
	CountScenarioServices Counts = "scenario_services"
	// CountRepeatRequests: the submitted requests, and the repeats among them.
	CountRepeatRequests Counts = "repeat_requests"
	// CountProactiveScenarios: the approved client scenarios, and those that run proactively.
	CountProactiveScenarios Counts = "proactive_scenarios"
	// CountAPIScenarios: the approved client scenarios, and those available over an API.
	CountAPIScenarios Counts = "api_scenarios"
	// CountMessages: the social-media messages and their response times per class.
	CountMessages Counts = "messages"
	// CountDeclared: the agency's declaration for the quarter (a value, or num and den).
	CountDeclared Counts = "declared"
)

// Source is where an indicator's data come from (docs/indicators.md).
type Source string

const (
	// SourceEvents: the event streams (service_event, rating, appeal).
	SourceEvents Source = "events"
	// SourceRegistry: reference data loaded as files (client-scenario registry, registers, prototypes).
	SourceRegistry Source = "registry"
	// SourceDeclaration: self-declared or audited capability flags (capability_declaration).
	SourceDeclaration Source = "declaration"
	// SourceExternal: external data (cost estimates) that neither events nor registries carry.
	SourceExternal Source = "external"
)

// Sample says which min_n default applies to an indicator's denominator.
type Sample string

const (
	// SampleSurvey: survey answers; parameters.min_n.survey (30) applies.
	SampleSurvey Sample = "survey"
	// SampleServiceNPS: a share of services, each needing parameters.min_n.service_nps answers (A9).
	SampleServiceNPS Sample = "service_nps"
	// SampleCensus: complete counts (requests, registry rows, messages); parameters.min_n.census (1) applies.
	SampleCensus Sample = "census"
	// SampleNone: no denominator (pure capability declarations).
	SampleNone Sample = "none"
)

// CIMethod is the confidence interval reported with the value.
type CIMethod string

const (
	// CIWilson: the Wilson score interval of a share (Wilson).
	CIWilson CIMethod = "wilson"
	// CINPS: the NPS interval from the variance of +1/0/−1 scores (NPSInterval).
	CINPS CIMethod = "nps"
	// CINone: no interval (census counts, declarations).
	CINone CIMethod = "none"
)

// Lang selects the language of names and labels; Russian is the default.
type Lang string

const (
	// RU is Russian, the default language of labels.
	RU Lang = "ru"
	// EN is English.
	EN Lang = "en"
)

// ParseLang accepts "ru" or "en" in any case; empty means the default, Russian.
func ParseLang(s string) (Lang, error) {
	switch Lang(strings.ToLower(strings.TrimSpace(s))) {
	case "", RU:
		return RU, nil
	case EN:
		return EN, nil
	}
	return "", fmt.Errorf("unknown language %q: use ru or en", s)
}

// label returns the text of code in lang from a table of {Russian, English} texts: Russian unless
// lang is EN, and the code itself when the table does not hold it.
func label[K ~string](table map[K][2]string, code K, lang Lang) string {
	l, ok := table[code]
	if !ok {
		return string(code)
	}
	if lang == EN {
		return l[1]
	}
	return l[0]
}

// Indicator is one row of Table 1 or Table 2 of one standard.
type Indicator struct {
	ID       string   `yaml:"id" json:"id"`             // B-T1-1 … P-T2-7
	Standard Standard `yaml:"standard" json:"standard"` // people | business
	Table    int      `yaml:"table" json:"table"`       // 1 = key indicators, 2 = additional
	Row      int      `yaml:"row" json:"row"`           // row number in the table
	Code     string   `yaml:"code" json:"code"`         // canonical snake_case code, shared across standards

	NameRU  string `yaml:"name_ru" json:"name_ru"`   // exact Russian name from the table
	NameEN  string `yaml:"name_en" json:"name_en"`   // English name
	ShortRU string `yaml:"short_ru" json:"short_ru"` // short Russian label for dashboards
	ShortEN string `yaml:"short_en" json:"short_en"` // short English label for dashboards

	Unit      string    `yaml:"unit" json:"unit"`   // percent | nps_points
	Scale     string    `yaml:"scale" json:"scale"` // human-readable range, e.g. "0–100 %"
	Direction Direction `yaml:"direction" json:"direction"`
	Kind      Kind      `yaml:"kind" json:"kind"`
	Counts    Counts    `yaml:"counts,omitempty" json:"counts"` // what feeds the value; see Counts for the default
	Sample    Sample    `yaml:"sample" json:"sample"`
	CI        CIMethod  `yaml:"ci" json:"ci"`

	// Sources lists every kind of data the indicator needs; Computable is the main one
	// (events: computable from the event streams; registry; declaration: only from declarations;
	// external).
	Sources    []Source `yaml:"sources" json:"sources"`
	Computable Source   `yaml:"computable" json:"computable"`
	Matrix     string   `yaml:"matrix" json:"matrix"`       // legend of docs/indicators.md, e.g. "E-S + REG"
	Streams    []string `yaml:"streams" json:"streams"`     // event schemas feeding it: service_event, rating, appeal
	Questions  []string `yaml:"questions" json:"questions"` // rating.v1 question codes feeding it
	Flags      []string `yaml:"flags" json:"flags"`         // declared capability flags (capability kind)
	Metrics    []string `yaml:"metrics" json:"metrics"`     // numeric parts of a capability ladder

	Num  string `yaml:"num" json:"num"`   // what the numerator counts
	Den  string `yaml:"den" json:"den"`   // what the denominator counts
	Note string `yaml:"note" json:"note"` // computation notes

	Interpretations []string `yaml:"interpretations" json:"interpretations"` // A-numbers of docs/indicators.md that apply
}

// Name returns the full name in the given language (Russian unless lang is EN).
func (ind *Indicator) Name(lang Lang) string {
	if lang == EN {
		return ind.NameEN
	}
	return ind.NameRU
}

// Label returns the short dashboard label in the given language (Russian unless lang is EN).
func (ind *Indicator) Label(lang Lang) string {
	if lang == EN {
		return ind.ShortEN
	}
	return ind.ShortRU
}

// Catalog is the list of indicators of both standards.
type Catalog struct {
	Indicators []Indicator `yaml:"indicators" json:"indicators"`

	byKey map[catalogKey]*Indicator
	byID  map[string]*Indicator
}

type catalogKey struct {
	std  Standard
	code string
}

//go:embed catalog.yaml
var catalogYAML []byte

var defaultCatalog = yamlfile.MustParse("metrics/catalog.yaml", catalogYAML, ParseCatalog)

// DefaultCatalog returns the embedded catalog (metrics/catalog.yaml). Do not modify it.
func DefaultCatalog() *Catalog { return defaultCatalog }

// CatalogYAML returns a copy of the embedded catalog file.
func CatalogYAML() []byte { return bytes.Clone(catalogYAML) }

// Lookup returns the indicator with the given code in the given standard.
func (c *Catalog) Lookup(std Standard, code string) (*Indicator, bool) {
	ind, ok := c.byKey[catalogKey{std, code}]
	return ind, ok
}

// ByID returns the indicator with the given ID (e.g. "P-T2-5").
func (c *Catalog) ByID(id string) (*Indicator, bool) {
	ind, ok := c.byID[id]
	return ind, ok
}

// ByStandard returns the indicators of one standard, Table 1 first, in row order.
func (c *Catalog) ByStandard(std Standard) []*Indicator {
	var out []*Indicator
	for i := range c.Indicators {
		if c.Indicators[i].Standard == std {
			out = append(out, &c.Indicators[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Row < out[j].Row
	})
	return out
}

var (
	codeRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	interpRE = regexp.MustCompile(`^A[0-9]+b?$`)
	flagRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// KnownQuestions are the rating.v1 question codes of docs/events.md.
var KnownQuestions = []string{
	"nps", "nps_digital", "satisfaction", "ease", "sat_phone",
	"sat_compliance_costs", "sat_assessment_costs", "sat_requirements_evaluation",
	"sat_informing_training", "sat_feedback_channels", "sat_path_time",
	"sat_risk_profile", "sat_control_activities",
}

var knownStreams = []string{"service_event", "rating", "appeal"}

// ParseCatalog decodes and validates a catalog YAML document. Unknown fields are errors.
func ParseCatalog(data []byte) (*Catalog, error) {
	c, err := yamlfile.Decode[Catalog](data, "indicator catalog")
	if err != nil {
		return nil, err
	}
	if err := c.index(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) index() error {
	c.byKey = map[catalogKey]*Indicator{}
	c.byID = map[string]*Indicator{}
	var errs []error
	for i := range c.Indicators {
		ind := &c.Indicators[i]
		if err := validateIndicator(ind); err != nil {
			errs = append(errs, err)
			continue
		}
		k := catalogKey{ind.Standard, ind.Code}
		if _, dup := c.byKey[k]; dup {
			errs = append(errs, fmt.Errorf("catalog: %s: code %q appears twice in standard %s", ind.ID, ind.Code, ind.Standard))
		}
		if _, dup := c.byID[ind.ID]; dup {
			errs = append(errs, fmt.Errorf("catalog: ID %s appears twice", ind.ID))
		}
		c.byKey[k] = ind
		c.byID[ind.ID] = ind
	}
	if len(c.Indicators) == 0 {
		errs = append(errs, errors.New("catalog: no indicators"))
	}
	return errors.Join(errs...)
}

// validateIndicator checks one catalog entry and reports every problem at once. It is a flat list
// of one-line checks, so its length is the number of rules an entry follows.
func validateIndicator(ind *Indicator) error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !ind.Standard.Valid() {
		bad("standard %q must be people or business", ind.Standard)
	}
	if ind.Table != 1 && ind.Table != 2 {
		bad("table %d must be 1 (key) or 2 (additional)", ind.Table)
	}
	if want := fmt.Sprintf("%s-T%d-%d", ind.Standard.Letter(), ind.Table, ind.Row); ind.ID != want {
		bad("id %q does not match standard/table/row (want %q)", ind.ID, want)
	}
	if !codeRE.MatchString(ind.Code) {
		bad("code %q must be snake_case", ind.Code)
	}
	for name, v := range map[string]string{"name_ru": ind.NameRU, "name_en": ind.NameEN, "short_ru": ind.ShortRU, "short_en": ind.ShortEN, "unit": ind.Unit} {
		if strings.TrimSpace(v) == "" {
			bad("%s is empty", name)
		}
	}
	if ind.Direction != HigherIsBetter && ind.Direction != LowerIsBetter {
		bad("direction %q must be higher or lower", ind.Direction)
	}
	switch ind.Kind {
	case KindShare, KindNPS, KindNPSServiceShare, KindRelativeChange, KindCapability, KindResponseTime:
	default:
		bad("kind %q is unknown", ind.Kind)
	}
	if ind.Counts == "" {
		switch {
		case ind.Kind == KindResponseTime:
			ind.Counts = CountMessages
		case len(ind.Questions) > 0:
			ind.Counts = CountAnswers
		default:
			ind.Counts = CountDeclared
		}
	}
	switch ind.Counts {
	case CountAnswers, CountDigitalAnswers:
		if len(ind.Questions) == 0 {
			bad("counts %q needs questions", ind.Counts)
		}
	case CountScenarioServices, CountRepeatRequests, CountProactiveScenarios, CountAPIScenarios, CountMessages, CountDeclared:
	default:
		bad("counts %q is unknown", ind.Counts)
	}
	switch ind.Sample {
	case SampleSurvey, SampleServiceNPS, SampleCensus, SampleNone:
	default:
		bad("sample %q must be survey, service_nps, census or none", ind.Sample)
	}
	switch ind.CI {
	case CIWilson, CINPS, CINone:
	default:
		bad("ci %q must be wilson, nps or none", ind.CI)
	}
	if len(ind.Sources) == 0 {
		bad("sources is empty")
	}
	found := false
	for _, s := range ind.Sources {
		switch s {
		case SourceEvents, SourceRegistry, SourceDeclaration, SourceExternal:
		default:
			bad("source %q is unknown", s)
		}
		found = found || s == ind.Computable
	}
	if !found {
		bad("computable %q is not one of sources %v", ind.Computable, ind.Sources)
	}
	for _, s := range ind.Streams {
		if !contains(knownStreams, s) {
			bad("stream %q is not a schema of docs/events.md (%v)", s, knownStreams)
		}
	}
	for _, q := range ind.Questions {
		if !contains(KnownQuestions, q) {
			bad("question %q is not a question code of docs/events.md", q)
		}
	}
	for _, f := range append(append([]string{}, ind.Flags...), ind.Metrics...) {
		if !flagRE.MatchString(f) {
			bad("flag/metric name %q must be snake_case", f)
		}
	}
	if len(ind.Interpretations) == 0 {
		bad("interpretations is empty (list the A-numbers of docs/indicators.md that apply)")
	}
	for _, a := range ind.Interpretations {
		if !interpRE.MatchString(a) {
			bad("interpretation %q must look like A12 or A9b", a)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("catalog: indicator %s (%s): %s", ind.ID, ind.Code, strings.Join(errs, "; "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
