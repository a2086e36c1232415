package ingest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// DefaultGroup is the consumer group of `cxstar ingest`.
const DefaultGroup = "cxstar-ingest"

// ConsumerStats counts what a Consumer did since it started.
type ConsumerStats struct {
	Consumed   int64 // messages processed
	Inserted   int64 // events acknowledged by ClickHouse
	Duplicates int64 // valid events skipped because this process had stored their event_id
	Rejected   int64 // messages written to the dead-letter topic
	Committed  int64 // messages whose offsets were committed
	Batches    int64 // batches flushed
}

// Consumer is the `cxstar ingest` service: it reads the event topics with a Kafka consumer
// group, validates each message with the same Validator as backfill, writes valid events with the
// same Writer, sends invalid ones to the dead-letter topic, and commits offsets only after both
// ClickHouse and the dead-letter topic acknowledged the batch that holds them.
//
// Group handling uses kafka-go's ConsumerGroup/Generation API rather than Reader with GroupID:
// every commit names the generation that fetched the messages, so the coordinator refuses a
// commit that arrives after the partition was revoked (it can neither rewind nor skip the new
// owner's offsets). Each assigned partition is read by its own fetch loop on a connection to the
// partition's leader, starting at the committed offset (generation.go, partition.go).
type Consumer struct {
	cfg     consumerConfig
	brokers []string
	topics  map[string]Kind
	v       *Validator
	w       *Writer
	m       *consumerMetrics
	// dialer is the partition readers': WithKafkaSecurity's (default kafka.DefaultDialer), its
	// connections read through a buffer (readDialer).
	dialer *kafka.Dialer

	consumed, inserted, duplicates, rejected, committed, batches atomic.Int64
	joined                                                       atomic.Bool
	flushSince                                                   atomic.Int64 // unix nanos of the flush in progress, 0 when idle
}

// NewConsumer returns a Consumer of the brokers' topics that validates with v and writes with w.
// w should retry without limit (WithMaxAttempts(0), the default): a batch that is not written is
// never committed, so the consumer waits for ClickHouse rather than skipping.
func NewConsumer(brokers []string, v *Validator, w *Writer, opts ...ConsumerOption) *Consumer {
	cfg := defaultConsumerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.batchBytes = min(cfg.batchBytes, max(1, cfg.maxBuffer/batchesInFlight)) // WithMaxBuffer's documented bound
	c := &Consumer{cfg: cfg, brokers: brokers, v: v, w: w, topics: map[string]Kind{}, m: newConsumerMetrics(cfg.registerer)}
	c.dialer = readDialer(cmp.Or(cfg.dialer, kafka.DefaultDialer))
	for k, t := range cfg.topics {
		c.topics[t] = k
	}
	return c
}

// Stats returns the counts so far.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{Consumed: c.consumed.Load(), Inserted: c.inserted.Load(), Duplicates: c.duplicates.Load(),
		Rejected: c.rejected.Load(), Committed: c.committed.Load(), Batches: c.batches.Load()}
}

// Health reports whether the consumer is making progress: it has joined its group and no flush
// has been waiting for ClickHouse or the broker for longer than the stall limit.
func (c *Consumer) Health() (ok bool, status string) {
	if !c.joined.Load() {
		return false, "not a member of consumer group " + c.cfg.group + " (broker down or rebalancing)"
	}
	if since := c.flushSince.Load(); since != 0 {
		if d := time.Since(time.Unix(0, since)); d > c.cfg.stall {
			return false, fmt.Sprintf("a batch has been waiting %s for ClickHouse or the dead-letter topic", d.Round(time.Second))
		}
	}
	return true, "ok"
}

// HealthHandler serves /healthz: 200 and a JSON body when healthy, 503 otherwise.
func (c *Consumer) HealthHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		ok, status := c.Health()
		rw.Header().Set("Content-Type", "application/json")
		if !ok {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(rw).Encode(map[string]any{"ok": ok, "status": status, "stats": c.Stats()})
	})
}

type kafkaLogger struct {
	l     *slog.Logger
	level slog.Level
}

func (k kafkaLogger) Printf(format string, args ...any) {
	k.l.Log(context.Background(), k.level, "kafka: "+fmt.Sprintf(format, args...))
}

// Run consumes until ctx ends, then writes and commits the batches in flight and returns nil. It
// returns an error only when it cannot start or when a batch could not be written in time (its
// messages are then re-read on the next start: nothing is lost).
func (c *Consumer) Run(ctx context.Context) error {
	if err := c.cfg.validate(); err != nil {
		return err
	}
	topics := make([]string, 0, len(c.topics))
	for t := range c.topics {
		topics = append(topics, t)
	}
	log := c.cfg.log
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.cfg.group, Brokers: c.brokers, Topics: topics,
		StartOffset:           kafka.FirstOffset,
		HeartbeatInterval:     max(100*time.Millisecond, c.cfg.session/5),
		SessionTimeout:        c.cfg.session,
		RebalanceTimeout:      30 * time.Second,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		ErrorLogger:           kafkaLogger{log, slog.LevelDebug},
		Dialer:                c.cfg.dialer,
	})
	if err != nil {
		return fmt.Errorf("kafka consumer group %s on %v: %w", c.cfg.group, c.brokers, err)
	}
	defer cg.Close()
	dlq := c.cfg.deadLetters
	if dlq == nil {
		dlq = newKafkaDeadLetters(c.brokers, c.cfg.dlqTopic, c.cfg.transport, log)
	}
	defer dlq.Close()
	seen := NewSeen(c.cfg.dedupe)
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return nil
			}
			c.joined.Store(false)
			log.Warn("cannot join the consumer group; retrying (is the broker up? check --brokers)", "group", c.cfg.group, "brokers", c.brokers, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		c.m.generations.Inc()
		c.joined.Store(true)
		log.Info("joined consumer group", "group", c.cfg.group, "generation", gen.ID, "partitions", describe(gen.Assignments))
		done := make(chan genResult, 1)
		gen.Start(func(gctx context.Context) { done <- c.runGeneration(ctx, gctx, gen, dlq, seen) })
		res := <-done
		c.joined.Store(false) // until the next generation is joined
		if res.tainted {
			// Ids of a batch that was not stored may be redelivered: forget them all so that
			// they are not mistaken for duplicates.
			seen = NewSeen(c.cfg.dedupe)
		}
		if ctx.Err() != nil {
			return res.err
		}
		if res.err != nil {
			log.Warn("generation ended with an unwritten batch; it will be read again", "generation", gen.ID, "err", res.err)
		}
	}
}

func describe(a map[string][]kafka.PartitionAssignment) string {
	s := ""
	for t, ps := range a {
		for _, p := range ps {
			s += fmt.Sprintf("%s/%d@%d ", t, p.ID, p.Offset)
		}
	}
	return s
}

// consumerMetrics are the consumer's Prometheus collectors.
type consumerMetrics struct {
	consumed     *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	duplicates   prometheus.Counter
	inserted     prometheus.Counter
	batchRows    prometheus.Histogram
	flushSeconds prometheus.Histogram
	commitErrors prometheus.Counter
	generations  prometheus.Counter
	lag          *prometheus.GaugeVec
	committed    *prometheus.GaugeVec
	assigned     *prometheus.GaugeVec
	buffered     prometheus.Gauge

	consumedOf map[string]prometheus.Counter // per topic: one label lookup per topic, not per message
}

func newConsumerMetrics(reg prometheus.Registerer) *consumerMetrics {
	partition := []string{"topic", "partition"}
	return &consumerMetrics{
		consumed: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxstar_kafka_consumed_messages_total", Help: "Messages fetched from Kafka and processed, per topic.",
		}, []string{"topic"})),
		rejected: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxstar_kafka_rejected_messages_total", Help: "Messages refused by validation and sent to the dead-letter topic, per topic and code.",
		}, []string{"topic", "code"})),
		duplicates: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxstar_kafka_duplicate_events_total", Help: "Valid events whose event_id this process had already stored (not inserted again).",
		})),
		inserted: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxstar_kafka_inserted_events_total", Help: "Events from Kafka acknowledged by ClickHouse.",
		})),
		batchRows: register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cxstar_kafka_batch_messages", Help: "Messages per flushed batch (inserted, duplicate and rejected).",
			Buckets: prometheus.ExponentialBuckets(16, 4, 8),
		})),
		flushSeconds: register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cxstar_kafka_flush_duration_seconds", Help: "Time from handing a batch over to its offsets being committed (dead letters, inserts, commit).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		})),
		commitErrors: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxstar_kafka_commit_errors_total", Help: "Offset commits the group coordinator refused (usually a rebalance; the messages are re-read and stored once).",
		})),
		generations: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxstar_kafka_generations_total", Help: "Consumer group generations joined (rebalances).",
		})),
		lag: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cxstar_kafka_consumer_lag", Help: "Messages of a partition not yet committed: high watermark (as of the last fetch) minus committed offset.",
		}, partition)),
		committed: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cxstar_kafka_committed_offset", Help: "Next offset to read of a partition owned by this process, as committed.",
		}, partition)),
		assigned: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cxstar_kafka_assigned_partition", Help: "1 for each partition this process owns in the current group generation.",
		}, partition)),
		buffered: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cxstar_kafka_buffered_bytes", Help: "Estimated bytes held in batches not yet committed.",
		})),
		consumedOf: map[string]prometheus.Counter{},
	}
}

// consumedCounter returns the counter of messages consumed from topic. It is called from the
// generation loop only.
func (m *consumerMetrics) consumedCounter(topic string) prometheus.Counter {
	c, ok := m.consumedOf[topic]
	if !ok {
		c = m.consumed.WithLabelValues(topic)
		m.consumedOf[topic] = c
	}
	return c
}

// register registers c with reg, or returns the collector already registered under its name
// (several consumers and writers in one process share their metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(fmt.Sprintf("ingest: register metric: %v", err))
	}
	return c
}
