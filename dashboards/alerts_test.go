package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
	"gopkg.in/yaml.v3"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
)

// decodeAlertingFile reads the rendered alert provisioning YAML as Grafana would after replacing
// the organization ids (orgIDs by organization name): strictly (unknown keys refused) into
// grafana-openapi-client-go's AlertingFileExport, which must pass Validate.
func decodeAlertingFile(t testing.TB, raw []byte, orgIDs map[string]int64) *models.AlertingFileExport {
	t.Helper()
	if len(raw) == 0 {
		t.Fatal("no provisioning/alerting/cxstar.yaml rendered")
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	groups, _ := m["groups"].([]any)
	for _, g := range groups {
		gm := g.(map[string]any)
		ref, _ := gm["orgId"].(string)
		found := false
		for name, id := range orgIDs {
			if ref == "${"+dashboards.OrgEnv(name)+"}" {
				gm["orgId"], found = id, true
			}
		}
		if !found {
			t.Fatalf("group %v: orgId %q names no organization of %v", gm["name"], ref, orgIDs)
		}
	}
	js, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var f models.AlertingFileExport
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("alert provisioning file does not decode strictly into AlertingFileExport: %v", err)
	}
	if err := f.Validate(strfmt.Default); err != nil {
		t.Fatalf("alert provisioning file: %v", err)
	}
	return &f
}

// alertOrgIDs gives every agency organization a made-up id.
func alertOrgIDs(agencies []dashboards.Agency) map[string]int64 {
	out := map[string]int64{}
	for i, a := range agencies {
		out[dashboards.AgencyOrg(a.ID)] = int64(i + 2)
	}
	return out
}

// TestAlertRulesRendered: one group per agency, in its organization and folder, 18 rules each
// (2 standards × 2 windows × satisfaction, ease, NPS, repeat requests; unanswered social media;
// dead feed), uids
// unique and within Grafana's 40 characters, every query on cxstar-clickhouse, every condition
// one «gt» threshold, and the provisioning body of the API validates too.
func TestAlertRulesRendered(t *testing.T) {
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		b, err := dashboards.Render("/out", dashboards.RenderConfig{}, seedAgencies, dashboards.WithLang(lang))
		if err != nil {
			t.Fatal(err)
		}
		ids := alertOrgIDs(seedAgencies)
		f := decodeAlertingFile(t, b.Files["provisioning/alerting/cxstar.yaml"], ids)
		if len(f.Groups) != len(seedAgencies) {
			t.Fatalf("%d groups, want %d", len(f.Groups), len(seedAgencies))
		}
		uids := map[string]bool{}
		for i, g := range f.Groups {
			titles := map[string]bool{} // Grafana wants rule titles unique in a folder
			a := seedAgencies[i]
			if g.OrgID != ids[dashboards.AgencyOrg(a.ID)] || g.Folder != a.Title() || g.Name != dashboards.AlertRuleGroupName || g.Interval != "1h" {
				t.Errorf("group %d: org %d folder %q name %q interval %q", i, g.OrgID, g.Folder, g.Name, g.Interval)
			}
			if len(g.Rules) != 18 {
				t.Errorf("%s: %d rules, want 18", a.ID, len(g.Rules))
			}
			for _, r := range g.Rules {
				if len(r.UID) > 40 || uids[r.UID] || r.Labels["cxstar_agency"] != a.ID {
					t.Errorf("rule uid %q (%d characters, seen before %v), agency label %q", r.UID, len(r.UID), uids[r.UID], r.Labels["cxstar_agency"])
				}
				uids[r.UID] = true
				if titles[r.Title] {
					t.Errorf("%s: two rules titled %q", a.ID, r.Title)
				}
				titles[r.Title] = true
				if r.Data[0].DatasourceUID != dashboards.DatasourceUID || dashboards.AlertSQL(r) == "" {
					t.Errorf("%s: query A on %q", r.UID, r.Data[0].DatasourceUID)
				}
				if _, err := dashboards.AlertThreshold(r); err != nil {
					t.Error(err)
				}
			}
			if _, err := dashboards.ProvisionedGroup(g, g.OrgID, dashboards.AgencyFolderUID(a.ID)); err != nil {
				t.Errorf("%s: %v", a.ID, err)
			}
		}
	}
}

// TestAlertThresholdsStrict: thresholds are strict data.
func TestAlertThresholdsStrict(t *testing.T) {
	good, err := dashboards.DefaultAlertThresholds()
	if err != nil || good.MinN != 30 || len(good.WindowsDays) != 2 || good.DeadFeedHours != 48 {
		t.Fatalf("embedded thresholds: %+v, %v", good, err)
	}
	raw, _ := yaml.Marshal(map[string]any{"version": "x"})
	for name, y := range map[string]string{
		"unknown key":  strings.Replace(string(mustYAML(t)), "min_n:", "min_n_typo: 1\nmin_n:", 1),
		"no min_n":     strings.Replace(string(mustYAML(t)), "min_n: 30", "min_n: 0", 1),
		"bad interval": strings.Replace(string(mustYAML(t)), "evaluate_every: 1h", "evaluate_every: 5s", 1),
		"version only": string(raw),
	} {
		if _, err := dashboards.ParseAlertThresholds([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mustYAML(t *testing.T) []byte {
	t.Helper()
	return dashboards.AlertThresholdsYAML()
}

// alertNow is the evaluation time of the hand-made alert data.
var alertNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// seedAlertData writes, for mvd, hand-made answers, appeals and events around alertNow, and a
// level 3 (floor 70.1 %) for satisfaction, ease and NPS in 2026Q3; pfr's last event is 72 h old.
// Every answer is inserted twice (a redelivery): the alerts must count it once.
func seedAlertData(t *testing.T, conn driver.Conn) {
	t.Helper()
	var ratings [][]any
	n := 0
	answer := func(question, service string, score uint8, ago time.Duration) {
		n++
		at := alertNow.Add(-ago)
		row := []any{fmt.Sprintf("r-%d", n), at, "mvd", "person", fmt.Sprintf("c-%d", n), question, score, service, fmt.Sprintf("q-%d", n), "", "", "portal", at.Add(time.Minute), "test"}
		ratings = append(ratings, row, row)
	}
	// Satisfaction: last 7 days 40 answers, 20 positive (50 % < 70.1: fires); 8–27 days ago 200
	// positive answers, so over 28 days 220/240 = 91.7 % (does not fire).
	for i := 0; i < 40; i++ {
		answer("satisfaction", "s1", uint8(2+2*(i%2)), time.Duration(i+1)*time.Hour)
	}
	for i := 0; i < 200; i++ {
		answer("satisfaction", "s1", 4, 8*24*time.Hour+time.Duration(i)*time.Hour)
	}
	// Ease: 29 negative answers in the last 7 days (n < min_n 30: does not fire), one more 10 days
	// ago: 30 answers over 28 days, 0 % positive (fires).
	for i := 0; i < 29; i++ {
		answer("ease", "s1", 1, time.Duration(i+1)*time.Hour)
	}
	answer("ease", "s1", 2, 10*24*time.Hour)
	// NPS: s1 30 answers, 10 promoters and 20 detractors (negative); s2 30 promoters; s3 only
	// 29 answers (below min_n, not counted). 1 of 2 services positive = 50 % < 70.1: fires.
	for i := 0; i < 30; i++ {
		s1 := uint8(10)
		if i%3 != 0 {
			s1 = 3
		}
		answer("nps", "s1", s1, time.Duration(i+1)*time.Hour)
		answer("nps", "s2", 9, time.Duration(i+1)*time.Hour)
		if i < 29 {
			answer("nps", "s3", 0, time.Duration(i+1)*time.Hour)
		}
	}
	chtest.Insert(t, conn, "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)", ratings)

	// Social media: a mention unanswered for 30 h (fires), a mention unanswered for 20 h (within
	// 24 h), an official appeal replied to after 2 h, an unanswered mention in a portal channel
	// (not social media), an unanswered official appeal of 13 h (fires): 2 past the limit.
	var appeals [][]any
	appeal := func(id, step, kind, channel string, ago time.Duration) {
		at := alertNow.Add(-ago)
		row := []any{id + "-" + step, at, "mvd", "person", "c", id, step, kind, channel, uint8(0), uint8(0), at.Add(time.Minute), "test"}
		appeals = append(appeals, row, row)
	}
	appeal("a1", "received", "mention", "social_network", 30*time.Hour)
	appeal("a2", "received", "mention", "public_chat", 20*time.Hour)
	appeal("a3", "received", "official_appeal", "social_network", 5*time.Hour)
	appeal("a3", "replied", "", "social_network", 3*time.Hour)
	appeal("a4", "received", "mention", "portal", 40*time.Hour)
	appeal("a5", "received", "official_appeal", "social_network", 13*time.Hour)
	chtest.Insert(t, conn, "INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type, channel, automated, excluded, ingested_at, source)", appeals)

	ev := func(agency string, ago time.Duration) []any {
		at := alertNow.Add(-ago)
		return []any{"e-" + agency, at, agency, "person", "c", "q", "s1", "service", "submitted", "portal", "", "", "", uint8(0), at, "test"}
	}
	chtest.Insert(t, conn, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)",
		[][]any{ev("mvd", 2*time.Hour), ev("pfr", 72*time.Hour)})

	seedRepeatData(t, conn)

	var levels [][]any
	for _, code := range []string{"satisfaction_positive_share", "ease_positive_share", "nps_positive_service_share"} {
		lvl, v := uint8(3), 75.0
		levels = append(levels, []any{"run-alerts", alertNow.Add(-30 * 24 * time.Hour), "2026Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), "people", "mvd", code, uint8(1), &v, &lvl, uint64(100), &v, &v, "assessed", "", "P-2022-04-18.1"})
	}
	// Repeat requests: people level 3 (ceiling 4.0 %, inclusive «до 4%»), business level 2
	// (ceiling 7 %, strict «менее 7%»).
	for _, r := range []struct {
		std string
		lvl uint8
	}{{"people", 3}, {"business", 2}} {
		lvl, v := r.lvl, 3.0
		levels = append(levels, []any{"run-alerts", alertNow.Add(-30 * 24 * time.Hour), "2026Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), r.std, "mvd", "repeat_request_rate", uint8(1), &v, &lvl, uint64(100), &v, &v, "assessed", "", "P-2022-04-18.1"})
	}
	chtest.Insert(t, conn, "INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)", levels)
}

// seedRepeatData writes mvd's status events for the repeat-request alerts, each twice (a
// redelivery). A repeat is a request submitted at most 28 days after the same client's request
// for the same service was completed; that earlier request was submitted 40 days ago, outside
// every window, so only its completion is in them and it is not counted as submitted.
//   - people: 2 repeats submitted 1 day ago (completions 3 days ago), 37 other requests in the
//     last 7 days and seedAlertData's e-mvd (2 h ago): 7 days 2/40 = 5.0 % > 4.0 (fires, +1.0);
//     10 more requests 10 days ago: 28 days 2/50 = 4.0 %, at the inclusive ceiling (quiet);
//   - business: 5 repeats and 24 other requests in the last 7 days: 29 < min_n 30 (quiet though
//     17 % is above 7); one more 10 days ago: 28 days 5/30 = 16.67 % ≥ 7 (fires, +9.67).
func seedRepeatData(t *testing.T, conn driver.Conn) {
	t.Helper()
	var rows [][]any
	n := 0
	event := func(ct, client, request, status string, ago time.Duration) {
		n++
		at := alertNow.Add(-ago)
		row := []any{fmt.Sprintf("rep-%d", n), at, "mvd", ct, client, request, "s1", "service", status, "portal", "", "", "", uint8(0), at, "test"}
		rows = append(rows, row, row)
	}
	day := 24 * time.Hour
	repeat := func(ct, client string, completedAgo, againAgo time.Duration) {
		event(ct, client, client+"-first", "submitted", 40*day)
		event(ct, client, client+"-first", "completed", completedAgo)
		event(ct, client, client+"-again", "submitted", againAgo)
	}
	for i := 0; i < 2; i++ {
		repeat("person", fmt.Sprintf("pr-%d", i), 3*day, day)
	}
	for i := 0; i < 37; i++ {
		event("person", fmt.Sprintf("p7-%d", i), fmt.Sprintf("p7-%d-r", i), "submitted", time.Duration(i+3)*time.Hour)
	}
	for i := 0; i < 10; i++ {
		event("person", fmt.Sprintf("p28-%d", i), fmt.Sprintf("p28-%d-r", i), "submitted", 10*day)
	}
	for i := 0; i < 5; i++ {
		repeat("business", fmt.Sprintf("br-%d", i), 4*day, 2*day)
	}
	for i := 0; i < 24; i++ {
		event("business", fmt.Sprintf("b7-%d", i), fmt.Sprintf("b7-%d-r", i), "submitted", time.Duration(i+3)*time.Hour)
	}
	event("business", "b28", "b28-r", "submitted", 10*day)
	chtest.Insert(t, conn, "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)", rows)
}

// mvdFiring returns mvd's rules that fire on seedAlertData, by title, with the values worked out
// there.
func mvdFiring() map[string]float64 {
	return map[string]float64{
		"МВД: Satisfaction with services (people) over 7 days below the floor of the current band":  70.1 - 50,
		"МВД: Ease of getting services (people) over 28 days below the floor of the current band":   70.1 - 0,
		"МВД: Services with positive NPS (people) over 7 days below the floor of the current band":  70.1 - 50,
		"МВД: Services with positive NPS (people) over 28 days below the floor of the current band": 70.1 - 50,
		"МВД: social-media messages unanswered past the limit":                                      2,
		"МВД: Repeat requests (people) over 7 days above the ceiling of the current band":           5.0 - 4.0,
		"МВД: Repeat requests (business) over 28 days above the ceiling of the current band":        100*5.0/30 - 7.0,
	}
}

// TestAlertsThroughPlugin evaluates every rendered alert rule of every agency as Grafana would:
// its SQL through the real plugin with the agency's pushed datasource at alertNow (no error, the
// executed SQL is ExpandSQL's), then the rule's threshold on the last value. On the hand-made
// data exactly the expected rules fire, with the values worked out by hand.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestAlertsThroughPlugin(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	_, po, ag := provision(t, conn, dsn, "alert-secret")
	seedAlertData(t, conn) // after the tenancy: through its materialized views
	sources := pushedDatasources(t, po, ag)
	b, err := dashboards.Render("/out", dashboards.RenderConfig{}, seedAgencies, dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	f := decodeAlertingFile(t, b.Files["provisioning/alerting/cxstar.yaml"], alertOrgIDs(seedAgencies))
	from := alertNow.Add(-28 * 24 * time.Hour)
	// Expected firing rules and their values (by title), worked out in seedAlertData.
	want := mvdFiring()
	want["pfr: no events for more than 48 h"] = 72
	want["ФНС 77: no events for more than 48 h"] = float64(alertNow.Unix()) / 3600
	// Rules that return a value without firing.
	quiet := map[string]float64{
		"МВД: Satisfaction with services (people) over 28 days below the floor of the current band": 70.1 - 100*220.0/240,
		"МВД: no events for more than 48 h":                                                         1 - 1.0/60, // the newest answer: 1 h ago, ingested 1 min later
	}
	fired := map[string]bool{}
	for gi, g := range f.Groups {
		a := seedAgencies[gi]
		for _, r := range g.Rules {
			sql := dashboards.AlertSQL(r)
			target, _ := json.Marshal(r.Data[0].Model)
			res, err := p.Query(context.Background(), sources[a.ID], plugintest.Query{Target: target, From: from, To: alertNow})
			if err != nil {
				t.Fatalf("%s: %v", r.Title, err)
			}
			if res.Error != "" {
				t.Errorf("%s: the plugin answered %s\n%s", r.Title, res.Error, sql)
				continue
			}
			if exp := dashboards.ExpandSQL(sql, nil, from, alertNow, time.Second); res.Executed != exp {
				t.Errorf("%s: the plugin executed\n%s\nExpandSQL gives\n%s", r.Title, res.Executed, exp)
			}
			th, err := dashboards.AlertThreshold(r)
			if err != nil {
				t.Fatal(err)
			}
			cells := frameCells(res)
			if len(cells) > 1 {
				t.Errorf("%s: %d values, want at most one: %v", r.Title, len(cells), cells)
			}
			if len(cells) == 0 {
				if _, ok := quiet[r.Title]; ok {
					t.Errorf("%s: no value, want %g", r.Title, quiet[r.Title])
				}
				continue
			}
			var v float64
			if _, err := fmt.Sscan(cells[0], &v); err != nil {
				t.Fatalf("%s: value %q: %v", r.Title, cells[0], err)
			}
			if w, ok := quiet[r.Title]; ok && math.Abs(v-w) > 1e-6 {
				t.Errorf("%s: value %g, want %g", r.Title, v, w)
			}
			if v > th {
				fired[r.Title] = true
				if w, ok := want[r.Title]; !ok || math.Abs(v-w) > 1e-6 {
					t.Errorf("%s fired with %g; want %v (expected: %v)", r.Title, v, w, ok)
				}
			}
		}
	}
	for title := range want {
		if !fired[title] {
			t.Errorf("%s did not fire", title)
		}
	}
	if len(fired) != len(want) {
		t.Errorf("%d rules fired, want %d", len(fired), len(want))
	}
}

// TestAlertsOnCurrentClickHouse evaluates mvd's rules on current ClickHouse (chDB) over the same
// hand-made data, in mvd's agency database of tenancy.AgencyDDL: the same rules fire with the
// same values as through the plugin on 18.16.
func TestAlertsOnCurrentClickHouse(t *testing.T) {
	ctx := context.Background()
	c := chdbtest.DB(t)
	tn := tenanttest.AgencyViews(t, c, c.Database(), "mvd", []byte("alert-secret"))
	seedAlertData(t, c)
	ac, err := chdbtest.Open(tn.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	b, err := dashboards.Render("/out", dashboards.RenderConfig{}, seedAgencies[:1], dashboards.WithLang(dashboards.EN))
	if err != nil {
		t.Fatal(err)
	}
	f := decodeAlertingFile(t, b.Files["provisioning/alerting/cxstar.yaml"], alertOrgIDs(seedAgencies[:1]))
	from := alertNow.Add(-28 * 24 * time.Hour)
	want := mvdFiring()
	fired := map[string]float64{}
	for _, r := range f.Groups[0].Rules {
		th, err := dashboards.AlertThreshold(r)
		if err != nil {
			t.Fatal(err)
		}
		sql := dashboards.ExpandSQL(dashboards.AlertSQL(r), nil, from, alertNow, time.Second)
		// Current ClickHouse only: its one column as Float64 (APPLY), whatever its name.
		rows, err := ac.Query(ctx, "SELECT * APPLY(toFloat64) FROM ("+sql+") AS a")
		if err != nil {
			t.Fatalf("%s on chDB: %v\n%s", r.Title, err, sql)
		}
		for rows.Next() {
			var v float64
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v > th {
				fired[r.Title] = v
			}
		}
		rows.Close()
	}
	for title, w := range want {
		if v, ok := fired[title]; !ok || math.Abs(v-w) > 1e-6 {
			t.Errorf("%s: fired %v with %g, want %g", title, ok, v, w)
		}
	}
	if len(fired) != len(want) {
		t.Errorf("fired %v, want the %d rules above", fired, len(want))
	}
}
