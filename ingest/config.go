package ingest

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// consumerConfig holds every setting of a Consumer; defaultConsumerConfig is the one place its
// defaults are written.
type consumerConfig struct {
	group         string
	topics        map[Kind]string
	dlqTopic      string
	batchMessages int
	batchBytes    int
	batchWait     time.Duration
	maxBuffer     int
	dedupe        int
	stopTimeout   time.Duration
	stall         time.Duration
	session       time.Duration
	log           *slog.Logger
	registerer    prometheus.Registerer
	deadLetters   deadLetters // nil: the dead-letter topic on the consumer's brokers
}

func defaultConsumerConfig() consumerConfig {
	return consumerConfig{
		group:         DefaultGroup,
		topics:        DefaultTopics(),
		dlqTopic:      TopicDeadLetter,
		batchMessages: 50_000,
		batchBytes:    32 << 20,
		batchWait:     time.Second,
		maxBuffer:     128 << 20,
		dedupe:        250_000,
		stopTimeout:   20 * time.Second,
		stall:         30 * time.Second,
		session:       10 * time.Second,
		log:           slog.Default(),
		registerer:    prometheus.DefaultRegisterer,
	}
}

// ConsumerOption configures a Consumer.
type ConsumerOption func(*consumerConfig)

// WithGroup sets the consumer group id. Default: "cxstar-ingest".
func WithGroup(id string) ConsumerOption { return func(c *consumerConfig) { c.group = id } }

// WithTopics sets the topic of each kind; kinds it does not name keep theirs. Default:
// DefaultTopics() (cx.service-events, cx.ratings, cx.appeals).
func WithTopics(topics map[Kind]string) ConsumerOption {
	return func(c *consumerConfig) {
		for k, t := range topics {
			c.topics[k] = t
		}
	}
}

// WithDeadLetterTopic sets where rejected messages go. Default: cx.dead-letter.
func WithDeadLetterTopic(topic string) ConsumerOption {
	return func(c *consumerConfig) { c.dlqTopic = topic }
}

// WithFlush sets when a batch is written: after messages messages, bytes estimated bytes, or wait
// since its first message, whichever comes first. Default: 50,000 messages, 32 MiB, 1 s.
func WithFlush(messages, bytes int, wait time.Duration) ConsumerOption {
	return func(c *consumerConfig) {
		c.batchMessages, c.batchBytes, c.batchWait = max(1, messages), max(1, bytes), wait
	}
}

// WithMaxBuffer bounds the bytes held in batches: one batch is filled while the previous one is
// written, so a batch is flushed at half of this at the latest, and fetching stops (backpressure)
// while both are full. Default: 128 MiB.
func WithMaxBuffer(bytes int) ConsumerOption {
	return func(c *consumerConfig) { c.maxBuffer = max(2, bytes) }
}

// WithDedupeWindow sets how many recent event ids the process remembers to count duplicates
// (see Seen). Default: 250,000 (~12 MB); duplicates from retries arrive close together.
func WithDedupeWindow(n int) ConsumerOption { return func(c *consumerConfig) { c.dedupe = n } }

// WithStopTimeout sets how long the last batch may take to be written when the process is asked
// to stop or loses its partitions; after that it is dropped uncommitted (it is read again by the
// next owner). Default: 20 s (below the 30 s rebalance timeout).
func WithStopTimeout(d time.Duration) ConsumerOption {
	return func(c *consumerConfig) { c.stopTimeout = d }
}

// WithStallAfter sets how long one flush may take before /healthz reports the consumer as stalled
// (ClickHouse or the broker down). Default: 30 s.
func WithStallAfter(d time.Duration) ConsumerOption { return func(c *consumerConfig) { c.stall = d } }

// WithSessionTimeout sets the consumer-group session timeout: how long the coordinator waits
// for a silent member (e.g. a killed process) before giving its partitions to the others.
// Heartbeats are sent every fifth of it. Default: 10 s.
func WithSessionTimeout(d time.Duration) ConsumerOption {
	return func(c *consumerConfig) { c.session = d }
}

// WithConsumerLogger sets where the consumer reports. Default: slog.Default().
func WithConsumerLogger(l *slog.Logger) ConsumerOption { return func(c *consumerConfig) { c.log = l } }

// WithConsumerRegisterer sets where the consumer's Prometheus metrics are registered (nil: not
// registered). Consumers sharing a registerer share their metrics. Default:
// prometheus.DefaultRegisterer.
func WithConsumerRegisterer(r prometheus.Registerer) ConsumerOption {
	return func(c *consumerConfig) { c.registerer = r }
}

// withDeadLetters replaces the dead-letter topic by d (tests).
func withDeadLetters(d deadLetters) ConsumerOption {
	return func(c *consumerConfig) { c.deadLetters = d }
}
