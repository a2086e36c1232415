package report

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/official"
	"github.com/cxstar/cxstar/quarter"
)

// Assessment is one row of assessments_latest.
type Assessment struct {
	Quarter      string
	QuarterStart time.Time
	Standard     string // people | business
	AgencyID     string
	Indicator    string // indicator code
	Table        uint8
	Value        *float64
	Level        *uint8
	N            uint64
	CILow        *float64
	CIHigh       *float64
	Status       string // assessed | not_assessed | no_data
	Reason       string
	BandsVersion string
}

// Data is what a report is rendered from: the latest assessments of the report quarter and of the
// quarters before it (for trends).
type Data struct {
	Quarter  quarter.Quarter
	Quarters []quarter.Quarter // trend quarters, oldest first, ending with Quarter
	Rows     []Assessment      // every quarter of Quarters
	// Official describes the official revision shown for a closed Quarter (nil: not closed).
	Official *Official
	// Priorities are the first life situations to fix of Quarter (priorities_latest, ranks 1 to
	// PriorityTop), per agency and national (AgencyID '').
	Priorities []Priority
	// Comparisons are Quarter's values with a significant change against the previous quarter or a
	// flagged target deviation (indicator_comparisons_latest).
	Comparisons []Comparison
}

// PriorityTop is the number of life situations a «С чего начать» section shows.
const PriorityTop = 3

// Priority is one ranked life situation of priorities_latest.
type Priority struct {
	Standard, AgencyID, LifeSituation string
	Rank                              uint16
	Score                             float64
	Clients                           uint64
	WhyRU, WhyEN                      string
}

// Comparison is one value of indicator_comparisons_latest: its change against the previous quarter
// and its target check.
type Comparison struct {
	Standard, AgencyID, Indicator string
	Value, PrevValue, Delta       *float64
	Verdict                       string // metrics.Verdict
	PAdjusted                     float64
	Target, TargetDeviation       *float64
	TargetFlag                    string // metrics.TargetFlag, '' without a target
}

// Official is the official revision of a closed quarter and its pending revision: the values a
// recomputation on today's data changes (as `cxstar assess --quarter Q` lists them) and the
// events that arrived after closing.
type Official struct {
	Revision    int
	ClosedAt    time.Time
	Reason      string
	LateEvents  uint64
	Differences []official.Difference
}

// Load reads assessments_latest for quarter q and the trend-1 quarters before it.
func Load(ctx context.Context, conn driver.Conn, q quarter.Quarter, trend int) (*Data, error) {
	if trend < 1 {
		return nil, fmt.Errorf("trend quarters %d: must be at least 1 (default %d)", trend, DefaultTrendQuarters)
	}
	d := &Data{Quarter: q}
	first := q
	for i := 1; i < trend; i++ {
		first = first.Prev()
	}
	for x := first; ; x = x.Next() {
		d.Quarters = append(d.Quarters, x)
		if x == q {
			break
		}
	}
	query := fmt.Sprintf(`SELECT quarter, quarter_start, toString(standard), agency_id, indicator, table_no, value, level, n,
		ci_low, ci_high, toString(status), reason, bands_version
		FROM assessments_latest
		WHERE quarter_start >= toDate('%s') AND quarter_start <= toDate('%s')
		ORDER BY quarter_start, standard, agency_id, table_no, indicator`,
		first.StartDate().Format("2006-01-02"), q.StartDate().Format("2006-01-02"))
	var err error
	d.Rows, err = store.Select(ctx, conn, "read assessments_latest", query, func(rows driver.Rows) (Assessment, error) {
		var a Assessment
		err := rows.Scan(&a.Quarter, &a.QuarterStart, &a.Standard, &a.AgencyID, &a.Indicator, &a.Table, &a.Value,
			&a.Level, &a.N, &a.CILow, &a.CIHigh, &a.Status, &a.Reason, &a.BandsVersion)
		return a, err
	})
	if err != nil {
		return nil, err
	}
	d.Priorities, err = store.Select(ctx, conn, "read priorities_latest", fmt.Sprintf(`SELECT toString(standard), agency_id, life_situation_id, rank, score, clients, why_ru, why_en
		FROM priorities_latest
		WHERE quarter_start = toDate('%s') AND kind = 'life_situation' AND rank >= 1 AND rank <= %d
		ORDER BY standard, agency_id, rank`, q.StartDate().Format("2006-01-02"), PriorityTop),
		func(rows driver.Rows) (Priority, error) {
			var p Priority
			err := rows.Scan(&p.Standard, &p.AgencyID, &p.LifeSituation, &p.Rank, &p.Score, &p.Clients, &p.WhyRU, &p.WhyEN)
			return p, err
		})
	if err != nil {
		return nil, err
	}
	if d.Comparisons, err = loadComparisons(ctx, conn, q); err != nil {
		return nil, err
	}
	rev, pd, err := official.Status(ctx, conn, q.String())
	if err != nil {
		return nil, err
	}
	if rev != nil {
		d.Official = &Official{Revision: rev.Revision, ClosedAt: rev.ClosedAt, Reason: rev.Reason, Differences: pd.Differences}
		for _, l := range pd.Late {
			d.Official.LateEvents += l.Events
		}
	}
	return d, nil
}

// loadComparisons reads the quarter's significant changes and flagged target deviations.
func loadComparisons(ctx context.Context, conn driver.Conn, q quarter.Quarter) ([]Comparison, error) {
	return store.Select(ctx, conn, "read indicator_comparisons_latest", fmt.Sprintf(`SELECT toString(standard), agency_id, indicator, value, prev_value, delta, toString(verdict), p_adjusted,
		target, target_deviation, toString(target_flag)
		FROM indicator_comparisons_latest
		WHERE quarter_start = toDate('%s') AND (verdict IN ('significant_improvement', 'significant_decline') OR target_flag IN ('better_than_target', 'worse_than_target'))
		ORDER BY standard, agency_id, p_adjusted, indicator`, q.StartDate().Format("2006-01-02")),
		func(rows driver.Rows) (Comparison, error) {
			var c Comparison
			err := rows.Scan(&c.Standard, &c.AgencyID, &c.Indicator, &c.Value, &c.PrevValue, &c.Delta, &c.Verdict, &c.PAdjusted,
				&c.Target, &c.TargetDeviation, &c.TargetFlag)
			return c, err
		})
}
