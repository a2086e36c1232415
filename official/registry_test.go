package official

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

// The registry of a quarter is the newest load (or a named one) as of the quarter's end: a scenario
// retired after the end does not change the quarter, one retired before does; every load is a
// version that can be read back. Moscow quarters: 2026Q3 ends 2026-09-30T21:00:00Z, 2026Q4
// 2026-12-31T21:00:00Z. P-T1-6 (proactive share of counted scenarios): 2★ > 0, 3★ ≥ 20.1,
// 4★ ≥ 35.1, 5★ ≥ 51.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestRegistryAsOf(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	sc := func(id, status, approved, retired string, proactive bool, services string) string {
		s := fmt.Sprintf(`{"scenario_id": %q, "owner_agency_id": "p1", "standard": "people", "status": %q, "proactive_possible": %v, "service_ids": [%s]`, id, status, proactive, services)
		if approved != "" {
			s += fmt.Sprintf(`, "approved_at": %q`, approved)
		}
		if retired != "" {
			s += fmt.Sprintf(`, "retired_at": %q`, retired)
		}
		return s + "}"
	}
	doc := func(s ...string) string { return `{"scenarios": [` + strings.Join(s, ",\n") + `]}` }
	const mar = "2026-03-01T00:00:00Z"
	l1 := importRegistry(t, conn, doc(
		sc("s1", "approved", mar, "", true, `"x"`),
		sc("s2", "approved", mar, "", false, `"y"`),
		sc("s3", "approved", mar, "", true, `"z"`),
		sc("s4", "retired", mar, "", true, ""), // retired without a date (a file of the old format): never counts
	), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	// s1 retired on 2026-10-15: after 2026Q3's end, before 2026Q4's.
	l2 := importRegistry(t, conn, doc(sc("s1", "retired", mar, "2026-10-15T00:00:00Z", true, `"x"`)), time.Date(2026, 10, 16, 0, 0, 0, 0, time.UTC))
	// A correction: s2 was retired on 2026-09-01, before 2026Q3's end; s3 gets another service.
	l3 := importRegistry(t, conn, doc(sc("s2", "retired", mar, "2026-09-01T00:00:00Z", false, `"y"`), sc("s3", "approved", mar, "", true, `"z", "w"`)),
		time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	for _, c := range []struct {
		got                    []string
		added, changed, retire string
	}{
		{append(append(l1.Added, "|"), append(l1.Changed, append([]string{"|"}, l1.Retired...)...)...), "s1 s2 s3 s4", "", ""},
		{append(append(l2.Added, "|"), append(l2.Changed, append([]string{"|"}, l2.Retired...)...)...), "", "", "s1"},
		{append(append(l3.Added, "|"), append(l3.Changed, append([]string{"|"}, l3.Retired...)...)...), "", "s3", "s2"},
	} {
		if got, want := strings.Join(c.got, " "), strings.TrimSpace(strings.Join([]string{c.added, "|", c.changed, "|", c.retire}, " ")); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
			t.Errorf("import printed added | changed | retired %q, want %q", got, want)
		}
	}

	proactive := func(q, version string) string {
		t.Helper()
		run, err := transform.Assess(ctx, conn, transform.Request{Quarter: q, Standards: []metrics.Standard{metrics.People}, RegistryVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, run, metrics.People, "p1", "proactive_scenario_share")
		return fmt.Sprintf("%s/%d/%s", r.Value, r.N, levelStr(r.Level))
	}
	for _, c := range []struct{ quarter, version, want string }{
		// L1: s1, s2, s3 count (s4 never); proactive s1, s3 → 2/3 = 66.7 → 5★.
		{"2026Q3", l1.LoadID, "66.7/3/5"},
		// L2 retires s1 after 2026Q3's end: 2026Q3 unchanged.
		{"2026Q3", l2.LoadID, "66.7/3/5"},
		// …but 2026Q4 loses s1: s2, s3 → 1/2 = 50.0 → 4★ (35.1–50.9).
		{"2026Q4", l2.LoadID, "50.0/2/4"},
		// Read back: 2026Q4 with L1 still has s1.
		{"2026Q4", l1.LoadID, "66.7/3/5"},
		// L3 retires s2 before 2026Q3's end: 2026Q3 changes to s1, s3 → 2/2 = 100.0.
		{"2026Q3", l3.LoadID, "100.0/2/5"},
		// The newest load is the default.
		{"2026Q3", "", "100.0/2/5"},
		// 2026Q4 with L3: only s3 → 1/1.
		{"2026Q4", "", "100.0/1/5"},
	} {
		if got := proactive(c.quarter, c.version); got != c.want {
			t.Errorf("%s with registry %s: proactive share %s, want %s", c.quarter, c.version, got, c.want)
		}
	}
	if _, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", RegistryVersion: "no-such-load"}); err == nil || !strings.Contains(err.Error(), "not a load") {
		t.Errorf("unknown registry version: %v", err)
	}

	// Closed with L2, 2026Q3 shows L3's correction as a pending revision.
	now := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	req := transform.Request{Quarter: "2026Q3", RegistryVersion: l2.LoadID, Now: func() time.Time { return now }}
	rev, _, err := Close(ctx, conn, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if rev.Inputs.RegistryVersion != l2.LoadID {
		t.Errorf("fingerprint registry %s, want %s", rev.Inputs.RegistryVersion, l2.LoadID)
	}
	req.RegistryVersion = ""
	pd, err := Check(ctx, conn, req, rev)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range pd.Differences {
		got = append(got, fmt.Sprintf("%s %s %s/%s → %s/%s %v %v", d.AgencyID, d.Indicator, decStr(d.OldValue), levelStr(d.OldLevel), decStr(d.NewValue), levelStr(d.NewLevel), d.Why, d.WhyRU))
	}
	want := fmt.Sprintf("p1 proactive_scenario_share 66.7/5 → 100.0/5 [registry version %s → %s] [версия реестра %[1]s → %[2]s]", l2.LoadID, l3.LoadID)
	if strings.Join(got, "\n") != want {
		t.Errorf("pending revision:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}
