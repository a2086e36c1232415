// Package ingest turns event bytes (Kafka messages, JSON Lines files) into validated rows and
// writes them to ClickHouse in batches. Both `cxstar backfill` and `cxstar ingest` use it, so an
// event is validated and stored the same way whichever way it came. The contract it enforces —
// fields, validation rules, rejection codes — is described in docs/events.md and written once in
// code in contract.go.
package ingest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cxstar/cxstar/ingest/agencyid"
)

// wire holds one input's fields by decoder field number (see contract.go); absent strings are
// "", absent flags false, and an integer field is present when its bit is set in nums.
type wire struct {
	str  [maxFields]string
	flag [maxFields]bool
	num  [maxFields]int
	nums uint32
}

// clear resets field f, as null or a value of the wrong type does.
func (w *wire) clear(f int) {
	w.str[f], w.flag[f] = "", false
	w.nums &^= 1 << f
}

// Rejection says why an event was refused: a machine code (stable, for dashboards and the
// dead-letter header cx-error), the field at fault, and a reason for humans.
type Rejection struct {
	Code   string
	Field  string
	Reason string
}

// Error implements error.
func (r *Rejection) Error() string {
	if r.Field != "" {
		return r.Code + ": " + r.Field + ": " + r.Reason
	}
	return r.Code + ": " + r.Reason
}

// Rejection codes. They are part of the public interface (dead-letter headers, rejects files).
const (
	CodeInvalidJSON     = "invalid_json"     // not a JSON object
	CodeUnknownSchema   = "unknown_schema"   // schema is not service_event.v1, rating.v1 or appeal.v1
	CodeMissingField    = "missing_field"    // a required field is absent or empty
	CodeBadType         = "bad_type"         // a field has the wrong JSON type
	CodeBadEnum         = "bad_enum"         // a value outside the field's list
	CodeBadID           = "bad_id"           // an id that is too long, malformed or has control characters
	CodeOutOfRange      = "out_of_range"     // a score outside its scale
	CodeBadTimestamp    = "bad_timestamp"    // not RFC 3339 with an offset, or implausibly old
	CodeFutureTimestamp = "future_timestamp" // more than the allowed skew in the future
	CodePersonalData    = "personal_data"    // client_id looks like raw personal data
	CodeTooLarge        = "too_large"        // reply_text over 64 KiB, or the message over the size limit
)

func reject(code, field, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// MaxFutureSkew is how far in the future occurred_at may be (docs/events.md: 5 minutes).
const MaxFutureSkew = 5 * time.Minute

// MaxReplyBytes is the largest reply_text accepted (docs/events.md: 64 KiB).
const MaxReplyBytes = 64 << 10

// minTime is the earliest occurred_at accepted: older stamps are almost always a zero or
// epoch default at the source, and would land in a partition nobody assesses.
var minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Validator decodes and checks events. The zero value is not usable; use NewValidator.
type Validator struct {
	now func() time.Time
	// lastNow caches the clock (Unix seconds): a cached time older than the real one only makes
	// the future check stricter, so the clock is read again only when an event fails against it.
	lastNow atomic.Int64
}

// ValidatorOption configures a Validator.
type ValidatorOption func(*Validator)

// WithClock sets the clock used for the "not in the future" rule. Default: time.Now.
func WithClock(now func() time.Time) ValidatorOption { return func(v *Validator) { v.now = now } }

// NewValidator returns a Validator with the given options.
func NewValidator(opts ...ValidatorOption) *Validator {
	v := &Validator{now: time.Now}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Decode parses one event and validates it against the contract. On failure the error is a
// *Rejection. The event is written into ev (reused by callers to avoid allocation).
func (v *Validator) Decode(data []byte, ev *Event) error {
	var w wire
	if r := decodeWire(data, &w, false); r != nil {
		return r
	}
	return v.check(&w, ev)
}

// decodeShared is Decode with ev's strings pointing into data instead of copied from it (one
// allocation less per field): data must stay unchanged for as long as ev's strings are used.
// The consumer and the loader use it: a Batch copies what it keeps, Seen keeps hashes, and
// Kafka messages are never written to.
func (v *Validator) decodeShared(data []byte, ev *Event) error {
	var w wire
	if r := decodeWire(data, &w, true); r != nil {
		return r
	}
	return v.check(&w, ev)
}

func oneOf(field, val string, allowed []string) *Rejection {
	for _, a := range allowed {
		if val == a {
			return nil
		}
	}
	if val == "" {
		return reject(CodeMissingField, field, "is required (one of %s)", strings.Join(allowed, ", "))
	}
	return reject(CodeBadEnum, field, "%q is not one of %s", clip(val), strings.Join(allowed, ", "))
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// id checks a required (or, with optional, an optional) identifier of 1–128 characters.
func checkID(field, val string, optional bool) *Rejection {
	if val == "" {
		if optional {
			return nil
		}
		return reject(CodeMissingField, field, "is required (1–128 characters)")
	}
	if len(val) > 128 && utf8.RuneCountInString(val) > 128 {
		return reject(CodeBadID, field, "is %d characters long; the limit is 128", utf8.RuneCountInString(val))
	}
	var high byte // the top bits of the bytes: 0 if all are ASCII, which needs no UTF-8 check
	for i := 0; i < len(val); i++ {
		c := val[i]
		if c < 0x20 || c == 0x7f {
			return reject(CodeBadID, field, "contains a control character at byte %d", i)
		}
		high |= c
	}
	if high >= 0x80 && !utf8.ValidString(val) {
		return reject(CodeBadID, field, "is not valid UTF-8")
	}
	return nil
}

func agencyID(val string) *Rejection {
	switch {
	case val == "":
		return reject(CodeMissingField, "agency_id", "is required, e.g. \"fns\" or \"mo-kazan.social\"")
	case agencyid.Valid(val):
		return nil
	case len(val) > agencyid.MaxLen:
		return reject(CodeBadID, "agency_id", "is %d characters long; the limit is %d", len(val), agencyid.MaxLen)
	}
	return reject(CodeBadID, "agency_id", "%q must match %s", clip(val), agencyid.Pattern)
}

func (v *Validator) timestamp(val string) (time.Time, *Rejection) {
	if val == "" {
		return time.Time{}, reject(CodeMissingField, "occurred_at", "is required (RFC 3339 with an offset, e.g. 2026-07-01T10:00:00+03:00)")
	}
	t, err := time.Parse(time.RFC3339Nano, val)
	if err != nil {
		return time.Time{}, reject(CodeBadTimestamp, "occurred_at", "%q is not RFC 3339 with an offset (e.g. 2026-07-01T10:00:00+03:00)", clip(val))
	}
	t = t.UTC().Truncate(time.Second)
	if t.Before(minTime) {
		return time.Time{}, reject(CodeBadTimestamp, "occurred_at", "%s is before 2000-01-01: a default value at the source?", val)
	}
	if t.Unix() <= v.lastNow.Load()+int64(MaxFutureSkew/time.Second) {
		return t, nil
	}
	now := v.now()
	v.lastNow.Store(now.Unix())
	if t.After(now.Add(MaxFutureSkew)) {
		return time.Time{}, reject(CodeFutureTimestamp, "occurred_at", "%s is %s in the future (allowed: %s); check the source's clock",
			val, t.Sub(now).Round(time.Second), MaxFutureSkew)
	}
	return t, nil
}

// check validates the decoded fields against the kind's table and stores them in ev.
func (v *Validator) check(w *wire, ev *Event) error {
	var spec *kindSpec
	for i := range kinds {
		if kinds[i].schema == w.str[fSchema] {
			spec = &kinds[i]
			break
		}
	}
	if spec == nil {
		if w.str[fSchema] == "" {
			return reject(CodeMissingField, "schema", "is required: %s", schemaList())
		}
		return reject(CodeUnknownSchema, "schema", "%q is not %s", clip(w.str[fSchema]), schemaList())
	}
	*ev = Event{Kind: spec.kind}
	for i := range spec.fields {
		if r := v.apply(&spec.fields[i], w, ev); r != nil {
			return r
		}
	}
	return nil
}

// apply checks one field by its rule and stores it.
func (v *Validator) apply(f *field, w *wire, ev *Event) *Rejection {
	s := w.str[f.no]
	switch f.rule {
	case ruleID, rulePseudonym:
		if r := checkID(f.name, s, f.optional); r != nil {
			return r
		}
		if f.rule == rulePseudonym {
			if r := checkPseudonym(s); r != nil {
				return r
			}
		}
		*f.strIn(ev) = s
	case ruleAgency:
		if r := agencyID(s); r != nil {
			return r
		}
		*f.strIn(ev) = s
	case ruleTime:
		t, r := v.timestamp(s)
		if r != nil {
			return r
		}
		*f.time(ev) = t
	case ruleEnum:
		if s == "" {
			s = f.absent
		}
		required := !f.optional || f.depNo >= 0 && w.str[f.depNo] == f.depValue
		if s != "" || required {
			if r := oneOf(f.name, s, f.values); r != nil {
				if s == "" && f.depNo >= 0 {
					r.Reason = "is required on the " + f.depValue + " " + f.dep + " (one of " + strings.Join(f.values, ", ") + ")"
				}
				return r
			}
		}
		*f.strIn(ev) = s
	case ruleFlag:
		*f.flag(ev) = w.flag[f.no]
	case ruleScore:
		if w.nums&(1<<f.no) == 0 {
			return reject(CodeMissingField, f.name, "is required (an integer)")
		}
		n := w.num[f.no]
		lo, hi := f.scale(w.str[f.depNo])
		if n < lo || n > hi {
			return reject(CodeOutOfRange, f.name, "%d is outside %d–%d for %s %s", n, lo, hi, f.dep, w.str[f.depNo])
		}
		*f.u8(ev) = uint8(n)
	case ruleReply:
		if len(s) > f.max {
			return reject(CodeTooLarge, f.name, "is %d bytes; the limit is %d (%d KiB)", len(s), f.max, f.max>>10)
		}
		if s != "" {
			*f.reply(ev) = MeasureReadability(s)
		}
	}
	return nil
}
