package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// flat writes a resolved target map as "agency/indicator=value@load", sorted, for comparison.
func flat(m map[string]map[string]TargetValue) string {
	var out []string
	for a, inds := range m {
		for ind, v := range inds {
			out = append(out, fmt.Sprintf("%s/%s=%s@%s", a, ind, v.Value, v.LoadID))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestResolveTargets works the as-of rule by hand. Loads: L1 on 10 May, L2 on 1 August, L3 on
// 1 November. Quarter ends (Moscow, in UTC): Q1 2026-03-31 21:00, Q2 2026-06-30 21:00,
// Q3 2026-09-30 21:00, Q4 2026-12-31 21:00.
//   - sat: L1 70.0, L2 75.0, L3 80.0. Q1 ended before any load: the first, 70.0. Q2: L1 (the
//     only one by its end), 70.0. Q3: L2, 75.0. Q4: L3, 80.0.
//   - nps: L1 20, L2 withdrawn. Q1, Q2: 20; Q3, Q4: none.
//   - ease: first set in L2 (60.0). Q1, Q2: the first load, 60.0; Q3, Q4: 60.0.
//   - a row loaded exactly at a quarter's end counts for that quarter: L4 (B/sat 50.0) at Q3's end.
func TestResolveTargets(t *testing.T) {
	rows := []TargetRow{
		{"L1", at("2026-05-10T09:00:00Z"), "A", "sat", 70, false},
		{"L1", at("2026-05-10T09:00:00Z"), "A", "nps", 20, false},
		{"L2", at("2026-08-01T09:00:00Z"), "A", "sat", 75, false},
		{"L2", at("2026-08-01T09:00:00Z"), "A", "nps", 0, true},
		{"L2", at("2026-08-01T09:00:00Z"), "A", "ease", 60, false},
		{"L3", at("2026-11-01T09:00:00Z"), "A", "sat", 80, false},
		{"L4", at("2026-09-30T21:00:00Z"), "B", "sat", 50, false},
	}
	tests := []struct{ q, want string }{
		{"2026Q1", "A/ease=60@L2 A/nps=20@L1 A/sat=70@L1 B/sat=50@L4"},
		{"2026Q2", "A/ease=60@L2 A/nps=20@L1 A/sat=70@L1 B/sat=50@L4"},
		{"2026Q3", "A/ease=60@L2 A/sat=75@L2 B/sat=50@L4"},
		{"2026Q4", "A/ease=60@L2 A/sat=80@L3 B/sat=50@L4"},
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	for _, tc := range tests {
		q, _ := quarter.Parse(tc.q, msk)
		// Any order of the rows gives the same answer.
		rev := append([]TargetRow(nil), rows...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		for _, rs := range [][]TargetRow{rows, rev} {
			if got := flat(ResolveTargets(rs, q.End())); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.q, got, tc.want)
			}
		}
	}
}

// TestTargetsAsOf imports two registry files with targets on the 18.16 server and on current
// ClickHouse and reads them per quarter: a later load leaves the targets of a quarter that had
// ended before it as they were.
func TestTargetsAsOf(t *testing.T) {
	for _, e := range chdbtest.Both(t) {
		t.Run(e.Name, func(t *testing.T) { targetsAsOf(t, e.Conn) })
	}
}

func targetsAsOf(t *testing.T, conn driver.Conn) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.yaml", `targets:
  - {agency_id: A, standard: people, indicator: satisfaction_positive_share, year: 2026, value: 70.0}
  - {agency_id: A, standard: people, indicator: digital_touchpoint_nps, year: 2026, value: 20}
  - {agency_id: A, standard: people, indicator: satisfaction_positive_share, year: 2027, value: 90.5}
`)
	second := write("second.yaml", `targets:
  - {agency_id: A, standard: people, indicator: satisfaction_positive_share, year: 2026, value: 75.5}
  - {agency_id: A, standard: people, indicator: digital_touchpoint_nps, year: 2026, withdrawn: true}
`)
	msk, _ := time.LoadLocation("Europe/Moscow")
	q2, _ := quarter.Parse("2026Q2", msk)
	q3, _ := quarter.Parse("2026Q3", msk)
	read := func(q quarter.Quarter) string {
		m, err := TargetsAt(ctx, conn, metrics.People, q, "1")
		if err != nil {
			t.Fatal(err)
		}
		out := flat(m)
		for _, v := range m["A"] { // load ids are random: name them by file
			out = strings.ReplaceAll(out, v.LoadID, "load")
		}
		return out
	}
	st1, err := Import(ctx, conn, first, at("2026-05-10T09:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if st1.Targets != 3 {
		t.Errorf("first load: %d targets, want 3", st1.Targets)
	}
	q2Before := read(q2)
	if want := "A/digital_touchpoint_nps=20@load A/satisfaction_positive_share=70@load"; q2Before != want {
		t.Errorf("2026Q2 after the first load: %s, want %s", q2Before, want)
	}
	if _, err := Import(ctx, conn, second, at("2026-08-01T09:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if got := read(q2); got != q2Before {
		t.Errorf("2026Q2 changed with a load after its end: %s, was %s", got, q2Before)
	}
	if got, want := read(q3), "A/satisfaction_positive_share=75.5@load"; got != want {
		t.Errorf("2026Q3: %s, want %s", got, want)
	}
	m, err := TargetsAt(ctx, conn, metrics.People, q3, "1")
	if err != nil {
		t.Fatal(err)
	}
	if got := m["A"]["satisfaction_positive_share"].Value; !got.Equal(metrics.MustParseDecimal("75.5")) {
		t.Errorf("target read back as %s, want 75.5", got)
	}
	// Bounded by the first registry version, 2026Q3 reads the first load's targets.
	m, err = TargetsAt(ctx, conn, metrics.People, q3, fmt.Sprintf("loaded_at <= toDateTime(%d)", st1.LoadedAt.Unix()))
	if err != nil {
		t.Fatal(err)
	}
	if m["A"]["satisfaction_positive_share"].LoadID != st1.LoadID || len(m["A"]) != 2 {
		t.Errorf("2026Q3 as of the first version: %+v", m)
	}
}

func TestParseTargetErrors(t *testing.T) {
	bad := `{"targets": [{"agency_id": "", "standard": "people", "indicator": "no_such", "year": 26},
	                     {"agency_id": "A", "standard": "people", "indicator": "satisfaction_positive_share", "year": 2026, "value": 70},
	                     {"agency_id": "A", "standard": "people", "indicator": "satisfaction_positive_share", "year": 2026, "value": 71, "withdrawn": true}]}`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("invalid targets accepted")
	}
	for _, want := range []string{"agency_id is required", `"no_such"`, "year 26", "value is required", "appears twice", "withdrawn target has no value"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	f, err := Parse([]byte(`{"targets": [{"agency_id": "A", "standard": "people", "indicator": "satisfaction_positive_share", "year": 2026, "value": "70,5"}]}`))
	if err != nil || !reflect.DeepEqual(f.Targets[0].Value, ptr(metrics.MustParseDecimal("70.5"))) {
		t.Errorf("value \"70,5\": %v, %v", f, err)
	}
}

func ptr(d metrics.Decimal) *metrics.Decimal { return &d }
