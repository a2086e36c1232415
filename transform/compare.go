package transform

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/registry"
)

// compare sets the change against the previous quarter and the target check of every result of
// the run. The previous quarter is read back from indicator_comparisons_latest (value, status and the
// counts behind the value: its official revision when it is closed, else its newest stored run), so
// it must have been assessed and stored; an agency without such a run gets no_comparison. Targets are read as of the quarter's end from the registry
// loads that regFilter lets through (registry.TargetsAt).
func (run *Run) compare(ctx context.Context, conn driver.Conn, regFilter string) error {
	for i := range run.Scorecards {
		sc := &run.Scorecards[i]
		b := run.Bands[sc.Standard]
		prev, err := readPrevious(ctx, conn, run, sc.Standard, b.Parameters.Decimals)
		if err != nil {
			return err
		}
		targets, err := registry.TargetsAt(ctx, conn, sc.Standard, run.Quarter, regFilter)
		if err != nil {
			return err
		}
		inds := metrics.DefaultCatalog().ByStandard(sc.Standard)
		byCode := map[string]*metrics.Indicator{}
		for _, ind := range inds {
			byCode[ind.Code] = ind
		}
		for a := range sc.Agencies {
			ar := &sc.Agencies[a]
			cur := map[string]metrics.Result{}
			for _, r := range ar.Indicators {
				cur[r.Code] = r
			}
			changes := metrics.CompareResults(inds, prev[ar.AgencyID], cur, metrics.DefaultAlpha)
			byChange := map[string]*metrics.Change{}
			for k := range changes {
				byChange[changes[k].Code] = &changes[k]
			}
			for k := range ar.Indicators {
				r := &ar.Indicators[k]
				r.Change = byChange[r.Code]
				if t, ok := targets[ar.AgencyID][r.Code]; ok && byCode[r.Code] != nil {
					v := t.Value
					if v.Scale() < b.Parameters.Decimals { // 5 is shown as 5.0, like the values
						v = v.Round(b.Parameters.Decimals)
					}
					tc := metrics.CheckTarget(byCode[r.Code], *r, v, t.LoadID)
					r.Target = &tc
				}
			}
		}
	}
	return nil
}

// readPrevious reads the previous quarter's results of std per agency from indicator_comparisons_latest:
// value (rounded to decimals places, as published), status, n and the counts behind the value.
func readPrevious(ctx context.Context, conn driver.Conn, run *Run, std metrics.Standard, decimals int) (map[string]map[string]metrics.Result, error) {
	out := map[string]map[string]metrics.Result{}
	err := store.Each(ctx, conn, "read the previous quarter's values", fmt.Sprintf(`SELECT agency_id, indicator, value, toString(status), n, num, den, promoters, detractors
FROM indicator_comparisons_latest WHERE quarter_start = toDate('%s') AND standard = '%s'`,
		run.Quarter.Prev().StartDate().Format("2006-01-02"), std), func(rows driver.Rows) error {
		var agency, code, status string
		var value *float64
		var n, num, den, pro, det uint64
		if err := rows.Scan(&agency, &code, &value, &status, &n, &num, &den, &pro, &det); err != nil {
			return err
		}
		r := metrics.Result{Code: code, Status: metrics.Status(status), N: int64(n),
			Tally: metrics.Tally{Num: int64(num), Den: int64(den), Promoters: int64(pro), Detractors: int64(det)}}
		if value != nil {
			if d, err := metrics.DecimalFromFloat(*value); err == nil {
				d = d.Round(decimals)
				r.Value = &d
			}
		}
		if out[agency] == nil {
			out[agency] = map[string]metrics.Result{}
		}
		out[agency][code] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// storeComparisons writes the counts, change and target check of every result of the run into
// indicator_comparisons.
func storeComparisons(ctx context.Context, conn driver.Conn, run *Run) error {
	qs := run.Quarter.StartDate()
	return store.Insert(ctx, conn, "store indicator_comparisons", `INSERT INTO indicator_comparisons (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator,
value, status, n, num, den, promoters, detractors, prev_value, prev_n, delta, test, z, p, p_adjusted, verdict, target, target_deviation, target_flag, target_load_id)`, func(batch driver.Batch) error {
		for _, sc := range run.Scorecards {
			for _, ag := range sc.Agencies {
				for _, r := range ag.Indicators {
					c := r.Change
					if c == nil {
						c = &metrics.Change{Test: metrics.ChangeNoTest, Verdict: metrics.NoComparison, P: 1, Adjusted: 1}
					}
					var target, deviation *float64
					flag, load := "", ""
					if t := r.Target; t != nil {
						v := t.Target.Float64()
						target, deviation, flag, load = &v, t.Deviation.NullFloat64(), string(t.Flag), t.LoadID
					}
					tl := r.Tally
					if err := batch.Append(run.RunID, run.ComputedAt, sc.Quarter, qs, string(sc.Standard), ag.AgencyID, r.Code,
						r.Value.NullFloat64(), string(r.Status), uint64(r.N), uint64(tl.Num), uint64(tl.Den), uint64(tl.Promoters), uint64(tl.Detractors),
						c.Prev.NullFloat64(), uint64(c.PrevN), c.Delta.NullFloat64(), string(c.Test), c.Z, c.P, c.Adjusted, string(c.Verdict),
						target, deviation, flag, load); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}
