// Package registry loads the reference data of the assessment: the client-scenario registry of
// life situations and the agencies' capability declarations, checked and appended as a new
// version to registry_scenarios and capability_declarations (`cxstar registry import`). The
// transform package reads them back per quarter.
package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"gopkg.in/yaml.v3"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// File is the format of `cxstar registry import FILE` (JSON or YAML; see
// registry/testdata/registry.example.json and schemas/README.md).
type File struct {
	Scenarios    []Scenario    `yaml:"scenarios" json:"scenarios"`
	Declarations []Declaration `yaml:"declarations" json:"declarations"`
}

// Scenario is one client scenario of the life-situation registry (docs/indicators.md).
type Scenario struct {
	ScenarioID             string   `yaml:"scenario_id" json:"scenario_id"`
	LifeSituationID        string   `yaml:"life_situation_id" json:"life_situation_id"`
	OwnerAgencyID          string   `yaml:"owner_agency_id" json:"owner_agency_id"`
	ParticipatingAgencyIDs []string `yaml:"participating_agency_ids" json:"participating_agency_ids"`
	// Standard is people, business, or empty when the scenario counts for both.
	Standard          string   `yaml:"standard" json:"standard"`
	Status            string   `yaml:"status" json:"status"`           // draft | approved | retired
	ApprovedAt        string   `yaml:"approved_at" json:"approved_at"` // RFC 3339; required when approved
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

// ImportStats says what an import loaded.
type ImportStats struct {
	LoadID       string
	Scenarios    int
	Declarations int
}

// Parse decodes and validates a registry file; every problem is reported with its entry.
func Parse(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode registry file (JSON or YAML with scenarios and declarations): %w", err)
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
		if s.ApprovedAt != "" {
			if _, err := time.Parse(time.RFC3339, s.ApprovedAt); err != nil {
				bad("%s: approved_at %q is not RFC 3339", where, s.ApprovedAt)
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
	if len(errs) > 0 {
		return nil, fmt.Errorf("registry file has %d problem(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return &f, nil
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
func Import(ctx context.Context, conn driver.Conn, path string, now time.Time) (ImportStats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ImportStats{}, fmt.Errorf("read registry file: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return ImportStats{}, fmt.Errorf("%s: %w", path, err)
	}
	st := ImportStats{LoadID: newLoadID(), Scenarios: len(f.Scenarios), Declarations: len(f.Declarations)}
	loaded := now.UTC().Truncate(time.Second)
	if len(f.Scenarios) > 0 {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO registry_scenarios (load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id, participating_agency_ids, standard, status, approved_at, proactive_possible, api_possible, service_ids, source)")
		if err != nil {
			return st, fmt.Errorf("import scenarios: %w (run `cxstar migrate`)", err)
		}
		for _, s := range f.Scenarios {
			approved := time.Unix(0, 0).UTC()
			if s.ApprovedAt != "" {
				approved, _ = time.Parse(time.RFC3339, s.ApprovedAt)
			}
			if err := b.Append(st.LoadID, loaded, s.ScenarioID, s.LifeSituationID, s.OwnerAgencyID, nonNil(s.ParticipatingAgencyIDs), s.Standard, s.Status,
				approved.UTC(), b2u(s.ProactivePossible), b2u(s.APIPossible), nonNil(s.ServiceIDs), path); err != nil {
				_ = b.Abort()
				return st, fmt.Errorf("import scenario %s: %w", s.ScenarioID, err)
			}
		}
		if err := b.Send(); err != nil {
			return st, fmt.Errorf("import scenarios: %w", err)
		}
	}
	if len(f.Declarations) > 0 {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO capability_declarations (load_id, loaded_at, agency_id, quarter, standard, indicator, flags, metric_names, metric_values, value, num, den, evidence, source)")
		if err != nil {
			return st, fmt.Errorf("import declarations: %w (run `cxstar migrate`)", err)
		}
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
				_ = b.Abort()
				return st, fmt.Errorf("import declaration: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return st, fmt.Errorf("import declarations: %w", err)
		}
	}
	return st, nil
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

// newLoadID is the load_id of one import: the wall-clock time and 8 random bytes.
func newLoadID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
