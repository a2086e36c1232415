package readability

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// secret is a marker that must never appear in a log line or an answer.
const secret = "Секретныйтекстзаявителя"

// TestHTTPCheck sends the HTTP check good and bad requests and compares status, body and logs
// (which never hold the text).
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestHTTPCheck(t *testing.T) {
	var logs bytes.Buffer
	h := NewHandler(WithMaxBodyBytes(1024), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	srv := httptest.NewServer(h)
	defer srv.Close()

	jsonText := func(text string) string {
		b, _ := json.Marshal(map[string]string{"text": text})
		return string(b)
	}
	cases := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"ok", "POST", "application/json", []byte(jsonText(simple)), 200, ""},
		{"ok, charset and segment", "POST", "application/json; charset=utf-8", []byte(`{"text": "Здравствуйте", "segment": "plain"}`), 200, ""},
		{"oversized body", "POST", "application/json", []byte(jsonText(strings.Repeat(secret+" ", 60))), 413, "too_large"},
		{"non-UTF-8 body", "POST", "application/json", []byte("{\"text\": \"" + secret + " \xff\xfe\"}"), 400, "invalid_utf8"},
		{"Windows-1251 body", "POST", "application/json", []byte{'{', '"', 't', 'e', 'x', 't', '"', ':', '"', 0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, '"', '}'}, 400, "invalid_utf8"},
		{"empty body", "POST", "application/json", nil, 400, "empty_body"},
		{"blank body", "POST", "", []byte(" \n"), 400, "empty_body"},
		{"not JSON", "POST", "", []byte(secret), 400, "invalid_json"},
		{"two objects", "POST", "", []byte(`{"text":"а"} {"text":"б"}`), 400, "invalid_json"},
		{"a stray brace after the object", "POST", "", []byte(`{"text":"а"}}`), 400, "invalid_json"},
		{"text not a string", "POST", "", []byte(`{"text": 42}`), 400, "invalid_json"},
		{"no text field", "POST", "", []byte(`{"segment": "general"}`), 400, "missing_text"},
		{"empty text", "POST", "", []byte(`{"text": ""}`), 422, "no_words"},
		{"punctuation only", "POST", "", []byte(`{"text": "…!?"}`), 422, "no_words"},
		{"unknown segment", "POST", "", []byte(`{"text": "` + secret + `", "segment": "martians"}`), 422, "unknown_segment"},
		{"wrong media type", "POST", "text/plain", []byte(secret), 415, "unsupported_media_type"},
		{"GET", "GET", "", nil, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+Path, bytes.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("headers %v", resp.Header)
			}
			if strings.Contains(string(body), secret) {
				t.Errorf("the answer echoes the text: %s", body)
			}
			if c.status != 200 {
				var e ErrorBody
				if err := json.Unmarshal(body, &e); err != nil || e.Error != c.code || e.Message == "" {
					t.Errorf("error body %s, want code %s and a message", body, c.code)
				}
				return
			}
			var r Result
			if err := json.Unmarshal(body, &r); err != nil || !r.Scored || r.Indices == nil || len(r.Checks) != 4 {
				t.Fatalf("result %s (%v)", body, err)
			}
		})
	}
	// The short text's answer carries the hand-worked values (TestHandScored).
	resp, err := http.Post(srv.URL+Path, "application/json", strings.NewReader(jsonText(simple)))
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if r.Counts != (Counts{Chars: 50, Words: 11, Sentences: 3, Syllables: 21}) || *r.Indices != (Indices{87.33, 2.28, -4.88, -1.56}) ||
		!r.Pass || r.Segment != "general" || r.LimitsVersion != DefaultLimits().Version {
		t.Errorf("result %+v %+v", r, r.Indices)
	}
	// Nothing kept: the log has a line per request and none holds the text.
	if n := strings.Count(logs.String(), "readability check"); n != len(cases)+1 {
		t.Errorf("%d log lines for %d requests:\n%s", n, len(cases)+1, logs.String())
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "Здравствуйте") {
		t.Errorf("the log holds request text:\n%s", logs.String())
	}
}

// TestTextLimit: a text over 64 KiB inside a body the server accepts is refused with 413.
func TestTextLimit(t *testing.T) {
	h := NewHandler()
	body, _ := json.Marshal(map[string]string{"text": strings.Repeat("а", MaxTextBytes/2+1)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", Path, bytes.NewReader(body)))
	if rec.Code != 413 || !strings.Contains(rec.Body.String(), "65538 bytes") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	body, _ = json.Marshal(map[string]string{"text": strings.Repeat("а", MaxTextBytes/2)})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", Path, bytes.NewReader(body)))
	if rec.Code != 200 {
		t.Errorf("a text of exactly 64 KiB: %d %s", rec.Code, rec.Body)
	}
}
