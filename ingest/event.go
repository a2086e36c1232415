// Package ingest turns event bytes (Kafka messages, JSON Lines files) into validated rows and
// writes them to ClickHouse in batches. Both `cxstar backfill` and `cxstar ingest` use it, so an
// event is validated and stored the same way whichever way it came. The contract it enforces —
// fields, validation rules, rejection codes — is described in docs/events.md.
package ingest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Kind is the contract an event follows (its `schema` field).
type Kind uint8

// The three event kinds of docs/events.md.
const (
	KindService Kind = iota + 1 // service_event.v1
	KindRating                  // rating.v1
	KindAppeal                  // appeal.v1
)

// String returns the schema name, e.g. "rating.v1".
func (k Kind) String() string {
	switch k {
	case KindService:
		return "service_event.v1"
	case KindRating:
		return "rating.v1"
	case KindAppeal:
		return "appeal.v1"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Table returns the ClickHouse table that holds events of this kind.
func (k Kind) Table() string {
	switch k {
	case KindService:
		return "service_events"
	case KindRating:
		return "ratings"
	case KindAppeal:
		return "appeals"
	}
	return ""
}

// Event is one validated event of any kind. Fields of the other kinds are empty.
type Event struct {
	Kind       Kind
	EventID    string
	OccurredAt time.Time // UTC
	AgencyID   string
	ClientType string // person | business
	ClientID   string // empty only on appeals

	// service_event.v1
	RequestID       string // also optional on ratings
	ServiceID       string // also optional on ratings and appeals
	ServiceKind     string
	Status          string
	Channel         string // also on ratings (optional) and appeals
	LifeSituationID string // also optional on ratings and appeals
	ScenarioID      string // also optional on ratings
	SegmentID       string
	Proactive       bool

	// rating.v1
	Question string
	Score    uint8

	// appeal.v1
	AppealID    string
	Step        string
	MessageType string
	Automated   bool
	Excluded    bool
	Reply       Readability // counts of reply_text; the text itself is never kept
}

// wire is the JSON form of all three kinds; missing strings decode as "".
type wire struct {
	Schema          string `json:"schema"`
	EventID         string `json:"event_id"`
	OccurredAt      string `json:"occurred_at"`
	AgencyID        string `json:"agency_id"`
	ClientType      string `json:"client_type"`
	ClientID        string `json:"client_id"`
	RequestID       string `json:"request_id"`
	ServiceID       string `json:"service_id"`
	ServiceKind     string `json:"service_kind"`
	Status          string `json:"status"`
	Channel         string `json:"channel"`
	LifeSituationID string `json:"life_situation_id"`
	ScenarioID      string `json:"scenario_id"`
	SegmentID       string `json:"segment_id"`
	Proactive       bool   `json:"proactive"`
	Question        string `json:"question"`
	Score           *int   `json:"score"`
	AppealID        string `json:"appeal_id"`
	Step            string `json:"step"`
	MessageType     string `json:"message_type"`
	Automated       bool   `json:"automated"`
	Excluded        bool   `json:"excluded"`
	ReplyText       string `json:"reply_text"`
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
	if r := decodeWire(data, &w); r != nil {
		return r
	}
	*ev = Event{}
	return v.check(&w, ev)
}

var (
	clientTypes  = []string{"person", "business"}
	serviceKinds = []string{"service", "support_measure", "digital_service"}
	statuses     = []string{"submitted", "in_progress", "completed", "refused", "withdrawn"}
	channels     = []string{"portal", "mobile_app", "mfc", "office", "phone", "chat_bot", "api", "post", "other"}
	questions    = []string{"nps", "nps_digital", "satisfaction", "ease", "sat_phone",
		"sat_compliance_costs", "sat_assessment_costs", "sat_requirements_evaluation", "sat_informing_training",
		"sat_feedback_channels", "sat_path_time", "sat_risk_profile", "sat_control_activities"}
	steps          = []string{"received", "replied", "resolved"}
	messageTypes   = []string{"mention", "official_appeal", "comment_on_official_post", "written_appeal"}
	appealChannels = []string{"social_network", "public_chat", "portal", "email", "letter", "phone", "chat_bot"}
)

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
func id(field, val string, optional bool) *Rejection {
	if val == "" {
		if optional {
			return nil
		}
		return reject(CodeMissingField, field, "is required (1–128 characters)")
	}
	if len(val) > 128 && utf8.RuneCountInString(val) > 128 {
		return reject(CodeBadID, field, "is %d characters long; the limit is 128", utf8.RuneCountInString(val))
	}
	for i := 0; i < len(val); i++ {
		if c := val[i]; c < 0x20 || c == 0x7f {
			return reject(CodeBadID, field, "contains a control character at byte %d", i)
		}
	}
	if !utf8.ValidString(val) {
		return reject(CodeBadID, field, "is not valid UTF-8")
	}
	return nil
}

func agencyID(val string) *Rejection {
	if val == "" {
		return reject(CodeMissingField, "agency_id", "is required, e.g. \"fns\" or \"mo-kazan.social\"")
	}
	if len(val) > 64 {
		return reject(CodeBadID, "agency_id", "is %d characters long; the limit is 64", len(val))
	}
	for i := 0; i < len(val); i++ {
		c := val[i]
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return reject(CodeBadID, "agency_id", "%q must match [a-z0-9][a-z0-9._-]{0,63}", clip(val))
		}
	}
	return nil
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

func (v *Validator) check(w *wire, ev *Event) error {
	switch w.Schema {
	case "service_event.v1":
		ev.Kind = KindService
	case "rating.v1":
		ev.Kind = KindRating
	case "appeal.v1":
		ev.Kind = KindAppeal
	case "":
		return reject(CodeMissingField, "schema", "is required: service_event.v1, rating.v1 or appeal.v1")
	default:
		return reject(CodeUnknownSchema, "schema", "%q is not service_event.v1, rating.v1 or appeal.v1", clip(w.Schema))
	}
	if r := id("event_id", w.EventID, false); r != nil {
		return r
	}
	t, r := v.timestamp(w.OccurredAt)
	if r != nil {
		return r
	}
	if r := agencyID(w.AgencyID); r != nil {
		return r
	}
	if r := oneOf("client_type", w.ClientType, clientTypes); r != nil {
		return r
	}
	if r := id("client_id", w.ClientID, ev.Kind == KindAppeal); r != nil {
		return r
	}
	if r := checkPseudonym(w.ClientID); r != nil {
		return r
	}
	*ev = Event{Kind: ev.Kind, EventID: w.EventID, OccurredAt: t, AgencyID: w.AgencyID, ClientType: w.ClientType,
		ClientID: w.ClientID, ServiceID: w.ServiceID, LifeSituationID: w.LifeSituationID}
	switch ev.Kind {
	case KindService:
		return checkService(w, ev)
	case KindRating:
		return checkRating(w, ev)
	default:
		return checkAppeal(w, ev)
	}
}

func checkService(w *wire, ev *Event) error {
	if w.ServiceKind == "" {
		w.ServiceKind = "service"
	}
	for _, r := range []*Rejection{
		id("request_id", w.RequestID, false),
		id("service_id", w.ServiceID, false),
		oneOf("service_kind", w.ServiceKind, serviceKinds),
		oneOf("status", w.Status, statuses),
		oneOf("channel", w.Channel, channels),
		id("life_situation_id", w.LifeSituationID, true),
		id("scenario_id", w.ScenarioID, true),
		id("segment_id", w.SegmentID, true),
	} {
		if r != nil {
			return r
		}
	}
	ev.RequestID, ev.ServiceKind, ev.Status, ev.Channel = w.RequestID, w.ServiceKind, w.Status, w.Channel
	ev.ScenarioID, ev.SegmentID, ev.Proactive = w.ScenarioID, w.SegmentID, w.Proactive
	return nil
}

func checkRating(w *wire, ev *Event) error {
	if r := oneOf("question", w.Question, questions); r != nil {
		return r
	}
	if w.Score == nil {
		return reject(CodeMissingField, "score", "is required (an integer)")
	}
	lo, hi := 1, 4
	if w.Question == "nps" || w.Question == "nps_digital" {
		lo, hi = 0, 10
	}
	if s := *w.Score; s < lo || s > hi {
		return reject(CodeOutOfRange, "score", "%d is outside %d–%d for question %s", s, lo, hi, w.Question)
	}
	for _, r := range []*Rejection{
		id("service_id", w.ServiceID, true),
		id("request_id", w.RequestID, true),
		id("life_situation_id", w.LifeSituationID, true),
		id("scenario_id", w.ScenarioID, true),
	} {
		if r != nil {
			return r
		}
	}
	if w.Channel != "" {
		if r := oneOf("channel", w.Channel, channels); r != nil {
			return r
		}
	}
	ev.Question, ev.Score, ev.RequestID, ev.ScenarioID, ev.Channel = w.Question, uint8(*w.Score), w.RequestID, w.ScenarioID, w.Channel
	return nil
}

func checkAppeal(w *wire, ev *Event) error {
	for _, r := range []*Rejection{
		id("appeal_id", w.AppealID, false),
		oneOf("step", w.Step, steps),
		oneOf("channel", w.Channel, appealChannels),
		id("service_id", w.ServiceID, true),
		id("life_situation_id", w.LifeSituationID, true),
	} {
		if r != nil {
			return r
		}
	}
	if w.MessageType != "" || w.Step == "received" {
		if r := oneOf("message_type", w.MessageType, messageTypes); r != nil {
			if w.MessageType == "" {
				r.Reason = "is required on the received step (one of " + strings.Join(messageTypes, ", ") + ")"
			}
			return r
		}
	}
	if len(w.ReplyText) > MaxReplyBytes {
		return reject(CodeTooLarge, "reply_text", "is %d bytes; the limit is %d (64 KiB)", len(w.ReplyText), MaxReplyBytes)
	}
	ev.AppealID, ev.Step, ev.MessageType, ev.Channel = w.AppealID, w.Step, w.MessageType, w.Channel
	ev.Automated, ev.Excluded = w.Automated, w.Excluded
	if w.ReplyText != "" {
		ev.Reply = MeasureReadability(w.ReplyText)
	}
	return nil
}
