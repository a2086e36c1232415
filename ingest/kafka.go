package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"
)

// Dead-letter headers (docs/events.md).
const (
	HeaderError  = "cx-error"  // the rejection code, e.g. out_of_range
	HeaderReason = "cx-reason" // the human reason, with the field at fault
	HeaderSource = "cx-source" // topic/partition/offset of the original message
)

// CodeWrongTopic rejects a valid event that arrived on another kind's topic (e.g. a rating.v1
// on cx.service-events): the producer routed it wrong and its key may not be the contract's.
const CodeWrongTopic = "wrong_topic"

// DefaultGroup is the consumer group of `cxstar ingest`.
const DefaultGroup = "cxstar-ingest"

var (
	kafkaConsumed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "cxstar_kafka_consumed_messages_total", Help: "Messages fetched from Kafka and processed, per topic.",
	}, []string{"topic"})
	kafkaRejected = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "cxstar_kafka_rejected_messages_total", Help: "Messages refused by validation and sent to the dead-letter topic, per topic and code.",
	}, []string{"topic", "code"})
	kafkaDuplicates = promauto.NewCounter(prometheus.CounterOpts{
		Name: "cxstar_kafka_duplicate_events_total", Help: "Valid events whose event_id this process had already stored (not inserted again).",
	})
	kafkaInserted = promauto.NewCounter(prometheus.CounterOpts{
		Name: "cxstar_kafka_inserted_events_total", Help: "Events from Kafka acknowledged by ClickHouse.",
	})
	kafkaBatchRows = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "cxstar_kafka_batch_messages", Help: "Messages per flushed batch (inserted, duplicate and rejected).",
		Buckets: prometheus.ExponentialBuckets(16, 4, 8),
	})
	kafkaFlushSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "cxstar_kafka_flush_duration_seconds", Help: "Time from handing a batch over to its offsets being committed (dead letters, inserts, commit).",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
	})
	kafkaCommitErrors = promauto.NewCounter(prometheus.CounterOpts{
		Name: "cxstar_kafka_commit_errors_total", Help: "Offset commits the group coordinator refused (usually a rebalance; the messages are re-read and stored once).",
	})
	kafkaGenerations = promauto.NewCounter(prometheus.CounterOpts{
		Name: "cxstar_kafka_generations_total", Help: "Consumer group generations joined (rebalances).",
	})
	kafkaLag = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cxstar_kafka_consumer_lag", Help: "Messages of a partition not yet committed: high watermark (as of the last fetch) minus committed offset.",
	}, []string{"topic", "partition"})
	kafkaCommitted = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cxstar_kafka_committed_offset", Help: "Next offset to read of a partition owned by this process, as committed.",
	}, []string{"topic", "partition"})
	kafkaAssigned = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cxstar_kafka_assigned_partition", Help: "1 for each partition this process owns in the current group generation.",
	}, []string{"topic", "partition"})
	kafkaBuffered = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "cxstar_kafka_buffered_bytes", Help: "Estimated bytes held in batches not yet committed.",
	})
)

// consumedCounters caches the per-topic counter of consumed messages (one label lookup per
// topic instead of one per message).
var consumedCounters sync.Map

func consumedOf(topic string) prometheus.Counter {
	if c, ok := consumedCounters.Load(topic); ok {
		return c.(prometheus.Counter)
	}
	c := kafkaConsumed.WithLabelValues(topic)
	consumedCounters.Store(topic, c)
	return c
}

// ConsumerStats counts what a Consumer did since it started.
type ConsumerStats struct {
	Consumed   int64 // messages processed
	Inserted   int64 // events acknowledged by ClickHouse
	Duplicates int64 // valid events skipped because this process had stored their event_id
	Rejected   int64 // messages written to the dead-letter topic
	Committed  int64 // messages whose offsets were committed
	Batches    int64 // batches flushed
}

// Consumer is the `cxstar ingest` service: it reads the three event topics with a Kafka consumer
// group, validates each message with the same Validator as backfill, writes valid events with the
// same Writer, sends invalid ones to the dead-letter topic, and commits offsets only after both
// ClickHouse and the dead-letter topic acknowledged the batch that holds them.
//
// Group handling uses kafka-go's ConsumerGroup/Generation API rather than Reader with GroupID:
// every commit names the generation that fetched the messages, so the coordinator refuses a
// commit that arrives after the partition was revoked (it can neither rewind nor skip the new
// owner's offsets). Each assigned partition is read by its own partition Reader, starting at
// the committed offset.
type Consumer struct {
	brokers       []string
	group         string
	topics        map[string]Kind
	dlqTopic      string
	v             *Validator
	w             *Writer
	batchMessages int
	batchBytes    int
	batchWait     time.Duration
	maxBuffer     int
	dedupe        int
	stopTimeout   time.Duration
	stall         time.Duration
	session       time.Duration
	log           *slog.Logger

	consumed, inserted, duplicates, rejected, committed, batches atomic.Int64
	joined                                                       atomic.Bool
	flushSince                                                   atomic.Int64 // unix nanos of the flush in progress, 0 when idle
}

// ConsumerOption configures a Consumer.
type ConsumerOption func(*Consumer)

// WithGroup sets the consumer group id. Default: "cxstar-ingest".
func WithGroup(id string) ConsumerOption { return func(c *Consumer) { c.group = id } }

// WithTopics sets the topic of each kind; kinds it does not name keep theirs. Default:
// DefaultTopics() (cx.service-events, cx.ratings, cx.appeals).
func WithTopics(topics map[Kind]string) ConsumerOption {
	return func(c *Consumer) {
		for k, t := range topics {
			for have, kind := range c.topics {
				if kind == k {
					delete(c.topics, have)
				}
			}
			c.topics[t] = k
		}
	}
}

// WithDeadLetterTopic sets where rejected messages go. Default: cx.dead-letter.
func WithDeadLetterTopic(topic string) ConsumerOption {
	return func(c *Consumer) { c.dlqTopic = topic }
}

// WithFlush sets when a batch is written: after messages messages, bytes estimated bytes, or wait
// since its first message, whichever comes first. Default: 50,000 messages, 32 MiB, 1 s.
func WithFlush(messages, bytes int, wait time.Duration) ConsumerOption {
	return func(c *Consumer) { c.batchMessages, c.batchBytes, c.batchWait = max(1, messages), max(1, bytes), wait }
}

// WithMaxBuffer bounds the bytes held in batches: one batch is filled while the previous one is
// written, so a batch is flushed at half of this at the latest, and fetching stops (backpressure)
// while both are full. Default: 128 MiB.
func WithMaxBuffer(bytes int) ConsumerOption {
	return func(c *Consumer) { c.maxBuffer = max(2, bytes) }
}

// WithDedupeWindow sets how many recent event ids the process remembers to count duplicates
// (see Seen). Default: 250,000 (~12 MB); duplicates from retries arrive close together.
func WithDedupeWindow(n int) ConsumerOption { return func(c *Consumer) { c.dedupe = n } }

// WithStopTimeout sets how long the last batch may take to be written when the process is asked
// to stop or loses its partitions; after that it is dropped uncommitted (it is read again by the
// next owner). Default: 20 s (below the 30 s rebalance timeout).
func WithStopTimeout(d time.Duration) ConsumerOption { return func(c *Consumer) { c.stopTimeout = d } }

// WithStallAfter sets how long one flush may take before /healthz reports the consumer as stalled
// (ClickHouse or the broker down). Default: 30 s.
func WithStallAfter(d time.Duration) ConsumerOption { return func(c *Consumer) { c.stall = d } }

// WithSessionTimeout sets the consumer-group session timeout: how long the coordinator waits
// for a silent member (e.g. a killed process) before giving its partitions to the others.
// Heartbeats are sent every fifth of it. Default: 10 s.
func WithSessionTimeout(d time.Duration) ConsumerOption { return func(c *Consumer) { c.session = d } }

// WithConsumerLogger sets where the consumer reports. Default: slog.Default().
func WithConsumerLogger(l *slog.Logger) ConsumerOption { return func(c *Consumer) { c.log = l } }

// NewConsumer returns a Consumer of the brokers' topics that validates with v and writes with w.
// w should retry without limit (WithMaxAttempts(0), the default): a batch that is not written is
// never committed, so the consumer waits for ClickHouse rather than skipping.
func NewConsumer(brokers []string, v *Validator, w *Writer, opts ...ConsumerOption) *Consumer {
	c := &Consumer{brokers: brokers, group: DefaultGroup, dlqTopic: TopicDeadLetter, v: v, w: w,
		batchMessages: 50_000, batchBytes: 32 << 20, batchWait: time.Second, maxBuffer: 128 << 20,
		dedupe: 250_000, stopTimeout: 20 * time.Second, stall: 30 * time.Second, session: 10 * time.Second, log: slog.Default()}
	c.topics = map[string]Kind{}
	WithTopics(DefaultTopics())(c)
	for _, o := range opts {
		o(c)
	}
	c.batchBytes = min(c.batchBytes, c.maxBuffer/2)
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
		return false, "not a member of consumer group " + c.group + " (broker down or rebalancing)"
	}
	if since := c.flushSince.Load(); since != 0 {
		if d := time.Since(time.Unix(0, since)); d > c.stall {
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

// Run consumes until ctx ends, then writes and commits the batch in flight and returns nil. It
// returns an error only when it cannot start or when the last batch could not be written in
// time (it is then re-read on the next start: nothing is lost).
func (c *Consumer) Run(ctx context.Context) error {
	topics := make([]string, 0, len(c.topics))
	for t := range c.topics {
		topics = append(topics, t)
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.group, Brokers: c.brokers, Topics: topics,
		StartOffset:           kafka.FirstOffset,
		HeartbeatInterval:     max(100*time.Millisecond, c.session/5),
		SessionTimeout:        c.session,
		RebalanceTimeout:      30 * time.Second,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		ErrorLogger:           kafkaLogger{c.log, slog.LevelDebug},
	})
	if err != nil {
		return fmt.Errorf("kafka consumer group %s on %v: %w", c.group, c.brokers, err)
	}
	defer cg.Close()
	dlq := &kafka.Writer{Addr: kafka.TCP(c.brokers...), Topic: c.dlqTopic, RequiredAcks: kafka.RequireAll,
		Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond, BatchSize: 1000, MaxAttempts: 3}
	defer dlq.Close()
	seen := NewSeen(c.dedupe)
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return nil
			}
			c.joined.Store(false)
			c.log.Warn("cannot join the consumer group; retrying (is the broker up? check --brokers)", "group", c.group, "brokers", c.brokers, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		kafkaGenerations.Inc()
		c.joined.Store(true)
		c.log.Info("joined consumer group", "group", c.group, "generation", gen.ID, "partitions", describe(gen.Assignments))
		done := make(chan genResult, 1)
		gen.Start(func(gctx context.Context) { done <- c.runGeneration(ctx, gctx, gen, dlq, seen) })
		res := <-done
		c.joined.Store(false) // until the next generation is joined
		if res.tainted {
			// Ids of a batch that was not stored may be redelivered: forget them all so that
			// they are not mistaken for duplicates.
			seen = NewSeen(c.dedupe)
		}
		if ctx.Err() != nil {
			return res.err
		}
		if res.err != nil {
			c.log.Warn("generation ended with an unwritten batch; it will be read again", "generation", gen.ID, "err", res.err)
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

type tp struct {
	topic string
	part  int
}

// pending is one batch in the pipeline: the rows, the dead letters and, per partition, the
// highest offset it holds (contiguous: messages of one partition are processed in order and
// batches are written and committed one after the other).
type pending struct {
	rows     Batch
	dead     []kafka.Message
	deadSize int
	last     map[tp]position
	messages int
	dups     int
}

// position is the last offset of a partition in a batch and the partition's high watermark
// when that message was fetched.
type position struct{ offset, hwm int64 }

func (p *pending) reset() {
	p.rows.Reset()
	clear(p.dead)
	p.dead = p.dead[:0]
	p.deadSize, p.messages, p.dups = 0, 0, 0
	clear(p.last)
}

func (p *pending) bytes() int { return p.rows.Bytes() + p.deadSize }

type genResult struct {
	err     error
	tainted bool
}

func (c *Consumer) runGeneration(ctx, gctx context.Context, gen *kafka.Generation, dlq *kafka.Writer, seen *Seen) genResult {
	in := make(chan kafka.Message, 4096)
	rctx, stopReaders := context.WithCancel(context.Background())
	var readersWG sync.WaitGroup
	var readers []*kafka.Reader
	owned := map[tp]bool{}
	for topic, parts := range gen.Assignments {
		for _, pa := range parts {
			owned[tp{topic, pa.ID}] = true
			kafkaAssigned.WithLabelValues(topic, strconv.Itoa(pa.ID)).Set(1)
			r := kafka.NewReader(kafka.ReaderConfig{
				Brokers: c.brokers, Topic: topic, Partition: pa.ID,
				MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 200 * time.Millisecond, QueueCapacity: 500,
				ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
				ErrorLogger: kafkaLogger{c.log, slog.LevelDebug},
			})
			off := pa.Offset
			if off < 0 {
				off = kafka.FirstOffset
			}
			if err := r.SetOffset(off); err != nil {
				c.log.Warn("set partition offset", "topic", topic, "partition", pa.ID, "offset", off, "err", err)
			}
			readers = append(readers, r)
			readersWG.Add(1)
			go func() {
				defer readersWG.Done()
				for {
					m, err := r.FetchMessage(rctx)
					if err != nil {
						if rctx.Err() != nil {
							return
						}
						c.log.Warn("fetch failed; retrying (broker down?)", "topic", topic, "partition", pa.ID, "err", err)
						select {
						case <-rctx.Done():
							return
						case <-time.After(500 * time.Millisecond):
						}
						continue
					}
					select {
					case in <- m:
					case <-rctx.Done():
						return
					}
				}
			}()
		}
	}

	// The writer: dead letters, then rows, then the commit of every partition the batch advanced.
	wctx, cancelWrites := context.WithCancel(context.Background())
	defer cancelWrites()
	full := make(chan *pending)
	free := make(chan *pending, 2)
	free <- &pending{last: map[tp]position{}}
	free <- &pending{last: map[tp]position{}}
	var (
		writerDone = make(chan struct{})
		failed     atomic.Bool
		writeErr   error
		buffered   atomic.Int64
	)
	go func() {
		defer close(writerDone)
		durable := map[tp]int64{}
		hwm := map[tp]int64{}
		for p := range full {
			if !failed.Load() {
				if err := c.flush(wctx, gen, dlq, p, durable, hwm); err != nil {
					failed.Store(true)
					writeErr = err
				}
			}
			buffered.Add(-int64(p.bytes()))
			kafkaBuffered.Set(float64(buffered.Load()))
			p.reset()
			free <- p
		}
	}()

	cur := <-free
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// stop begins the end of the generation: no more fetching, and the batches still to be
	// written get the stop timeout, after which they are abandoned uncommitted.
	var stopTimer *time.Timer
	stop := sync.OnceFunc(func() {
		stopReaders()
		stopTimer = time.AfterFunc(c.stopTimeout, cancelWrites)
	})
	defer func() {
		if stopTimer != nil {
			stopTimer.Stop()
		}
	}()
	hand := func() {
		if cur.messages == 0 {
			return
		}
		kafkaBatchRows.Observe(float64(cur.messages))
		buffered.Add(int64(cur.bytes()))
		kafkaBuffered.Set(float64(buffered.Load()))
		// Backpressure: while the writer is busy (ClickHouse slow or down) nothing is read. A stop
		// request must still get through, so that SIGTERM is honoured within the stop timeout.
		select {
		case full <- cur:
		case <-ctx.Done():
			stop()
			full <- cur
		case <-gctx.Done():
			stop()
			full <- cur
		}
		cur = <-free
		timer.Stop()
	}
	var ev Event
	var stopping bool
	for !stopping {
		select {
		case <-ctx.Done():
			stopping = true
		case <-gctx.Done():
			stopping = true
		case <-timer.C:
			if cur.messages > 0 {
				if wait := c.batchWait - time.Since(first); wait > 0 {
					timer.Reset(wait)
				} else {
					hand()
				}
			}
		case m := <-in:
			c.consumed.Add(1)
			consumedOf(m.Topic).Inc()
			if cur.messages == 0 {
				first = time.Now()
				timer.Reset(c.batchWait)
			}
			c.process(&m, &ev, cur, seen)
			if cur.messages >= c.batchMessages || cur.bytes() >= c.batchBytes {
				hand()
			}
		}
	}

	// Stop: no new messages (the ones fetched but not processed are simply re-read), write what
	// was processed within the stop timeout, commit, close the partition readers.
	stop()
	hand()
	close(full)
	<-writerDone
	readersWG.Wait()
	var closeWG sync.WaitGroup
	for _, r := range readers {
		closeWG.Add(1)
		go func() { defer closeWG.Done(); _ = r.Close() }()
	}
	closeWG.Wait()
	for k := range owned {
		kafkaAssigned.DeleteLabelValues(k.topic, strconv.Itoa(k.part))
		kafkaLag.DeleteLabelValues(k.topic, strconv.Itoa(k.part))
		kafkaCommitted.DeleteLabelValues(k.topic, strconv.Itoa(k.part))
	}
	return genResult{err: writeErr, tainted: failed.Load()}
}

// process validates one message into the pending batch.
func (c *Consumer) process(m *kafka.Message, ev *Event, p *pending, seen *Seen) {
	k := tp{m.Topic, m.Partition}
	p.last[k] = position{m.Offset, m.HighWaterMark}
	p.messages++
	err := c.v.Decode(m.Value, ev)
	if err == nil {
		if want, ok := c.topics[m.Topic]; ok && want != ev.Kind {
			err = reject(CodeWrongTopic, "schema", "a %s event on topic %s, which carries %s events; publish it to the topic of its schema", ev.Kind, m.Topic, want)
		}
	}
	source := m.Topic + "/" + strconv.Itoa(m.Partition) + "/" + strconv.FormatInt(m.Offset, 10)
	if err != nil {
		r := err.(*Rejection)
		reason := r.Reason
		if r.Field != "" {
			reason = r.Field + ": " + reason
		}
		headers := append(m.Headers[:len(m.Headers):len(m.Headers)],
			kafka.Header{Key: HeaderError, Value: []byte(r.Code)},
			kafka.Header{Key: HeaderReason, Value: []byte(reason)},
			kafka.Header{Key: HeaderSource, Value: []byte(source)})
		p.dead = append(p.dead, kafka.Message{Key: m.Key, Value: m.Value, Headers: headers})
		p.deadSize += len(m.Key) + len(m.Value) + len(reason) + 128
		kafkaRejected.WithLabelValues(m.Topic, r.Code).Inc()
		return
	}
	if seen.Add(ev.EventID) {
		p.dups++
		return
	}
	p.rows.Add(ev, source)
}

// flush writes one batch and commits the offsets it advanced. durable and hwm carry the
// committed position of each partition across the batches of one generation.
func (c *Consumer) flush(ctx context.Context, gen *kafka.Generation, dlq *kafka.Writer, p *pending, durable, hwm map[tp]int64) error {
	start := time.Now()
	c.flushSince.Store(start.UnixNano())
	defer c.flushSince.Store(0)
	if len(p.dead) > 0 {
		backoff := 100 * time.Millisecond
		for {
			err := dlq.WriteMessages(ctx, p.dead...)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("write %d messages to dead-letter topic %s: %w (stopped: %v)", len(p.dead), c.dlqTopic, err, ctx.Err())
			}
			c.log.Warn("dead-letter write failed; retrying (is the broker up and the topic created?)", "topic", c.dlqTopic, "messages", len(p.dead), "in", backoff, "err", err)
			select {
			case <-ctx.Done():
				return fmt.Errorf("write %d messages to dead-letter topic %s: %w", len(p.dead), c.dlqTopic, ctx.Err())
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
	}
	if p.rows.Len() > 0 {
		if err := writeTables(ctx, c.w, &p.rows); err != nil {
			return err
		}
	}
	n := int64(p.rows.Len())
	c.inserted.Add(n)
	kafkaInserted.Add(float64(n))
	c.duplicates.Add(int64(p.dups))
	kafkaDuplicates.Add(float64(p.dups))
	c.rejected.Add(int64(len(p.dead)))
	c.batches.Add(1)

	offsets := map[string]map[int]int64{}
	for k, pos := range p.last {
		off := pos.offset
		durable[k] = off + 1
		hwm[k] = pos.hwm
		if offsets[k.topic] == nil {
			offsets[k.topic] = map[int]int64{}
		}
		offsets[k.topic][k.part] = off + 1
	}
	if err := gen.CommitOffsets(offsets); err != nil {
		// The rows are stored; the coordinator refused the commit, usually because the group is
		// rebalancing and this generation is over. The next owner re-reads these messages and the
		// raw tables store each event_id once.
		kafkaCommitErrors.Inc()
		c.log.Warn("offset commit refused; the messages will be read again and stored once", "generation", gen.ID, "err", err)
	} else {
		c.committed.Add(int64(p.messages))
		for k := range p.last {
			part := strconv.Itoa(k.part)
			kafkaCommitted.WithLabelValues(k.topic, part).Set(float64(durable[k]))
			kafkaLag.WithLabelValues(k.topic, part).Set(float64(max(0, hwm[k]-durable[k])))
		}
	}
	kafkaFlushSeconds.Observe(time.Since(start).Seconds())
	c.log.Debug("batch committed", "messages", p.messages, "rows", n, "duplicates", p.dups, "rejected", len(p.dead), "took", time.Since(start))
	return nil
}

// writeTables is Writer.Write with the batch's tables (service_events, ratings, appeals) inserted
// concurrently: the same statements, columns and per-table retries, but ClickHouse parses and
// sorts the three blocks in parallel. It returns when all are acknowledged.
func writeTables(ctx context.Context, w *Writer, b *Batch) error {
	ins := b.inserts(w.now().UTC().Truncate(time.Second))
	if len(ins) == 1 {
		return w.writeOne(ctx, ins[0])
	}
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	for i := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.writeOne(ctx, ins[i])
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
