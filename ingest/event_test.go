package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var testNow = time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)

func testValidator() *Validator { return NewValidator(WithClock(func() time.Time { return testNow })) }

const (
	goodService = `{"schema":"service_event.v1","event_id":"e-1","occurred_at":"2026-07-01T00:30:00+03:00","agency_id":"mo-kazan.social","client_type":"person","client_id":"9f86d081884c7d65","request_id":"r-1","service_id":"s-1","status":"completed","channel":"mfc","life_situation_id":"ls-birth","scenario_id":"sc-1","proactive":true,"extra":{"ignored":[1,2]}}`
	goodRating  = `{"schema":"rating.v1","event_id":"e-2","occurred_at":"2026-07-01T10:00:00Z","agency_id":"fns","client_type":"business","client_id":"c-77","question":"nps","score":0,"service_id":"s-1","channel":"portal"}`
	goodAppeal  = `{"schema":"appeal.v1","event_id":"e-3","occurred_at":"2026-07-01T10:00:00.123+05:00","agency_id":"fns","client_type":"person","appeal_id":"a-1","step":"received","message_type":"mention","channel":"social_network"}`
)

// with returns the JSON object s with field set to the raw JSON value v (or removed when v is "").
func with(t testing.TB, s, field, v string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	if v == "" {
		delete(m, field)
	} else {
		m[field] = json.RawMessage(v)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeGood(t *testing.T) {
	v := testValidator()
	var ev Event
	if err := v.Decode([]byte(goodService), &ev); err != nil {
		t.Fatal(err)
	}
	// 2026-07-01T00:30:00+03:00 is 2026-06-30T21:30:00Z: stored in UTC.
	want := Event{Kind: KindService, EventID: "e-1", OccurredAt: time.Date(2026, 6, 30, 21, 30, 0, 0, time.UTC),
		AgencyID: "mo-kazan.social", ClientType: "person", ClientID: "9f86d081884c7d65", RequestID: "r-1", ServiceID: "s-1",
		ServiceKind: "service", Status: "completed", Channel: "mfc", LifeSituationID: "ls-birth", ScenarioID: "sc-1", Proactive: true}
	if ev != want {
		t.Errorf("service event:\n got %+v\nwant %+v", ev, want)
	}
	if err := v.Decode([]byte(goodRating), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != KindRating || ev.Question != "nps" || ev.Score != 0 || ev.ClientType != "business" || ev.Channel != "portal" || ev.ServiceID != "s-1" {
		t.Errorf("rating: %+v", ev)
	}
	if err := v.Decode([]byte(goodAppeal), &ev); err != nil {
		t.Fatal(err)
	}
	// .123 seconds are truncated (DateTime has second precision); 10:00+05:00 = 05:00Z.
	if ev.Kind != KindAppeal || ev.ClientID != "" || ev.MessageType != "mention" || !ev.OccurredAt.Equal(time.Date(2026, 7, 1, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("appeal: %+v", ev)
	}
}

func TestDecodeRejects(t *testing.T) {
	long := `"` + strings.Repeat("x", 129) + `"`
	cases := []struct {
		name, in, code, field string
	}{
		{"not json", `nope`, CodeInvalidJSON, ""},
		{"array", `[1]`, CodeInvalidJSON, ""},
		{"truncated", goodRating[:40], CodeInvalidJSON, ""},
		{"no schema", with(t, goodRating, "schema", ""), CodeMissingField, "schema"},
		{"unknown schema", with(t, goodRating, "schema", `"rating.v2"`), CodeUnknownSchema, "schema"},
		{"no event_id", with(t, goodRating, "event_id", ""), CodeMissingField, "event_id"},
		{"event_id 129 chars", with(t, goodRating, "event_id", long), CodeBadID, "event_id"},
		{"event_id 128 chars ok, then bad score", with(t, with(t, goodRating, "event_id", `"`+strings.Repeat("x", 128)+`"`), "score", "11"), CodeOutOfRange, "score"},
		{"event_id control char", with(t, goodRating, "event_id", `"a\u0001b"`), CodeBadID, "event_id"},
		{"event_id number", with(t, goodRating, "event_id", `17`), CodeBadType, "event_id"},
		{"no timestamp", with(t, goodRating, "occurred_at", ""), CodeMissingField, "occurred_at"},
		{"timestamp without offset", with(t, goodRating, "occurred_at", `"2026-07-01T10:00:00"`), CodeBadTimestamp, "occurred_at"},
		{"timestamp date only", with(t, goodRating, "occurred_at", `"2026-07-01"`), CodeBadTimestamp, "occurred_at"},
		{"timestamp 1970", with(t, goodRating, "occurred_at", `"1970-01-01T00:00:00Z"`), CodeBadTimestamp, "occurred_at"},
		// testNow is 12:00:00Z; the limit is 12:05:00Z.
		{"6 minutes ahead", with(t, goodRating, "occurred_at", `"2026-10-15T12:06:00Z"`), CodeFutureTimestamp, "occurred_at"},
		{"5m01s ahead", with(t, goodRating, "occurred_at", `"2026-10-15T15:05:01+03:00"`), CodeFutureTimestamp, "occurred_at"},
		{"agency upper case", with(t, goodRating, "agency_id", `"FNS"`), CodeBadID, "agency_id"},
		{"agency starts with dash", with(t, goodRating, "agency_id", `"-fns"`), CodeBadID, "agency_id"},
		{"agency 65 chars", with(t, goodRating, "agency_id", `"`+strings.Repeat("a", 65)+`"`), CodeBadID, "agency_id"},
		{"no agency", with(t, goodRating, "agency_id", ""), CodeMissingField, "agency_id"},
		{"client_type", with(t, goodRating, "client_type", `"citizen"`), CodeBadEnum, "client_type"},
		{"no client_id on rating", with(t, goodRating, "client_id", ""), CodeMissingField, "client_id"},
		{"email", with(t, goodRating, "client_id", `"ivan.petrov@mail.ru"`), CodePersonalData, "client_id"},
		{"phone", with(t, goodRating, "client_id", `"+7 (916) 123-45-67"`), CodePersonalData, "client_id"},
		{"phone plain", with(t, goodRating, "client_id", `"89161234567"`), CodePersonalData, "client_id"},
		{"snils", with(t, goodRating, "client_id", `"112-233-445 95"`), CodePersonalData, "client_id"},
		{"inn 10", with(t, goodRating, "client_id", `"7707083893"`), CodePersonalData, "client_id"},
		{"inn 12", with(t, goodRating, "client_id", `"500100732259"`), CodePersonalData, "client_id"},
		{"passport", with(t, goodRating, "client_id", `"4510 123456"`), CodePersonalData, "client_id"},
		{"cyrillic name", with(t, goodRating, "client_id", `"ИвановИИ"`), CodePersonalData, "client_id"},
		{"latin name", with(t, goodRating, "client_id", `"Ivan Petrov"`), CodePersonalData, "client_id"},
		{"question", with(t, goodRating, "question", `"csat"`), CodeBadEnum, "question"},
		{"no score", with(t, goodRating, "score", ""), CodeMissingField, "score"},
		{"score string", with(t, goodRating, "score", `"9"`), CodeBadType, "score"},
		{"score fraction", with(t, goodRating, "score", `9.5`), CodeBadType, "score"},
		{"nps 11", with(t, goodRating, "score", `11`), CodeOutOfRange, "score"},
		{"nps -1", with(t, goodRating, "score", `-1`), CodeOutOfRange, "score"},
		{"ease 0", with(t, with(t, goodRating, "question", `"ease"`), "score", `0`), CodeOutOfRange, "score"},
		{"sat 5", with(t, with(t, goodRating, "question", `"sat_phone"`), "score", `5`), CodeOutOfRange, "score"},
		{"rating channel", with(t, goodRating, "channel", `"fax"`), CodeBadEnum, "channel"},
		{"status", with(t, goodService, "status", `"done"`), CodeBadEnum, "status"},
		{"no status", with(t, goodService, "status", ""), CodeMissingField, "status"},
		{"service_kind", with(t, goodService, "service_kind", `"measure"`), CodeBadEnum, "service_kind"},
		{"service channel", with(t, goodService, "channel", `"social_network"`), CodeBadEnum, "channel"},
		{"no request", with(t, goodService, "request_id", ""), CodeMissingField, "request_id"},
		{"no service", with(t, goodService, "service_id", ""), CodeMissingField, "service_id"},
		{"proactive string", with(t, goodService, "proactive", `"yes"`), CodeBadType, "proactive"},
		{"scenario too long", with(t, goodService, "scenario_id", long), CodeBadID, "scenario_id"},
		{"received without type", with(t, goodAppeal, "message_type", ""), CodeMissingField, "message_type"},
		{"message type", with(t, goodAppeal, "message_type", `"tweet"`), CodeBadEnum, "message_type"},
		{"step", with(t, goodAppeal, "step", `"closed"`), CodeBadEnum, "step"},
		{"appeal channel", with(t, goodAppeal, "channel", `"mfc"`), CodeBadEnum, "channel"},
		{"no appeal id", with(t, goodAppeal, "appeal_id", ""), CodeMissingField, "appeal_id"},
		{"reply too long", with(t, goodAppeal, "reply_text", `"`+strings.Repeat("a", MaxReplyBytes+1)+`"`), CodeTooLarge, "reply_text"},
	}
	v := testValidator()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ev Event
			err := v.Decode([]byte(c.in), &ev)
			r, ok := err.(*Rejection)
			if !ok {
				t.Fatalf("want a *Rejection %s, got %v", c.code, err)
			}
			if r.Code != c.code || r.Field != c.field {
				t.Errorf("got %s/%s (%s), want %s/%s", r.Code, r.Field, r.Reason, c.code, c.field)
			}
			if r.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	cases := []struct{ name, in string }{
		{"5 minutes ahead exactly", with(t, goodRating, "occurred_at", `"2026-10-15T12:05:00Z"`)},
		{"128-char id", with(t, goodRating, "event_id", `"`+strings.Repeat("я", 128)+`"`)},
		{"hmac pseudonym", with(t, goodRating, "client_id", `"`+strings.Repeat("0123456789abcdef", 4)+`"`)},
		{"9 digits is not a document", with(t, goodRating, "client_id", `"123456789"`)},
		{"13 digits is not a document", with(t, goodRating, "client_id", `"1234567890123"`)},
		{"appeal without client", goodAppeal},
		{"replied without message type", with(t, with(t, goodAppeal, "step", `"replied"`), "message_type", "")},
		{"reply at the limit", with(t, goodAppeal, "reply_text", `"`+strings.Repeat("a", MaxReplyBytes)+`"`)},
		{"null optional", with(t, goodRating, "channel", `null`)},
		{"nps 10", with(t, goodRating, "score", `10`)},
		{"ease 4", with(t, with(t, goodRating, "question", `"ease"`), "score", `4`)},
		{"score 4.0 is not integer? json number 4 only", with(t, goodRating, "score", `4`)},
	}
	v := testValidator()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ev Event
			if err := v.Decode([]byte(c.in), &ev); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSchemasAgree checks the JSON Schema files (the published contract) against the Go
// validator on every accept/reject case whose rule a schema can express.
func TestSchemasAgree(t *testing.T) {
	c := jsonschema.NewCompiler()
	schemas := map[string]*jsonschema.Schema{}
	for _, name := range []string{"service_event.v1", "rating.v1", "appeal.v1"} {
		f, err := os.Open(filepath.Join("..", "schemas", "json", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(name+".json", doc); err != nil {
			t.Fatal(err)
		}
		if schemas[name], err = c.Compile(name + ".json"); err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
	}
	cases := []struct {
		in    string
		valid bool
	}{
		{goodService, true}, {goodRating, true}, {goodAppeal, true},
		{with(t, goodRating, "score", `11`), false},
		{with(t, with(t, goodRating, "question", `"ease"`), "score", `0`), false},
		{with(t, with(t, goodRating, "question", `"ease"`), "score", `4`), true},
		{with(t, goodRating, "score", `"9"`), false},
		{with(t, goodService, "status", `"done"`), false},
		{with(t, goodService, "request_id", ""), false},
		{with(t, goodAppeal, "message_type", ""), false},
		{with(t, with(t, goodAppeal, "step", `"replied"`), "message_type", ""), true},
		{with(t, goodRating, "agency_id", `"FNS"`), false},
		{with(t, goodRating, "occurred_at", `"2026-07-01T10:00:00"`), false},
		{with(t, goodRating, "event_id", `"`+strings.Repeat("x", 129)+`"`), false},
	}
	v := testValidator()
	for i, tc := range cases {
		var m map[string]any
		if err := json.Unmarshal([]byte(tc.in), &m); err != nil {
			t.Fatal(err)
		}
		schemaErr := schemas[m["schema"].(string)].Validate(m)
		var ev Event
		goErr := v.Decode([]byte(tc.in), &ev)
		if (schemaErr == nil) != tc.valid || (goErr == nil) != tc.valid {
			t.Errorf("case %d: want valid=%v; JSON Schema says %v, Go validator says %v\n%s", i, tc.valid, schemaErr, goErr, tc.in)
		}
	}
}

func TestReadability(t *testing.T) {
	cases := []struct {
		in   string
		want Readability
	}{
		{"", Readability{}},
		// 7+9 letters = 16 chars? Здравствуйте = 12 letters, Иван = 4; 2 words; 1 sentence (the "!");
		// vowels: з-д-р-А-в-с-т-в-У-й-т-Е (3) + И-в-А-н (2) = 5.
		{"Здравствуйте, Иван!", Readability{Chars: 16, Words: 2, Sentences: 1, Syllables: 5}},
		// Two sentences, the second without a final stop; "..." counts once.
		{"Да... Ok", Readability{Chars: 4, Words: 2, Sentences: 2, Syllables: 2}},
		{"No 42?!", Readability{Chars: 4, Words: 2, Sentences: 1, Syllables: 1}},
	}
	for _, c := range cases {
		if got := MeasureReadability(c.in); got != c.want {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestSeen(t *testing.T) {
	s := NewSeen(0)
	if s.Add("a") || s.Add("b") || !s.Add("a") || !s.Add("b") || s.Add("c") {
		t.Fatal("unbounded Seen: wrong answers")
	}
	// limit 4: generations of 2; after a, b fill cur and c starts a new one, a is in old;
	// after d (cur: c, d) e rotates again and a is forgotten.
	s = NewSeen(4)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if s.Add(id) {
			t.Fatalf("%s: first sight reported as duplicate", id)
		}
	}
	if s.Add("a") {
		t.Error("a should have been forgotten")
	}
	if !s.Add("d") || !s.Add("e") {
		t.Error("d and e should be remembered")
	}
}

func TestIsSpaceMatchesUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isSpace(r) != unicode.IsSpace(r) {
			t.Fatalf("isSpace(%U) = %v", r, isSpace(r))
		}
	}
}

// TestCheckID: the identifier rules byte by byte, including the UTF-8 check that only strings
// with a non-ASCII byte go through.
func TestCheckID(t *testing.T) {
	for _, tc := range []struct {
		val      string
		optional bool
		code     string // "" when accepted
	}{
		{"se-1", false, ""},
		{"", false, CodeMissingField},
		{"", true, ""},
		{"a\x01b", false, CodeBadID},
		{"a\x7f", false, CodeBadID},
		{"заявка-1", false, ""},
		{strings.Repeat("я", 128), false, ""}, // 256 bytes, 128 characters
		{strings.Repeat("x", 129), false, CodeBadID},
		{"\xff", false, CodeBadID},
		{"ab\xe2\x80", false, CodeBadID}, // a cut three-byte character
		{"ab\xe2\x80\x94", false, ""},    // the whole of it (an em dash)
	} {
		r := checkID("event_id", tc.val, tc.optional)
		switch {
		case tc.code == "" && r != nil:
			t.Errorf("checkID(%q): rejected %v", tc.val, r)
		case tc.code != "" && (r == nil || r.Code != tc.code):
			t.Errorf("checkID(%q) = %v, want code %s", tc.val, r, tc.code)
		}
	}
}
