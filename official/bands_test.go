package official

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

// A band version effective from a later date bands later quarters only: the test version of
// metrics/testdata raises the satisfaction ladder by ten points from 2027-01-01.
func TestBandsByEffectiveDate(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	base, err := metrics.DefaultBands(metrics.People)
	if err != nil {
		t.Fatal(err)
	}
	later, err := metrics.LoadBands(filepath.Join(chtest.RepoRoot(), "metrics", "testdata", "bands", "people-2027-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base, later = smallBands(t, base, 5), smallBands(t, later, 5)

	// The same 6 positive answers of 10 (60.0 %) in 2026Q4 and in 2027Q1 (Moscow quarters).
	var f feed
	for i, at := range []string{"2026-11-15T10:00:00Z", "2027-02-15T10:00:00Z"} {
		for j := 0; j < 10; j++ {
			score := 4
			if j >= 6 {
				score = 1
			}
			f.rating("a1", fmt.Sprintf("c%d-%d", i, j), fmt.Sprintf("r%d-%d", i, j), "satisfaction", score, at)
		}
	}
	f.load(t, conn, time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC))

	versions := map[metrics.Standard][]*metrics.BandSet{metrics.People: {later, base}}
	cases := []struct {
		quarter  string
		override bool
		version  string
		level    string
	}{
		// 60.0 ≥ 50.1 → 1★ under the 2022 bands, in force on 2026-12-31.
		{"2026Q4", false, "P-2022-04-18.1", "1"},
		// 2027-03-31 is after 2027-01-01: the test version applies; 60.0 < 60.1 → 0★.
		{"2027Q1", false, "P-2027-01-01.test", "0"},
		// --bands with one file overrides the dates.
		{"2027Q1", true, "P-2022-04-18.1", "1"},
	}
	for _, c := range cases {
		req := transform.Request{Quarter: c.quarter, Standards: []metrics.Standard{metrics.People}, BandVersions: versions}
		if c.override {
			req.Bands = map[metrics.Standard]*metrics.BandSet{metrics.People: base}
		}
		run, err := transform.Assess(ctx, conn, req)
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, run, metrics.People, "a1", "satisfaction_positive_share")
		if got := run.Scorecard(metrics.People).BandsVersion; got != c.version {
			t.Errorf("%s override=%v: bands %s, want %s", c.quarter, c.override, got, c.version)
		}
		if r.Value.String() != "60.0" || r.N != 10 || levelStr(r.Level) != c.level {
			t.Errorf("%s override=%v: satisfaction %s n %d level %s, want 60.0 n 10 level %s", c.quarter, c.override, r.Value, r.N, levelStr(r.Level), c.level)
		}
	}
}

// A declared share reaches its band after R-ROUND: 49.96 % is 50.0 and meets «50%», 49.94 % is
// 49.9 and does not (P-T2-4: 1★ needs the knowledge base for ≥ 50 % of life situations).
func TestDeclaredValueRounding(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	importRegistry(t, conn, `{"declarations": [
	  {"agency_id": "a1", "quarter": "2026Q3", "standard": "people", "indicator": "written_text_accessibility", "metrics": {"knowledge_base_coverage": "49.96", "readability_coverage": "0"}},
	  {"agency_id": "a2", "quarter": "2026Q3", "standard": "people", "indicator": "written_text_accessibility", "metrics": {"knowledge_base_coverage": "49.94", "readability_coverage": "0"}}
	]}`, time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC))
	run, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People}})
	if err != nil {
		t.Fatal(err)
	}
	for agency, want := range map[string]string{"a1": "1", "a2": "0"} {
		r := result(t, run, metrics.People, agency, "written_text_accessibility")
		if levelStr(r.Level) != want || r.Status != metrics.Assessed {
			t.Errorf("%s: level %s status %s, want %s assessed", agency, levelStr(r.Level), r.Status, want)
		}
	}
}
