package transform

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/schemas"
)

// TestRenderForChDB writes the migrations, a small data set and every rendered assessment query to
// CXSTAR_RENDER_DIR for testdata/chdb/check.sh (current ClickHouse vs 18.16); without it, it does nothing.
func TestRenderForChDB(t *testing.T) {
	dir := os.Getenv("CXSTAR_RENDER_DIR")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	i := 0
	w := func(s string) { i++; os.WriteFile(fmt.Sprintf("%s/%03d.sql", dir, i), []byte(s), 0o644) }
	ms, _ := schemas.Migrations()
	for _, m := range ms {
		for _, s := range m.Statements() {
			w(s)
		}
	}
	w(`INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)
SELECT concat('e', toString(number)), toDateTime(1782853200 + number * 3600), 'a1', if(number % 2 = 0, 'person', 'business'), concat('c', toString(number % 7)),
 arrayElement(['nps','nps_digital','satisfaction','ease','sat_phone'], 1 + number % 5), if(number % 5 < 2, number % 11, 1 + number % 4),
 concat('s', toString(number % 3)), if(number % 3 = 0, concat('r', toString(number % 5)), ''), 'ls1', '', 'portal', now(), 't' FROM numbers(200)`)
	w(`INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)
SELECT concat('s', toString(number)), toDateTime(1782853200 + intDiv(number, 2) * 86400 + (number % 2) * 3600), 'a1', 'person', concat('c', toString(intDiv(number, 2) % 3)),
 concat('r', toString(intDiv(number, 2))), 'sv1', 'service', if(number % 2 = 0, 'submitted', 'completed'), 'portal', 'ls1', if(number % 4 = 0, 'sc', ''), '', 0, now(), 't' FROM numbers(60)`)
	w(`INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type, channel, automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, service_id, life_situation_id, ingested_at, source)
SELECT concat('a', toString(number)), toDateTime(1782853200 + intDiv(number, 2) * 86400 + (number % 2) * 7200), 'a1', 'person', '', concat('m', toString(intDiv(number, 2))),
 if(number % 2 = 0, 'received', 'replied'), if(number % 2 = 0, 'mention', ''), 'social_network', 0, 0, 0, 0, 0, 0, '', '', now(), 't' FROM numbers(20)`)
	w(`INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type, channel, automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, service_id, life_situation_id, ingested_at, source)
SELECT concat('w', toString(number)), toDateTime(1782853200 + intDiv(number, 2) * 86400 + (number % 2) * (86399 + intDiv(number, 2) % 3)), 'a1', if(number % 4 < 2, 'person', 'business'), '', concat('w', toString(intDiv(number, 2))),
 if(number % 2 = 0, 'received', 'replied'), if(number % 2 = 0, 'written_appeal', ''), 'email', number % 3 = 1, 0, 0, 0, 0, 0, '', '', now(), 't' FROM numbers(30)`)
	w(`INSERT INTO registry_scenarios (load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id, participating_agency_ids, standard, status, approved_at, proactive_possible, api_possible, service_ids, source)
SELECT 'l', now(), concat('sc', toString(number)), 'ls', 'a1', [], 'people', 'approved', toDateTime(1780000000), number % 2, 1, ['sv1'], 'f' FROM numbers(3)`)
	w(`INSERT INTO capability_declarations (load_id, loaded_at, agency_id, quarter, standard, indicator, flags, metric_names, metric_values, value, num, den, evidence, source)
SELECT 'l', now(), 'a1', '2026Q3', 'people', 'phone_availability', ['phone_working_hours'], [], [], '', 0, 0, '', 'f' FROM numbers(1)`)
	b, _ := metrics.DefaultBands(metrics.People)
	loc, _ := time.LoadLocation("Europe/Moscow")
	q, _ := quarter.Parse("2026Q3", loc)
	p := b.Parameters
	window := int64(p.RepeatWindowDays) * 24 * 3600
	vars := map[string]string{
		"QS": ts(q.Start()), "QE": ts(q.End()), "LOOKBACK": ts(q.Start().Add(-time.Duration(window) * time.Second)),
		"SETTLE": ts(q.End().Add(24 * time.Hour)), "WINDOW": fmt.Sprint(window), "AGENCY": "AND agency_id = 'a1'", "DIGITAL": array(p.DigitalChannels),
		"SOCIAL": array(p.SocialChannels), "EXCLUDED": array(nil), "AUTOMATED": "automated = 0", "QUARTER": "'2026Q3'", "OWNER": "AND owner_agency_id = 'a1'",
		"QS_S": fmt.Sprint(q.Start().Unix()), "QS_V": fmt.Sprint(uint64(q.Start().Unix()) << 32), "QE_V": fmt.Sprint(uint64(q.End().Unix()) << 32),
		"LOOKBACK_V":     fmt.Sprint(uint64(q.Start().Add(-time.Duration(window)*time.Second).Unix()) << 32),
		"LOOKBACK_MONTH": month(q.Start().Add(-time.Duration(window) * time.Second)), "QE_MONTH": month(q.End().Add(-time.Second)),
		"ACK_S": "86400", "ACK_END": ts(q.End().Add(24 * time.Hour)), "REG_FILTER": "loaded_at <= now()",
	}
	for _, s := range []string{ratingsSQL, servicesSQL, appealsSQL, registrySQL, declarationsSQL, deadlinesSQL, coverageSQL} {
		w(render(s, vars))
	}
	w("SELECT * FROM indicator_values_by_service")
	w("SELECT count() FROM assessments_latest")
}
