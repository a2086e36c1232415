package ingest

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// One consumer-group generation: partition readers feed one loop that validates messages into a
// batch; full batches go to a writer that sends dead letters, inserts rows and commits offsets,
// one batch after the other, while the loop fills the next one.

type tp struct {
	topic string
	part  int
}

// pending is one batch in the pipeline: the rows, the dead letters and, per partition of the
// generation (by its index in partitionReaders.owned), the highest offset it holds
// (contiguous: messages of one partition are processed in order and batches are written and
// committed one after the other).
type pending struct {
	rows     Batch
	dead     []rejected
	deadSize int
	last     []position
	messages int
	dups     int
}

// rejected is a message refused by validation, for the dead-letter topic. Its key and headers
// are read again when the batch is flushed (refetch): the partition readers keep only values.
type rejected struct {
	part   int // index of the partition in partitionReaders.owned
	offset int64
	value  []byte // a copy (the chunk's slab is reused), sent if the message cannot be read again
	r      *Rejection
}

// position is the last offset of a partition in a batch, the partition's high watermark when
// that message was fetched, and how many of the batch's messages are the partition's; in is
// false when the batch holds none of the partition.
type position struct {
	offset, hwm int64
	n           int
	in          bool
}

// newPending returns an empty batch of a generation of partitions partitions, its columns
// sized for rows rows of about bytes bytes (see Batch.Reserve).
func newPending(partitions, rows, bytes int) *pending {
	p := &pending{last: make([]position, partitions)}
	p.rows.Reserve(rows, bytes)
	return p
}

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

// runGeneration consumes the generation's partitions until ctx (the process) or gctx (the
// generation) ends, then writes what was processed within the stop timeout.
func (c *Consumer) runGeneration(ctx, gctx context.Context, gen *kafka.Generation, dlq deadLetters, seen *Seen) genResult {
	readers := c.startReaders(gen)
	bw := c.startBatchWriter(gen, dlq, readers.owned)
	defer bw.cancel()
	// stop begins the end of the generation: no more fetching, and the batches still to be
	// written get the stop timeout, after which they are abandoned uncommitted.
	var stopTimer *time.Timer
	stop := sync.OnceFunc(func() {
		readers.stop()
		stopTimer = time.AfterFunc(c.cfg.stopTimeout, bw.cancel)
	})
	defer func() {
		if stopTimer != nil {
			stopTimer.Stop()
		}
	}()

	cur := <-bw.free
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	hand := func() {
		if cur.messages > 0 {
			cur = bw.hand(ctx, gctx, cur, stop)
			timer.Stop()
		}
	}
	dec := new([group]decoded)
	take := func(ch *chunk) {
		kind, consumed, k := readers.kinds[ch.part], readers.consumed[ch.part], readers.owned[ch.part]
		for i := 0; i < len(ch.msgs); i += group {
			msgs := ch.msgs[i:min(i+group, len(ch.msgs))]
			g := dec[:len(msgs)]
			c.decode(k, msgs, g, seen, kind)
			for j := range g {
				c.consumed.Add(1)
				consumed.Inc()
				if cur.messages == 0 {
					first = time.Now()
					timer.Reset(c.cfg.batchWait)
				}
				c.place(k, ch.part, ch.hwm, &msgs[j], &g[j], cur, seen)
				if cur.messages >= c.cfg.batchMessages || cur.bytes() >= c.cfg.batchBytes {
					hand()
				}
			}
		}
		recycle(readers.free, ch)
	}
	for stopping := false; !stopping; {
		select {
		case <-ctx.Done():
			stopping = true
		case <-gctx.Done():
			stopping = true
		case <-timer.C:
			if cur.messages > 0 {
				if wait := c.cfg.batchWait - time.Since(first); wait > 0 {
					timer.Reset(wait)
				} else {
					hand()
				}
			}
		case ch := <-readers.in:
			take(ch)
		}
	}

	// Stop: no new messages (the ones fetched but not processed are simply re-read), write what
	// was processed within the stop timeout, commit, close the partition readers.
	stop()
	hand()
	bw.close()
	readers.close()
	for _, k := range readers.owned {
		part := strconv.Itoa(k.part)
		c.m.assigned.DeleteLabelValues(k.topic, part)
		c.m.lag.DeleteLabelValues(k.topic, part)
		c.m.committed.DeleteLabelValues(k.topic, part)
	}
	return genResult{err: bw.err, tainted: bw.failed.Load()}
}

// partitionReaders reads every partition of a generation, from its committed offset, into in
// (partition.go). A partition is known by its index in owned; kinds and consumed hold, by the
// same index, the event kind of its topic (0: any) and its topic's counter of consumed messages.
type partitionReaders struct {
	in       chan *chunk
	free     chan *chunk   // chunks the loop has walked, for the readers to refill
	budget   chan struct{} // a slot for each chunk the readers made (readerBudget)
	stop     context.CancelFunc
	wg       sync.WaitGroup
	owned    []tp
	kinds    []Kind
	consumed []prometheus.Counter
}

// readerChunks is how many chunks wait for the generation loop at most: with 1024-message chunks,
// about as many messages as kafka-go's Readers and the channel behind them held before.
const readerChunks = 16

// readerBudget is how many chunks the readers of a generation make at most (~17 MiB of slabs):
// those waiting in in, the one the loop walks, and one each being filled by some of the readers;
// a reader that finds none free waits for the loop to hand one back. Unbounded, each reader
// filled a whole fetch before passing it on: 18 partitions held ~86 chunks (47 MB), touched for
// the first time while the first batch was being decoded.
const readerBudget = 2 * readerChunks

func (c *Consumer) startReaders(gen *kafka.Generation) *partitionReaders {
	// free holds every chunk made, so that recycle never drops one whose slot stays taken.
	pr := &partitionReaders{in: make(chan *chunk, readerChunks), free: make(chan *chunk, readerBudget), budget: make(chan struct{}, readerBudget)}
	rctx, stop := context.WithCancel(context.Background())
	pr.stop = stop
	for topic, parts := range gen.Assignments {
		for _, pa := range parts {
			part := len(pr.owned)
			pr.owned = append(pr.owned, tp{topic, pa.ID})
			pr.kinds = append(pr.kinds, c.topics[topic])
			pr.consumed = append(pr.consumed, c.m.consumedCounter(topic))
			c.m.assigned.WithLabelValues(topic, strconv.Itoa(pa.ID)).Set(1)
			r := &partitionReader{fetchConfig: defaultFetch, dialer: c.dialer, brokers: c.brokers,
				topic: topic, partition: pa.ID, part: part, log: c.cfg.log, out: pr.in, free: pr.free, budget: pr.budget}
			pr.wg.Add(1)
			go func() {
				defer pr.wg.Done()
				r.run(rctx, pa.Offset) // below 0 (no committed offset): the first offset
			}()
		}
	}
	return pr
}

// close waits for the readers to end (stop must have been called).
func (pr *partitionReaders) close() { pr.wg.Wait() }

// batchesInFlight is how many batches a generation holds: one being written, one waiting behind
// it, one being filled. With two (one filled while the other is written) the loop stopped
// whenever it filled a batch before ClickHouse had stored the one before, and ClickHouse waited
// whenever the loop was behind; the third takes up the swings of both. In 24 alternating pairs
// of the bench's Kafka runs it was the faster in 16 (medians 287 against 273 k rows/s), for
// ~14 MB more peak memory.
const batchesInFlight = 3

// batchWriter flushes handed-over batches in order: dead letters, then rows, then the commit of
// every partition the batch advanced. batchesInFlight batches circulate.
type batchWriter struct {
	full, free chan *pending
	done       chan struct{}
	cancel     context.CancelFunc // abandons the batches still to be written
	failed     atomic.Bool        // a batch was not written: later ones are dropped uncommitted
	err        error              // why; read after close
	buffered   atomic.Int64
	m          *consumerMetrics
}

func (c *Consumer) startBatchWriter(gen *kafka.Generation, dlq deadLetters, owned []tp) *batchWriter {
	wctx, cancel := context.WithCancel(context.Background())
	bw := &batchWriter{full: make(chan *pending, batchesInFlight-2), free: make(chan *pending, batchesInFlight), done: make(chan struct{}), cancel: cancel, m: c.m}
	for range batchesInFlight {
		bw.free <- newPending(len(owned), c.cfg.batchMessages, c.cfg.batchBytes)
	}
	go func() {
		defer close(bw.done)
		ofs := newCommitState(len(owned))
		// A refused commit is tried again after the batch wait, also when no batch follows.
		retry := time.NewTimer(time.Hour)
		retry.Stop()
		defer retry.Stop()
		for {
			select {
			case p, ok := <-bw.full:
				if !ok {
					// The end of the generation: a last try for offsets a refused commit left
					// (commit sends nothing when none is behind).
					if !bw.failed.Load() {
						c.commit(gen, owned, ofs)
					}
					return
				}
				if !bw.failed.Load() {
					start := time.Now()
					c.flushSince.Store(start.UnixNano())
					if err := c.flush(wctx, dlq, p, owned, ofs); err != nil {
						bw.failed.Store(true)
						bw.err = err
					} else {
						c.commit(gen, owned, ofs)
						c.m.flushSeconds.Observe(time.Since(start).Seconds())
					}
					c.flushSince.Store(0)
				}
				bw.m.buffered.Set(float64(bw.buffered.Add(-int64(p.bytes()))))
				p.reset()
				bw.free <- p
			case <-retry.C:
				if !bw.failed.Load() {
					c.commit(gen, owned, ofs)
				}
			}
			if ofs.behind() && !bw.failed.Load() {
				retry.Reset(c.cfg.batchWait)
			}
		}
	}()
	return bw
}

// hand gives p to the writer and returns an empty batch to fill. Backpressure: while the writer
// is busy (ClickHouse slow or down) and a batch already waits behind the one it writes, nothing
// is read. A stop request (ctx or gctx ending) must still get through, so that SIGTERM is
// honoured within the stop timeout: it calls stop.
func (bw *batchWriter) hand(ctx, gctx context.Context, p *pending, stop func()) *pending {
	bw.m.batchRows.Observe(float64(p.messages))
	bw.m.buffered.Set(float64(bw.buffered.Add(int64(p.bytes()))))
	select {
	case bw.full <- p:
	case <-ctx.Done():
		stop()
		bw.full <- p
	case <-gctx.Done():
		stop()
		bw.full <- p
	}
	return <-bw.free
}

// close waits until every handed batch is written or abandoned.
func (bw *batchWriter) close() {
	close(bw.full)
	<-bw.done
}

// group is how many messages of a chunk are decoded before their ids are checked for
// duplicates: the checks' cache misses then overlap (Seen.touch). The duplicate table (4 MiB a
// half with the default window) is larger than the caches, and checks each waiting for its own
// miss were 14 % of the CPU of `cxstar ingest` in its profiles.
const group = 8

// decoded is a message of a group, decoded: its event, or the rejection; the key of its event
// id in the duplicate table, and the word of the table that touching its slot read.
type decoded struct {
	ev    Event
	err   error
	key   [2]uint64
	probe uint64
}

// decode decodes msgs (of partition k, whose topic carries events of kind want; 0: any) into
// out, of the same length, and touches the duplicate table's slots of their ids.
func (c *Consumer) decode(k tp, msgs []record, out []decoded, seen *Seen, want Kind) {
	for j := range msgs {
		d := &out[j]
		d.err = c.v.decodeShared(msgs[j].value, &d.ev) // the value is not written to before the chunk is recycled
		if d.err == nil && want != 0 && want != d.ev.Kind {
			d.err = reject(CodeWrongTopic, "schema", "a %s event on topic %s, which carries %s events; publish it to the topic of its schema", d.ev.Kind, k.topic, want)
		}
		if d.err == nil {
			d.key = seen.key(d.ev.EventID)
		}
	}
	for j := range out {
		if out[j].err == nil {
			out[j].probe = seen.touch(out[j].key)
		}
	}
}

// place puts message m of partition k (index part in the generation's partitions, with high
// watermark hwm), decoded as d, into the pending batch: a row, a duplicate or a dead letter.
func (c *Consumer) place(k tp, part int, hwm int64, m *record, d *decoded, p *pending, seen *Seen) {
	pos := &p.last[part]
	pos.offset, pos.hwm, pos.in = m.offset, hwm, true
	pos.n++
	p.messages++
	if d.err != nil {
		r := d.err.(*Rejection)
		p.dead = append(p.dead, rejected{part: part, offset: m.offset, value: bytes.Clone(m.value), r: r})
		p.deadSize += deadLetterSize(len(m.value), r)
		c.m.rejected.WithLabelValues(k.topic, r.Code).Inc()
		return
	}
	if seen.add(d.key) {
		p.dups++
		return
	}
	p.rows.addFrom(&d.ev, k.topic, k.part, m.offset)
}

// commitState is what the batch writer of one generation knows of its partitions (by index in
// partitionReaders.owned): the offset after the last stored message (durable), the last offset
// the coordinator acknowledged (acked, -1 before any), the high watermark as of the last stored
// message, and the messages stored since the acknowledged offset (uncounted).
type commitState struct {
	durable, acked, hwm []int64
	uncounted           []int64
}

func newCommitState(partitions int) *commitState {
	o := &commitState{durable: make([]int64, partitions), acked: make([]int64, partitions),
		hwm: make([]int64, partitions), uncounted: make([]int64, partitions)}
	for i := range partitions {
		o.durable[i], o.acked[i] = -1, -1
	}
	return o
}

// stored records a written batch.
func (o *commitState) stored(p *pending) {
	for i, pos := range p.last {
		if pos.in {
			o.durable[i], o.hwm[i] = pos.offset+1, pos.hwm
			o.uncounted[i] += int64(pos.n)
		}
	}
}

// behind reports whether a stored offset awaits its commit.
func (o *commitState) behind() bool {
	for i := range o.durable {
		if o.durable[i] > o.acked[i] {
			return true
		}
	}
	return false
}

// flush writes one batch: its dead letters, then its rows. The offsets it advanced are then
// committed (commit).
func (c *Consumer) flush(ctx context.Context, dlq deadLetters, p *pending, owned []tp, ofs *commitState) error {
	start := time.Now()
	if len(p.dead) > 0 {
		msgs, err := c.deadLetters(ctx, p.dead, owned)
		if err != nil {
			return err
		}
		if err := dlq.Write(ctx, msgs); err != nil {
			return err
		}
	}
	if p.rows.Len() > 0 {
		if err := c.w.writeTables(ctx, &p.rows); err != nil {
			return err
		}
	}
	n := int64(p.rows.Len())
	c.inserted.Add(n)
	c.m.inserted.Add(float64(n))
	c.duplicates.Add(int64(p.dups))
	c.m.duplicates.Add(float64(p.dups))
	c.rejected.Add(int64(len(p.dead)))
	c.batches.Add(1)
	ofs.stored(p)
	c.cfg.log.Debug("batch stored", "messages", p.messages, "rows", n, "duplicates", p.dups, "rejected", len(p.dead), "took", time.Since(start))
	return nil
}

// commit commits the stored offset of every partition whose last acknowledged commit is behind
// it: the partitions of the batch just stored, and those of an earlier commit the coordinator
// refused (a later commit carries them, even when their partitions get no new message).
func (c *Consumer) commit(gen *kafka.Generation, owned []tp, ofs *commitState) {
	req := map[string]map[int]int64{}
	parts := 0
	for i := range ofs.durable {
		if ofs.durable[i] > ofs.acked[i] {
			k := owned[i]
			if req[k.topic] == nil {
				req[k.topic] = map[int]int64{}
			}
			req[k.topic][k.part] = ofs.durable[i]
			parts++
		}
	}
	if parts == 0 {
		return
	}
	if err := gen.CommitOffsets(req); err != nil {
		// The rows are stored. The coordinator refused the commit: usually the group is
		// rebalancing and this generation is over, and the next owner re-reads these messages
		// (the raw tables store each event_id once); if the generation goes on, the next commit
		// carries these offsets too.
		c.m.commitErrors.Inc()
		c.cfg.log.Warn("offset commit refused; a later commit carries the offsets, or the messages will be read again and stored once", "generation", gen.ID, "err", err)
		return
	}
	var messages int64
	for i := range ofs.durable {
		if ofs.durable[i] <= ofs.acked[i] {
			continue
		}
		ofs.acked[i] = ofs.durable[i]
		messages += ofs.uncounted[i]
		ofs.uncounted[i] = 0
		k := owned[i]
		part := strconv.Itoa(k.part)
		c.m.committed.WithLabelValues(k.topic, part).Set(float64(ofs.acked[i]))
		c.m.lag.WithLabelValues(k.topic, part).Set(float64(max(0, ofs.hwm[i]-ofs.acked[i])))
	}
	c.committed.Add(messages)
	c.cfg.log.Debug("batch committed", "messages", messages, "partitions", parts)
}
