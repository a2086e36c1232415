package ingest

import (
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
)

// This file is the event contract in code: one table per event kind. A row names a JSON field
// of the kind, the rule it is checked against and the Event field it is stored in; its
// ClickHouse column has the JSON name and a type that follows from the rule (see field.columns).
// Everything else is derived from these tables: the decoder's field index and types, the
// validation order, the batch's columns, their reset, and each table's INSERT statement.
// TestContractMatchesSchemas holds schemas/json and the migrated tables to them.
//
// Adding an optional field to a kind: a row here (and, for a new name, a field in Event), the
// property in the kind's JSON Schema, and a migration that adds the column.

// Kind is the contract an event follows (its `schema` field).
type Kind uint8

// The three event kinds of the contract.
const (
	KindService Kind = iota + 1 // service_event.v1
	KindRating                  // rating.v1
	KindAppeal                  // appeal.v1
)

// The default topics of the contract (see WithTopics and WithDeadLetterTopic).
const (
	TopicServiceEvents = "cx.service-events" // service_event.v1, key request_id
	TopicRatings       = "cx.ratings"        // rating.v1, key event_id
	TopicAppeals       = "cx.appeals"        // appeal.v1, key appeal_id
	TopicDeadLetter    = "cx.dead-letter"    // rejected messages, key as received
)

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

// The enumerations of the contract.
var (
	clientTypes  = []string{"person", "business"}
	serviceKinds = []string{"service", "support_measure", "digital_service"}
	// followed_up (contract v1.1): the agency contacted the client about the request after a
	// detractor's answer; it is a step of the service history, not a status of the service.
	statuses  = []string{"submitted", "in_progress", "completed", "refused", "withdrawn", "followed_up"}
	channels  = []string{"portal", "mobile_app", "mfc", "office", "phone", "chat_bot", "api", "post", "other"}
	questions = []string{"nps", "nps_digital", "satisfaction", "ease", "sat_phone",
		"sat_compliance_costs", "sat_assessment_costs", "sat_requirements_evaluation", "sat_informing_training",
		"sat_feedback_channels", "sat_path_time", "sat_risk_profile", "sat_control_activities"}
	steps          = []string{"received", "replied", "resolved"}
	messageTypes   = []string{"mention", "official_appeal", "comment_on_official_post", "written_appeal"}
	appealChannels = []string{"social_network", "public_chat", "portal", "email", "letter", "phone", "chat_bot"}
)

// kinds is the contract: per kind its schema name, ClickHouse table, default topic, the field
// that keys its messages, and its fields in the order they are checked.
var kinds = []kindSpec{
	{kind: KindService, schema: "service_event.v1", table: "service_events", topic: TopicServiceEvents, key: "request_id",
		fields: withCommon(false,
			id("request_id", func(e *Event) *string { return &e.RequestID }),
			id("service_id", func(e *Event) *string { return &e.ServiceID }),
			enum("service_kind", serviceKinds, func(e *Event) *string { return &e.ServiceKind }).orElse("service"),
			enum("status", statuses, func(e *Event) *string { return &e.Status }),
			enum("channel", channels, func(e *Event) *string { return &e.Channel }),
			id("life_situation_id", func(e *Event) *string { return &e.LifeSituationID }).opt(),
			id("scenario_id", func(e *Event) *string { return &e.ScenarioID }).opt(),
			id("segment_id", func(e *Event) *string { return &e.SegmentID }).opt(),
			flag("proactive", func(e *Event) *bool { return &e.Proactive }),
		)},
	{kind: KindRating, schema: "rating.v1", table: "ratings", topic: TopicRatings, key: "event_id",
		fields: withCommon(false,
			enum("question", questions, func(e *Event) *string { return &e.Question }),
			score("score", "question", npsScale, func(e *Event) *uint8 { return &e.Score }),
			id("service_id", func(e *Event) *string { return &e.ServiceID }).opt(),
			id("request_id", func(e *Event) *string { return &e.RequestID }).opt(),
			id("life_situation_id", func(e *Event) *string { return &e.LifeSituationID }).opt(),
			id("scenario_id", func(e *Event) *string { return &e.ScenarioID }).opt(),
			enum("channel", channels, func(e *Event) *string { return &e.Channel }).opt(),
		)},
	{kind: KindAppeal, schema: "appeal.v1", table: "appeals", topic: TopicAppeals, key: "appeal_id",
		fields: withCommon(true,
			id("appeal_id", func(e *Event) *string { return &e.AppealID }),
			enum("step", steps, func(e *Event) *string { return &e.Step }),
			enum("channel", appealChannels, func(e *Event) *string { return &e.Channel }),
			id("service_id", func(e *Event) *string { return &e.ServiceID }).opt(),
			id("life_situation_id", func(e *Event) *string { return &e.LifeSituationID }).opt(),
			enum("message_type", messageTypes, func(e *Event) *string { return &e.MessageType }).opt().requiredOn("step", "received"),
			flag("automated", func(e *Event) *bool { return &e.Automated }),
			flag("excluded", func(e *Event) *bool { return &e.Excluded }),
			reply("reply_text", MaxReplyBytes, func(e *Event) *Readability { return &e.Reply }),
		)},
}

// withCommon returns the fields every kind starts with, then the kind's own.
func withCommon(clientOptional bool, own ...field) []field {
	client := pseudonym("client_id", func(e *Event) *string { return &e.ClientID })
	if clientOptional {
		client = client.opt()
	}
	return append([]field{
		id("event_id", func(e *Event) *string { return &e.EventID }),
		timestamp("occurred_at", func(e *Event) *time.Time { return &e.OccurredAt }),
		agency("agency_id", func(e *Event) *string { return &e.AgencyID }),
		enum("client_type", clientTypes, func(e *Event) *string { return &e.ClientType }),
		client,
	}, own...)
}

// npsScale is the scale of a rating's score: 0–10 for the NPS questions, 1–4 for the others.
func npsScale(question string) (lo, hi int) {
	if question == "nps" || question == "nps_digital" {
		return 0, 10
	}
	return 1, 4
}

// kindSpec is one event kind of the contract.
type kindSpec struct {
	kind   Kind
	schema string  // value of the `schema` field
	table  string  // ClickHouse table
	topic  string  // default Kafka topic
	key    string  // JSON field whose value keys the kind's messages (event_id when absent)
	fields []field // in the order they are checked

	cols   []column // derived: the table's columns filled from events, in INSERT order
	insert string   // derived: the INSERT statement, with ingested_at and source last
}

// rule is how a field is checked and stored; the ClickHouse type follows from it.
type rule uint8

const (
	ruleID        rule = iota + 1 // 1–128 characters, no control characters; String
	rulePseudonym                 // ruleID that does not look like personal data (see checkPseudonym); String
	ruleAgency                    // agencyid.Pattern; LowCardinality(String)
	ruleTime                      // RFC 3339 with an offset, from 2000 to now+MaxFutureSkew; DateTime('UTC')
	ruleEnum                      // one of the field's values; Enum8, with '' = 0 when optional
	ruleFlag                      // true or false, default false; UInt8
	ruleScore                     // an integer on the scale of another field's value; UInt8
	ruleReply                     // text of at most max bytes, stored as its readability counts; 4 × UInt32
)

// jsonType is the JSON type of a field's value.
type jsonType uint8

const (
	jsonString jsonType = iota
	jsonBool
	jsonInt
)

func (r rule) jsonType() jsonType {
	switch r {
	case ruleFlag:
		return jsonBool
	case ruleScore:
		return jsonInt
	}
	return jsonString
}

// field is one row of a kind's table.
type field struct {
	name     string
	rule     rule
	optional bool
	values   []string // ruleEnum
	absent   string   // ruleEnum: the value of an absent field
	dep      string   // ruleScore: the field that selects the scale; ruleEnum: see depValue
	depValue string   // ruleEnum: the field is required when dep has this value
	scale    func(string) (lo, hi int)
	max      int // ruleReply: bytes

	str   func(*Event) *string
	flag  func(*Event) *bool
	u8    func(*Event) *uint8
	time  func(*Event) *time.Time
	reply func(*Event) *Readability

	no, depNo int     // decoder field numbers, set by init
	strOff    uintptr // offset in Event of the string str points to, set by init
}

// strIn returns the Event string field the row stores into. It is str(ev) without the indirect
// call on the hot path: the offset is taken once, at init, from the row's own accessor.
func (f *field) strIn(ev *Event) *string {
	return (*string)(unsafe.Add(unsafe.Pointer(ev), f.strOff))
}

func id(name string, at func(*Event) *string) field { return field{name: name, rule: ruleID, str: at} }
func pseudonym(name string, at func(*Event) *string) field {
	return field{name: name, rule: rulePseudonym, str: at}
}
func agency(name string, at func(*Event) *string) field {
	return field{name: name, rule: ruleAgency, str: at}
}
func timestamp(name string, at func(*Event) *time.Time) field {
	return field{name: name, rule: ruleTime, time: at}
}
func enum(name string, values []string, at func(*Event) *string) field {
	return field{name: name, rule: ruleEnum, values: values, str: at}
}
func flag(name string, at func(*Event) *bool) field {
	return field{name: name, rule: ruleFlag, flag: at}
}
func score(name, dep string, scale func(string) (int, int), at func(*Event) *uint8) field {
	return field{name: name, rule: ruleScore, dep: dep, scale: scale, u8: at}
}
func reply(name string, max int, at func(*Event) *Readability) field {
	return field{name: name, rule: ruleReply, optional: true, max: max, reply: at}
}

// opt makes the field optional (absent or empty is allowed and stored as empty).
func (f field) opt() field { f.optional = true; return f }

// orElse sets the value an absent enum field takes.
func (f field) orElse(v string) field { f.absent = v; return f }

// requiredOn makes an optional enum field required when field dep has value v.
func (f field) requiredOn(dep, v string) field { f.dep, f.depValue = dep, v; return f }

// column is one ClickHouse column filled from events.
type column struct {
	name, typ string
	buf       func() colBuf
}

// columns returns the ClickHouse columns the field fills, with the types migration 001 gives them.
func (f *field) columns() []column {
	switch f.rule {
	case ruleID, rulePseudonym:
		off, width := f.strOff, idBytes
		if f.rule == rulePseudonym {
			width = pseudonymBytes
		}
		return []column{{f.name, "String", func() colBuf { return &strCol{off: off, counted: true, width: width} }}}
	case ruleAgency:
		off := f.strOff
		return []column{{f.name, "LowCardinality(String)", func() colBuf {
			return &lowCardCol{off: off, col: new(proto.ColStr).LowCardinality(), intern: map[string]string{}}
		}}}
	case ruleEnum:
		off, code := f.strOff, enumCode(f.values)
		return []column{{f.name, enum8(f.values, f.optional && f.absent == ""), func() colBuf { return &enumCol{off: off, code: code} }}}
	case ruleTime:
		at := f.time
		return []column{{f.name, "DateTime('UTC')", func() colBuf { return &timeCol{at: at} }}}
	case ruleFlag:
		at := f.flag
		return []column{{f.name, "UInt8", func() colBuf { return &u8Col{get: func(e *Event) uint8 { return b2u(*at(e)) }} }}}
	case ruleScore:
		at := f.u8
		return []column{{f.name, "UInt8", func() colBuf { return &u8Col{get: func(e *Event) uint8 { return *at(e) }} }}}
	case ruleReply:
		at, base := f.reply, strings.TrimSuffix(f.name, "_text")
		count := func(suffix string, get func(*Readability) uint32) column {
			return column{base + "_" + suffix, "UInt32", func() colBuf { return &u32Col{get: func(e *Event) uint32 { return get(at(e)) }} }}
		}
		return []column{
			count("chars", func(r *Readability) uint32 { return r.Chars }),
			count("words", func(r *Readability) uint32 { return r.Words }),
			count("sentences", func(r *Readability) uint32 { return r.Sentences }),
			count("syllables", func(r *Readability) uint32 { return r.Syllables }),
		}
	}
	panic(fmt.Sprintf("ingest: field %s has no rule", f.name))
}

// enumCode returns the Enum8 code of each value as enum8 numbers them: the empty string is 0,
// the values 1, 2, … in their order.
// A value outside the list (validation lets none through) is 0 too, which the server refuses
// for a required enumeration.
func enumCode(values []string) func(string) int8 {
	return func(s string) int8 {
		for i, v := range values {
			if v == s {
				return int8(i + 1)
			}
		}
		return 0
	}
}

// enum8 is the ClickHouse type of an enumeration; an optional one stores "" as 0.
func enum8(values []string, optional bool) string {
	var parts []string
	if optional {
		parts = append(parts, "'' = 0")
	}
	for i, v := range values {
		parts = append(parts, fmt.Sprintf("'%s' = %d", v, i+1))
	}
	return "Enum8(" + strings.Join(parts, ", ") + ")"
}

// maxFields bounds the distinct JSON field names of all kinds (the decoder's arrays).
const maxFields = 32

// The decoder's field index, derived from kinds: field number 0 is `schema`, then every other
// name in the order it first appears.
var (
	fieldNames []string
	fieldTypes [maxFields]jsonType
	fieldEnums [maxFields][]string // values of enum fields, to decode them without allocating
	schemas    []string            // schema names, in Kind order
)

// fSchema is the field number of `schema`.
const fSchema = 0

func init() {
	for i := range kinds {
		if kinds[i].kind != Kind(i+1) {
			panic("ingest: kinds out of Kind order")
		}
		schemas = append(schemas, kinds[i].schema)
	}
	number := func(name string, t jsonType, values []string) int {
		for n, have := range fieldNames {
			if have == name {
				if fieldTypes[n] != t {
					panic("ingest: field " + name + " has two JSON types")
				}
				return n
			}
		}
		if len(fieldNames) == maxFields {
			panic("ingest: more than maxFields distinct fields; raise maxFields")
		}
		n := len(fieldNames)
		fieldNames = append(fieldNames, name)
		fieldTypes[n] = t
		return n
	}
	number("schema", jsonString, nil)
	fieldEnums[fSchema] = schemas
	for k := range kinds {
		spec := &kinds[k]
		for i := range spec.fields {
			f := &spec.fields[i]
			f.no = number(f.name, f.rule.jsonType(), f.values)
			if f.str != nil {
				var probe Event
				f.strOff = uintptr(unsafe.Pointer(f.str(&probe))) - uintptr(unsafe.Pointer(&probe))
			}
			if f.rule == ruleEnum {
				fieldEnums[f.no] = appendNew(fieldEnums[f.no], f.values)
			}
		}
		var names []string
		for i := range spec.fields {
			f := &spec.fields[i]
			f.depNo = -1
			if f.dep != "" {
				f.depNo = spec.fieldNo(f.dep)
			}
			for _, c := range f.columns() {
				spec.cols = append(spec.cols, c)
				names = append(names, c.name)
			}
		}
		spec.insert = "INSERT INTO " + spec.table + " (" + strings.Join(names, ", ") + ", ingested_at, source)"
	}
	indexNames()
}

// fieldNo returns the decoder number of the kind's field name.
func (s *kindSpec) fieldNo(name string) int {
	for _, f := range s.fields {
		if f.name == name {
			return f.no
		}
	}
	panic("ingest: " + s.schema + " has no field " + name)
}

func appendNew(list, values []string) []string {
	for _, v := range values {
		found := false
		for _, have := range list {
			found = found || have == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}

// spec returns the contract of kind k, or nil.
func (k Kind) spec() *kindSpec {
	if k < 1 || int(k) > len(kinds) {
		return nil
	}
	return &kinds[k-1]
}

// String returns the schema name, e.g. "rating.v1".
func (k Kind) String() string {
	if s := k.spec(); s != nil {
		return s.schema
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Table returns the ClickHouse table that holds events of this kind.
func (k Kind) Table() string {
	if s := k.spec(); s != nil {
		return s.table
	}
	return ""
}

// Kinds returns every event kind of the contract.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i := range kinds {
		out[i] = kinds[i].kind
	}
	return out
}

// DefaultTopics returns the contract's topic of each kind: cx.service-events, cx.ratings and
// cx.appeals.
func DefaultTopics() map[Kind]string {
	out := make(map[Kind]string, len(kinds))
	for i := range kinds {
		out[kinds[i].kind] = kinds[i].topic
	}
	return out
}

// schemaList is "service_event.v1, rating.v1 or appeal.v1".
func schemaList() string {
	return strings.Join(schemas[:len(schemas)-1], ", ") + " or " + schemas[len(schemas)-1]
}
