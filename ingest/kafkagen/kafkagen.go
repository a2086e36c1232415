// Package kafkagen generates deterministic streams of event lines whose expected outcome (distinct
// valid events per kind, duplicates, invalid lines per rejection code) is known by construction.
// The Kafka ingestion tests (ingest/kafkatest) and the benchmark (bench/benchkafka) use it.
package kafkagen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxstar/cxstar/ingest"
)

// span is how long a generated stream may last from base: to 2026-11-01 08:00 UTC, a day already
// past, so that the validator takes no event for one from the future.
const span = 153 * 24 * time.Hour

// base is when the first generated event occurs.
var base = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// occurredAt is when event i of a stream of n occurs: 7 s after the one before, or closer when
// the stream would otherwise last longer than span.
func occurredAt(i, n int) time.Time {
	step := 7 * time.Second
	if time.Duration(n)*step > span {
		step = span / time.Duration(n)
	}
	return base.Add(time.Duration(i) * step)
}

// TB is the part of testing.TB that WriteFile needs (so that this package does not import testing).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Events is a generated stream of JSON lines and what a correct ingestion must make of it.
type Events struct {
	Lines     [][]byte
	Distinct  map[ingest.Kind]int // distinct valid event_ids per kind (what count() FINAL must return)
	Dups      int                 // valid lines that repeat an earlier line (same event_id)
	Invalid   int                 // lines the validator refuses, all routable (they reach a topic and the DLQ)
	InvalidBy map[string]int      // invalid lines per rejection code
}

// Valid returns the number of distinct valid events of all kinds.
func (e *Events) Valid() int {
	return e.Distinct[ingest.KindService] + e.Distinct[ingest.KindRating] + e.Distinct[ingest.KindAppeal]
}

// Generate makes n distinct valid events (kinds in turn: service, rating, appeal), repeats every
// dupEvery-th of them once more later in the stream (0: none), and adds one invalid line after
// every invalidEvery-th valid event (0: none), cycling through out_of_range (rating score 11),
// bad_enum (service status "lost") and personal_data (an e-mail as client_id on an appeal).
// Event ids carry prefix, so two streams with different prefixes never share an id. The events
// occur from 2026-06-01 08:00 UTC on, 7 s apart, and all within span of it: longer streams are
// packed closer, so that none is in the future.
func Generate(prefix string, n, dupEvery, invalidEvery int) *Events {
	e := &Events{Distinct: map[ingest.Kind]int{}, InvalidBy: map[string]int{}}
	var pendingDup [][]byte
	bad := 0
	for i := 0; i < n; i++ {
		ts := occurredAt(i, n).Format(time.RFC3339)
		id := fmt.Sprintf("%s-%d", prefix, i)
		agency := fmt.Sprintf("agency-%d", i%7)
		client := fmt.Sprintf("c%08x", (i*2654435761)&0xffffffff)
		var line string
		switch i % 3 {
		case 0:
			line = fmt.Sprintf(`{"schema":"service_event.v1","event_id":%q,"occurred_at":%q,"agency_id":%q,"client_type":"person","client_id":%q,"request_id":"r-%d","service_id":"svc-%d","status":"completed","channel":"portal","life_situation_id":"ls-1","proactive":false}`,
				id, ts, agency, client, i/2, i%11)
			e.Distinct[ingest.KindService]++
		case 1:
			line = fmt.Sprintf(`{"schema":"rating.v1","event_id":%q,"occurred_at":%q,"agency_id":%q,"client_type":"business","client_id":%q,"question":"nps","score":%d,"service_id":"svc-%d","channel":"mfc"}`,
				id, ts, agency, client, i%11, i%11)
			e.Distinct[ingest.KindRating]++
		default:
			line = fmt.Sprintf(`{"schema":"appeal.v1","event_id":%q,"occurred_at":%q,"agency_id":%q,"client_type":"person","appeal_id":"a-%d","step":"received","message_type":"mention","channel":"social_network"}`,
				id, ts, agency, i/3)
			e.Distinct[ingest.KindAppeal]++
		}
		e.Lines = append(e.Lines, []byte(line))
		if dupEvery > 0 && i%dupEvery == dupEvery-1 {
			pendingDup = append(pendingDup, []byte(line))
		}
		// Repeat a remembered line a little later, so that the duplicate is often in another batch.
		if len(pendingDup) > 0 && i%5 == 4 {
			e.Lines = append(e.Lines, pendingDup[0])
			pendingDup = pendingDup[1:]
			e.Dups++
		}
		if invalidEvery > 0 && i%invalidEvery == invalidEvery-1 {
			bid := fmt.Sprintf("%s-bad-%d", prefix, bad)
			var b, code string
			switch bad % 3 {
			case 0:
				b = fmt.Sprintf(`{"schema":"rating.v1","event_id":%q,"occurred_at":%q,"agency_id":"fns","client_type":"person","client_id":"c1","question":"nps","score":11}`, bid, ts)
				code = ingest.CodeOutOfRange
			case 1:
				b = fmt.Sprintf(`{"schema":"service_event.v1","event_id":%q,"occurred_at":%q,"agency_id":"fns","client_type":"person","client_id":"c1","request_id":"r","service_id":"s","status":"lost","channel":"portal"}`, bid, ts)
				code = ingest.CodeBadEnum
			default:
				b = fmt.Sprintf(`{"schema":"appeal.v1","event_id":%q,"occurred_at":%q,"agency_id":"fns","client_type":"person","client_id":"ivan.petrov@mail.ru","appeal_id":"a","step":"received","message_type":"mention","channel":"email"}`, bid, ts)
				code = ingest.CodePersonalData
			}
			bad++
			e.Lines = append(e.Lines, []byte(b))
			e.Invalid++
			e.InvalidBy[code]++
		}
	}
	for _, l := range pendingDup {
		e.Lines = append(e.Lines, l)
		e.Dups++
	}
	return e
}

// WriteFile writes the lines as a JSON Lines file in dir and returns its path.
func (e *Events) WriteFile(t TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	var b strings.Builder
	for _, l := range e.Lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatalf("write events file: %v", err)
	}
	return p
}
