package ingest

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// This file is a single-pass decoder for the flat JSON objects of the event contract. It replaces
// encoding/json's reflection (which held validation to ~160k events/s per core) and keeps its
// meaning exactly where the contract is silent:
//   - the whole input must be one valid JSON value (RFC 8259), else invalid_json;
//   - field names match exactly (case-sensitive, as the contract spells them);
//   - a repeated field: the last occurrence wins, and only it is type-checked;
//   - null is the same as an absent field; unknown fields of any type are skipped;
//   - invalid UTF-8 in strings becomes U+FFFD, as encoding/json does;
//   - a top-level null is an empty object (so "schema is required"), any other non-object is invalid_json.
// TestDecodeMatchesReference and FuzzDecode check these rules against an encoding/json-based reference.

// maxDepth bounds the nesting of skipped values (encoding/json's limit).
const maxDepth = 10000

// field numbers of wire, used to track which field's type is wrong.
const (
	fSchema = iota
	fEventID
	fOccurredAt
	fAgencyID
	fClientType
	fClientID
	fRequestID
	fServiceID
	fServiceKind
	fStatus
	fChannel
	fLifeSituationID
	fScenarioID
	fSegmentID
	fProactive
	fQuestion
	fScore
	fAppealID
	fStep
	fMessageType
	fAutomated
	fExcluded
	fReplyText
	numFields
)

var fieldNames = [numFields]string{"schema", "event_id", "occurred_at", "agency_id", "client_type", "client_id",
	"request_id", "service_id", "service_kind", "status", "channel", "life_situation_id", "scenario_id", "segment_id",
	"proactive", "question", "score", "appeal_id", "step", "message_type", "automated", "excluded", "reply_text"}

// fieldIndex maps a key to its field number, or -1.
func fieldIndex(key []byte) int {
	switch string(key) { // no allocation: the compiler compares bytes in place
	case "schema":
		return fSchema
	case "event_id":
		return fEventID
	case "occurred_at":
		return fOccurredAt
	case "agency_id":
		return fAgencyID
	case "client_type":
		return fClientType
	case "client_id":
		return fClientID
	case "request_id":
		return fRequestID
	case "service_id":
		return fServiceID
	case "service_kind":
		return fServiceKind
	case "status":
		return fStatus
	case "channel":
		return fChannel
	case "life_situation_id":
		return fLifeSituationID
	case "scenario_id":
		return fScenarioID
	case "segment_id":
		return fSegmentID
	case "proactive":
		return fProactive
	case "question":
		return fQuestion
	case "score":
		return fScore
	case "appeal_id":
		return fAppealID
	case "step":
		return fStep
	case "message_type":
		return fMessageType
	case "automated":
		return fAutomated
	case "excluded":
		return fExcluded
	case "reply_text":
		return fReplyText
	}
	return -1
}

// enumField reports whether field f holds one of the contract's enums.
func enumField(f int) bool {
	switch f {
	case fSchema, fClientType, fServiceKind, fStatus, fChannel, fQuestion, fStep, fMessageType:
		return true
	}
	return false
}

// canonical returns the constant for a known enum value, so that decoding it allocates nothing.
func canonical(b []byte) (string, bool) {
	for _, list := range enumLists {
		for _, s := range list {
			if string(b) == s {
				return s, true
			}
		}
	}
	return "", false
}

var enumLists = [][]string{{"service_event.v1", "rating.v1", "appeal.v1"}, clientTypes, serviceKinds, statuses,
	channels, questions, steps, messageTypes, appealChannels}

// decoder walks one input.
type decoder struct {
	data []byte
	i    int
	// badType is, per field, the first byte of its last occurrence when that had the wrong JSON
	// type ('0' for a number), or 0.
	badType  [numFields]byte
	scoreNum []byte // the raw number of "score", when it was a number
	hasScore bool
}

// decodeWire fills w from data, or returns the rejection. w must be zeroed by the caller.
func decodeWire(data []byte, w *wire) *Rejection {
	d := decoder{data: data}
	d.ws()
	if d.i >= len(d.data) {
		return reject(CodeInvalidJSON, "", "empty message: an event must be a JSON object")
	}
	switch c := d.data[d.i]; c {
	case '{':
		if r := d.object(w); r != nil {
			return r
		}
	case 'n':
		if !d.literal("null") {
			return d.syntax("invalid literal")
		}
	default:
		if err := d.skip(0); err != nil {
			return err
		}
		d.ws()
		if d.i != len(d.data) {
			return d.syntax("data after the top-level value")
		}
		return reject(CodeInvalidJSON, "", "an event must be a JSON object, got %s", jsonKind(c))
	}
	d.ws()
	if d.i != len(d.data) {
		return d.syntax("data after the top-level value")
	}
	for f, t := range d.badType {
		if t != 0 {
			return reject(CodeBadType, fieldNames[f], "must be %s, got %s", wantType(f), jsonKind(t))
		}
	}
	if d.hasScore {
		n, err := strconv.ParseInt(string(d.scoreNum), 10, 64)
		if err != nil || n != int64(int(n)) {
			return reject(CodeBadType, "score", "must be an integer, got number %s", clip(string(d.scoreNum)))
		}
		s := int(n)
		w.Score = &s
	}
	return nil
}

func wantType(f int) string {
	switch f {
	case fScore:
		return "an integer"
	case fProactive, fAutomated, fExcluded:
		return "true or false"
	}
	return "a string"
}

func jsonKind(c byte) string {
	switch c {
	case '"', 's':
		return "a string"
	case '{', 'o':
		return "an object"
	case '[', 'a':
		return "an array"
	case 't', 'f', 'b':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (d *decoder) syntax(what string) *Rejection {
	return reject(CodeInvalidJSON, "", "malformed JSON at byte %d: %s", d.i, what)
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.i >= len(lit) && string(d.data[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// object decodes the top-level object; d.data[d.i] is '{'.
func (d *decoder) object(w *wire) *Rejection {
	return d.members(func(key []byte) *Rejection { return d.value(fieldIndex(key), w) })
}

// members walks an object's members; d.data[d.i] is '{'. For each member it reads the key and the
// colon and calls member with d.i on the first byte of the value, which member must consume.
func (d *decoder) members(member func(key []byte) *Rejection) *Rejection {
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return d.syntax("expected a field name")
		}
		key, _, r := d.str()
		if r != nil {
			return r
		}
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return d.syntax("expected ':' after a field name")
		}
		d.i++
		d.ws()
		if d.i >= len(d.data) {
			return d.syntax("unexpected end of input")
		}
		if r := member(key); r != nil {
			return r
		}
		d.ws()
		if d.i >= len(d.data) {
			return d.syntax("unexpected end of input")
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.syntax("expected ',' or '}'")
		}
	}
}

// value decodes the value of field f (-1: unknown, skipped).
func (d *decoder) value(f int, w *wire) *Rejection {
	c := d.data[d.i]
	if f < 0 {
		return d.skip(1)
	}
	d.badType[f] = 0
	if f == fScore {
		d.hasScore, d.scoreNum, w.Score = false, nil, nil
	}
	switch {
	case c == 'n':
		if !d.literal("null") {
			return d.syntax("invalid literal")
		}
		d.set(f, w, "", false)
		return nil
	case c == '"' && f != fScore && f != fProactive && f != fAutomated && f != fExcluded:
		s, canon, r := d.str()
		if r != nil {
			return r
		}
		d.set(f, w, d.toString(f, s, canon), false)
		return nil
	case (c == 't' || c == 'f') && (f == fProactive || f == fAutomated || f == fExcluded):
		b := c == 't'
		if !(b && d.literal("true") || !b && d.literal("false")) {
			return d.syntax("invalid literal")
		}
		d.set(f, w, "", b)
		return nil
	case (c == '-' || (c >= '0' && c <= '9')) && f == fScore:
		start := d.i
		if r := d.number(); r != nil {
			return r
		}
		d.hasScore, d.scoreNum = true, d.data[start:d.i]
		return nil
	}
	// Wrong type: remember it (the last occurrence decides), check the syntax, go on.
	d.set(f, w, "", false)
	switch c {
	case '"', '{', '[', 't', 'f':
		d.badType[f] = c
	default:
		d.badType[f] = '0'
	}
	return d.skip(1)
}

// set stores a string or bool field; null and wrong types reset it.
func (d *decoder) set(f int, w *wire, s string, b bool) {
	switch f {
	case fSchema:
		w.Schema = s
	case fEventID:
		w.EventID = s
	case fOccurredAt:
		w.OccurredAt = s
	case fAgencyID:
		w.AgencyID = s
	case fClientType:
		w.ClientType = s
	case fClientID:
		w.ClientID = s
	case fRequestID:
		w.RequestID = s
	case fServiceID:
		w.ServiceID = s
	case fServiceKind:
		w.ServiceKind = s
	case fStatus:
		w.Status = s
	case fChannel:
		w.Channel = s
	case fLifeSituationID:
		w.LifeSituationID = s
	case fScenarioID:
		w.ScenarioID = s
	case fSegmentID:
		w.SegmentID = s
	case fProactive:
		w.Proactive = b
	case fQuestion:
		w.Question = s
	case fAppealID:
		w.AppealID = s
	case fStep:
		w.Step = s
	case fMessageType:
		w.MessageType = s
	case fAutomated:
		w.Automated = b
	case fExcluded:
		w.Excluded = b
	case fReplyText:
		w.ReplyText = s
	}
}

// toString converts a string's content; raw is true when it holds no escapes and is valid UTF-8.
func (d *decoder) toString(f int, s []byte, raw bool) string {
	if raw {
		if enumField(f) {
			if c, ok := canonical(s); ok {
				return c
			}
		}
		return string(s)
	}
	// Rare: escapes or invalid UTF-8. encoding/json has the exact rules (surrogates, U+FFFD).
	var out string
	quoted := make([]byte, 0, len(s)+2)
	quoted = append(append(append(quoted, '"'), s...), '"')
	if err := json.Unmarshal(quoted, &out); err != nil {
		return string(s) // unreachable: d.str checked the syntax
	}
	return out
}

// str reads a string token; d.data[d.i] is '"'. It returns the bytes between the quotes and
// whether they can be used as they are (no escapes, valid UTF-8).
func (d *decoder) str() ([]byte, bool, *Rejection) {
	d.i++
	start := d.i
	raw, ascii := true, true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			if raw && !ascii && !utf8.Valid(s) {
				raw = false
			}
			return s, raw, nil
		case c == '\\':
			raw = false
			d.i++
			if d.i >= len(d.data) {
				return nil, false, d.syntax("unterminated string")
			}
			switch d.data[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				if len(d.data)-d.i < 5 {
					return nil, false, d.syntax("short \\u escape")
				}
				for _, h := range d.data[d.i+1 : d.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, false, d.syntax("invalid \\u escape")
					}
				}
				d.i += 5
			default:
				return nil, false, d.syntax("invalid escape in string")
			}
		case c < 0x20:
			return nil, false, d.syntax("control character in string")
		case c >= 0x80:
			ascii = false
			d.i++
		default:
			d.i++
		}
	}
	return nil, false, d.syntax("unterminated string")
}

// number checks a number token's syntax.
func (d *decoder) number() *Rejection {
	if d.data[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return d.syntax("invalid number")
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	return nil
}

// skip checks and steps over any JSON value; depth is the number of containers around it.
func (d *decoder) skip(depth int) *Rejection {
	d.ws()
	if d.i >= len(d.data) {
		return d.syntax("unexpected end of input")
	}
	switch c := d.data[d.i]; {
	case c == '"':
		_, _, r := d.str()
		return r
	case c == 't':
		if !d.literal("true") {
			return d.syntax("invalid literal")
		}
	case c == 'f':
		if !d.literal("false") {
			return d.syntax("invalid literal")
		}
	case c == 'n':
		if !d.literal("null") {
			return d.syntax("invalid literal")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case (c == '[' || c == '{') && depth+1 > maxDepth:
		return d.syntax("nested too deep")
	case c == '[':
		d.i++
		d.ws()
		if d.i < len(d.data) && d.data[d.i] == ']' {
			d.i++
			return nil
		}
		for {
			if r := d.skip(depth + 1); r != nil {
				return r
			}
			d.ws()
			if d.i >= len(d.data) {
				return d.syntax("unexpected end of input")
			}
			if d.data[d.i] == ']' {
				d.i++
				return nil
			}
			if d.data[d.i] != ',' {
				return d.syntax("expected ',' or ']'")
			}
			d.i++
		}
	case c == '{':
		return d.members(func([]byte) *Rejection { return d.skip(depth + 1) })
	default:
		return d.syntax("invalid character")
	}
	return nil
}
