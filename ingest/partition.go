package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
)

// Partition readers. Each partition of a generation is read by one goroutine with its own fetch
// loop on a kafka.Conn to the partition's leader, not by a kafka.Reader. A profile of
// `cxstar ingest` over a backlog of 1 M events put kafka-go's Reader at 21–24 % of the process's
// CPU: its goroutine sets the socket's read deadline before every message (a timer update in the
// runtime's network poller), updates its statistics, and passes each message over a channel to
// FetchMessage, after which the consumer passed it over a second channel to the generation loop:
// two channel operations and two copies of a 150-byte kafka.Message per message. Here a fetch
// sets one deadline, reads its messages into chunks, and passes each chunk with one channel
// operation; the generation loop hands the chunk back to be refilled.

// chunk is a run of consecutive messages of one partition, in offset order, from one fetch.
// Their values are read into the chunk's slab, not allocated one by one; their keys and headers
// are not kept (a rejected message's are read again for its dead letter: refetch).
type chunk struct {
	part int   // the partition's index in partitionReaders.owned
	hwm  int64 // the partition's high watermark as of the fetch
	msgs []record
	slab []byte // the values of msgs, one after the other
}

// record is one message of a chunk: its offset and its value (a view of the chunk's slab, or its
// own allocation when it did not fit one).
type record struct {
	offset int64
	value  []byte
}

// slabBytes is the size of a chunk's slab: 1024 values of 512 bytes. The contract's events are
// a few hundred bytes; a chunk is closed early when the slab has less room left than the largest
// value read so far, so that a value rarely fails to fit.
const slabBytes = 512 << 10

// fetchConfig is how a partitionReader fetches.
type fetchConfig struct {
	minBytes, maxBytes int           // of one fetch
	maxWait            time.Duration // the broker answers after this at the latest, even with less than minBytes
	readTimeout        time.Duration // for the answer, beyond maxWait
	chunk              int           // messages per chunk at most
	slab               int           // bytes of a chunk's slab (its values)
	backoffMin         time.Duration // pause before the first reconnection, doubled on each failure
	backoffMax         time.Duration
}

// defaultFetch is what the consumer uses: kafka-go Reader's settings it used before.
var defaultFetch = fetchConfig{
	minBytes: 1, maxBytes: 1 << 20, maxWait: 200 * time.Millisecond, readTimeout: 10 * time.Second,
	chunk: 1024, slab: slabBytes, backoffMin: 50 * time.Millisecond, backoffMax: time.Second,
}

// partitionReader reads one partition from its leader into out, until its context ends.
type partitionReader struct {
	fetchConfig
	dialer    *kafka.Dialer // TLS and SASL
	brokers   []string
	topic     string
	partition int
	part      int // index of the partition in partitionReaders.owned, set on each chunk
	log       *slog.Logger
	out       chan<- *chunk
	free      chan *chunk   // chunks handed back by the loop (may be nil)
	budget    chan struct{} // a slot for each chunk made, at most its capacity (nil: no bound); cap(free) ≥ cap(budget)
	failures  int           // connections or fetches that failed since the last fetch that did not
	largest   int           // bytes of the largest value read so far
	alloc     bool          // the next fetch reads with ReadMessage: a value did not fit an empty slab
}

// run reads from offset (below 0: the first offset the partition holds) until ctx ends,
// reconnecting with backoff whenever the broker is down or the partition's leader moved.
func (r *partitionReader) run(ctx context.Context, offset int64) {
	for {
		conn, err := r.dial(ctx)
		if err == nil {
			offset, err = r.session(ctx, conn, offset)
		}
		if ctx.Err() != nil {
			return
		}
		r.failures++
		wait := min(r.backoffMax, r.backoffMin<<min(r.failures-1, 16))
		level := slog.LevelDebug
		if r.failures == 1 {
			level = slog.LevelWarn // once per outage, not once per attempt
		}
		r.log.Log(ctx, level, "cannot read the partition; reconnecting until it can (is the broker up? check --brokers)",
			"topic", r.topic, "partition", r.partition, "offset", offset, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// readBufferBytes is the read buffer under each partition reader's connection (readDialer).
const readBufferBytes = 64 << 10

// readDialer returns a copy of d whose connections are read through a readBufferBytes buffer.
// kafka-go reads a connection through a 4 KiB bufio.Reader, so a 1 MiB fetch took some 256 read
// system calls, 7–10 % of the CPU of `cxstar ingest` in its profiles; through the buffer it takes
// 16. Under TLS the buffer holds the encrypted stream (d.TLS wraps the connection DialFunc returns).
func readDialer(d *kafka.Dialer) *kafka.Dialer {
	b := *d
	dial := d.DialFunc
	if dial == nil {
		dial = (&net.Dialer{LocalAddr: d.LocalAddr, DualStack: d.DualStack, FallbackDelay: d.FallbackDelay, KeepAlive: d.KeepAlive}).DialContext
	}
	b.DialFunc = func(ctx context.Context, network, address string) (net.Conn, error) {
		c, err := dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBufferBytes)}, nil
	}
	return &b
}

// bufferedConn is a connection read through r (a buffer over Conn).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// dial connects to the partition's leader, asking each broker in turn where it is.
func (r *partitionReader) dial(ctx context.Context) (*kafka.Conn, error) {
	var errs []error
	for _, b := range r.brokers {
		conn, err := r.dialer.DialLeader(ctx, "tcp", b, r.topic, r.partition)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", b, err))
	}
	return nil, fmt.Errorf("connect to the leader of %s/%d: %w", r.topic, r.partition, errors.Join(errs...))
}

// session reads from conn until an error that needs a new connection, or ctx ends (which closes
// conn). It returns the next offset to read.
func (r *partitionReader) session(ctx context.Context, conn *kafka.Conn, offset int64) (int64, error) {
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { _ = conn.Close() })()
	offset, err := r.seek(ctx, conn, offset)
	for err == nil {
		var ferr error
		offset, ferr = r.fetch(ctx, conn, offset)
		switch {
		case ferr == nil, errors.Is(ferr, kafka.RequestTimedOut):
			if r.failures > 0 {
				r.log.Info("reading the partition again", "topic", r.topic, "partition", r.partition, "offset", offset)
				r.failures = 0
			}
		case errors.Is(ferr, kafka.OffsetOutOfRange):
			offset, err = r.seek(ctx, conn, offset)
		default:
			err = ferr
		}
	}
	return offset, err
}

// seek positions conn at offset, or at the partition's first offset when offset is below 0 or
// below the first (the messages before it were deleted by retention: logged as an error).
func (r *partitionReader) seek(ctx context.Context, conn *kafka.Conn, offset int64) (int64, error) {
	_ = conn.SetDeadline(time.Now().Add(r.readTimeout))
	first, last, err := conn.ReadOffsets()
	_ = conn.SetDeadline(time.Time{})
	if err != nil {
		return offset, fmt.Errorf("read the first and last offsets of %s/%d: %w", r.topic, r.partition, err)
	}
	switch {
	case offset < 0:
		offset = first
	case offset < first:
		r.log.Log(ctx, slog.LevelError, "messages of the partition were deleted before they were read (retention); continuing from the first available offset",
			"topic", r.topic, "partition", r.partition, "offset", offset, "first_available", first, "lost", first-offset)
		offset = first
	case offset > last:
		return offset, fmt.Errorf("offset %d of %s/%d is past its end (%d); waiting for it to be written (if the topic was recreated, reset the group's offsets)",
			offset, r.topic, r.partition, last)
	}
	_, err = conn.Seek(offset, kafka.SeekAbsolute|kafka.SeekDontCheck)
	return offset, err
}

// fetch reads one fetch's messages from offset and sends them in chunks, each as soon as it is
// full. It returns the offset after the last message read, and the fetch's error (nil when it
// ended normally).
//
// Values are read with Batch.Read into the chunk's slab: ReadMessage would allocate each
// message's key and value. Read fails with io.ErrShortBuffer, leaving the batch at that message,
// when the value is larger than the room left: the fetch then ends there and the next one starts
// at it with an empty slab, or, when the value did not fit an empty slab either, reads its
// messages with ReadMessage.
func (r *partitionReader) fetch(ctx context.Context, conn *kafka.Conn, offset int64) (int64, error) {
	// The answer may take maxWait, and its messages are read from the socket as they are
	// decoded. The deadline is set again after each wait for the loop (to take a full chunk, to
	// hand back an empty one), so that a slow consumer cannot make it pass.
	deadline := func() { _ = conn.SetReadDeadline(time.Now().Add(r.maxWait + r.readTimeout)) }
	deadline()
	b := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: r.minBytes, MaxBytes: r.maxBytes, MaxWait: r.maxWait})
	hwm := b.HighWaterMark()
	ch := r.chunkFor(ctx, hwm)
	alloc := r.alloc
	r.alloc = false
	for ch != nil {
		if len(ch.msgs) == r.chunk || (!alloc && cap(ch.slab)-len(ch.slab) < r.largest) {
			full := ch
			ch = nil // passed on: after the loop, nil means ctx ended
			if !r.send(ctx, full) {
				break
			}
			ch = r.chunkFor(ctx, hwm)
			deadline()
			continue
		}
		var rec record
		if alloc {
			m, err := b.ReadMessage() // skips messages before offset itself
			if err != nil {
				break // io.EOF at the end of the fetch; Close reports any other error
			}
			rec = record{m.Offset, m.Value}
		} else {
			free := ch.slab[len(ch.slab):cap(ch.slab)]
			n, err := b.Read(free)
			if err != nil {
				if errors.Is(err, io.ErrShortBuffer) && len(ch.slab) == 0 {
					r.alloc = true // larger than a slab
				}
				break
			}
			rec = record{b.Offset() - 1, free[:n:n]} // Read moved the batch past the message
			if rec.offset < offset {
				continue // the fetch's first record batch began before offset
			}
			ch.slab = ch.slab[:len(ch.slab)+n]
			r.largest = max(r.largest, n)
		}
		ch.msgs = append(ch.msgs, rec)
	}
	// Past the last message read and past records removed by compaction (a batch that failed
	// before its first message may not know its offset: 0).
	offset = max(offset, b.Offset())
	err := b.Close()
	if errors.Is(err, io.ErrShortBuffer) {
		// The message that did not fit is read by the next fetch: from offset, which Close
		// left the connection short of when the batch began before it.
		_, err = conn.Seek(offset, kafka.SeekAbsolute|kafka.SeekDontCheck)
	}
	if (ch == nil || !r.send(ctx, ch)) && err == nil {
		err = ctx.Err() // ctx ended while the chunks were passed on
	}
	return offset, err
}

// chunkFor returns an empty chunk of the partition: a recycled one when there is one, else a new
// one while the chunks of the generation are fewer than its budget; else it waits for the loop to
// hand one back. It returns nil when ctx ended first.
func (r *partitionReader) chunkFor(ctx context.Context, hwm int64) *chunk {
	var ch *chunk
	select {
	case ch = <-r.free:
	default:
		if r.budget == nil {
			ch = newChunk(r.chunk, r.slab)
			break
		}
		select {
		case ch = <-r.free:
		case r.budget <- struct{}{}:
			ch = newChunk(r.chunk, r.slab)
		case <-ctx.Done():
			return nil
		}
	}
	ch.part, ch.hwm = r.part, hwm
	return ch
}

// newChunk returns an empty chunk for msgs messages whose values take slab bytes.
func newChunk(msgs, slab int) *chunk {
	return &chunk{msgs: make([]record, 0, msgs), slab: make([]byte, 0, slab)}
}

// send passes ch to the generation loop (an empty one goes back to free); it returns false when
// ctx ended first.
func (r *partitionReader) send(ctx context.Context, ch *chunk) bool {
	if len(ch.msgs) == 0 {
		recycle(r.free, ch)
		return true
	}
	select {
	case r.out <- ch:
		return true
	case <-ctx.Done():
		recycle(r.free, ch)
		return false
	}
}

// recycle empties ch and keeps it in free for another fetch, unless free is full. Nothing may
// use its values afterwards: its slab is written again.
func recycle(free chan *chunk, ch *chunk) {
	clear(ch.msgs) // values allocated by ReadMessage are dropped
	ch.msgs = ch.msgs[:0]
	ch.slab = ch.slab[:0]
	select {
	case free <- ch:
	default:
	}
}

// rereadGap is how many messages reread reads past, at most, to reach the next offset it wants
// in the same fetch; further on it seeks.
const rereadGap = 256

// reread reads the messages at offsets (ascending) once more, with their keys and headers, on
// one connection to the partition's leader. An element is nil when the partition no longer holds
// the message (deleted by retention, or removed by compaction).
func (r *partitionReader) reread(ctx context.Context, offsets []int64) ([]*kafka.Message, error) {
	out := make([]*kafka.Message, len(offsets))
	conn, err := r.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { _ = conn.Close() })()
	_ = conn.SetDeadline(time.Now().Add(r.readTimeout))
	first, last, err := conn.ReadOffsets()
	_ = conn.SetDeadline(time.Time{})
	if err != nil {
		return nil, fmt.Errorf("read the first and last offsets of %s/%d: %w", r.topic, r.partition, err)
	}
	for i := 0; i < len(offsets); {
		if offsets[i] < first || offsets[i] >= last {
			i++ // no longer there
			continue
		}
		from := offsets[i]
		if _, err := conn.Seek(from, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
			return nil, err
		}
		_ = conn.SetReadDeadline(time.Now().Add(r.maxWait + r.readTimeout))
		b := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: r.minBytes, MaxBytes: r.maxBytes, MaxWait: r.maxWait})
		read := 0
		for i < len(offsets) {
			m, err := b.ReadMessage()
			if err != nil {
				break
			}
			read++
			for i < len(offsets) && offsets[i] < m.Offset {
				i++ // removed by compaction
			}
			if i < len(offsets) && offsets[i] == m.Offset {
				out[i] = &m
				i++
			}
			if i < len(offsets) && offsets[i]-m.Offset > rereadGap {
				break
			}
		}
		if err := b.Close(); err != nil && !errors.Is(err, kafka.RequestTimedOut) {
			return nil, fmt.Errorf("read %s/%d from offset %d: %w", r.topic, r.partition, from, err)
		}
		if read == 0 {
			i++ // nothing from the offset to the end of the partition as of ReadOffsets (compacted)
		}
	}
	return out, nil
}
