// Package replies runs the readability check over the replies stored in ClickHouse: for one
// quarter, per agency and life situation, how many written replies to natural persons were
// checked (their text came with the event and was counted) and how many of those are within the
// limits, and from that P-T2-4's "readability check in place for X % of life situations",
// computed from data beside the value the agency declared. The SQL lives in sql/ of this package,
// apart from the assessment's own queries.
package replies

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/readability"
)

var (
	//go:embed sql/replies.sql
	repliesSQL string
	//go:embed sql/registry.sql
	registrySQL string
	//go:embed sql/declared.sql
	declaredSQL string
)

// LifeSituation is the check of one life situation's replies in the quarter.
type LifeSituation struct {
	ID         string `json:"life_situation_id"` // "" for replies tied to no life situation
	InRegistry bool   `json:"in_registry"`
	Replies    int64  `json:"replies"`       // written replies in the quarter
	Checked    int64  `json:"checked"`       // replies whose text was counted, so scored
	Within     int64  `json:"within_limits"` // checked replies within the default segment's limits
	// CheckedShare is 100·Checked/Replies and WithinShare 100·Within/Checked, rounded half up to
	// one decimal; nil without replies (or without checked replies).
	CheckedShare *metrics.Decimal `json:"checked_share"`
	WithinShare  *metrics.Decimal `json:"within_share"`
	// Counts says whether the life situation counts for P-T2-4: it is in the registry and at least
	// the limits file's coverage_checked_share % of its replies were checked.
	Counts bool `json:"counts"`
}

// Agency is the check of one agency's replies.
type Agency struct {
	AgencyID       string          `json:"agency_id"`
	LifeSituations []LifeSituation `json:"life_situations"`
	// Registry is the number of the agency's life situations in the registry (approved client
	// scenarios for natural persons, owner or participant, before quarter end) and Counted how
	// many of them count.
	Registry int64 `json:"registry_life_situations"`
	Counted  int64 `json:"counted"`
	// Computed is 100·Counted/Registry, rounded half up to one decimal: P-T2-4's readability
	// coverage from data; nil when the registry holds no life situation of the agency.
	Computed *metrics.Decimal `json:"readability_coverage"`
	// Declared is the readability_coverage of the agency's newest P-T2-4 declaration for the
	// quarter; nil when there is none.
	Declared *metrics.Decimal `json:"declared_readability_coverage"`
}

// Report is the check of one quarter's stored replies.
type Report struct {
	Quarter       string   `json:"quarter"`
	Segment       string   `json:"segment"` // the limits applied: replies carry no client segment
	LimitsVersion string   `json:"limits_version"`
	CheckedShare  float64  `json:"coverage_checked_share"`
	Agencies      []Agency `json:"agencies"`
}

type config struct {
	agency string
	limits *readability.Limits
}

// Option configures Check.
type Option func(*config)

// WithAgency restricts the check to one agency. Default: every agency with replies, a registry
// entry or a declaration in the quarter.
func WithAgency(id string) Option { return func(c *config) { c.agency = id } }

// WithLimits sets the limits replies are checked against (their default segment) and the share
// of checked replies a life situation needs to count. Default: readability.DefaultLimits().
func WithLimits(l *readability.Limits) Option { return func(c *config) { c.limits = l } }

// Check reads the quarter's replies, the registry and the declarations from ClickHouse and
// returns the check per agency and life situation.
// It is a linear pipeline read top to bottom: three queries filling one map, then the report.
func Check(ctx context.Context, conn driver.Conn, q quarter.Quarter, opts ...Option) (*Report, error) {
	cfg := config{limits: readability.DefaultLimits()}
	for _, o := range opts {
		o(&cfg)
	}
	l := cfg.limits
	vars := map[string]string{
		"QS": ts(q.Start()), "QE": ts(q.End()), "LOOKBACK": ts(q.Prev().Start()),
		"QUARTER": store.Quote(q.String()), "AGENCY": "",
	}
	if cfg.agency != "" {
		vars["AGENCY"] = "AND agency_id = " + store.Quote(cfg.agency)
	}
	type key struct{ agency, ls string }
	ls := map[key]*LifeSituation{}
	agencies := map[string]*Agency{}
	agency := func(id string) *Agency {
		a := agencies[id]
		if a == nil {
			a = &Agency{AgencyID: id}
			agencies[id] = a
		}
		return a
	}
	get := func(k key) *LifeSituation {
		s := ls[k]
		if s == nil {
			s = &LifeSituation{ID: k.ls}
			ls[k] = s
			agency(k.agency)
		}
		return s
	}

	var ag, lsID string
	var c readability.Counts
	var n uint64
	err := store.Each(ctx, conn, "replies query", store.Render(repliesSQL, vars), func(rows driver.Rows) error {
		if err := rows.Scan(&ag, &lsID, &c.Chars, &c.Words, &c.Sentences, &c.Syllables, &n); err != nil {
			return err
		}
		s := get(key{ag, lsID})
		s.Replies += int64(n)
		if c.Words == 0 {
			return nil // no text came with the reply: not checked
		}
		s.Checked += int64(n)
		if r, err := l.ScoreCounts(c, ""); err == nil && r.Pass {
			s.Within += int64(n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var lsIDs []string
	err = store.Each(ctx, conn, "registry query", store.Render(registrySQL, vars), func(rows driver.Rows) error {
		if err := rows.Scan(&ag, &lsIDs); err != nil {
			return err
		}
		a := agency(ag)
		a.Registry = int64(len(lsIDs))
		for _, id := range lsIDs {
			get(key{ag, id}).InRegistry = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var names, values []string
	err = store.Each(ctx, conn, "declarations query", store.Render(declaredSQL, vars), func(rows driver.Rows) error {
		if err := rows.Scan(&ag, &names, &values); err != nil {
			return err
		}
		for i, n := range names {
			if n == "readability_coverage" && i < len(values) {
				if d, err := metrics.ParseDecimal(values[i]); err == nil {
					agency(ag).Declared = &d
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	threshold, err := metrics.DecimalFromFloat(l.CoverageCheckedShare)
	if err != nil {
		return nil, fmt.Errorf("coverage_checked_share %v: %w", l.CoverageCheckedShare, err)
	}
	rep := &Report{Quarter: q.String(), Segment: l.DefaultSegment, LimitsVersion: l.Version, CheckedShare: l.CoverageCheckedShare}
	keys := make([]key, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].agency != keys[j].agency {
			return keys[i].agency < keys[j].agency
		}
		return keys[i].ls < keys[j].ls
	})
	for _, k := range keys {
		s := ls[k]
		s.CheckedShare = share(s.Checked, s.Replies)
		s.WithinShare = share(s.Within, s.Checked)
		s.Counts = s.InRegistry && s.CheckedShare != nil && s.CheckedShare.Cmp(threshold) >= 0
		a := agencies[k.agency]
		if s.Counts {
			a.Counted++
		}
		a.LifeSituations = append(a.LifeSituations, *s)
	}
	ids := make([]string, 0, len(agencies))
	for id := range agencies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := agencies[id]
		a.Computed = share(a.Counted, a.Registry)
		rep.Agencies = append(rep.Agencies, *a)
	}
	return rep, nil
}

// share is 100·num/den rounded half up to one decimal (R-ROUND), nil when den is 0.
func share(num, den int64) *metrics.Decimal {
	if den <= 0 {
		return nil
	}
	v, err := metrics.SharePct(num, den)
	if err != nil {
		return nil
	}
	return &v
}

func ts(t time.Time) string {
	return "toDateTime('" + t.UTC().Format("2006-01-02 15:04:05") + "', 'UTC')"
}
