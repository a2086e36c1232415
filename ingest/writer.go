package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
)

// Writer inserts batches into ClickHouse over the native protocol, retrying failed inserts with
// capped exponential backoff. Retrying is safe: the raw tables collapse rows with the same
// event_id, so a batch that landed before its acknowledgement was lost is not counted twice.
type Writer struct {
	conn        driver.Conn
	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration
	log         *slog.Logger
	registerer  prometheus.Registerer
	now         func() time.Time
	m           writerMetrics
}

// writerMetrics are the writer's Prometheus collectors.
type writerMetrics struct {
	rows    *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	retries prometheus.Counter
}

func newWriterMetrics(reg prometheus.Registerer) writerMetrics {
	return writerMetrics{
		rows: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxstar_inserted_rows_total", Help: "Rows acknowledged by ClickHouse, per table.",
		}, []string{"table"})),
		seconds: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxstar_insert_duration_seconds", Help: "Latency of one acknowledged ClickHouse insert, per table.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"table"})),
		retries: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cxstar_insert_retries_total", Help: "Failed ClickHouse inserts that were retried.",
		})),
	}
}

// WriterOption configures a Writer.
type WriterOption func(*Writer)

// WithMaxAttempts sets how many times one insert is tried; 0 retries until the context ends.
// Default: 0 (the Kafka consumer must not drop a batch; backfill sets a finite number).
func WithMaxAttempts(n int) WriterOption { return func(w *Writer) { w.maxAttempts = n } }

// WithBackoff sets the first and the largest pause between attempts. Default: 100 ms and 10 s.
func WithBackoff(min, max time.Duration) WriterOption {
	return func(w *Writer) { w.minBackoff, w.maxBackoff = min, max }
}

// WithLogger sets where retries are reported. Default: slog.Default().
func WithLogger(l *slog.Logger) WriterOption { return func(w *Writer) { w.log = l } }

// WithWriterRegisterer sets where the writer's Prometheus metrics are registered (nil: not
// registered). Writers sharing a registerer share their metrics. Default:
// prometheus.DefaultRegisterer.
func WithWriterRegisterer(r prometheus.Registerer) WriterOption {
	return func(w *Writer) { w.registerer = r }
}

// validate refuses settings out of range instead of clamping them.
func (w *Writer) validate() error {
	switch {
	case w.maxAttempts < 0:
		return rangeError("attempts", "WithMaxAttempts", w.maxAttempts, "0 (until stopped) or more")
	case w.minBackoff <= 0:
		return rangeError("retry-min", "WithBackoff", w.minBackoff, "positive")
	case w.maxBackoff < w.minBackoff:
		return rangeError("retry-max", "WithBackoff", w.maxBackoff, fmt.Sprintf("at least --retry-min (%s)", w.minBackoff))
	}
	return nil
}

// CheckWriter applies opts to the defaults and reports the first setting out of range, as
// Writer.Write would.
func CheckWriter(opts ...WriterOption) error {
	w := &Writer{minBackoff: DefaultRetryMin, maxBackoff: DefaultRetryMax}
	for _, o := range opts {
		o(w)
	}
	return w.validate()
}

// NewWriter returns a Writer on conn.
func NewWriter(conn driver.Conn, opts ...WriterOption) *Writer {
	w := &Writer{conn: conn, minBackoff: DefaultRetryMin, maxBackoff: DefaultRetryMax, log: slog.Default(), registerer: prometheus.DefaultRegisterer, now: time.Now}
	for _, o := range opts {
		o(w)
	}
	w.m = newWriterMetrics(w.registerer)
	return w
}

// Write inserts every table of the batch and returns when ClickHouse has acknowledged all of
// them, or with the last error when the attempts or the context run out.
func (w *Writer) Write(ctx context.Context, b *Batch) error {
	if err := w.validate(); err != nil {
		return err
	}
	now := w.now().UTC().Truncate(time.Second)
	for _, ins := range b.inserts(now) {
		if err := w.writeOne(ctx, ins); err != nil {
			return err
		}
	}
	return nil
}

// writeTables is Write with the batch's tables inserted concurrently: the same statements,
// columns and per-table retries, but ClickHouse parses and sorts the blocks in parallel. It
// returns when all are acknowledged.
func (w *Writer) writeTables(ctx context.Context, b *Batch) error {
	if err := w.validate(); err != nil {
		return err
	}
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

func (w *Writer) writeOne(ctx context.Context, ins insert) error {
	backoff := w.minBackoff
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := w.send(ctx, ins)
		if err == nil {
			w.m.rows.WithLabelValues(ins.table).Add(float64(ins.rows))
			w.m.seconds.WithLabelValues(ins.table).Observe(time.Since(start).Seconds())
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("insert %d rows into %s: %w (stopped: %v)", ins.rows, ins.table, err, ctx.Err())
		}
		if w.maxAttempts > 0 && attempt >= w.maxAttempts {
			return fmt.Errorf("insert %d rows into %s after %d attempts (is ClickHouse up at the address of --clickhouse? --attempts raises the tries): %w",
				ins.rows, ins.table, attempt, err)
		}
		w.m.retries.Inc()
		w.log.Warn("ClickHouse insert failed; retrying", "table", ins.table, "rows", ins.rows, "attempt", attempt, "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("insert %d rows into %s: %w (stopped: %v)", ins.rows, ins.table, err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, w.maxBackoff)
	}
}

// send inserts one table's columns. The driver's columns for the statement get the batch's
// columns (fill), shared where the driver's column holds the same ch-go type, and are emptied
// once the insert is over.
func (w *Writer) send(ctx context.Context, ins insert) error {
	batch, err := w.conn.PrepareBatch(ctx, ins.sql)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer unshare(batch.Columns(), ins.cols) // nothing of the driver's keeps the batch's memory
	if err := fill(batch, ins); err != nil {
		_ = batch.Abort()
		return err
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// fillScratch is fill's memory, kept between inserts: the native encoding of the columns, the
// values of one String column as strings, and the reader of the encoding (its 128 KiB buffer
// allocated once, not once an insert).
type fillScratch struct {
	buf   proto.Buffer
	views []string
	src   bytes.Reader
	rd    *proto.Reader // reads src; nil after an error, which may leave bytes in its buffer
}

var scratch = sync.Pool{New: func() any { return new(fillScratch) }}

// fill fills the driver's columns of the statement from the batch's. A driver column that holds
// its values in the batch column's ch-go type is handed the batch's column (share, no copy).
// Otherwise String columns are appended as strings that view the batch's buffer, after one
// append of all their bytes at once has sized the driver's buffer (Reset keeps it), and the other
// columns (LowCardinality) are encoded one after the other, as a block's columns come from the
// server, and decoded through one reader (the driver's reader buffers 128 KiB: one reader a
// column would allocate that much each) in the driver's own path for a block read from the
// server: one pass per column, no per-value conversion.
func fill(batch driver.Batch, ins insert) (err error) {
	cols := batch.Columns()
	if len(cols) != len(ins.cols) {
		return fmt.Errorf("%s: the driver prepared %d columns for %d in the statement", ins.table, len(cols), len(ins.cols))
	}
	sc := scratch.Get().(*fillScratch)
	defer func() {
		if err != nil {
			sc.rd = nil // a failed decode may have left bytes in the reader's buffer
		}
		scratch.Put(sc)
	}()
	buf := &sc.buf
	buf.Reset()
	appended := make([]bool, len(cols))
	for i, src := range ins.cols {
		if shareColumns && cols[i].Rows() == 0 {
			if off := shareOffset(cols[i], src); off >= 0 {
				share(cols[i], src, off)
				appended[i] = true
				continue
			}
		}
		if s, ok := src.(*proto.ColStr); ok {
			if dst, ok := cols[i].(*chcolumn.String); ok {
				if err := appendStrings(dst, s, sc); err != nil {
					return fmt.Errorf("column %s (%s): %w", cols[i].Name(), cols[i].Type(), err)
				}
				appended[i] = true
				continue
			}
		}
		if p, ok := src.(proto.Preparable); ok {
			if err := p.Prepare(); err != nil {
				return fmt.Errorf("column %s: %w", cols[i].Name(), err)
			}
		}
		if s, ok := src.(proto.StateEncoder); ok {
			s.EncodeState(buf)
		}
		src.EncodeColumn(buf)
	}
	// A reader that read to the end (the check below) holds nothing: reset, it reads the new
	// encoding from its start.
	sc.src.Reset(buf.Buf)
	if sc.rd == nil {
		sc.rd = proto.NewReader(&sc.src)
	}
	rd := sc.rd
	for i, col := range cols {
		if appended[i] {
			if col.Rows() != ins.rows {
				return fmt.Errorf("column %s: %s holds %d rows, want %d", col.Name(), col.Type(), col.Rows(), ins.rows)
			}
			continue
		}
		if s, ok := col.(chcolumn.CustomSerialization); ok {
			if err := s.ReadStatePrefix(rd); err != nil {
				return fmt.Errorf("column %s (%s): %w", col.Name(), col.Type(), err)
			}
		}
		if err := col.Decode(rd, ins.rows); err != nil {
			return fmt.Errorf("column %s (%s): %w", col.Name(), col.Type(), err)
		}
		if col.Rows() != ins.rows {
			return fmt.Errorf("column %s: %s holds %d rows, want %d: the contract's type (%s) does not match the table's",
				col.Name(), col.Type(), col.Rows(), ins.rows, ins.cols[i].Type())
		}
	}
	// Every column must have read exactly its own bytes: a type that reads fewer or more than
	// its encoding shifts the columns after it, and the last one leaves bytes or runs short.
	if _, err := rd.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: the driver's columns did not read the batch's encoding to its end (%v): the contract's types do not match the table's", ins.table, err)
	}
	return nil
}

// appendStrings appends src's values to dst: dst's buffer is sized by one append of all the
// bytes as one value, then the values are appended as views of src's buffer.
func appendStrings(dst *chcolumn.String, src *proto.ColStr, sc *fillScratch) error {
	if len(src.Buf) > 0 {
		// Size dst's buffer: all the bytes as one value, then Reset (which keeps the capacity).
		if _, err := dst.Append([]string{unsafe.String(&src.Buf[0], len(src.Buf))}); err != nil {
			return err
		}
		dst.Reset()
	}
	views := sc.views[:0]
	for _, p := range src.Pos {
		if p.End > p.Start {
			views = append(views, unsafe.String(&src.Buf[p.Start], p.End-p.Start))
		} else {
			views = append(views, "")
		}
	}
	_, err := dst.Append(views)
	clear(views) // no view of the batch's buffer outlives the insert
	sc.views = views[:0]
	return err
}

// Sharing columns with the driver. clickhouse-go's columns for String, the integer types, Enum8
// and DateTime hold their values in a field col of the ch-go type the batch holds them in (e.g.
// column.String's col is a proto.ColStr). fill hands such a column the batch's own column
// instead of copying the values: copying a batch's strings into the driver's fresh columns was,
// in profiles of `cxstar ingest`, most of the writer's CPU (the driver's columns grew their row
// positions value by value), and the fixed-width columns were encoded and decoded again. The
// driver reads the values only to encode them, while Send runs; the batch is not written to
// before the insert returns (Write, writeTables), a retry prepares new columns, and send empties
// the driver's columns once the insert is over. A driver column without such a field (another
// driver version, LowCardinality) is filled by copying.

// shareColumns turns sharing on; tests turn it off to check the copying path.
var shareColumns = true

// shareKey is a pair of a driver column's type and a batch column's type.
type shareKey struct{ dst, src reflect.Type }

// shareOffsets caches shareOffset: shareKey -> int.
var shareOffsets sync.Map

// shareOffset returns where the driver's column dst holds a value of src's type (the field col),
// or -1 when it holds none.
func shareOffset(dst chcolumn.Interface, src proto.ColInput) int {
	dt, st := reflect.TypeOf(dst), reflect.TypeOf(src)
	k := shareKey{dt, st}
	if off, ok := shareOffsets.Load(k); ok {
		return off.(int)
	}
	off := -1
	if dt.Kind() == reflect.Pointer && dt.Elem().Kind() == reflect.Struct && st.Kind() == reflect.Pointer {
		if f, ok := dt.Elem().FieldByName("col"); ok && len(f.Index) == 1 && f.Type == st.Elem() {
			off = int(f.Offset)
		}
	}
	shareOffsets.Store(k, off)
	return off
}

// share sets the field of dst at off (see shareOffset) to *src: the same slices, no copy.
func share(dst chcolumn.Interface, src proto.ColInput, off int) {
	sv := reflect.ValueOf(src).Elem()
	field := reflect.NewAt(sv.Type(), unsafe.Add(reflect.ValueOf(dst).UnsafePointer(), off)).Elem()
	field.Set(sv)
}

// unshare empties the driver's columns among cols that can hold the batch's (srcs, in the same
// order), once their insert is over.
func unshare(cols []chcolumn.Interface, srcs []proto.ColInput) {
	if !shareColumns || len(cols) != len(srcs) {
		return
	}
	for i, c := range cols {
		if off := shareOffset(c, srcs[i]); off >= 0 {
			field := reflect.NewAt(reflect.TypeOf(srcs[i]).Elem(), unsafe.Add(reflect.ValueOf(c).UnsafePointer(), off)).Elem()
			field.SetZero()
		}
	}
}
