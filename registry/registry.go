// Package registry loads the reference data of the assessment: the client-scenario registry of
// life situations, the agencies' capability declarations and the Project Office's targets, checked
// and appended as a new version to registry_scenarios, capability_declarations and
// registry_targets (`cxstar registry import`). The transform package reads them back per quarter.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/yamlfile"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// File is the format of `cxstar registry import FILE` (JSON or YAML; see
// registry/testdata/registry.example.json and schemas/README.md).
type File struct {
	Scenarios    []Scenario    `yaml:"scenarios" json:"scenarios"`
	Declarations []Declaration `yaml:"declarations" json:"declarations"`
	// Targets are the Project Office's target values per agency × indicator × year.
	Targets []Target `yaml:"targets" json:"targets"`
}

// Scenario is one client scenario of the life-situation registry (docs/indicators.md).
type Scenario struct {
	ScenarioID             string   `yaml:"scenario_id" json:"scenario_id"`
	LifeSituationID        string   `yaml:"life_situation_id" json:"life_situation_id"`
	OwnerAgencyID          string   `yaml:"owner_agency_id" json:"owner_agency_id"`
	ParticipatingAgencyIDs []string `yaml:"participating_agency_ids" json:"participating_agency_ids"`
	// Standard is people, business, or empty when the scenario counts for both.
	Standard   string `yaml:"standard" json:"standard"`
	Status     string `yaml:"status" json:"status"`           // draft | approved | retired
	ApprovedAt string `yaml:"approved_at" json:"approved_at"` // RFC 3339; required when approved
	// RetiredAt is when a retired scenario stopped counting (RFC 3339; only with status retired).
	// A quarter ending before it still counts the scenario; without it a retired scenario never counts.
	RetiredAt         string   `yaml:"retired_at,omitempty" json:"retired_at,omitempty"`
	ProactivePossible bool     `yaml:"proactive_possible" json:"proactive_possible"`
	APIPossible       bool     `yaml:"api_possible" json:"api_possible"`
	ServiceIDs        []string `yaml:"service_ids" json:"service_ids"`
}

// Declaration is an agency's capability declaration (or a registry-based share) for one quarter
// and one indicator.
type Declaration struct {
	AgencyID  string            `yaml:"agency_id" json:"agency_id"`
	Quarter   string            `yaml:"quarter" json:"quarter"`
	Standard  string            `yaml:"standard" json:"standard"`
	Indicator string            `yaml:"indicator" json:"indicator"`
	Flags     []string          `yaml:"flags" json:"flags"`     // capabilities that hold (catalog flags)
	Metrics   map[string]string `yaml:"metrics" json:"metrics"` // numeric parts of composite ladders, decimals
	Value     string            `yaml:"value" json:"value"`     // a declared value, decimal
	Num       int64             `yaml:"num" json:"num"`         // or numerator and denominator of a share
	Den       int64             `yaml:"den" json:"den"`
	Evidence  string            `yaml:"evidence" json:"evidence"`
}

// ImportStats says what an import loaded: its version (load_id, loaded_at) and, against the
// registry before it, the scenarios it added, changed and retired.
type ImportStats struct {
	LoadID       string
	LoadedAt     time.Time
	Scenarios    int
	Declarations int
	Targets      int
	Added        []string
	Changed      []string
	Retired      []string
}

// Parse decodes and validates a registry file; every problem is reported with its entry.
// It is a flat list of checks, one per rule of a scenario and of a declaration.
func Parse(data []byte) (*File, error) {
	f, err := yamlfile.Decode[File](data, "registry file (JSON or YAML with scenarios, declarations and targets)")
	if err != nil {
		return nil, err
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	for i, s := range f.Scenarios {
		where := fmt.Sprintf("scenarios[%d] (%s)", i, s.ScenarioID)
		if s.ScenarioID == "" || s.OwnerAgencyID == "" {
			bad("%s: scenario_id and owner_agency_id are required", where)
		}
		if seen[s.ScenarioID] {
			bad("%s: scenario_id appears twice", where)
		}
		seen[s.ScenarioID] = true
		switch s.Standard {
		case "", "people", "business":
		default:
			bad("%s: standard %q must be people, business or empty (both)", where, s.Standard)
		}
		switch s.Status {
		case "draft", "retired":
		case "approved":
			if s.ApprovedAt == "" {
				bad("%s: approved_at is required for an approved scenario", where)
			}
		default:
			bad("%s: status %q must be draft, approved or retired", where, s.Status)
		}
		var approved time.Time
		if s.ApprovedAt != "" {
			var err error
			if approved, err = time.Parse(time.RFC3339, s.ApprovedAt); err != nil {
				bad("%s: approved_at %q is not RFC 3339", where, s.ApprovedAt)
			}
		}
		if s.RetiredAt != "" {
			retired, err := time.Parse(time.RFC3339, s.RetiredAt)
			switch {
			case err != nil:
				bad("%s: retired_at %q is not RFC 3339", where, s.RetiredAt)
			case s.Status != "retired":
				bad("%s: retired_at goes with status retired (status is %q)", where, s.Status)
			case !approved.IsZero() && retired.Before(approved):
				bad("%s: retired_at %s is before approved_at %s", where, s.RetiredAt, s.ApprovedAt)
			}
		}
	}
	for i, d := range f.Declarations {
		where := fmt.Sprintf("declarations[%d] (%s %s %s)", i, d.AgencyID, d.Quarter, d.Indicator)
		std, err := metrics.ParseStandard(d.Standard)
		if err != nil {
			bad("%s: %v", where, err)
			continue
		}
		if d.AgencyID == "" {
			bad("%s: agency_id is required", where)
		}
		if _, err := quarter.Parse(d.Quarter, time.UTC); err != nil {
			bad("%s: %v", where, err)
		}
		ind, ok := metrics.DefaultCatalog().Lookup(std, d.Indicator)
		if !ok {
			bad("%s: indicator %q is not in the %s catalog", where, d.Indicator, std)
			continue
		}
		for _, fl := range d.Flags {
			if !contains(ind.Flags, fl) {
				bad("%s: flag %q is not one of %v", where, fl, ind.Flags)
			}
		}
		for name, v := range d.Metrics {
			if !contains(ind.Metrics, name) {
				bad("%s: metric %q is not one of %v", where, name, ind.Metrics)
			}
			if _, err := metrics.ParseDecimal(v); err != nil {
				bad("%s: metric %s: %v", where, name, err)
			}
		}
		if d.Value != "" {
			if _, err := metrics.ParseDecimal(d.Value); err != nil {
				bad("%s: value: %v", where, err)
			}
		}
		if d.Num < 0 || d.Den < 0 || d.Num > d.Den && ind.Kind == metrics.KindShare {
			bad("%s: num %d / den %d: need 0 ≤ num ≤ den", where, d.Num, d.Den)
		}
	}
	errs = append(errs, checkTargets(f.Targets)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("registry file has %d problem(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return f, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Import loads a registry file into registry_scenarios and capability_declarations as a new
// version (load_id, loaded_at = now); readers take the newest row per key.
// It is a linear pipeline read top to bottom: parse, diff against the current version, insert.
func Import(ctx context.Context, conn driver.Conn, path string, now time.Time) (ImportStats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ImportStats{}, fmt.Errorf("read registry file: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return ImportStats{}, fmt.Errorf("%s: %w", path, err)
	}
	st := ImportStats{Scenarios: len(f.Scenarios), Declarations: len(f.Declarations), Targets: len(f.Targets)}
	before, last, err := current(ctx, conn)
	if err != nil {
		return st, err
	}
	// Versions are ordered by loaded_at (whole seconds): each load is later than every earlier one.
	loaded := now.UTC().Truncate(time.Second)
	if !loaded.After(last) {
		loaded = last.Add(time.Second)
	}
	st.LoadedAt = loaded
	st.LoadID = newLoadID(loaded, data)
	for _, s := range f.Scenarios {
		old, ok := before[s.ScenarioID]
		switch {
		case !ok:
			st.Added = append(st.Added, s.ScenarioID)
		case s.Status == "retired" && old.Status != "retired":
			st.Retired = append(st.Retired, s.ScenarioID)
		case !sameScenario(old, s):
			st.Changed = append(st.Changed, s.ScenarioID)
		}
	}
	if len(f.Scenarios) > 0 {
		err := store.Insert(ctx, conn, "import scenarios", "INSERT INTO registry_scenarios (load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id, participating_agency_ids, standard, status, approved_at, retired_at, proactive_possible, api_possible, service_ids, source)", func(b driver.Batch) error {
			for _, s := range f.Scenarios {
				approved, retired := instant(s.ApprovedAt), instant(s.RetiredAt)
				if err := b.Append(st.LoadID, loaded, s.ScenarioID, s.LifeSituationID, s.OwnerAgencyID, nonNil(s.ParticipatingAgencyIDs), s.Standard, s.Status,
					approved, retired, b2u(s.ProactivePossible), b2u(s.APIPossible), nonNil(s.ServiceIDs), path); err != nil {
					return fmt.Errorf("scenario %s: %w", s.ScenarioID, err)
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
	}
	if len(f.Declarations) > 0 {
		err := store.Insert(ctx, conn, "import declarations", "INSERT INTO capability_declarations (load_id, loaded_at, agency_id, quarter, standard, indicator, flags, metric_names, metric_values, value, num, den, evidence, source)", func(b driver.Batch) error {
			for _, d := range f.Declarations {
				std, _ := metrics.ParseStandard(d.Standard)
				q, _ := quarter.Parse(d.Quarter, time.UTC)
				names := make([]string, 0, len(d.Metrics))
				for k := range d.Metrics {
					names = append(names, k)
				}
				sort.Strings(names)
				values := make([]string, len(names))
				for i, k := range names {
					values[i] = d.Metrics[k]
				}
				if err := b.Append(st.LoadID, loaded, d.AgencyID, q.String(), string(std), d.Indicator, nonNil(d.Flags), names, values, d.Value, d.Num, d.Den, d.Evidence, path); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
	}
	if err := insertTargets(ctx, conn, st.LoadID, loaded, path, f.Targets); err != nil {
		return st, err
	}
	return st, store.Insert(ctx, conn, "record the registry version", "INSERT INTO registry_loads (load_id, loaded_at, source, scenarios, declarations, added, changed, retired)", func(b driver.Batch) error {
		return b.Append(st.LoadID, loaded, path, uint32(st.Scenarios), uint32(st.Declarations), nonNil(st.Added), nonNil(st.Changed), nonNil(st.Retired))
	})
}

func instant(s string) time.Time {
	if s == "" {
		return time.Unix(0, 0).UTC()
	}
	t, _ := time.Parse(time.RFC3339, s)
	return t.UTC()
}

func sameScenario(a, b Scenario) bool {
	eq := func(x, y []string) bool { return strings.Join(x, "\x00") == strings.Join(y, "\x00") }
	return a.LifeSituationID == b.LifeSituationID && a.OwnerAgencyID == b.OwnerAgencyID && eq(a.ParticipatingAgencyIDs, b.ParticipatingAgencyIDs) &&
		a.Standard == b.Standard && a.Status == b.Status && instant(a.ApprovedAt).Equal(instant(b.ApprovedAt)) && instant(a.RetiredAt).Equal(instant(b.RetiredAt)) &&
		a.ProactivePossible == b.ProactivePossible && a.APIPossible == b.APIPossible && eq(a.ServiceIDs, b.ServiceIDs)
}

// current reads the newest state of every scenario and the newest loaded_at of any load.
func current(ctx context.Context, conn driver.Conn) (map[string]Scenario, time.Time, error) {
	var last time.Time
	if err := conn.QueryRow(ctx, `SELECT max(t) FROM (SELECT max(loaded_at) AS t FROM registry_scenarios UNION ALL
SELECT max(loaded_at) AS t FROM capability_declarations UNION ALL SELECT max(loaded_at) AS t FROM registry_loads)`).Scan(&last); err != nil {
		return nil, last, fmt.Errorf("read the registry versions: %w (run `cxstar migrate`)", err)
	}
	out := map[string]Scenario{}
	err := store.Each(ctx, conn, "read the registry", `SELECT scenario_id, argMax(life_situation_id, loaded_at), argMax(owner_agency_id, loaded_at),
       argMax(participating_agency_ids, loaded_at), toString(argMax(standard, loaded_at)), toString(argMax(status, loaded_at)),
       argMax(approved_at, loaded_at), argMax(retired_at, loaded_at), argMax(proactive_possible, loaded_at),
       argMax(api_possible, loaded_at), argMax(service_ids, loaded_at)
FROM registry_scenarios GROUP BY scenario_id`, func(rows driver.Rows) error {
		var s Scenario
		var approved, retired time.Time
		var pro, api uint8
		if err := rows.Scan(&s.ScenarioID, &s.LifeSituationID, &s.OwnerAgencyID, &s.ParticipatingAgencyIDs, &s.Standard, &s.Status,
			&approved, &retired, &pro, &api, &s.ServiceIDs); err != nil {
			return err
		}
		if approved.Unix() > 0 {
			s.ApprovedAt = approved.UTC().Format(time.RFC3339)
		}
		if retired.Unix() > 0 {
			s.RetiredAt = retired.UTC().Format(time.RFC3339)
		}
		s.ProactivePossible, s.APIPossible = pro == 1, api == 1
		out[s.ScenarioID] = s
		return nil
	})
	if err != nil {
		return nil, last, err
	}
	return out, last.UTC(), nil
}

// Version is one registry load.
type Version struct {
	LoadID                  string
	LoadedAt                time.Time
	Source                  string
	Scenarios, Declarations uint32
	Added, Changed, Retired []string
}

// Versions lists the registry loads, oldest first.
func Versions(ctx context.Context, conn driver.Conn) ([]Version, error) {
	return store.Select(ctx, conn, "read registry versions", "SELECT load_id, loaded_at, source, scenarios, declarations, added, changed, retired FROM registry_loads ORDER BY loaded_at, load_id",
		func(rows driver.Rows) (Version, error) {
			var v Version
			err := rows.Scan(&v.LoadID, &v.LoadedAt, &v.Source, &v.Scenarios, &v.Declarations, &v.Added, &v.Changed, &v.Retired)
			v.LoadedAt = v.LoadedAt.UTC()
			return v, err
		})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// newLoadID is the load_id of one import: its loaded_at and the first 8 bytes of the file's
// SHA-256. Loads are at least a second apart, so it is unique; and the same file loaded at the same
// moment into two databases gets the same id there.
func newLoadID(loaded time.Time, data []byte) string {
	sum := sha256.Sum256(data)
	return loaded.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(sum[:8])
}
