package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// sampleLines returns n valid events, a third of each kind, as JSON lines with distinct ids.
func sampleLines(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		switch i % 3 {
		case 0:
			out[i] = fmt.Appendf(nil, `{"schema":"service_event.v1","event_id":"se-%d","occurred_at":"2026-08-%02dT10:%02d:00+03:00","agency_id":"agency-%d","client_type":"person","client_id":"%016x","request_id":"r-%d","service_id":"svc-%d","status":"completed","channel":"portal","life_situation_id":"ls-%d","scenario_id":"sc-%d"}`,
				i, 1+i%28, i%60, i%20, i*7919, i/2, i%50, i%9, i%5)
		case 1:
			out[i] = fmt.Appendf(nil, `{"schema":"rating.v1","event_id":"ra-%d","occurred_at":"2026-08-%02dT10:%02d:00Z","agency_id":"agency-%d","client_type":"business","client_id":"%016x","question":"nps","score":%d,"service_id":"svc-%d","channel":"mobile_app"}`,
				i, 1+i%28, i%60, i%20, i*7919, i%11, i%50)
		default:
			out[i] = fmt.Appendf(nil, `{"schema":"appeal.v1","event_id":"ap-%d","occurred_at":"2026-08-%02dT10:%02d:00Z","agency_id":"agency-%d","client_type":"person","appeal_id":"a-%d","step":"replied","channel":"social_network","reply_text":"Добрый день! Ваше обращение рассмотрено, ответ направлен."}`,
				i, 1+i%28, i%60, i%20, i)
		}
	}
	return out
}

// BenchmarkValidate reports decode+validate throughput on a mix of the three kinds: the
// project's decoder, and as the baseline encoding/json's reflection into the same struct (the
// decoder this one replaced) followed by the same checks.
func BenchmarkValidate(b *testing.B) {
	lines := sampleLines(3000)
	var size int
	for _, l := range lines {
		size += len(l)
	}
	v := NewValidator()
	for _, c := range []struct {
		name   string
		decode func([]byte, *Event) error
	}{
		{"decoder", v.Decode},
		{"encoding_json", func(data []byte, ev *Event) error {
			var j jsonWire
			if err := json.Unmarshal(data, &j); err != nil {
				return err
			}
			return v.check(j.wire(), ev)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ev Event
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := c.decode(lines[i%len(lines)], &ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkBackfill loads a 300k-line file into a fresh ClickHouse database per iteration and
// reports rows/s end to end (read, validate, insert, acknowledged). The baseline, measured in the
// same run, inserts the same rows already decoded into batches of the same size: the raw
// ClickHouse insert rate that bounds the loader.
func BenchmarkBackfill(b *testing.B) {
	const n, batchRows = 300_000, 50_000
	lines := sampleLines(n)
	path := filepath.Join(b.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("loader", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			conn, _ := chtest.DB(b)
			b.StartTimer()
			st, err := NewLoader(NewValidator(), NewWriter(conn, WithMaxAttempts(3)), WithBatchRows(batchRows)).Load(context.Background(), []string{path})
			if err != nil || st.Inserted != n {
				b.Fatalf("loaded %+v: %v", st, err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("insert_only", func(b *testing.B) {
		v := NewValidator()
		var batches []*Batch
		var ev Event
		for i, l := range lines {
			if i%batchRows == 0 {
				batches = append(batches, new(Batch))
			}
			if err := v.Decode(l, &ev); err != nil {
				b.Fatal(err)
			}
			batches[len(batches)-1].Add(&ev, "bench")
		}
		for b.Loop() {
			b.StopTimer()
			conn, _ := chtest.DB(b)
			w := NewWriter(conn, WithMaxAttempts(3))
			b.StartTimer()
			for _, batch := range batches {
				if err := w.Write(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// jsonWire is the contract's fields as an encoding/json struct: the decoder the project's
// replaced, kept as the benchmark's baseline.
type jsonWire struct {
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

// wire converts to the decoder's form (the contract's field numbers).
func (j *jsonWire) wire() *wire {
	w := new(wire)
	set := func(name, s string) { w.str[fieldIndex([]byte(name))] = s }
	set("schema", j.Schema)
	set("event_id", j.EventID)
	set("occurred_at", j.OccurredAt)
	set("agency_id", j.AgencyID)
	set("client_type", j.ClientType)
	set("client_id", j.ClientID)
	set("request_id", j.RequestID)
	set("service_id", j.ServiceID)
	set("service_kind", j.ServiceKind)
	set("status", j.Status)
	set("channel", j.Channel)
	set("life_situation_id", j.LifeSituationID)
	set("scenario_id", j.ScenarioID)
	set("segment_id", j.SegmentID)
	set("question", j.Question)
	set("appeal_id", j.AppealID)
	set("step", j.Step)
	set("message_type", j.MessageType)
	set("reply_text", j.ReplyText)
	w.flag[fieldIndex([]byte("proactive"))] = j.Proactive
	w.flag[fieldIndex([]byte("automated"))] = j.Automated
	w.flag[fieldIndex([]byte("excluded"))] = j.Excluded
	if j.Score != nil {
		f := fieldIndex([]byte("score"))
		w.num[f], w.nums = *j.Score, 1<<f
	}
	return w
}
