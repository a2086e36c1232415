package ingest

import (
	"bytes"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// refDecode is the reference for decodeWire: the same rules, built on encoding/json (a map keeps
// the last of repeated keys; UseNumber keeps the score's text).
func refDecode(data []byte, w *wire) *Rejection {
	if !json.Valid(data) {
		return reject(CodeInvalidJSON, "", "reference: not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return reject(CodeInvalidJSON, "", "reference: %v", err)
	}
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return reject(CodeInvalidJSON, "", "reference: not an object")
	}
	for f, name := range fieldNames { // the decoder reports the first bad field in this order
		val, ok := m[name]
		if !ok || val == nil {
			continue
		}
		switch fieldTypes[f] {
		case jsonString:
			s, ok := val.(string)
			if !ok {
				return reject(CodeBadType, name, "reference")
			}
			w.str[f] = s
		case jsonBool:
			b, ok := val.(bool)
			if !ok {
				return reject(CodeBadType, name, "reference")
			}
			w.flag[f] = b
		case jsonInt:
			num, ok := val.(json.Number)
			if !ok {
				return reject(CodeBadType, name, "reference")
			}
			n, err := strconv.ParseInt(string(num), 10, 64)
			if err != nil {
				return reject(CodeBadType, name, "reference")
			}
			w.num[f] = int(n)
			w.nums |= 1 << f
		}
	}
	return nil
}

// checkAgainstReference decodes data with the Validator and with the reference and fails on
// any difference in the verdict (code and field) or in the decoded event.
func checkAgainstReference(t *testing.T, v *Validator, data []byte) {
	t.Helper()
	var got Event
	gotErr := v.Decode(data, &got)
	var w wire
	var want Event
	wantErr := error(nil)
	if r := refDecode(data, &w); r != nil {
		wantErr = r
	} else {
		wantErr = v.check(&w, &want)
	}
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("%q: decoder says %v, reference says %v", data, gotErr, wantErr)
	case gotErr != nil:
		g, r := gotErr.(*Rejection), wantErr.(*Rejection)
		if g.Code != r.Code || g.Field != r.Field {
			t.Fatalf("%q: decoder says %v, reference says %v", data, g, r)
		}
	case got != want:
		t.Fatalf("%q: decoded\n %+v\nreference\n %+v", data, got, want)
	}
	// The same verdict and event when the strings are views of the input.
	var shared Event
	sharedErr := v.decodeShared(data, &shared)
	switch {
	case (sharedErr == nil) != (gotErr == nil):
		t.Fatalf("%q: Decode says %v, decodeShared %v", data, gotErr, sharedErr)
	case sharedErr != nil:
		if g, s := gotErr.(*Rejection), sharedErr.(*Rejection); *g != *s {
			t.Fatalf("%q: Decode says %v, decodeShared %v", data, g, s)
		}
	case shared != got:
		t.Fatalf("%q: Decode\n %+v\ndecodeShared\n %+v", data, got, shared)
	}
}

func TestDecodeMatchesReference(t *testing.T) {
	v := testValidator()
	base := strings.TrimSuffix(goodRating, "}")
	for _, in := range []string{
		goodService, goodRating, goodAppeal, ``, ` `, `null`, ` null `, `nul`, `[]`, `"x"`, `12`, `true`, `{}`, `{} {}`, `{}x`,
		base + `,"score":3}`,                 // repeated: the last wins (score 3)
		base + `,"score":"3"}`,               // the last occurrence has the wrong type
		`{"score":"x","schema":"rating.v1"}`, // wrong type, then more fields
		base + `,"score":null}`,              // null = absent: score is required
		base + `,"score":1.0}`, base + `,"score":1e1}`, base + `,"score":-0}`, base + `,"score":99999999999999999999}`,
		base + `,"score":01}`, base + `,"score":-}`, base + `,"score":1.}`, base + `,"score":.5}`,
		base + `,"event_id":"\u0065-\u00e9"}`, base + `,"event_id":"\ud83d\ude00"}`, base + `,"event_id":"\ud83d"}`,
		base + `,"event_id":"a\nb"}`, base + "," + `"event_id":"` + "\xff\xfe" + `"}`, base + `,"event_id":"\x"}`,
		base + `,"event_id":"\u12"}`, base + `,"event_id":"` + "a\tb" + `"}`,
		base + `,"Schema":"appeal.v1"}`, // names are case-sensitive: an unknown field
		base + `,"extra":{"a":[1,{"b":null}],"c":"\""}}`, base + `,"extra":[1,2,]}`, base + `,"extra":{"a" 1}}`,
		base + `,"extra":tru}`, base + `,"proactive":1}`, base + `,"channel":false}`, base + `,"channel":null}`,
		base + `,"client_id":{"x":1}}`, base + `,"client_id":["x"]}`, `{"schema":"rating.v1",}`, `{,}`, `{"a":1 "b":2}`,
		" \t\r\n" + goodAppeal + "\n", `{"schema":"rating.v1"`, `{"schema`, strings.Repeat("[", 10002) + strings.Repeat("]", 10002),
	} {
		checkAgainstReference(t, v, []byte(in))
	}
}

// TestStops checks the word-at-a-time scan of strings against a byte-at-a-time reference: the
// lowest mark of stops is the first '"', '\\' or control byte, and there is no mark without one.
// The words: every byte value at every position over plain, non-ASCII and borrow-prone
// neighbours (0x00, 0x20, 0x21, 0x80), and a million random ones.
func TestStops(t *testing.T) {
	first := func(x uint64) int {
		for i := range 8 {
			if c := byte(x >> (8 * i)); c == '"' || c == '\\' || c < 0x20 {
				return i
			}
		}
		return 8
	}
	check := func(x uint64) {
		t.Helper()
		got := 8
		if m := stops(x); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if want := first(x); got != want {
			t.Fatalf("stops(%#016x): first stop at byte %d, want %d", x, got, want)
		}
	}
	for _, fill := range []byte{'a', 0xd0, 0x00, 0x1f, 0x20, 0x21, '"', '\\', 0x80, 0xff} {
		for pos := range 8 {
			for c := range 256 {
				x := ones * uint64(fill)
				x = x&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
				check(x)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		check(rng.Uint64())
	}
}

// TestDecodeStringOffsets puts each kind of special byte (the closing quote, an escape, a
// control character, non-ASCII and invalid UTF-8) after 0–23 plain bytes and before 0–9 more,
// so that it falls at each place of an eight-byte word, in the word of the closing quote and in
// the tail read byte by byte.
func TestDecodeStringOffsets(t *testing.T) {
	v := testValidator()
	base := strings.TrimSuffix(goodRating, "}")
	for _, special := range []string{``, `\"`, `\\`, `\u00e9`, `\n`, "\t", "\x01", "é", "Добрый", "\xff", "\xe2\x80"} {
		for n := range 24 { // plain bytes before the special one
			for m := range 10 { // and after it
				for _, tail := range []string{`"}`, `"`, ``} { // a whole event, a string cut after its quote, an unterminated one
					id := strings.Repeat("x", n) + special + strings.Repeat("y", m)
					checkAgainstReference(t, v, []byte(base+`,"event_id":"`+id+tail))
				}
			}
		}
	}
}
