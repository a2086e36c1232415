package dashboards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
)

// TestFollowUpPanelOnCurrentClickHouse runs the agency dashboard's follow-up table on current
// ClickHouse (chDB) in mvd's agency database over seedFollowUps: people 2026Q3 shows the person's
// item, followed up two days later (in time), once although its answer came twice; business
// shows the business item, not followed up. (Through the plugin on 18.16: TestPanelsThroughPlugin.)
func TestFollowUpPanelOnCurrentClickHouse(t *testing.T) {
	c := chdbtest.DB(t)
	a := seedAgencies[0]
	tn := tenanttest.AgencyViews(t, c, c.Database(), a.ID, []byte("panel-secret"))
	seedFollowUps(t, c, seedAgencies[:1])
	ac, err := chdbtest.Open(tn.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	d, err := dashboards.AgencyDashboard(a)
	if err != nil {
		t.Fatal(err)
	}
	sql := panelSQL(t, d, "followup_status")
	for _, tc := range []struct{ std, want string }{
		{"people", "mvd-r-person 2026-08-05 07:00:00 1"},
		{"business", "mvd-r-business - 0"},
	} {
		vars := map[string]string{"agency": a.ID, "standard": tc.std, "quarter": "2026Q3"}
		q := dashboards.ExpandSQL(dashboards.InterpolateVars(sql, vars), vars, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Hour)
		got := chtest.Strings(t, ac, "SELECT concat(request_id, ' ', ifNull(toString(followed_up_at), '-'), ' ', toString(within_5_working_days)) FROM ("+q+") AS p")
		if strings.Join(got, "; ") != tc.want {
			t.Errorf("%s: %q, want %q", tc.std, got, tc.want)
		}
	}
}
