package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// Target is the Project Office's target value of one indicator for one agency and year (the
// targets section of a registry file).
type Target struct {
	AgencyID  string `yaml:"agency_id" json:"agency_id"`
	Standard  string `yaml:"standard" json:"standard"`
	Indicator string `yaml:"indicator" json:"indicator"`
	Year      int    `yaml:"year" json:"year"`
	// Value is in the indicator's unit (percent, NPS points), required unless Withdrawn.
	Value *metrics.Decimal `yaml:"value" json:"value"`
	// Withdrawn removes the target from the quarters that read this load.
	Withdrawn bool `yaml:"withdrawn,omitempty" json:"withdrawn,omitempty"`
}

// checkTargets returns the problems of a file's targets section.
func checkTargets(ts []Target) []string {
	var errs []string
	seen := map[string]bool{}
	for i, t := range ts {
		where := fmt.Sprintf("targets[%d] (%s %s %s %d)", i, t.AgencyID, t.Standard, t.Indicator, t.Year)
		std, err := metrics.ParseStandard(t.Standard)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		if t.AgencyID == "" {
			errs = append(errs, where+": agency_id is required")
		}
		if _, ok := metrics.DefaultCatalog().Lookup(std, t.Indicator); !ok {
			errs = append(errs, fmt.Sprintf("%s: indicator %q is not in the %s catalog", where, t.Indicator, std))
		}
		if t.Year < 2000 || t.Year > 2100 {
			errs = append(errs, fmt.Sprintf("%s: year %d must be a calendar year such as 2026", where, t.Year))
		}
		switch {
		case t.Value == nil && !t.Withdrawn:
			errs = append(errs, where+": value is required (or withdrawn: true to remove the target)")
		case t.Value != nil && t.Withdrawn:
			errs = append(errs, where+": a withdrawn target has no value")
		}
		key := fmt.Sprint(t.AgencyID, "\x00", std, "\x00", t.Indicator, "\x00", t.Year)
		if seen[key] {
			errs = append(errs, where+": appears twice")
		}
		seen[key] = true
	}
	return errs
}

// insertTargets appends the targets of one load to registry_targets.
func insertTargets(ctx context.Context, conn driver.Conn, loadID string, loaded time.Time, path string, ts []Target) error {
	if len(ts) == 0 {
		return nil
	}
	return store.Insert(ctx, conn, "import targets", "INSERT INTO registry_targets (load_id, loaded_at, agency_id, standard, indicator, year, value, withdrawn, source)", func(b driver.Batch) error {
		for _, t := range ts {
			v := 0.0
			if t.Value != nil {
				v = t.Value.Float64()
			}
			if err := b.Append(loadID, loaded, t.AgencyID, t.Standard, t.Indicator, uint16(t.Year), v, b2u(t.Withdrawn), path); err != nil {
				return fmt.Errorf("target %s %s %d: %w", t.AgencyID, t.Indicator, t.Year, err)
			}
		}
		return nil
	})
}

// TargetValue is a target as read for a quarter, with the load it comes from.
type TargetValue struct {
	Value  metrics.Decimal
	LoadID string
}

// TargetRow is one stored row of registry_targets.
type TargetRow struct {
	LoadID    string
	LoadedAt  time.Time
	AgencyID  string
	Indicator string
	Value     float64
	Withdrawn bool
}

// ResolveTargets picks the target of each agency × indicator of one standard and year for a
// quarter ending at end: the newest row loaded at or before end; when every row of the key was
// loaded after end, the first one loaded. So a load never changes the target of a quarter that had
// ended before it, except for a key that had no target yet (the year's first target then also
// applies to the quarters before it). A picked row that is withdrawn gives no target.
func ResolveTargets(rows []TargetRow, end time.Time) map[string]map[string]TargetValue {
	type pick struct {
		row      TargetRow
		inForce  bool // loaded at or before end
		hasValue bool
	}
	best := map[[2]string]*pick{}
	for _, r := range rows {
		k := [2]string{r.AgencyID, r.Indicator}
		in := !r.LoadedAt.After(end)
		p := best[k]
		switch {
		case p == nil:
		case in && !p.inForce:
		case in && p.inForce && r.LoadedAt.After(p.row.LoadedAt):
		case !in && !p.inForce && r.LoadedAt.Before(p.row.LoadedAt):
		default:
			continue
		}
		best[k] = &pick{row: r, inForce: in, hasValue: !r.Withdrawn}
	}
	out := map[string]map[string]TargetValue{}
	for k, p := range best {
		if !p.hasValue {
			continue
		}
		v, err := metrics.DecimalFromFloat(p.row.Value)
		if err != nil {
			continue
		}
		if out[k[0]] == nil {
			out[k[0]] = map[string]TargetValue{}
		}
		out[k[0]][k[1]] = TargetValue{Value: v, LoadID: p.row.LoadID}
	}
	return out
}

// TargetsAt reads the targets of std for quarter q (its year, as of its end; ResolveTargets) from
// the loads that pass the filter visible (a condition on loaded_at, "1" for every load: the
// registry version of the run). It returns agency → indicator → target.
func TargetsAt(ctx context.Context, conn driver.Conn, std metrics.Standard, q quarter.Quarter, visible string) (map[string]map[string]TargetValue, error) {
	if visible == "" {
		visible = "1"
	}
	all, err := store.Select(ctx, conn, "read the targets", fmt.Sprintf(`SELECT load_id, loaded_at, agency_id, indicator, value, withdrawn FROM registry_targets
WHERE standard = '%s' AND year = %d AND (%s)`, std, q.Year, visible), func(rows driver.Rows) (TargetRow, error) {
		var r TargetRow
		var w uint8
		err := rows.Scan(&r.LoadID, &r.LoadedAt, &r.AgencyID, &r.Indicator, &r.Value, &w)
		r.Withdrawn = w == 1
		return r, err
	})
	if err != nil {
		return nil, err
	}
	return ResolveTargets(all, q.End()), nil
}
