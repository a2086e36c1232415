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
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkagen"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// Events is a generated stream of JSON lines and what a correct ingestion must make of it
// (see kafkagen.Events).
type Events = kafkagen.Events

// Generate makes a stream of events (see kafkagen.Generate).
func Generate(prefix string, n, dupEvery, invalidEvery int) *Events {
	return kafkagen.Generate(prefix, n, dupEvery, invalidEvery)
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
