package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/simulate"
)

// TestDemoSmall runs the whole demo with 3 agencies and few requests against a fresh database
// and checks its summary against ClickHouse and against what the generator wrote.
func TestDemoSmall(t *testing.T) {
	_, dsn := chtest.DB(t)
	fs := newFlagSet("demo", "demo")
	cfg := demoConfig{sim: addSimFlags(fs, 3, 150, demoFollowUpShare), dsn: dsn, out: t.TempDir(), timeout: 3 * time.Minute}
	if err := fs.Parse([]string{"--seed", "42", "--invalid-share", "0.01", "--duplicate-share", "0.01"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out bytes.Buffer
	res, err := demo(ctx, cfg, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	count := func(sql string) uint64 {
		t.Helper()
		var n uint64
		if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	sim := res.Sim
	if sim.Valid() == 0 || sim.InvalidTotal() == 0 || sim.DuplicateTotal() == 0 {
		t.Fatalf("the run should have valid, invalid and duplicated events: %+v", sim)
	}
	// Every published line was consumed; valid ones inserted once, duplicates skipped, invalid
	// ones dead-lettered.
	cs := res.Consumer
	if res.Published != sim.Lines() || cs.Consumed != sim.Lines() || cs.Inserted != sim.Valid() ||
		cs.Duplicates != sim.DuplicateTotal() || cs.Rejected != sim.InvalidTotal() {
		t.Errorf("published %d, consumer %+v; generator lines %d valid %d dup %d invalid %d",
			res.Published, cs, sim.Lines(), sim.Valid(), sim.DuplicateTotal(), sim.InvalidTotal())
	}
	// The summary's table counts are ClickHouse's and the generator's.
	for table, kind := range map[string]ingest.Kind{"service_events": ingest.KindService, "ratings": ingest.KindRating, "appeals": ingest.KindAppeal} {
		n := count("SELECT count() FROM " + table + " FINAL")
		if res.Rows[table] != n || int64(n) != sim.Events[kind] {
			t.Errorf("%s: summary %d, ClickHouse %d, generated %d", table, res.Rows[table], n, sim.Events[kind])
		}
	}
	// Each request has exactly one submitted event.
	if n := count("SELECT uniqExact(request_id) FROM service_events"); int64(n) != sim.Requests {
		t.Errorf("%d distinct requests in ClickHouse, %d generated", n, sim.Requests)
	}
	if len(res.Agencies) != 3 {
		t.Fatalf("%d agencies in the summary, want 3", len(res.Agencies))
	}
	var requests, events uint64
	for _, a := range res.Agencies {
		requests += a.Requests
		events += a.ServiceEvents + a.Ratings + a.AppealSteps
		// NPS read independently: (promoters − detractors) / answers over distinct answers.
		var p, d, n uint64
		if err := conn.QueryRow(ctx, "SELECT countIf(score >= 9), countIf(score <= 6), count() FROM ratings FINAL WHERE agency_id = ? AND question = 'nps'", a.ID).Scan(&p, &d, &n); err != nil {
			t.Fatal(err)
		}
		// 100·(p − d)/n in tenths, rounded half away from zero (R-ROUND), in integers.
		num, den := 1000*(int64(p)-int64(d)), int64(n)
		sign := int64(1)
		if num < 0 {
			sign = -1
		}
		want := ""
		if n > 0 {
			tenths := (2*num + sign*den) / (2 * den)
			want = fmt.Sprintf("%.1f", float64(tenths)/10)
		}
		if got := a.NPS(); n == 0 || got == nil || got.String() != want {
			t.Errorf("%s: NPS %v, ClickHouse %s (%d answers)", a.ID, got, want, n)
		}
		if !strings.Contains(out.String(), a.ID) {
			t.Errorf("summary does not name %s", a.ID)
		}
	}
	if int64(requests) != sim.Requests || int64(events) != sim.Valid() {
		t.Errorf("summary rows add up to %d requests and %d events; generated %d and %d", requests, events, sim.Requests, sim.Valid())
	}
	// Every quarter was assessed for both standards and stored: the summary's indicator counts
	// are the rows of assessments.
	if len(res.Quarters) != 4 || len(res.Failures) > 0 {
		t.Errorf("quarters %v, failures %v", res.Quarters, res.Failures)
	}
	var stored int
	for _, n := range res.Indicators {
		stored += n
	}
	if n := count("SELECT count() FROM assessments"); stored == 0 || int(n) != stored {
		t.Errorf("summary counts %d indicator values, assessments holds %d", stored, n)
	}
	if n := count("SELECT uniqExact(quarter) FROM assessments"); n != 4 {
		t.Errorf("assessments cover %d quarters, want 4", n)
	}
	// One agency's alerts (every rule of alerts.yaml: 2 standards × 2 windows × 4, social, dead
	// feed) and its follow-up items, counted again from the raw answers and steps.
	if res.Watched == "" || len(res.Alerts) != 18 || !strings.Contains(out.String(), "Detractor follow-up of "+res.Watched) {
		t.Errorf("watched agency %q with %d alerts; summary:\n%s", res.Watched, len(res.Alerts), out.String())
	}
	// The demo has just ingested every agency's events: its feed is not dead, and the hours since
	// its newest event lie between 0 and the demo's own run time.
	for _, a := range res.Alerts {
		if a.Kind == "dead_feed" && (a.Value == nil || *a.Value < 0 || *a.Value > 1 || a.Fires) {
			t.Errorf("dead-feed rule of %s: value %v, firing %v; want 0–1 h silent, not firing", res.Watched, a.Value, a.Fires)
		}
	}
	lastQ, err := quarter.Parse(res.Quarters[len(res.Quarters)-1], simulate.Moscow)
	if err != nil {
		t.Fatal(err)
	}
	span := fmt.Sprintf("occurred_at >= toDateTime(%d) AND occurred_at < toDateTime(%d)", lastQ.Start().Unix(), lastQ.End().Unix())
	items := count("SELECT count() FROM ratings FINAL WHERE agency_id = '" + res.Watched + "' AND " + span +
		" AND request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2)")
	followed := count("SELECT count() FROM ratings FINAL WHERE agency_id = '" + res.Watched + "' AND " + span +
		" AND request_id != '' AND (question IN ('nps', 'nps_digital') AND score <= 6 OR question = 'satisfaction' AND score <= 2)" +
		" AND request_id IN (SELECT request_id FROM service_events FINAL WHERE agency_id = '" + res.Watched + "' AND status = 'followed_up')")
	fu := res.FollowUp
	if fu.Items == 0 || fu.Items != items || fu.FollowedUp != followed || fu.InTime == 0 || fu.InTime > fu.FollowedUp || fu.FollowedUp >= fu.Items {
		t.Errorf("follow-up of %s: %+v; raw answers give %d items, %d with a step (want some in time, some open)", res.Watched, fu, items, followed)
	}
	for _, f := range []string{"registry.json", "report-" + res.Quarters[len(res.Quarters)-1] + ".html", "dashboards"} {
		if _, err := os.Stat(filepath.Join(cfg.out, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	// Every stored value has its comparison row, the last quarter's priorities are stored, and the
	// demo printed one agency's list and its significant changes.
	if n := count("SELECT count() FROM indicator_comparisons"); int(n) != stored {
		t.Errorf("indicator_comparisons holds %d rows, assessments %d", n, stored)
	}
	if n := count("SELECT count() FROM indicator_comparisons WHERE quarter = '" + res.Quarters[len(res.Quarters)-1] + "' AND verdict != 'no_comparison'"); n == 0 {
		t.Error("no value of the last quarter is compared with the previous one")
	}
	if n := count("SELECT count() FROM priorities_latest WHERE quarter = '" + res.Quarters[len(res.Quarters)-1] + "'"); n == 0 {
		t.Error("no priorities stored for the last quarter")
	}
	if res.Shown == "" || !strings.Contains(out.String(), res.Shown+", "+res.Quarters[len(res.Quarters)-1]+" — С чего начать:") ||
		!strings.Contains(out.String(), "Значимые изменения к прошлому кварталу") {
		t.Errorf("the demo did not print an agency's «С чего начать» list and its changes (shown %q)", res.Shown)
	}
	if !strings.Contains(out.String(), "as simulated: yes") {
		t.Error("summary does not confirm that ClickHouse holds what was simulated")
	}
}
