package ingest

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// The defaults of every setting of the package, written once: the options' constructors and
// the command line read them from here.
const (
	DefaultBatchMessages  = 50_000                 // WithFlush: messages per consumer batch
	DefaultBatchBytes     = 32 << 20               // WithFlush: estimated bytes per consumer batch
	DefaultBatchWait      = time.Second            // WithFlush: age of a consumer batch
	DefaultMaxBuffer      = 128 << 20              // WithMaxBuffer
	DefaultDedupeWindow   = 250_000                // WithDedupeWindow
	DefaultStopTimeout    = 20 * time.Second       // WithStopTimeout
	DefaultStallAfter     = 30 * time.Second       // WithStallAfter
	DefaultSessionTimeout = 10 * time.Second       // WithSessionTimeout
	DefaultRetryMin       = 100 * time.Millisecond // WithBackoff: first pause between insert attempts
	DefaultRetryMax       = 10 * time.Second       // WithBackoff: largest pause between insert attempts
	DefaultBatchRows      = 50_000                 // WithBatchRows: events per backfill insert
	DefaultLoadAttempts   = 8                      // the WithMaxAttempts `cxstar backfill` uses
	DefaultProduceChunk   = 10_000                 // WithProduceChunk
)

// rangeError refuses a setting: it names the value, the limit and the flag (and option) that sets it.
func rangeError(flag, option string, value any, want string) error {
	if flag == "" {
		return fmt.Errorf("%s is %v; it must be %s", option, value, want)
	}
	return fmt.Errorf("--%s (%s) is %v; it must be %s", flag, option, value, want)
}

// consumerConfig holds every setting of a Consumer; defaultConsumerConfig is the one place its
// defaults are set, validate the one place they are checked.
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
	dialer        *kafka.Dialer
	transport     kafka.RoundTripper
}

func defaultConsumerConfig() consumerConfig {
	return consumerConfig{
		group:         DefaultGroup,
		topics:        DefaultTopics(),
		dlqTopic:      TopicDeadLetter,
		batchMessages: DefaultBatchMessages,
		batchBytes:    DefaultBatchBytes,
		batchWait:     DefaultBatchWait,
		maxBuffer:     DefaultMaxBuffer,
		dedupe:        DefaultDedupeWindow,
		stopTimeout:   DefaultStopTimeout,
		stall:         DefaultStallAfter,
		session:       DefaultSessionTimeout,
		log:           slog.Default(),
		registerer:    prometheus.DefaultRegisterer,
	}
}

// validate refuses settings out of range instead of clamping them.
func (c *consumerConfig) validate() error {
	switch {
	case c.batchMessages < 1:
		return rangeError("batch-rows", "WithFlush", c.batchMessages, "at least 1")
	case c.batchBytes < 1:
		return rangeError("batch-bytes", "WithFlush", c.batchBytes, "at least 1")
	case c.batchWait <= 0:
		return rangeError("batch-wait", "WithFlush", c.batchWait, "positive")
	case c.maxBuffer < batchesInFlight:
		return rangeError("max-buffer-bytes", "WithMaxBuffer", c.maxBuffer, fmt.Sprintf("at least %d (a byte for each batch in flight)", batchesInFlight))
	case c.dedupe < 0:
		return rangeError("dedupe-window", "WithDedupeWindow", c.dedupe, "0 (no limit) or more")
	case c.stopTimeout <= 0:
		return rangeError("stop-timeout", "WithStopTimeout", c.stopTimeout, "positive")
	case c.stall <= 0:
		return rangeError("stall-after", "WithStallAfter", c.stall, "positive")
	case c.session < time.Second:
		return rangeError("session-timeout", "WithSessionTimeout", c.session, "at least 1s")
	case c.group == "":
		return rangeError("group", "WithGroup", `""`, "a consumer group id")
	}
	return nil
}

// CheckConsumer applies opts to the defaults and reports the first setting out of range, as
// Consumer.Run would: the command line checks its flags before connecting to anything.
func CheckConsumer(opts ...ConsumerOption) error {
	cfg := defaultConsumerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return cfg.validate()
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
		c.batchMessages, c.batchBytes, c.batchWait = messages, bytes, wait
	}
}

// WithMaxBuffer bounds the bytes held in batches: three are held (one being written, one waiting
// behind it, one being filled), so a batch is flushed at a third of this at the latest, and
// fetching stops (backpressure) while all three are full. Default: 128 MiB.
func WithMaxBuffer(bytes int) ConsumerOption {
	return func(c *consumerConfig) { c.maxBuffer = bytes }
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

// WithKafkaSecurity sets how the consumer reaches the brokers: dialer for the group and the
// partition readers, transport for the dead-letter writer (TLS, SASL: see package kafkasec).
// Default: nil, nil (kafka-go's plaintext defaults).
func WithKafkaSecurity(dialer *kafka.Dialer, transport kafka.RoundTripper) ConsumerOption {
	return func(c *consumerConfig) { c.dialer, c.transport = dialer, transport }
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
