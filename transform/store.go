package transform

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
)

// storeRun appends the run to assessments and indicator_details. computed_at is made strictly later
// than any earlier run of the quarter, so that assessments_latest (newest computed_at per agency,
// quarter and standard; DateTime has whole seconds) never mixes two runs.
func storeRun(ctx context.Context, conn driver.Conn, run *Run) error {
	qs := run.Quarter.StartDate()
	var prev time.Time
	row := conn.QueryRow(ctx, fmt.Sprintf("SELECT max(computed_at) FROM assessments WHERE quarter_start = toDate('%s')", qs.Format("2006-01-02")))
	if err := row.Scan(&prev); err != nil {
		return fmt.Errorf("read the last assessment time: %w (run `cxstar migrate`)", err)
	}
	if !prev.IsZero() && prev.Unix() > 0 && !run.ComputedAt.After(prev) {
		run.ComputedAt = prev.Add(time.Second).UTC()
	}
	err := store.Insert(ctx, conn, "store assessments", "INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)", func(batch driver.Batch) error {
		for _, rep := range run.Scorecards {
			for _, ag := range rep.Agencies {
				for _, r := range ag.Indicators {
					var level *uint8
					if r.Level != nil {
						l := uint8(*r.Level)
						level = &l
					}
					if err := batch.Append(run.RunID, run.ComputedAt, rep.Quarter, qs, string(rep.Standard), ag.AgencyID, r.Code, uint8(r.Table),
						r.Value.NullFloat64(), level, uint64(r.N), r.CILow.NullFloat64(), r.CIHigh.NullFloat64(), string(r.Status), r.Reason, rep.BandsVersion); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := storeComparisons(ctx, conn, run); err != nil {
		return err
	}
	if len(run.Details) == 0 {
		return nil
	}
	return store.Insert(ctx, conn, "store indicator_details", "INSERT INTO indicator_details (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, dimension, dimension_id, value, n, ci_low, ci_high)", func(batch driver.Batch) error {
		for _, d := range run.Details {
			if err := batch.Append(run.RunID, run.ComputedAt, run.Quarter.String(), qs, string(d.Standard), d.AgencyID, d.Indicator, d.Dimension, d.DimensionID,
				d.Value.NullFloat64(), uint64(d.N), d.CILow.NullFloat64(), d.CIHigh.NullFloat64()); err != nil {
				return err
			}
		}
		return nil
	})
}
