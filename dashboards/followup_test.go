package dashboards_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
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
	sql := panelSQL(t, d, "followup_items FINAL")
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

// TestFollowUpPanelReadsItsQuarter runs the agency dashboard's follow-up table for 2026Q3 in mvd's
// agency database on ClickHouse 18.16, with items and steps in 2026Q2 beside seedFollowUps' 2026Q3
// ones: it shows the quarter's item, and by system.query_log it read the rows of the quarter's
// partition of followup_items and of the partitions of followups from the quarter on, nothing of
// 2026Q2 (the view followup_status reads them all).
func TestFollowUpPanelReadsItsQuarter(t *testing.T) {
	conn, dsn := chtest.DB(t)
	ctx := context.Background()
	seedFollowUps(t, conn, seedAgencies)
	a := seedAgencies[0]
	ing := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var ratings, steps [][]any
	for i := range 20 {
		at := time.Date(2026, 5, 4+i, 9, 0, 0, 0, time.UTC)
		id := fmt.Sprintf("%s-q2-%d", a.ID, i)
		ratings = append(ratings, []any{id, at, a.ID, "person", "c-q2", "nps", uint8(1), "s1", id, ing, "seed"})
		steps = append(steps, []any{id + "-f", at.Add(time.Hour), a.ID, "person", "c-q2", id, "s1", "followed_up", "phone", ing, "seed"})
	}
	chtest.Insert(t, conn, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, ingested_at, source)", ratings)
	chtest.Insert(t, conn, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, status, channel, ingested_at, source)", steps)
	_, _, ag := provision(t, conn, dsn, "reads-secret")
	tn := tenancy.Map(ag)[a.ID]
	o, err := store.Options(dsn)
	if err != nil {
		t.Fatal(err)
	}
	o.Auth.Database = tn.Database
	ac, err := clickhouse.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	d, err := dashboards.AgencyDashboard(a)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"agency": a.ID, "standard": "people", "quarter": "2026Q3"}
	q := dashboards.ExpandSQL(dashboards.InterpolateVars(panelSQL(t, d, "followup_items FINAL"), vars), vars,
		time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Hour)
	id := fmt.Sprintf("followup-panel-%d", time.Now().UnixNano())
	qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	var got []string
	if err := store.Each(qctx, ac, "follow-up panel", "SELECT concat(request_id, ' ', ifNull(toString(followed_up_at), '-')) FROM ("+q+") AS p", func(rows driver.Rows) error {
		var s string
		err := rows.Scan(&s)
		got = append(got, s)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := a.ID + "-r-person 2026-08-05 07:00:00"; strings.Join(got, "; ") != want {
		t.Errorf("follow-up panel for 2026Q3: %q, want %q", got, want)
	}
	var read, quarter, all uint64
	// The server may queue the query's log entry after the client has its last block (18.16 sends
	// the end of the stream first), so a flush right after can miss it: flush and look again, for 10 s.
	for try := 0; ; try++ {
		if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			t.Fatal(err)
		}
		err := conn.QueryRow(ctx, "SELECT read_rows FROM system.query_log WHERE query_id = ? AND type = 2", id).Scan(&read)
		if err == nil {
			break
		}
		if try == 20 {
			t.Fatalf("the panel's query in system.query_log after 10 s: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	parts := "SELECT sum(rows) FROM system.parts WHERE database = '" + tn.Database + "' AND active AND "
	if err := conn.QueryRow(ctx, parts+"(table = 'followup_items' AND partition = '2026-07-01' OR table = 'followups' AND partition >= '2026-07-01')").Scan(&quarter); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, parts+"table IN ('followup_items', 'followups')").Scan(&all); err != nil {
		t.Fatal(err)
	}
	if read != quarter || all != quarter+40 {
		t.Errorf("the panel read %d rows; want the %d of the quarter's partitions (of %d in all, 40 of them in 2026Q2)", read, quarter, all)
	}
}
