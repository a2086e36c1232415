package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestPartitionReader reads one partition of an in-process broker through the cases the
// consumer's end-to-end tests do not reach: where chunks end, a committed offset whose messages
// retention deleted (before the reader started and while it reads), the leader moving to
// another broker, the leader not available for a while, a dropped connection, and stopping
// while a fetch waits or a chunk waits for the loop, values that do not fit the room left in a
// chunk's slab or a whole slab, a fetch that begins inside a record batch. Every message must
// arrive once, in order, with its value and the partition's high watermark.
func TestPartitionReader(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*fetchConfig)
		nodes  int
		run    func(e *partEnv)
		want   []int64 // offsets delivered, in order
		chunks []int   // messages per chunk, when checked
		logs   []string
	}{{
		name: "chunk boundaries",
		cfg:  func(f *fetchConfig) { f.chunk = 3 },
		run: func(e *partEnv) {
			e.write(0, 10)
			e.start(-2)
			e.collect(10)
		},
		want: offsets(0, 10), chunks: []int{3, 3, 3, 1},
	}, {
		name: "slab full", // 16 bytes: the chunk ends when less room is left than the largest value
		cfg:  func(f *fetchConfig) { f.slab = 16 },
		run: func(e *partEnv) {
			e.write(0, 10) // values v0…v9, 2 bytes each
			e.start(0)
			e.collect(10)
		},
		want: offsets(0, 10), chunks: []int{8, 2},
	}, {
		name: "a value larger than the room left in the slab",
		cfg:  func(f *fetchConfig) { f.slab = 16 },
		run: func(e *partEnv) {
			e.writeValues(false, "aa", "bb", "cc", "dd", "ee", "0123456789", "f") // 6 bytes left for 10
			e.start(0)
			e.collect(7)
		},
		// The second fetch begins at the value that did not fit; after it, 6 bytes are left, less
		// than the largest value: the last value gets a chunk of its own.
		want: offsets(0, 7), chunks: []int{5, 1, 1},
	}, {
		name: "a value larger than a slab",
		cfg:  func(f *fetchConfig) { f.slab = 16 },
		run: func(e *partEnv) {
			e.writeValues(false, "a", strings.Repeat("x", 40), "b", strings.Repeat("y", 17), "c")
			e.start(0)
			e.collect(5)
		},
		// The first fetch ends at the 40 bytes, the second finds them larger than an empty slab,
		// the third reads its values with ReadMessage.
		want: offsets(0, 5), chunks: []int{1, 4},
	}, {
		name: "from an offset inside a record batch",
		run: func(e *partEnv) {
			e.writeValues(true, "a", "b", "c", "d", "e", "f") // one record batch
			e.start(3)
			e.collect(3)
		},
		want: offsets(3, 6), chunks: []int{3},
	}, {
		name: "inside a record batch, after a value larger than a slab",
		cfg:  func(f *fetchConfig) { f.slab = 16 },
		run: func(e *partEnv) {
			e.writeValues(true, "a", "b", "c", "d", strings.Repeat("x", 40), "f")
			e.start(2)
			e.collect(4)
		},
		want: offsets(2, 6), chunks: []int{2, 2},
	}, {
		name: "from the committed offset",
		run: func(e *partEnv) {
			e.write(0, 10)
			e.start(4)
			e.collect(6)
		},
		want: offsets(4, 10), chunks: []int{6},
	}, {
		name: "committed offset deleted by retention",
		run: func(e *partEnv) {
			e.write(0, 10)
			e.deleteRecords(6)
			e.start(2)
			e.collect(4)
		},
		want: offsets(6, 10),
		logs: []string{`level=ERROR msg="messages of the partition were deleted before they were read (retention); continuing from the first available offset" topic=part-test partition=0 offset=2 first_available=6 lost=4`},
	}, {
		name: "deleted by retention while reading",
		cfg:  func(f *fetchConfig) { f.maxBytes = 1 }, // one record batch, here one message, per fetch
		run: func(e *partEnv) {
			e.write(0, 10)
			fetching, wake := make(chan int64, 1), make(chan struct{})
			held := false
			e.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
				if off := req.(*kmsg.FetchRequest).Topics[0].Partitions[0].FetchOffset; off >= 2 && !held {
					held = true
					fetching <- off
					e.c.SleepControl(func() { <-wake }) // the fetch goes on after the deletion
				}
				return nil, nil, false
			})
			e.start(0)
			e.collect(2)
			if off := <-fetching; off != 2 {
				e.t.Fatalf("the held fetch asks for offset %d; want 2", off)
			}
			e.deleteRecords(6)
			close(wake)
			e.collect(6)
		},
		want: []int64{0, 1, 6, 7, 8, 9},
		logs: []string{"level=ERROR", "offset=2 first_available=6 lost=4"},
	}, {
		name:  "leader moved to another broker",
		nodes: 2,
		run: func(e *partEnv) {
			e.write(0, 5)
			e.start(0)
			e.collect(5)
			leader := e.c.LeaderFor(partTopic, 0)
			if err := e.c.MoveTopicPartition(partTopic, 0, 1-leader); err != nil {
				e.t.Fatal(err)
			}
			e.write(5, 5)
			e.collect(10)
		},
		want: offsets(0, 10),
		logs: []string{`level=WARN msg="cannot read the partition; reconnecting until it can (is the broker up? check --brokers)" topic=part-test partition=0 offset=5`,
			`level=INFO msg="reading the partition again" topic=part-test partition=0 offset=`},
	}, {
		name: "leader not available three times, then back",
		run: func(e *partEnv) {
			e.write(0, 10)
			h := e.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: partTopic, Err: kerr.LeaderNotAvailable, Count: 3})
			e.start(0)
			e.collect(10)
			if h.Hits() != 3 {
				e.t.Errorf("the fault answered %d fetches; want 3", h.Hits())
			}
			// One warning for the outage, the two retries that failed after it at debug level.
			if n := strings.Count(e.log.String(), "level=WARN"); n != 1 {
				e.t.Errorf("%d warnings; want 1:\n%s", n, e.log)
			}
			if n := strings.Count(e.log.String(), "level=DEBUG msg=\"cannot read the partition"); n != 2 {
				e.t.Errorf("%d debug lines of failed retries; want 2:\n%s", n, e.log)
			}
		},
		want: offsets(0, 10),
		logs: []string{"offset=0 retry_in=10ms err=", "Leader Not Available", "offset=0 retry_in=20ms", "offset=0 retry_in=40ms", `msg="reading the partition again"`},
	}, {
		name: "connection dropped",
		cfg:  func(f *fetchConfig) { f.maxBytes = 1 },
		run: func(e *partEnv) {
			e.write(0, 10)
			e.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
				if req.(*kmsg.FetchRequest).Topics[0].Partitions[0].FetchOffset == 3 {
					return nil, errors.New("dropped by the test"), true // closes the connection, once
				}
				return nil, nil, false
			})
			e.start(0)
			e.collect(10)
		},
		want: offsets(0, 10),
		logs: []string{"level=WARN", "offset=3"},
	}, {
		name: "a budget of one chunk", // the reader waits for the loop to hand the chunk back
		cfg:  func(f *fetchConfig) { f.chunk = 3 },
		run: func(e *partEnv) {
			e.budget = make(chan struct{}, 1)
			e.write(0, 10)
			e.start(0)
			e.collect(10)
			if len(e.made) != 1 {
				e.t.Errorf("%d chunks made; want 1 (the budget)", len(e.made))
			}
		},
		want: offsets(0, 10), chunks: []int{3, 3, 3, 1},
	}, {
		// The loop keeps each chunk longer than the read deadline: the reader, which waits for
		// it in the middle of a fetch, sets the deadline again before it reads on. The fetch
		// (8 KB) is larger than the connection's 4 KiB read buffer, so the reads after the
		// waits go to the socket, where a passed deadline fails them.
		name: "waits for the loop longer than the read timeout",
		cfg: func(f *fetchConfig) {
			f.chunk, f.maxWait, f.readTimeout = 2, 10*time.Millisecond, 50*time.Millisecond
		},
		run: func(e *partEnv) {
			e.budget, e.hold = make(chan struct{}, 1), 200*time.Millisecond
			vals := make([]string, 8)
			for i := range vals {
				vals[i] = strings.Repeat(strconv.Itoa(i), 1000)
			}
			e.writeValues(true, vals...) // one record batch, one fetch
			e.start(0)
			e.collect(8)
			if strings.Contains(e.log.String(), "cannot read") {
				e.t.Errorf("the reader reconnected:\n%s", e.log)
			}
		},
		want: offsets(0, 8), chunks: []int{2, 2, 2, 2},
	}, {
		name: "stop while a chunk waits for the loop",
		run: func(e *partEnv) {
			e.write(0, 10)
			e.start(0)
			time.Sleep(300 * time.Millisecond) // the reader has fetched and waits to send
			e.stopWithin(time.Second)
		},
	}, {
		name: "stop while a fetch waits for messages",
		cfg:  func(f *fetchConfig) { f.maxWait = 10 * time.Second },
		run: func(e *partEnv) {
			e.start(0)
			time.Sleep(300 * time.Millisecond) // the fetch waits at the broker
			e.stopWithin(time.Second)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPartEnv(t, max(1, tt.nodes))
			if tt.cfg != nil {
				tt.cfg(&e.cfg)
			}
			tt.run(e)
			e.stopWithin(5 * time.Second)
			got := make([]int64, len(e.got))
			for i, m := range e.got {
				got[i] = m.offset
				e.checkMessage(m, e.hwm[i])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("offsets %v; want %v", got, tt.want)
			}
			if tt.chunks != nil && !slices.Equal(e.chunks, tt.chunks) {
				t.Errorf("chunks of %v messages; want %v", e.chunks, tt.chunks)
			}
			for _, l := range tt.logs {
				if !strings.Contains(e.log.String(), l) {
					t.Errorf("the log lacks %q:\n%s", l, e.log)
				}
			}
		})
	}
}

const partTopic = "part-test"

// partEnv is a broker with one single-partition topic, a reader of it, and what it delivered.
type partEnv struct {
	t      *testing.T
	c      *kfake.Cluster
	cfg    fetchConfig
	log    *syncBuffer
	out    chan *chunk
	free   chan *chunk
	values map[int64]string // written, by offset
	got    []record
	hwm    []int64 // of each message got, as of its fetch
	chunks []int
	budget chan struct{}   // the reader's (nil: no bound)
	hold   time.Duration   // how long collect keeps each chunk before it hands it back
	made   map[*chunk]bool // the chunks collect received
	cancel context.CancelFunc
	done   chan struct{}
}

func newPartEnv(t *testing.T, nodes int) *partEnv {
	c, err := kfake.NewCluster(kfake.NumBrokers(nodes), kfake.SeedTopics(1, partTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := defaultFetch
	cfg.backoffMin, cfg.backoffMax = 10*time.Millisecond, 100*time.Millisecond
	return &partEnv{t: t, c: c, cfg: cfg, log: &syncBuffer{}, out: make(chan *chunk), free: make(chan *chunk, 4), values: map[int64]string{}}
}

// offsets returns from, from+1, … to-1.
func offsets(from, to int64) []int64 {
	var out []int64
	for o := from; o < to; o++ {
		out = append(out, o)
	}
	return out
}

// write produces messages from..from+n-1 (offsets from.. on an empty partition), each in its
// own record batch: key k<i>, value v<i>, header h=<i>.
func (e *partEnv) write(from, n int) {
	e.t.Helper()
	vals := make([]string, n)
	for i := range vals {
		vals[i] = "v" + strconv.Itoa(from+i)
	}
	if got := e.writeValues(false, vals...); got != int64(from) {
		e.t.Fatalf("the messages were written from offset %d; want %d", got, from)
	}
}

// writeValues produces a message of each value, each in its own record batch or all in one,
// and returns the offset of the first. Message i (of offset o) has key k<o> and header h=<o>.
func (e *partEnv) writeValues(oneBatch bool, vals ...string) int64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := kafka.DialLeader(ctx, "tcp", e.c.ListenAddrs()[0], partTopic, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	_, last, err := conn.ReadOffsets()
	if err != nil {
		e.t.Fatal(err)
	}
	msgs := make([]kafka.Message, len(vals))
	for i, v := range vals {
		s := strconv.FormatInt(last+int64(i), 10)
		msgs[i] = kafka.Message{Key: []byte("k" + s), Value: []byte(v), Headers: []kafka.Header{{Key: "h", Value: []byte(s)}}}
		e.values[last+int64(i)] = v
	}
	if oneBatch {
		if _, err := conn.WriteMessages(msgs...); err != nil {
			e.t.Fatal(err)
		}
		return last
	}
	for _, m := range msgs {
		if _, err := conn.WriteMessages(m); err != nil {
			e.t.Fatal(err)
		}
	}
	return last
}

// start runs the reader from offset.
func (e *partEnv) start(offset int64) {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	r := &partitionReader{fetchConfig: e.cfg, dialer: kafka.DefaultDialer, brokers: e.c.ListenAddrs(),
		topic: partTopic, partition: 0, part: 7, out: e.out, free: e.free, budget: e.budget,
		log: slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))}
	go func() {
		defer close(e.done)
		r.run(ctx, offset)
	}()
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// collect receives chunks until n messages arrived in all.
func (e *partEnv) collect(n int) {
	e.t.Helper()
	timeout := time.After(10 * time.Second)
	for len(e.got) < n {
		select {
		case ch := <-e.out:
			if ch.part != 7 {
				e.t.Errorf("a chunk of partition index %d; want 7", ch.part)
			}
			for _, m := range ch.msgs {
				e.got = append(e.got, record{m.offset, bytes.Clone(m.value)}) // the slab is reused
				e.hwm = append(e.hwm, ch.hwm)
			}
			e.chunks = append(e.chunks, len(ch.msgs))
			if e.made == nil {
				e.made = map[*chunk]bool{}
			}
			e.made[ch] = true
			time.Sleep(e.hold)
			recycle(e.free, ch)
		case <-timeout:
			e.t.Fatalf("%d of %d messages after 10 s; log:\n%s", len(e.got), n, e.log)
		}
	}
}

// stopWithin stops the reader and fails unless it returned within d.
func (e *partEnv) stopWithin(d time.Duration) {
	e.t.Helper()
	if e.cancel == nil {
		return
	}
	start := time.Now()
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(d):
		e.t.Fatalf("the reader did not stop within %s", d)
	}
	if took := time.Since(start); took > d {
		e.t.Errorf("the reader took %s to stop; want at most %s", took, d)
	}
}

// checkMessage holds m, fetched when the partition's high watermark was hwm, to what was written
// at its offset.
func (e *partEnv) checkMessage(m record, hwm int64) {
	e.t.Helper()
	if want, ok := e.values[m.offset]; !ok || string(m.value) != want {
		e.t.Errorf("message at offset %d: value %q; want %q", m.offset, m.value, want)
	}
	if hwm <= m.offset {
		e.t.Errorf("message at offset %d: high watermark %d", m.offset, hwm)
	}
}

// deleteRecords moves the partition's first offset to before, as retention would.
func (e *partEnv) deleteRecords(before int64) {
	e.t.Helper()
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.Version, req.TimeoutMillis = 1, 5000
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = partTopic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Offset = before
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	nc, err := net.DialTimeout("tcp", e.c.ListenAddrs()[0], 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("test")).AppendRequest(nil, req, 1)); err != nil {
		e.t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		e.t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		e.t.Fatal(err)
	}
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	if err := resp.ReadFrom(body[4:]); err != nil { // after the correlation id
		e.t.Fatal(err)
	}
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.LowWatermark != before {
		e.t.Fatalf("delete records before %d: error code %d, low watermark %d", before, p.ErrorCode, p.LowWatermark)
	}
}

// syncBuffer is a bytes.Buffer for the reader's goroutine to log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDeadLettersReadAgain builds the dead letters of rejected messages, whose keys and headers
// the partition readers did not keep, by reading the messages again: far apart (a seek) or close
// (one fetch), and, for a message retention deleted or one past the partition's end, from the
// value that was validated, without key and headers.
func TestDeadLettersReadAgain(t *testing.T) {
	tests := []struct {
		name    string
		write   int   // messages v0… in one record batch
		deleted int64 // first offset retention kept (0: none deleted)
		offsets []int64
		gone    []int64 // offsets sent without key and headers
		fetches []int64 // the offsets fetched from
	}{
		{name: "one", write: 10, offsets: []int64{3}, fetches: []int64{3}},
		{name: "close and far apart", write: 600, offsets: []int64{0, 5, 6, 299, 598}, fetches: []int64{0, 299, 598}},
		{name: "deleted by retention", write: 10, deleted: 5, offsets: []int64{2, 7}, gone: []int64{2}, fetches: []int64{7}},
		{name: "past the end", write: 10, offsets: []int64{9, 12}, gone: []int64{12}, fetches: []int64{9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPartEnv(t, 1)
			vals := make([]string, tt.write)
			for i := range vals {
				vals[i] = "v" + strconv.Itoa(i)
			}
			e.writeValues(true, vals...)
			if tt.deleted > 0 {
				e.deleteRecords(tt.deleted)
			}
			var mu sync.Mutex
			var fetches []int64
			e.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
				mu.Lock()
				defer mu.Unlock()
				fetches = append(fetches, req.(*kmsg.FetchRequest).Topics[0].Partitions[0].FetchOffset)
				return nil, nil, false // kept, and the request is answered as usual
			})
			c := NewConsumer(e.c.ListenAddrs(), NewValidator(), nil, WithConsumerRegisterer(nil),
				WithConsumerLogger(slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{ReplaceAttr: dropTime}))))
			owned := []tp{{"other", 3}, {partTopic, 0}}
			var dead []rejected
			for _, o := range tt.offsets {
				dead = append(dead, rejected{part: 1, offset: o, value: []byte("validated-" + strconv.FormatInt(o, 10)),
					r: &Rejection{Code: CodeOutOfRange, Field: "score", Reason: "is 11; allowed 0-10"}})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := c.deadLetters(ctx, dead, owned)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.offsets) {
				t.Fatalf("%d dead letters; want %d", len(got), len(tt.offsets))
			}
			for i, o := range tt.offsets {
				s := strconv.FormatInt(o, 10)
				key, value, headers := "k"+s, "v"+s, "h="+s+" "
				if slices.Contains(tt.gone, o) {
					key, value, headers = "", "validated-"+s, ""
					if !strings.Contains(e.log.String(), "level=WARN msg=\"a rejected message was deleted from its partition before its dead letter was sent; sending its value without its key and headers\" topic=part-test partition=0 offset="+s+"\n") {
						t.Errorf("no warning for offset %d:\n%s", o, e.log)
					}
				}
				headers += "cx-error=out_of_range cx-reason=score: is 11; allowed 0-10 cx-source=part-test/0/" + s + " "
				var h string
				for _, x := range got[i].Headers {
					h += x.Key + "=" + string(x.Value) + " "
				}
				if string(got[i].Key) != key || string(got[i].Value) != value || h != headers {
					t.Errorf("dead letter of offset %d: key %q value %q headers %q; want %q %q %q", o, got[i].Key, got[i].Value, h, key, value, headers)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(fetches, tt.fetches) {
				t.Errorf("fetched from offsets %v; want %v", fetches, tt.fetches)
			}
		})
	}
}

// countingConn is a net.Conn that serves a stream from src and counts the reads asked of it.
type countingConn struct {
	net.Conn
	src   io.Reader
	reads int
}

func (c *countingConn) Read(p []byte) (int, error) { c.reads++; return c.src.Read(p) }

// TestReadDialer: a 1 MiB answer read as kafka-go reads it (4 KiB at a time) reaches the
// connection in 1 MiB / 64 KiB = 16 reads (one more sees the end) instead of 256, with the same
// bytes; the dialer's other settings are kept, and a dial error is passed on.
func TestReadDialer(t *testing.T) {
	stream := make([]byte, 1<<20)
	for i := range stream {
		stream[i] = byte(i * 7)
	}
	var under *countingConn
	errDown := errors.New("broker down")
	base := &kafka.Dialer{ClientID: "cxstar-test", Timeout: 3 * time.Second, DialFunc: func(ctx context.Context, network, address string) (net.Conn, error) {
		if address == "down:9092" {
			return nil, errDown
		}
		under = &countingConn{src: bytes.NewReader(stream)}
		return under, nil
	}}
	d := readDialer(base)
	if d.ClientID != base.ClientID || d.Timeout != base.Timeout || base.DialFunc == nil {
		t.Fatalf("readDialer changed the dialer's settings: %+v", d)
	}
	conn, err := d.DialFunc(context.Background(), "tcp", "up:9092")
	if err != nil {
		t.Fatal(err)
	}
	// As kafka-go reads a fetch: values of a few hundred bytes through its 4 KiB bufio.Reader.
	r := bufio.NewReaderSize(conn, 4096)
	var got []byte
	value := make([]byte, 400)
	for {
		n, err := io.ReadFull(r, value)
		got = append(got, value[:n]...)
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, stream) {
		t.Fatalf("read %d bytes, want the %d bytes of the stream", len(got), len(stream))
	}
	if want := len(stream)/readBufferBytes + 1; under.reads != want {
		t.Errorf("%d reads of the connection, want %d", under.reads, want)
	}
	if _, err := d.DialFunc(context.Background(), "tcp", "down:9092"); !errors.Is(err, errDown) {
		t.Errorf("dial error %v, want %v", err, errDown)
	}
}
