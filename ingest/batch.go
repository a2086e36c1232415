package ingest

import (
	"time"
)

// Batch collects validated events as typed columns, one set per table, ready for a columnar
// native-protocol insert. A Batch is not safe for concurrent use.
type Batch struct {
	svc   serviceCols
	rat   ratingCols
	app   appealCols
	bytes int
}

type common struct {
	eventID, agencyID, clientType, clientID, source []string
	occurredAt                                      []time.Time
}

func (c *common) add(ev *Event, source string) {
	c.eventID = append(c.eventID, ev.EventID)
	c.occurredAt = append(c.occurredAt, ev.OccurredAt)
	c.agencyID = append(c.agencyID, ev.AgencyID)
	c.clientType = append(c.clientType, ev.ClientType)
	c.clientID = append(c.clientID, ev.ClientID)
	c.source = append(c.source, source)
}

func (c *common) reset() {
	c.eventID, c.agencyID, c.clientType, c.clientID, c.source = c.eventID[:0], c.agencyID[:0], c.clientType[:0], c.clientID[:0], c.source[:0]
	c.occurredAt = c.occurredAt[:0]
}

type serviceCols struct {
	common
	requestID, serviceID, serviceKind, status, channel, lifeSituation, scenario, segment []string
	proactive                                                                            []uint8
}

type ratingCols struct {
	common
	question, serviceID, requestID, lifeSituation, scenario, channel []string
	score                                                            []uint8
}

type appealCols struct {
	common
	appealID, step, messageType, channel, serviceID, lifeSituation []string
	automated, excluded                                            []uint8
	chars, words, sentences, syllables                             []uint32
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Add appends a validated event. source says where it came from (file:line or
// topic/partition/offset) and is stored with the row for audits.
func (b *Batch) Add(ev *Event, source string) {
	b.bytes += 96 + len(ev.EventID) + len(ev.AgencyID) + len(ev.ClientID) + len(source) +
		len(ev.RequestID) + len(ev.ServiceID) + len(ev.LifeSituationID) + len(ev.ScenarioID) + len(ev.SegmentID) + len(ev.AppealID)
	switch ev.Kind {
	case KindService:
		c := &b.svc
		c.add(ev, source)
		c.requestID = append(c.requestID, ev.RequestID)
		c.serviceID = append(c.serviceID, ev.ServiceID)
		c.serviceKind = append(c.serviceKind, ev.ServiceKind)
		c.status = append(c.status, ev.Status)
		c.channel = append(c.channel, ev.Channel)
		c.lifeSituation = append(c.lifeSituation, ev.LifeSituationID)
		c.scenario = append(c.scenario, ev.ScenarioID)
		c.segment = append(c.segment, ev.SegmentID)
		c.proactive = append(c.proactive, b2u(ev.Proactive))
	case KindRating:
		c := &b.rat
		c.add(ev, source)
		c.question = append(c.question, ev.Question)
		c.score = append(c.score, ev.Score)
		c.serviceID = append(c.serviceID, ev.ServiceID)
		c.requestID = append(c.requestID, ev.RequestID)
		c.lifeSituation = append(c.lifeSituation, ev.LifeSituationID)
		c.scenario = append(c.scenario, ev.ScenarioID)
		c.channel = append(c.channel, ev.Channel)
	case KindAppeal:
		c := &b.app
		c.add(ev, source)
		c.appealID = append(c.appealID, ev.AppealID)
		c.step = append(c.step, ev.Step)
		c.messageType = append(c.messageType, ev.MessageType)
		c.channel = append(c.channel, ev.Channel)
		c.automated = append(c.automated, b2u(ev.Automated))
		c.excluded = append(c.excluded, b2u(ev.Excluded))
		c.chars = append(c.chars, ev.Reply.Chars)
		c.words = append(c.words, ev.Reply.Words)
		c.sentences = append(c.sentences, ev.Reply.Sentences)
		c.syllables = append(c.syllables, ev.Reply.Syllables)
		c.serviceID = append(c.serviceID, ev.ServiceID)
		c.lifeSituation = append(c.lifeSituation, ev.LifeSituationID)
	}
}

// Len returns the number of events in the batch.
func (b *Batch) Len() int { return len(b.svc.eventID) + len(b.rat.eventID) + len(b.app.eventID) }

// Counts returns the number of events per kind.
func (b *Batch) Counts() (service, rating, appeal int) {
	return len(b.svc.eventID), len(b.rat.eventID), len(b.app.eventID)
}

// Bytes estimates the memory the batch holds, for flush-on-size and backpressure.
func (b *Batch) Bytes() int { return b.bytes }

// Reset empties the batch, keeping its allocated capacity.
func (b *Batch) Reset() {
	s := &b.svc
	s.reset()
	s.requestID, s.serviceID, s.serviceKind, s.status, s.channel = s.requestID[:0], s.serviceID[:0], s.serviceKind[:0], s.status[:0], s.channel[:0]
	s.lifeSituation, s.scenario, s.segment, s.proactive = s.lifeSituation[:0], s.scenario[:0], s.segment[:0], s.proactive[:0]
	r := &b.rat
	r.reset()
	r.question, r.serviceID, r.requestID, r.lifeSituation, r.scenario, r.channel, r.score =
		r.question[:0], r.serviceID[:0], r.requestID[:0], r.lifeSituation[:0], r.scenario[:0], r.channel[:0], r.score[:0]
	a := &b.app
	a.reset()
	a.appealID, a.step, a.messageType, a.channel, a.serviceID, a.lifeSituation = a.appealID[:0], a.step[:0], a.messageType[:0], a.channel[:0], a.serviceID[:0], a.lifeSituation[:0]
	a.automated, a.excluded, a.chars, a.words, a.sentences, a.syllables = a.automated[:0], a.excluded[:0], a.chars[:0], a.words[:0], a.sentences[:0], a.syllables[:0]
	b.bytes = 0
}

// insert is one table's INSERT: the statement and its columns in the statement's order.
type insert struct {
	table string
	sql   string
	cols  []any
	rows  int
}

func (b *Batch) inserts(now time.Time) []insert {
	var out []insert
	stamp := func(n int) []time.Time {
		t := make([]time.Time, n)
		for i := range t {
			t[i] = now
		}
		return t
	}
	if n := len(b.svc.eventID); n > 0 {
		c := &b.svc
		out = append(out, insert{table: "service_events", rows: n,
			sql:  "INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)",
			cols: []any{c.eventID, c.occurredAt, c.agencyID, c.clientType, c.clientID, c.requestID, c.serviceID, c.serviceKind, c.status, c.channel, c.lifeSituation, c.scenario, c.segment, c.proactive, stamp(n), c.source}})
	}
	if n := len(b.rat.eventID); n > 0 {
		c := &b.rat
		out = append(out, insert{table: "ratings", rows: n,
			sql:  "INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)",
			cols: []any{c.eventID, c.occurredAt, c.agencyID, c.clientType, c.clientID, c.question, c.score, c.serviceID, c.requestID, c.lifeSituation, c.scenario, c.channel, stamp(n), c.source}})
	}
	if n := len(b.app.eventID); n > 0 {
		c := &b.app
		out = append(out, insert{table: "appeals", rows: n,
			sql: "INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type, channel, automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, service_id, life_situation_id, ingested_at, source)",
			cols: []any{c.eventID, c.occurredAt, c.agencyID, c.clientType, c.clientID, c.appealID, c.step, c.messageType, c.channel, c.automated, c.excluded,
				c.chars, c.words, c.sentences, c.syllables, c.serviceID, c.lifeSituation, stamp(n), c.source}})
	}
	return out
}
