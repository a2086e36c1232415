// Package export streams ClickHouse query results into Apache Parquet or Arrow IPC files for data
// scientists (`cxstar export --table … --format parquet|arrow`) and writes the public open-data
// aggregates with small-cell suppression (`cxstar export opendata`).
//
// The Parquet/Arrow path reads rows from the native protocol one block at a time, appends them to
// Arrow builders and flushes a record batch (one Parquet row group) every WithBatchRows rows, so
// memory stays bounded by the batch size whatever the number of rows. Column types are preserved:
// see the arrowType mapping (String/LowCardinality → utf8, Enum → dictionary, DateTime →
// timestamp[s, UTC], Date → date32, Nullable → nullable, integers/floats → same width); every
// field carries its original ClickHouse type in the metadata key MetaClickHouseType.
package export

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/transform"
)

// Format is an output file format.
type Format string

const (
	// Parquet is Apache Parquet with the Arrow schema stored in the footer (snappy-compressed, one
	// row group per record batch).
	Parquet Format = "parquet"
	// Arrow is the Arrow IPC file format (random access, also known as Feather v2).
	Arrow Format = "arrow"
)

// ParseFormat accepts "parquet" or "arrow" (also "ipc" and "feather").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "parquet", "pq":
		return Parquet, nil
	case "arrow", "ipc", "feather":
		return Arrow, nil
	}
	return "", fmt.Errorf("format %q: want parquet or arrow", s)
}

// Tables are the tables `cxstar export --table` accepts.
var Tables = []string{"assessments", "indicator_details", "ratings", "service_events", "appeals", "followup_items"}

// DefaultBatchRows is the number of rows per Arrow record batch (and Parquet row group).
const DefaultBatchRows = 65536

type config struct {
	batchRows int
	mem       memory.Allocator
	allRuns   bool
	progress  func(Stats)
}

// Option configures an export.
type Option func(*config)

// WithBatchRows sets how many rows are buffered before a record batch is written (and the
// ClickHouse max_block_size of the query); memory use is proportional to it. This overrides the
// default of DefaultBatchRows (65536); a value below 1 is refused.
func WithBatchRows(n int) Option { return func(c *config) { c.batchRows = n } }

// defaultConfig holds the default of every Option.
func defaultConfig() config { return config{batchRows: DefaultBatchRows, mem: memory.DefaultAllocator} }

// validate refuses options out of range.
func (c *config) validate() error {
	if c.batchRows < 1 {
		return fmt.Errorf("batch rows %d: must be at least 1 (default %d)", c.batchRows, DefaultBatchRows)
	}
	return nil
}

// WithAllocator sets the Arrow memory allocator. Default memory.DefaultAllocator (Go heap).
func WithAllocator(mem memory.Allocator) Option { return func(c *config) { c.mem = mem } }

// WithAllRuns exports every stored computation run of assessments / indicator_details instead of
// only the latest run per agency and quarter. Default: latest run only (the *_latest views).
// It has no effect on the raw event tables, which are always read with FINAL (each event once).
func WithAllRuns() Option { return func(c *config) { c.allRuns = true } }

// WithProgress calls fn after every record batch written, with the running totals. Default: none.
func WithProgress(fn func(Stats)) Option { return func(c *config) { c.progress = fn } }

// Stats counts what an export wrote.
type Stats struct {
	Rows    int64 // data rows written
	Batches int   // record batches (Parquet row groups)
	Bytes   int64 // bytes written to the output
}

var exportedRows = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "cxstar_export_rows_total",
	Help: "Rows written by the Parquet/Arrow export, by format.",
}, []string{"format"})

// TableQuery returns the SELECT that exports table for quarter q. Raw event tables (ratings,
// service_events, appeals) are read with FINAL, so an event delivered twice appears once, and
// filtered on occurred_at within the quarter's boundaries in q.Loc. assessments and indicator_details are filtered
// on quarter_start; without allRuns they read the *_latest views (the newest run per agency).
// followup_items are the detractor follow-up items answered in the quarter with their follow-up
// state: the rows and columns of the followup_status view for them (each answer once), read from
// the quarter's partitions only (transform.FollowUpItemsSQL).
func TableQuery(table string, q quarter.Quarter, allRuns bool) (string, error) {
	start, end := q.Start().UTC().Format("2006-01-02 15:04:05"), q.End().UTC().Format("2006-01-02 15:04:05")
	switch table {
	case "ratings", "service_events", "appeals":
		return fmt.Sprintf("SELECT * FROM %s FINAL WHERE occurred_at >= toDateTime('%s', 'UTC') AND occurred_at < toDateTime('%s', 'UTC')",
			table, start, end), nil
	case "followup_items":
		return "SELECT * FROM (\n" + transform.FollowUpItemsSQL(q.Start(), q.End()) + ") ORDER BY agency_id, answered_at, event_id", nil
	case "assessments", "indicator_details":
		from := table + "_latest"
		if allRuns {
			from = table
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE quarter_start = toDate('%s')", from, q.StartDate().Format("2006-01-02")), nil
	}
	return "", fmt.Errorf("table %q cannot be exported: choose one of %s", table, strings.Join(Tables, ", "))
}

// Table streams table for quarter q to w in format f; see TableQuery for what is selected.
func Table(ctx context.Context, conn driver.Conn, table string, q quarter.Quarter, f Format, w io.Writer, opts ...Option) (Stats, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	query, err := TableQuery(table, q, c.allRuns)
	if err != nil {
		return Stats{}, err
	}
	st, err := Query(ctx, conn, query, f, w, opts...)
	if err != nil {
		return st, fmt.Errorf("export %s %s: %w", table, q, err)
	}
	return st, nil
}

// Query runs query on conn and streams its rows to w as a Parquet or Arrow IPC file. Memory is
// bounded by WithBatchRows, not by the number of rows. The file is complete only when Query
// returns a nil error. It is one streaming loop (scan, append to the columns, flush a record
// batch) with the writer's set-up before it, kept together so that the writer's state is not
// passed around.
func Query(ctx context.Context, conn driver.Conn, query string, f Format, w io.Writer, opts ...Option) (Stats, error) {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return Stats{}, err
	}
	if f != Parquet && f != Arrow {
		return Stats{}, fmt.Errorf("unknown format %q: want parquet or arrow", f)
	}
	// The server sends blocks of at most max_block_size rows and the driver holds one block at a
	// time: tie it to the batch size so that the driver's memory is bounded by the same option.
	// A raw table's export reads with FINAL, which opens every part of the quarter at once, each
	// column of each part through a read buffer of its own: 128 KiB buffers instead of the default
	// 1 MiB cut ClickHouse 18.16's memory for a quarter of 7.2 M service events from 374 to 140 MB
	// and its query time by about 15 %, reading the same bytes; the export's own time, bound by the
	// file encoding here, did not change (BENCHMARKS.md, read buffers).
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": c.batchRows, "max_read_buffer_size": 131072}))
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return Stats{}, fmt.Errorf("run export query (is ClickHouse up and migrated? try cxstar migrate): %w", err)
	}
	defer rows.Close()

	cols, schema, err := columnsOf(rows, c.mem)
	if err != nil {
		return Stats{}, err
	}
	cw := &countingWriter{w: w}
	out, err := newRecordWriter(f, schema, cw, c.mem)
	if err != nil {
		return Stats{}, err
	}
	rb := array.NewRecordBuilder(c.mem, schema)
	defer rb.Release()
	for i, col := range cols {
		if err := col.bind(rb.Field(i)); err != nil {
			return Stats{}, err
		}
	}
	dests := make([]any, len(cols))
	for i, col := range cols {
		dests[i] = col.dest
	}
	var st Stats
	pending := 0
	startBatch := func() error {
		for i, col := range cols {
			if err := col.startBatch(rb.Field(i)); err != nil {
				return err
			}
		}
		return nil
	}
	flush := func() error {
		rec := rb.NewRecordBatch()
		defer rec.Release()
		if err := out.Write(rec); err != nil {
			return fmt.Errorf("write %s record batch: %w", f, err)
		}
		st.Rows += int64(pending)
		st.Batches++
		st.Bytes = cw.n
		exportedRows.WithLabelValues(string(f)).Add(float64(pending))
		pending = 0
		if c.progress != nil {
			c.progress(st)
		}
		return startBatch()
	}
	if err := startBatch(); err != nil {
		return st, err
	}
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return st, fmt.Errorf("scan row %d: %w", st.Rows+int64(pending)+1, err)
		}
		for _, col := range cols {
			col.append()
		}
		pending++
		if pending >= c.batchRows {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("read export rows from ClickHouse: %w", err)
	}
	if pending > 0 || st.Batches == 0 {
		if err := flush(); err != nil {
			return st, err
		}
	}
	if err := out.Close(); err != nil {
		return st, fmt.Errorf("finish %s file: %w", f, err)
	}
	st.Bytes = cw.n
	for _, col := range cols {
		if col.dict != nil {
			col.dict.Release()
		}
	}
	return st, nil
}

// columnsOf derives the Arrow schema and the scan plan from the result's column types.
func columnsOf(rows driver.Rows, mem memory.Allocator) ([]*column, *arrow.Schema, error) {
	types := rows.ColumnTypes()
	cols := make([]*column, len(types))
	fields := make([]arrow.Field, len(types))
	for i, ct := range types {
		t, err := parseCHType(ct.DatabaseTypeName())
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", ct.Name(), err)
		}
		col, err := newColumn(ct.Name(), t, mem)
		if err != nil {
			return nil, nil, err
		}
		cols[i] = col
		fields[i] = col.field()
	}
	return cols, arrow.NewSchema(fields, nil), nil
}

type recordWriter interface {
	Write(arrow.RecordBatch) error
	Close() error
}

func newRecordWriter(f Format, schema *arrow.Schema, w io.Writer, mem memory.Allocator) (recordWriter, error) {
	switch f {
	case Arrow:
		fw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem))
		if err != nil {
			return nil, fmt.Errorf("start Arrow IPC file: %w", err)
		}
		return fw, nil
	case Parquet:
		props := parquet.NewWriterProperties(
			parquet.WithAllocator(mem),
			parquet.WithCompression(compress.Codecs.Snappy),
			parquet.WithCreatedBy("cxstar export"),
		)
		fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(
			pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
		if err != nil {
			return nil, fmt.Errorf("start Parquet file: %w", err)
		}
		return fw, nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
