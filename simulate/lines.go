package simulate

import (
	"fmt"
	"strconv"

	"github.com/cxstar/cxstar/ingest"
)

// The JSON lines of the events, with the defects of the invalid ones.

// defect is the kind of damage done to an invalid line.
type defect uint8

const (
	defNone defect = iota
	defInvalidJSON
	defUnknownSchema
	defMissingID
	defBadTimestamp
	defFuture
	defBadAgency
	defPersonalData
	defBadEnum
	defOutOfRange // ratings only
)

var defectCodes = [...]string{
	defInvalidJSON:   ingest.CodeInvalidJSON,
	defUnknownSchema: ingest.CodeUnknownSchema,
	defMissingID:     ingest.CodeMissingField,
	defBadTimestamp:  ingest.CodeBadTimestamp,
	defFuture:        ingest.CodeFutureTimestamp,
	defBadAgency:     ingest.CodeBadID,
	defPersonalData:  ingest.CodePersonalData,
	defBadEnum:       ingest.CodeBadEnum,
	defOutOfRange:    ingest.CodeOutOfRange,
}

// ExpectedCodes lists the rejection codes the generator's invalid lines provoke.
func ExpectedCodes() []string { return append([]string(nil), defectCodes[1:]...) }

// invalidCopy decides whether an event just written is written once more with a defect (by chance,
// invalidShare) and picks the defect among those of its kind; defNone means no copy.
func (r *run) invalidCopy(kind ingest.Kind) defect {
	if r.r.Float64() >= r.g.invalidShare {
		return defNone
	}
	if kind == ingest.KindRating {
		return defect(1 + r.r.IntN(int(defOutOfRange)))
	}
	return defect(1 + r.r.IntN(int(defBadEnum)))
}

// write sends a line and counts it; then, by chance, a duplicate.
func (r *run) write(kind ingest.Kind, key, line []byte, def defect) {
	if r.err != nil {
		return
	}
	if r.err = r.sink.Write(kind, key, line); r.err != nil {
		r.err = fmt.Errorf("write simulated %s event: %w", kind, r.err)
		return
	}
	r.st.Bytes += int64(len(line)) + 1
	if def != defNone {
		r.st.Invalid[defectCodes[def]]++
		r.st.InvalidByKind[kind]++
		return
	}
	r.st.Events[kind]++
	if r.r.Float64() < r.g.dupShare {
		if r.err = r.sink.Write(kind, key, line); r.err != nil {
			r.err = fmt.Errorf("write simulated %s event: %w", kind, r.err)
			return
		}
		r.st.Bytes += int64(len(line)) + 1
		r.st.Duplicates[kind]++
	}
}

// header appends the fields common to all kinds; it returns the buffer.
func (r *run) header(b []byte, schema string, t int64, ct int, client uint64, def defect) []byte {
	b = append(b, `{"schema":"`...)
	b = append(b, schema...)
	if def == defUnknownSchema {
		b[len(b)-1] = '9' // service_event.v9
	}
	b = append(b, '"')
	r.evN++
	if def != defMissingID {
		b = append(b, `,"event_id":"`...)
		b = append(b, r.prefix...)
		if def != defNone {
			b = append(b, 'x')
		} else {
			b = append(b, 'e')
		}
		b = strconv.AppendUint(b, r.evN, 10)
		b = append(b, '"')
	}
	switch def {
	case defBadTimestamp:
		b = append(b, `,"occurred_at":"2026-07-01 10:00:00"`...)
	case defFuture:
		b = appendTS(b, 4070908800+t%86400, false) // 2099
	default:
		b = appendTS(b, t, r.evN%10 == 0)
	}
	if def == defBadAgency {
		b = appendStr(b, "agency_id", "Agency "+r.a.ID)
	} else {
		b = appendStr(b, "agency_id", r.a.ID)
	}
	b = appendStr(b, "client_type", clientTypeNames[ct])
	switch {
	case def == defPersonalData:
		b = appendStr(b, "client_id", "ivan.petrov@example.ru")
	case client > 0 || schema != "appeal.v1":
		b = append(b, `,"client_id":"`...)
		h := mix64(r.g.seed ^ r.ai<<40 ^ uint64(ct)<<38 ^ client)
		b = appendHex64(b, h)
		b = appendHex64(b, mix64(h))
		b = append(b, '"')
	}
	return b
}

func (r *run) appendReqID(b []byte, req uint64) []byte {
	b = append(b, `,"request_id":"`...)
	b = append(b, r.prefix...)
	b = append(b, 'r')
	b = strconv.AppendUint(b, req, 10)
	return append(b, '"')
}

func (r *run) emitService(e *svcEvent) {
	r.buildService(e, defNone)
	if def := r.invalidCopy(ingest.KindService); def != defNone {
		r.buildService(e, def)
	}
}

func (r *run) buildService(e *svcEvent, def defect) {
	b := r.header(r.buf[:0], "service_event.v1", e.t, e.ct, e.client, def)
	ks := len(b) + len(`,"request_id":"`)
	b = r.appendReqID(b, e.req)
	ke := len(b) - 1
	s := e.svc
	b = appendStr(b, "service_id", s.ID)
	b = appendStr(b, "service_kind", s.Kind)
	if def == defBadEnum {
		b = appendStr(b, "status", "done")
	} else {
		b = appendStr(b, "status", e.status)
	}
	b = appendStr(b, "channel", e.channel)
	b = appendStr(b, "life_situation_id", s.LifeSituationID)
	if e.scenario {
		b = appendStr(b, "scenario_id", s.ScenarioID)
	}
	if e.segment != "" {
		b = appendStr(b, "segment_id", e.segment)
	}
	if e.proactive {
		b = appendBool(b, "proactive", true)
	}
	b = append(b, '}')
	r.finish(ingest.KindService, b, ks, ke, def)
}

func (r *run) finish(kind ingest.Kind, b []byte, ks, ke int, def defect) {
	if def == defInvalidJSON {
		b = b[:len(b)-7]
	}
	r.buf = b
	r.write(kind, b[ks:ke], b, def)
}

func (r *run) emitRating(e *ratingEvent) {
	r.buildRating(e, defNone)
	if def := r.invalidCopy(ingest.KindRating); def != defNone {
		r.buildRating(e, def)
	}
}

func (r *run) buildRating(e *ratingEvent, def defect) {
	se := e.e
	b := r.header(r.buf[:0], "rating.v1", e.t, se.ct, se.client, def)
	ks := len(`{"schema":"rating.v1","event_id":"`)
	ke := bytesIndexQuote(b, ks)
	if def == defMissingID {
		ks, ke = 0, 0
	}
	if def == defBadEnum {
		b = appendStr(b, "question", "csat")
	} else {
		b = appendStr(b, "question", e.question)
	}
	score := uint64(e.score)
	if def == defOutOfRange {
		score = 5
		if e.question == "nps" || e.question == "nps_digital" {
			score = 11
		}
	}
	b = appendUint(b, "score", score)
	b = appendStr(b, "service_id", se.svc.ID)
	b = r.appendReqID(b, se.req)
	b = appendStr(b, "life_situation_id", se.svc.LifeSituationID)
	if se.scenario {
		b = appendStr(b, "scenario_id", se.svc.ScenarioID)
	}
	b = appendStr(b, "channel", se.channel)
	b = append(b, '}')
	r.finish(ingest.KindRating, b, ks, ke, def)
}

// bytesIndexQuote returns the index of the first '"' at or after i (the end of a string value).
func bytesIndexQuote(b []byte, i int) int {
	for ; i < len(b); i++ {
		if b[i] == '"' {
			return i
		}
	}
	return len(b)
}

func (r *run) emitAppeal(e *appealEvent) {
	r.buildAppeal(e, defNone)
	if def := r.invalidCopy(ingest.KindAppeal); def != defNone {
		r.buildAppeal(e, def)
	}
}

func (r *run) buildAppeal(e *appealEvent, def defect) {
	b := r.header(r.buf[:0], "appeal.v1", e.t, e.ct, e.client, def)
	b = append(b, `,"appeal_id":"`...)
	ks := len(b)
	b = append(b, r.prefix...)
	b = append(b, 'a')
	b = strconv.AppendUint(b, e.id, 10)
	ke := len(b)
	b = append(b, '"')
	if def == defBadEnum {
		b = appendStr(b, "step", "closed")
	} else {
		b = appendStr(b, "step", e.step)
	}
	if e.msgType != "" {
		b = appendStr(b, "message_type", e.msgType)
	}
	b = appendStr(b, "channel", e.channel)
	if e.automated {
		b = appendBool(b, "automated", true)
	}
	if e.excluded {
		b = appendBool(b, "excluded", true)
	}
	if e.reply != "" {
		b = appendStr(b, "reply_text", e.reply)
	}
	if e.svc != nil {
		b = appendStr(b, "service_id", e.svc.ID)
		b = appendStr(b, "life_situation_id", e.svc.LifeSituationID)
	}
	b = append(b, '}')
	r.finish(ingest.KindAppeal, b, ks, ke, def)
}
