package tenancy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

// TestFollowUpCopiesUpgrade: an agency database provisioned before its follow-up copies were
// partitioned by quarter (the tables as they were: no partition key, fed by the same rule) gets
// partitioned copies from Provision, holding every item and step again (refilled from the main
// raw tables), one partition per quarter; the feeds still run, and a second Provision keeps the
// copies. mvd has seedFollowUps' items and steps (2026Q3: d1 delivered twice, in time; d2 late)
// and one more item answered on 2026-05-12 (2026Q2), followed up the next day.
func TestFollowUpCopiesUpgrade(t *testing.T) {
	conn, dsn := chtest.DB(t)
	ctx := context.Background()
	agency := tenanttest.Agencies[0]
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: tenanttest.UsersDir(), Secret: []byte("upgrade-secret"), Addr: chtest.Addr()}
	tenanttest.Cleanup(t, conn, cfg, []string{agency})
	tenanttest.Seed(t, conn, []string{agency})
	_, ag, err := cfg.Tenants([]string{agency})
	if err != nil {
		t.Fatal(err)
	}
	db, m := "`"+ag[0].Database+"`", "`"+cfg.MainDB+"`"
	items := "SELECT event_id, occurred_at AS answered_at, client_type, client_id, request_id, service_id, question, score, ingested_at FROM " + m +
		".ratings WHERE agency_id = '" + agency + "' AND request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2)"
	steps := "SELECT event_id, occurred_at, request_id, ingested_at FROM " + m + ".service_events WHERE agency_id = '" + agency + "' AND status = 'followed_up'"
	for _, stmt := range []string{
		"CREATE DATABASE " + db,
		"CREATE TABLE " + db + ".followup_items ENGINE = ReplacingMergeTree(ingested_at) ORDER BY event_id AS " + items,
		"CREATE TABLE " + db + ".followups ENGINE = ReplacingMergeTree(ingested_at) ORDER BY (request_id, event_id) AS " + steps,
		"CREATE MATERIALIZED VIEW " + db + ".followup_items_feed TO " + db + ".followup_items AS " + items,
		"CREATE MATERIALIZED VIEW " + db + ".followups_feed TO " + db + ".followups AS " + steps,
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("the tables as provisioned before: %v", err)
		}
	}
	// Through the old feeds.
	seedFollowUps(t, conn, []string{agency})
	ing := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	chtest.Insert(t, conn, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, ingested_at, source)",
		[][]any{{agency + "-q2", time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC), agency, "person", "c4", "nps", uint8(0), "s1", agency + "-r4", ing, "seed"}})
	chtest.Insert(t, conn, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, status, channel, ingested_at, source)",
		[][]any{{agency + "-f4", time.Date(2026, 5, 13, 9, 0, 0, 0, time.UTC), agency, "person", "c4", agency + "-r4", "s1", "followed_up", "phone", ing, "seed"}})

	layout := func() string {
		t.Helper()
		return strings.Join(chtest.Strings(t, conn, "SELECT concat(name, ': ', partition_key) FROM system.tables WHERE database = '"+ag[0].Database+
			"' AND name IN ('followup_items', 'followups') ORDER BY name"), "; ")
	}
	if got := layout(); got != "followup_items: ; followups: " {
		t.Fatalf("before the upgrade: %q, want two tables without a partition key", got)
	}
	const want = "followup_items: toStartOfQuarter(answered_at, 'Europe/Moscow'); followups: toStartOfQuarter(occurred_at, 'Europe/Moscow')"
	wantRows := agency + "-d1 1 1, " + agency + "-d2 1 0, " + agency + "-q2 1 1"
	for round := 1; round <= 2; round++ {
		if _, _, err := tenancy.Provision(ctx, conn, cfg, []string{agency}); err != nil {
			t.Fatalf("provision %d: %v", round, err)
		}
		if got := strings.ReplaceAll(layout(), " ", ""); got != strings.ReplaceAll(want, " ", "") {
			t.Errorf("provision %d: %q, want %q", round, layout(), want)
		}
		if got := followUpRows(t, conn, db+".followup_status"); got != wantRows {
			t.Errorf("provision %d: followup_status %q, want %q", round, got, wantRows)
		}
		// Items: d1 (both copies: the refill copies every row), d2, q2; steps f1, f2, f4.
		if got := strings.Join(chtest.Strings(t, conn, "SELECT concat(table, ' ', partition, ' ', toString(sum(rows))) FROM system.parts WHERE database = '"+ag[0].Database+
			"' AND table IN ('followup_items', 'followups') AND active GROUP BY table, partition ORDER BY table, partition"), "; "); got !=
			"followup_items 2026-04-01 1; followup_items 2026-07-01 3; followups 2026-04-01 1; followups 2026-07-01 2" {
			t.Errorf("provision %d: rows by partition %q", round, got)
		}
	}
	// The new feeds run: an answer after the upgrade reaches the copy.
	chtest.Insert(t, conn, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, ingested_at, source)",
		[][]any{{agency + "-d5", time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC), agency, "person", "c5", "satisfaction", uint8(2), "s1", agency + "-r5", ing, "seed"}})
	if got := followUpRows(t, conn, db+".followup_status"); got != strings.Replace(wantRows, ", "+agency+"-q2", ", "+agency+"-d5 0 0, "+agency+"-q2", 1) {
		t.Errorf("after the upgrade, a new answer: followup_status %q", got)
	}
}
