package replies_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/readability"
	"github.com/cxstar/cxstar/readability/replies"
)

// Counts of texts scored by hand in readability's tests: simple passes the general limits,
// bureaucratic and oneWord fail them (FRE −37.97 and 25.24 < 40).
var (
	simple       = readability.Counts{Chars: 50, Words: 11, Sentences: 3, Syllables: 21}
	bureaucratic = readability.Counts{Chars: 182, Words: 21, Sentences: 1, Syllables: 76}
	oneWord      = readability.Counts{Chars: 12, Words: 1, Sentences: 1, Syllables: 3}
	noText       = readability.Counts{}
)

// TestCheck runs on the 18.16 server and on current ClickHouse (chDB): the same hand-computed
// result on both, and the same rows from every query.
func TestCheck(t *testing.T) {
	chdbtest.OnBoth(t, "", func(t *testing.T, conn driver.Conn) any { check(t, conn); return nil })
}

// check stores replies of hand-made appeals on conn and checks the readability coverage computed
// from them, per agency and life situation.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func check(t *testing.T, conn driver.Conn) {
	moscow, _ := time.LoadLocation("Europe/Moscow")
	q, _ := quarter.Parse("2026Q3", moscow) // 2026-06-30 21:00 UTC … 2026-09-30 21:00 UTC
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v.UTC() }
	ingested := at("2026-11-01T00:00:00Z")

	type step struct {
		event, appeal, step, clientType, channel string
		when                                     string
		excluded                                 uint8
		c                                        readability.Counts
		ls                                       string
	}
	steps := []step{
		// fns, ls-birth: the life situation is on the received step only.
		{"e1", "a1", "received", "person", "email", "2026-07-01T09:00:00Z", 0, noText, "ls-birth"},
		{"e2", "a1", "replied", "person", "email", "2026-07-02T09:00:00Z", 0, simple, ""},                   // checked, within
		{"e3", "a2", "replied", "person", "portal", "2026-08-02T09:00:00Z", 0, bureaucratic, "ls-birth"},    // checked, fails
		{"e4", "a8", "replied", "person", "letter", "2026-06-30T21:30:00Z", 0, simple, "ls-birth"},          // 00:30 Moscow on 1 July: in
		{"e5", "a9", "replied", "person", "email", "2026-09-02T09:00:00Z", 0, oneWord, "ls-birth"},          // fails; delivered twice
		{"e5", "a9", "replied", "person", "email", "2026-09-02T09:00:00Z", 0, oneWord, "ls-birth"},          // the copy
		{"e6", "a5", "received", "person", "social_network", "2026-07-03T09:00:00Z", 1, noText, "ls-birth"}, // moderated appeal
		{"e7", "a5", "replied", "person", "social_network", "2026-07-03T10:00:00Z", 0, simple, ""},          // left out with it
		{"e8", "a6", "replied", "person", "phone", "2026-07-04T10:00:00Z", 0, noText, "ls-birth"},           // phone: not written
		{"e9", "a7", "replied", "business", "email", "2026-07-04T10:00:00Z", 0, simple, "ls-birth"},         // business client
		{"e10", "a10", "replied", "person", "email", "2026-06-30T20:59:59Z", 0, simple, "ls-birth"},         // the quarter before
		{"e11", "a11", "replied", "person", "email", "2026-09-30T21:00:00Z", 0, simple, "ls-birth"},         // the quarter after
		// fns, ls-move: one reply without its text, one checked.
		{"e12", "a3", "replied", "person", "email", "2026-07-05T10:00:00Z", 0, noText, "ls-move"},
		{"e13", "a4", "replied", "person", "email", "2026-07-05T11:00:00Z", 0, simple, "ls-move"},
		// fns, a reply tied to no life situation.
		{"e14", "a12", "replied", "person", "email", "2026-07-06T11:00:00Z", 0, simple, ""},
	}
	var rows [][]any
	for _, s := range steps {
		mt := ""
		if s.step == "received" {
			mt = "written_appeal"
		}
		rows = append(rows, []any{s.event, at(s.when), "fns", s.clientType, "c-" + s.appeal, s.appeal, s.step, mt, s.channel,
			uint8(0), s.excluded, s.c.Chars, s.c.Words, s.c.Sentences, s.c.Syllables, "", s.ls, ingested, "test"})
	}
	insertAppeals := `INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type, channel,
		automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, service_id, life_situation_id, ingested_at, source)`
	chtest.Insert(t, conn, insertAppeals, rows[:5])
	chtest.Insert(t, conn, insertAppeals, rows[5:]) // the redelivered copy of e5 lands in another part

	approved := at("2026-01-15T00:00:00Z")
	reg := func(id, ls, owner string, part []string, std, status string, appr time.Time) []any {
		return []any{"load-1", ingested, id, ls, owner, part, std, status, appr, uint8(0), uint8(0), []string{}, "test"}
	}
	chtest.Insert(t, conn, `INSERT INTO registry_scenarios (load_id, loaded_at, scenario_id, life_situation_id, owner_agency_id,
		participating_agency_ids, standard, status, approved_at, proactive_possible, api_possible, service_ids, source)`, [][]any{
		reg("s1", "ls-birth", "fns", []string{}, "people", "approved", approved),
		reg("s2", "ls-move", "mvd", []string{"fns"}, "people", "approved", approved),              // fns takes part
		reg("s3", "ls-pension", "fns", []string{}, "people", "draft", approved),                   // not approved
		reg("s4", "ls-tax", "fns", []string{}, "business", "approved", approved),                  // business standard
		reg("s5", "ls-late", "fns", []string{}, "people", "approved", at("2026-10-15T00:00:00Z")), // after quarter end
	})
	decl := func(loaded time.Time, rc string) []any {
		return []any{"load-d", loaded, "fns", "2026Q3", "people", "written_text_accessibility", []string{},
			[]string{"knowledge_base_coverage", "readability_coverage"}, []string{"100", rc}, "", int64(0), int64(0), "", "test"}
	}
	chtest.Insert(t, conn, `INSERT INTO capability_declarations (load_id, loaded_at, agency_id, quarter, standard, indicator, flags,
		metric_names, metric_values, value, num, den, evidence, source)`, [][]any{
		decl(at("2026-10-01T00:00:00Z"), "10"),
		decl(at("2026-10-05T00:00:00Z"), "30"), // the newest declaration wins
	})

	rep, err := replies.Check(context.Background(), conn, q)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(rep)
	// fns: ls-birth has 4 replies in the quarter (e2, e3, e4, e5 once), all checked; e2 and e4
	// (simple) are within the limits, e3 and e5 are not: checked 100.0 %, within 50.0 %; it is in the
	// registry and fully checked, so it counts. ls-move: 2 replies, 1 checked (50.0 % < 100): does
	// not count. "" (no life situation): 1 checked reply, not in the registry. Registry life
	// situations of fns: ls-birth (owner) and ls-move (participant) — 2; counted 1: 50.0 %. Declared:
	// the newest declaration, 30. mvd: ls-move in its registry, no replies: 0.0 %, nothing declared.
	want := `{"quarter":"2026Q3","segment":"general","limits_version":"` + readability.DefaultLimits().Version + `","coverage_checked_share":100,"agencies":[` +
		`{"agency_id":"fns","life_situations":[` +
		`{"life_situation_id":"","in_registry":false,"replies":1,"checked":1,"within_limits":1,"checked_share":100.0,"within_share":100.0,"counts":false},` +
		`{"life_situation_id":"ls-birth","in_registry":true,"replies":4,"checked":4,"within_limits":2,"checked_share":100.0,"within_share":50.0,"counts":true},` +
		`{"life_situation_id":"ls-move","in_registry":true,"replies":2,"checked":1,"within_limits":1,"checked_share":50.0,"within_share":100.0,"counts":false}],` +
		`"registry_life_situations":2,"counted":1,"readability_coverage":50.0,"declared_readability_coverage":30},` +
		`{"agency_id":"mvd","life_situations":[` +
		`{"life_situation_id":"ls-move","in_registry":true,"replies":0,"checked":0,"within_limits":0,"checked_share":null,"within_share":null,"counts":false}],` +
		`"registry_life_situations":1,"counted":0,"readability_coverage":0.0,"declared_readability_coverage":null}]}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// One agency only.
	rep, err = replies.Check(context.Background(), conn, q, replies.WithAgency("mvd"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Agencies) != 1 || rep.Agencies[0].AgencyID != "mvd" {
		t.Errorf("--agency mvd: %+v", rep.Agencies)
	}
}
