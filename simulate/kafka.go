package simulate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
)

// KafkaSink publishes generated events straight to the event topics of docs/events.md, keyed as the
// contract says (the generator supplies the key), with acks=all and the murmur2 partitioner of
// `cxstar produce`. Invalid lines go to their kind's topic, where the consumer dead-letters them.
// Messages are sent in chunks; Write returns once a full chunk is acknowledged, Close sends the
// rest. Not safe for concurrent use.
type KafkaSink struct {
	ctx       context.Context
	w         *kafka.Writer
	topics    [4]string
	msgs      []kafka.Message
	arena     []byte
	chunk     int
	published int64
	transport kafka.RoundTripper
}

// KafkaOption configures a KafkaSink.
type KafkaOption func(*KafkaSink)

// WithKafkaTopics sets the topics of the three kinds. Default: cx.service-events, cx.ratings,
// cx.appeals.
func WithKafkaTopics(service, ratings, appeals string) KafkaOption {
	return func(s *KafkaSink) {
		s.topics[ingest.KindService], s.topics[ingest.KindRating], s.topics[ingest.KindAppeal] = service, ratings, appeals
	}
}

// WithKafkaChunk sets how many messages one synchronous write sends. Default: 50,000.
func WithKafkaChunk(n int) KafkaOption { return func(s *KafkaSink) { s.chunk = max(1, n) } }

// WithKafkaTransport sets how the sink reaches the brokers (TLS, SASL: see package kafkasec).
// Default: nil (kafka-go's plaintext default transport).
func WithKafkaTransport(t kafka.RoundTripper) KafkaOption {
	return func(s *KafkaSink) { s.transport = t }
}

// NewKafkaSink returns a sink to brokers; ctx bounds every write.
func NewKafkaSink(ctx context.Context, brokers []string, opts ...KafkaOption) *KafkaSink {
	s := &KafkaSink{ctx: ctx, chunk: 50_000}
	WithKafkaTopics(ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals)(s)
	for _, o := range opts {
		o(s)
	}
	s.w = &kafka.Writer{
		Addr: kafka.TCP(brokers...), RequiredAcks: kafka.RequireAll, Balancer: &kafka.Murmur2Balancer{},
		BatchSize: 5000, BatchBytes: 1 << 20, BatchTimeout: 2 * time.Millisecond, MaxAttempts: 10,
		Transport: s.transport,
	}
	s.msgs = make([]kafka.Message, 0, s.chunk)
	s.arena = make([]byte, 0, s.chunk*400) // ~400 bytes an event
	return s
}

// Write queues one message and sends the chunk when it is full.
func (s *KafkaSink) Write(kind ingest.Kind, key, line []byte) error {
	// Key and value live in one arena that is reused after each acknowledged chunk; when the arena
	// grows, earlier messages keep pointing into the old one, which stays valid.
	start := len(s.arena)
	s.arena = append(s.arena, key...)
	s.arena = append(s.arena, line...)
	k := s.arena[start : start+len(key) : start+len(key)]
	v := s.arena[start+len(key) : len(s.arena) : len(s.arena)]
	s.msgs = append(s.msgs, kafka.Message{Topic: s.topics[kind], Key: k, Value: v})
	if len(s.msgs) >= s.chunk {
		return s.flush()
	}
	return nil
}

func (s *KafkaSink) flush() error {
	if len(s.msgs) == 0 {
		return nil
	}
	if err := s.w.WriteMessages(s.ctx, s.msgs...); err != nil {
		// kafka-go reports one error per message: say how many failed and the first reason.
		var we kafka.WriteErrors
		if errors.As(err, &we) {
			for _, e := range we {
				if e != nil {
					return fmt.Errorf("publish simulated events to Kafka: %d of %d messages failed, first: %w", we.Count(), len(s.msgs), e)
				}
			}
		}
		return fmt.Errorf("publish %d simulated events to Kafka (is the broker up? `cxstar broker` starts one): %w", len(s.msgs), err)
	}
	s.published += int64(len(s.msgs))
	clear(s.msgs)
	s.msgs, s.arena = s.msgs[:0], s.arena[:0]
	return nil
}

// Published returns the number of messages the brokers acknowledged.
func (s *KafkaSink) Published() int64 { return s.published }

// Close sends the last chunk and closes the writer.
func (s *KafkaSink) Close() error {
	err := s.flush()
	if cerr := s.w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close Kafka writer: %w", cerr)
	}
	return err
}
