package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// ProduceStats counts what Publish did. Without an unroutable topic, Read = Published +
// Unroutable; with one, unroutable lines are published too and Read = Published.
type ProduceStats struct {
	Files      int   // files read
	Read       int64 // non-empty lines read
	Published  int64 // messages acknowledged by all in-sync replicas
	Unroutable int64 // lines with no known schema, skipped (or sent to the unroutable topic: see WithUnroutableTopic)
}

// Route returns the topic and key of one event line as docs/events.md says: service_event.v1 to
// cx.service-events keyed by request_id, rating.v1 to cx.ratings keyed by event_id, appeal.v1 to
// cx.appeals keyed by appeal_id. A line that is not JSON or has no known schema is unroutable
// (ok false). The event is not validated here: the consumer does that and dead-letters it.
func Route(line []byte, service, ratings, appeals string) (topic string, key []byte, ok bool) {
	var w struct {
		Schema    string `json:"schema"`
		EventID   string `json:"event_id"`
		RequestID string `json:"request_id"`
		AppealID  string `json:"appeal_id"`
	}
	if json.Unmarshal(line, &w) != nil {
		return "", nil, false
	}
	pick := func(k string) []byte {
		if k == "" {
			k = w.EventID // a missing key field: fall back to the event id, still routable
		}
		if k == "" {
			return nil
		}
		return []byte(k)
	}
	switch w.Schema {
	case "service_event.v1":
		return service, pick(w.RequestID), true
	case "rating.v1":
		return ratings, pick(w.EventID), true
	case "appeal.v1":
		return appeals, pick(w.AppealID), true
	}
	return "", nil, false
}

// Producer publishes JSON Lines files to the event topics (`cxstar produce`).
type Producer struct {
	brokers                   []string
	service, ratings, appeals string
	unroutable                string
	chunk                     int
	progress                  func(file string, st ProduceStats)
	every                     time.Duration
	onUnroutable              func(file string, line int)
}

// ProducerOption configures a Producer.
type ProducerOption func(*Producer)

// WithProduceTopics sets the topics of the three kinds. Default: those of docs/events.md.
func WithProduceTopics(service, ratings, appeals string) ProducerOption {
	return func(p *Producer) { p.service, p.ratings, p.appeals = service, ratings, appeals }
}

// WithUnroutableTopic publishes lines whose kind cannot be determined (not JSON, no known
// schema) to topic, keyless, so that a consumer dead-letters them with their reason. Default: ""
// (they are skipped and counted as Unroutable; see WithUnroutableFunc).
func WithUnroutableTopic(topic string) ProducerOption {
	return func(p *Producer) { p.unroutable = topic }
}

// WithUnroutableFunc sets a function told about every unroutable line (file and 1-based line).
// Default: none.
func WithUnroutableFunc(fn func(file string, line int)) ProducerOption {
	return func(p *Producer) { p.onUnroutable = fn }
}

// WithProduceProgress sets a function called at most once per interval with the running counts.
// Default: none.
func WithProduceProgress(every time.Duration, fn func(file string, st ProduceStats)) ProducerOption {
	return func(p *Producer) { p.every, p.progress = every, fn }
}

// WithProduceChunk sets how many messages one synchronous write waits for. Default: 10,000.
func WithProduceChunk(n int) ProducerOption { return func(p *Producer) { p.chunk = max(1, n) } }

// NewProducer returns a Producer to the brokers.
func NewProducer(brokers []string, opts ...ProducerOption) *Producer {
	p := &Producer{brokers: brokers, service: TopicServiceEvents, ratings: TopicRatings, appeals: TopicAppeals, chunk: 10_000}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Publish sends every line of the files (see ExpandPaths; .gz too) and returns when the broker
// acknowledged all of them (acks=all). On error, Published counts the acknowledged ones.
func (p *Producer) Publish(ctx context.Context, paths []string) (ProduceStats, error) {
	var st ProduceStats
	files, err := ExpandPaths(paths)
	if err != nil {
		return st, err
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(p.brokers...), RequiredAcks: kafka.RequireAll,
		// Murmur2 places a key on the same partition as the Java client and kcat's murmur2 do.
		Balancer:  &kafka.Murmur2Balancer{},
		BatchSize: 5000, BatchBytes: 1 << 20, BatchTimeout: 2 * time.Millisecond, MaxAttempts: 10,
		AllowAutoTopicCreation: false,
	}
	defer w.Close()
	buf := make([]kafka.Message, 0, p.chunk)
	send := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := w.WriteMessages(ctx, buf...); err != nil {
			return fmt.Errorf("publish %d messages to %v (is the broker up? `cxstar broker` starts one; check --brokers): %w", len(buf), p.brokers, err)
		}
		st.Published += int64(len(buf))
		clear(buf)
		buf = buf[:0]
		return nil
	}
	last := time.Now()
	for _, file := range files {
		st.Files++
		err := ScanFile(ctx, file, func(line int, data []byte) error {
			st.Read++
			topic, key, ok := Route(data, p.service, p.ratings, p.appeals)
			if !ok {
				st.Unroutable++
				if p.onUnroutable != nil {
					p.onUnroutable(file, line)
				}
				if p.unroutable == "" {
					return nil
				}
				topic = p.unroutable
			}
			buf = append(buf, kafka.Message{Topic: topic, Key: key, Value: append([]byte(nil), data...)})
			if len(buf) >= p.chunk {
				if err := send(); err != nil {
					return err
				}
				if p.progress != nil && time.Since(last) >= p.every {
					last = time.Now()
					p.progress(file, st)
				}
			}
			return nil
		}, func(line, size int) error {
			st.Read++
			st.Unroutable++
			if p.onUnroutable != nil {
				p.onUnroutable(file, line)
			}
			return nil
		}, nil)
		if err != nil {
			return st, err
		}
	}
	if err := send(); err != nil {
		return st, err
	}
	return st, nil
}
