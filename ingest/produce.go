package ingest

import (
	"context"
	"fmt"
	"maps"
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

// Route returns the topic and key of one event line as docs/events.md says (topics gives the
// topic of each kind; see DefaultTopics): service_event.v1 keyed by request_id, rating.v1 by
// event_id, appeal.v1 by appeal_id, falling back to event_id when the key field is absent. A
// line that is not JSON, has no known schema, or whose schema or key fields are not strings is
// unroutable (ok false). The event is not validated here: the consumer does that and
// dead-letters it.
func Route(line []byte, topics map[Kind]string) (topic string, key []byte, ok bool) {
	var w wire
	d := decoder{data: line}
	if d.parse(&w) != nil || d.badType[fSchema] != 0 {
		return "", nil, false
	}
	for i := range kinds {
		spec := &kinds[i]
		if spec.schema != w.str[fSchema] {
			continue
		}
		keyNo, idNo := spec.fieldNo(spec.key), spec.fieldNo("event_id")
		if d.badType[keyNo] != 0 || d.badType[idNo] != 0 {
			return "", nil, false
		}
		k := w.str[keyNo]
		if k == "" {
			k = w.str[idNo] // a missing key field: fall back to the event id, still routable
		}
		if k == "" {
			return topics[spec.kind], nil, true
		}
		return topics[spec.kind], []byte(k), true
	}
	return "", nil, false
}

// Producer publishes JSON Lines files to the event topics (`cxstar produce`).
type Producer struct {
	brokers      []string
	topics       map[Kind]string
	unroutable   string
	chunk        int
	progress     func(file string, st ProduceStats)
	every        time.Duration
	onUnroutable func(file string, line int)
	transport    kafka.RoundTripper
}

// WithProduceTransport sets how the producer reaches the brokers (TLS, SASL: see package
// kafkasec). Default: nil (kafka-go's plaintext default transport).
func WithProduceTransport(t kafka.RoundTripper) ProducerOption {
	return func(p *Producer) { p.transport = t }
}

// ProducerOption configures a Producer.
type ProducerOption func(*Producer)

// WithProduceTopics sets the topic of each kind; kinds it does not name keep theirs. Default:
// DefaultTopics().
func WithProduceTopics(topics map[Kind]string) ProducerOption {
	return func(p *Producer) { maps.Copy(p.topics, topics) }
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
func WithProduceChunk(n int) ProducerOption { return func(p *Producer) { p.chunk = n } }

// NewProducer returns a Producer to the brokers.
func NewProducer(brokers []string, opts ...ProducerOption) *Producer {
	p := &Producer{brokers: brokers, topics: DefaultTopics(), chunk: DefaultProduceChunk}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Publish sends every line of the files (see ExpandPaths; .gz too) and returns when the broker
// acknowledged all of them (acks=all). On error, Published counts the acknowledged ones.
func (p *Producer) Publish(ctx context.Context, paths []string) (ProduceStats, error) {
	var st ProduceStats
	if p.chunk < 1 {
		return st, rangeError("", "WithProduceChunk", p.chunk, "at least 1")
	}
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
		Transport:              p.transport,
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
			topic, key, ok := Route(data, p.topics)
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
