// Package kafkatest holds what the Kafka ingestion tests and benchmark share: a deterministic
// event generator whose expected counts are known by construction, an in-process broker, the
// cxstar binary built for subprocess tests, and read-backs from ClickHouse and the dead-letter
// topic.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/chtest"
)

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
// Event ids carry prefix, so two streams with different prefixes never share an id.
func Generate(prefix string, n, dupEvery, invalidEvery int) *Events {
	e := &Events{Distinct: map[ingest.Kind]int{}, InvalidBy: map[string]int{}}
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	var pendingDup [][]byte
	bad := 0
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i) * 7 * time.Second).Format(time.RFC3339)
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
func (e *Events) WriteFile(t testing.TB, dir, name string) string {
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

// StartBroker starts an in-process broker on a free port with the project's topics and stops it
// when the test ends.
func StartBroker(t testing.TB, opts ...broker.Option) *broker.Broker {
	t.Helper()
	b, err := broker.Start(append([]broker.Option{broker.WithPort(0)}, opts...)...)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// Publish sends the events to the broker with ingest.Producer (the code of `cxstar produce`).
func Publish(t testing.TB, brokers []string, e *Events) ingest.ProduceStats {
	t.Helper()
	path := e.WriteFile(t, t.TempDir(), "events.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := ingest.NewProducer(brokers).Publish(ctx, []string{path})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if st.Published != int64(len(e.Lines)) {
		t.Fatalf("published %d of %d lines (unroutable %d)", st.Published, len(e.Lines), st.Unroutable)
	}
	return st
}

// TableCounts is what ClickHouse holds for one raw table.
type TableCounts struct {
	Final    uint64 // count() FINAL: rows an indicator query sees
	Distinct uint64 // uniqExact(event_id)
	Raw      uint64 // count() without FINAL (before merges; ≥ Final when events were redelivered)
}

// Counts reads the three raw tables.
func Counts(ctx context.Context, conn driver.Conn) (map[ingest.Kind]TableCounts, error) {
	out := map[ingest.Kind]TableCounts{}
	for _, k := range []ingest.Kind{ingest.KindService, ingest.KindRating, ingest.KindAppeal} {
		var c TableCounts
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+k.Table()+" FINAL").Scan(&c.Final); err != nil {
			return nil, fmt.Errorf("count %s FINAL: %w", k.Table(), err)
		}
		if err := conn.QueryRow(ctx, "SELECT uniqExact(event_id), count() FROM "+k.Table()).Scan(&c.Distinct, &c.Raw); err != nil {
			return nil, fmt.Errorf("count %s: %w", k.Table(), err)
		}
		out[k] = c
	}
	return out, nil
}

// WaitCounts polls ClickHouse until every table's count() FINAL equals want's Distinct for its
// kind, or the timeout passes; it returns the last counts.
func WaitCounts(t testing.TB, conn driver.Conn, want map[ingest.Kind]int, timeout time.Duration) map[ingest.Kind]TableCounts {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got, err := Counts(ctx, conn)
		cancel()
		if err == nil {
			done := true
			for k, n := range want {
				if got[k].Final != uint64(n) {
					done = false
				}
			}
			if done || time.Now().After(deadline) {
				return got
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("read counts: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// DeadLetter is one message of the dead-letter topic.
type DeadLetter struct {
	Key, Value            []byte
	Error, Reason, Source string
	Partition             int
	Offset                int64
}

// ReadTopic returns every message of topic (all partitions), oldest first per partition.
func ReadTopic(ctx context.Context, addr, topic string) ([]DeadLetter, error) {
	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	var out []DeadLetter
	for _, p := range parts {
		pc, err := kafka.DialLeader(ctx, "tcp", addr, topic, p.ID)
		if err != nil {
			return nil, fmt.Errorf("dial leader of %s/%d: %w", topic, p.ID, err)
		}
		first, last, err := pc.ReadOffsets()
		if err != nil {
			pc.Close()
			return nil, err
		}
		if _, err := pc.Seek(first, kafka.SeekAbsolute); err != nil {
			pc.Close()
			return nil, err
		}
		for off := first; off < last; {
			_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
			batch := pc.ReadBatch(1, 10<<20)
			for {
				m, err := batch.ReadMessage()
				if err != nil {
					break
				}
				d := DeadLetter{Key: m.Key, Value: m.Value, Partition: p.ID, Offset: m.Offset}
				for _, h := range m.Headers {
					switch h.Key {
					case ingest.HeaderError:
						d.Error = string(h.Value)
					case ingest.HeaderReason:
						d.Reason = string(h.Value)
					case ingest.HeaderSource:
						d.Source = string(h.Value)
					}
				}
				out = append(out, d)
				off = m.Offset + 1
			}
			if err := batch.Close(); err != nil && !errors.Is(err, io.EOF) {
				pc.Close()
				return nil, fmt.Errorf("read %s/%d: %w", topic, p.ID, err)
			}
		}
		pc.Close()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out, nil
}

// Binary builds the cxstar command into dir and returns its path.
func Binary(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "cxstar")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/cxstar")
	cmd.Dir = chtest.RepoRoot()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/cxstar: %v\n%s", err, b)
	}
	return out
}
