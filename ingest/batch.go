package ingest

import (
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
)

// Batch collects validated events as typed columns, one set per table, ready for a columnar
// native-protocol insert. The columns are those of the contract (contract.go), held in
// ClickHouse's own encodings (ch-go's proto columns): a string column is one byte buffer and an
// offset per row, an enumeration its Enum8 code, a timestamp its UInt32 seconds. Reset empties
// them and keeps their memory, so a batch reused by the consumer or the loader stops allocating
// once it has held one full batch, and holds no pointer per row for the garbage collector to
// scan. The zero value is an empty batch; a Batch is not safe for concurrent use.
type Batch struct {
	tables [KindAppeal + 1]tableCols // by Kind; 0 unused
	bytes  int
}

// tableCols holds one table's columns in the order of its INSERT statement.
type tableCols struct {
	cols   []colBuf
	source proto.ColStr
	stamp  proto.ColDateTime // ingested_at, refilled for every insert
}

// colBuf is one column being filled.
type colBuf interface {
	add(ev *Event) int // appends ev's value; returns the bytes it counts towards Batch.Bytes
	reset()            // empties the column, keeping its capacity
	reserve(rows int)  // makes room for rows values (String columns: see strCol.width)
	column() proto.ColInput
}

// strCol is a String column.
type strCol struct {
	off     uintptr // of the Event field (see field.strIn)
	counted bool    // identifiers count towards Batch.Bytes
	width   int     // bytes a row that Batch.Reserve makes room for
	col     proto.ColStr
}

func (c *strCol) add(ev *Event) int {
	s := *(*string)(unsafe.Add(unsafe.Pointer(ev), c.off))
	c.col.Append(s)
	if c.counted {
		return len(s)
	}
	return 0
}
func (c *strCol) reset()                 { c.col.Reset() }
func (c *strCol) reserve(rows int)       { reserveStr(&c.col, rows, c.width) }
func (c *strCol) column() proto.ColInput { return &c.col }

// lowCardCol is a LowCardinality(String) column. Its values are interned: the column keeps one
// copy of each distinct value, not the events' strings.
type lowCardCol struct {
	off    uintptr
	col    *proto.ColLowCardinality[string]
	intern map[string]string
}

func (c *lowCardCol) add(ev *Event) int {
	s := *(*string)(unsafe.Add(unsafe.Pointer(ev), c.off))
	v, ok := c.intern[s]
	if !ok {
		if len(c.intern) >= maxInterned {
			clear(c.intern)
		}
		v = string(append([]byte(nil), s...))
		c.intern[v] = v
	}
	c.col.Append(v)
	return len(s)
}
func (c *lowCardCol) reset()                 { c.col.Reset() }
func (c *lowCardCol) reserve(rows int)       { c.col.Values = room(c.col.Values, rows) }
func (c *lowCardCol) column() proto.ColInput { return c.col }

// maxInterned bounds the distinct values a lowCardCol remembers between batches.
const maxInterned = 4096

// enumCol is an Enum8 column; code maps a value of the Event field to its Enum8 code.
type enumCol struct {
	off  uintptr
	code func(string) int8
	col  proto.ColEnum8
}

func (c *enumCol) add(ev *Event) int {
	c.col.Append(proto.Enum8(c.code(*(*string)(unsafe.Add(unsafe.Pointer(ev), c.off)))))
	return 0
}
func (c *enumCol) reset()                 { c.col.Reset() }
func (c *enumCol) reserve(rows int)       { c.col = room(c.col, rows) }
func (c *enumCol) column() proto.ColInput { return &c.col }

// timeCol is a DateTime('UTC') column.
type timeCol struct {
	at  func(*Event) *time.Time
	col proto.ColDateTime
}

func (c *timeCol) add(ev *Event) int {
	c.col.Append(*c.at(ev))
	return 0
}
func (c *timeCol) reset()                 { c.col.Reset() }
func (c *timeCol) reserve(rows int)       { c.col.Data = room(c.col.Data, rows) }
func (c *timeCol) column() proto.ColInput { return &c.col }

type u8Col struct {
	get func(*Event) uint8
	col proto.ColUInt8
}

func (c *u8Col) add(ev *Event) int      { c.col.Append(c.get(ev)); return 0 }
func (c *u8Col) reset()                 { c.col.Reset() }
func (c *u8Col) reserve(rows int)       { c.col = room(c.col, rows) }
func (c *u8Col) column() proto.ColInput { return &c.col }

type u32Col struct {
	get func(*Event) uint32
	col proto.ColUInt32
}

func (c *u32Col) add(ev *Event) int      { c.col.Append(c.get(ev)); return 0 }
func (c *u32Col) reset()                 { c.col.Reset() }
func (c *u32Col) reserve(rows int)       { c.col = room(c.col, rows) }
func (c *u32Col) column() proto.ColInput { return &c.col }

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// rowOverhead is the estimated bytes of a row besides its identifiers and source.
const rowOverhead = 96

// Add appends a validated event. source says where it came from (file:line or
// topic/partition/offset) and is stored with the row for audits.
func (b *Batch) Add(ev *Event, source string) {
	if t := b.add(ev); t != nil {
		t.source.Append(source)
		b.bytes += len(source)
	}
}

// addFrom is Add with the source written as topic/partition/offset straight into the column.
func (b *Batch) addFrom(ev *Event, topic string, partition int, offset int64) {
	if t := b.add(ev); t != nil {
		start := len(t.source.Buf)
		t.source.Buf = appendSource(t.source.Buf, topic, partition, offset)
		t.source.Pos = append(t.source.Pos, proto.Position{Start: start, End: len(t.source.Buf)})
		b.bytes += len(t.source.Buf) - start
	}
}

// addLine is Add with the source written as file:line straight into the column.
func (b *Batch) addLine(ev *Event, file string, line int) {
	if t := b.add(ev); t != nil {
		start := len(t.source.Buf)
		t.source.Buf = appendLineSource(t.source.Buf, file, line)
		t.source.Pos = append(t.source.Pos, proto.Position{Start: start, End: len(t.source.Buf)})
		b.bytes += len(t.source.Buf) - start
	}
}

// add appends ev's columns, all but its source, to its table and returns the table.
func (b *Batch) add(ev *Event) *tableCols {
	spec := ev.Kind.spec()
	if spec == nil {
		return nil
	}
	t := &b.tables[ev.Kind]
	if t.cols == nil {
		t.init(spec)
	}
	n := rowOverhead
	for _, c := range t.cols {
		n += c.add(ev)
	}
	b.bytes += n
	return t
}

// init makes the table's columns, empty.
func (t *tableCols) init(spec *kindSpec) {
	t.cols = make([]colBuf, len(spec.cols))
	for i, c := range spec.cols {
		t.cols[i] = c.buf()
	}
	t.stamp.Location = time.UTC
}

// The bytes a row that Batch.Reserve makes room for in a String column: identifiers are short
// (e.g. 89025cc1-0-e1), pseudonyms hex hashes (32 characters for 128 bits), sources
// topic/partition/offset or file:line. A column whose values are longer grows once, then keeps
// its size.
const (
	idBytes        = 16
	pseudonymBytes = 32
	sourceBytes    = 32
)

// Reserve sizes an empty batch once for rows events of any mix of kinds and about bytes
// estimated bytes (see Bytes), so that filling it up to that size, again and again after Reset,
// never grows a column: every table gets room for all rows (any table may get the whole batch),
// its String columns the bytes of typical values. rows is first cut to what bytes can hold (each
// row counts at least rowOverhead). For 50,000 rows that is about 44 MB of capacity, of which
// only what the tables fill is ever written (and so resident).
func (b *Batch) Reserve(rows, bytes int) {
	rows = max(0, min(rows, bytes/rowOverhead+1))
	for k := range b.tables {
		spec := Kind(k).spec()
		if spec == nil {
			continue
		}
		t := &b.tables[k]
		if t.cols == nil {
			t.init(spec)
		}
		for _, c := range t.cols {
			c.reserve(rows)
		}
		reserveStr(&t.source, rows, sourceBytes)
		t.stamp.Data = room(t.stamp.Data, rows)
	}
}

// room returns s emptied with capacity for n elements: a new array when s has less (make, not
// append, so that the pages of a large array are not written until rows are).
func room[S ~[]E, E any](s S, n int) S {
	if cap(s) >= n {
		return s[:0]
	}
	return make(S, 0, n)
}

// reserveStr makes room in an empty c for rows values of width bytes.
func reserveStr(c *proto.ColStr, rows, width int) {
	c.Pos = room(c.Pos, rows)
	c.Buf = room(c.Buf, rows*width)
}

// Len returns the number of events in the batch.
func (b *Batch) Len() int {
	n := 0
	for i := range b.tables {
		n += b.tables[i].source.Rows()
	}
	return n
}

// Counts returns the number of events per kind.
func (b *Batch) Counts() (service, rating, appeal int) {
	return b.tables[KindService].source.Rows(), b.tables[KindRating].source.Rows(), b.tables[KindAppeal].source.Rows()
}

// Bytes estimates the memory the batch holds, for flush-on-size and backpressure.
func (b *Batch) Bytes() int { return b.bytes }

// Reset empties the batch, keeping its allocated capacity.
func (b *Batch) Reset() {
	for i := range b.tables {
		t := &b.tables[i]
		for _, c := range t.cols {
			c.reset()
		}
		t.source.Reset()
	}
	b.bytes = 0
}

// insert is one table's INSERT: the statement and its columns in the statement's order.
type insert struct {
	table string
	sql   string
	cols  []proto.ColInput
	rows  int
}

// inserts returns one insert per table that has rows; now is their ingested_at.
func (b *Batch) inserts(now time.Time) []insert {
	var out []insert
	for k := range b.tables {
		t := &b.tables[k]
		n := t.source.Rows()
		if n == 0 {
			continue
		}
		spec := Kind(k).spec()
		cols := make([]proto.ColInput, 0, len(t.cols)+2)
		for _, c := range t.cols {
			cols = append(cols, c.column())
		}
		t.stamp.Reset()
		stamp := proto.ToDateTime(now)
		for range n {
			t.stamp.AppendRaw(stamp)
		}
		cols = append(cols, &t.stamp, &t.source)
		out = append(out, insert{table: spec.table, sql: spec.insert, cols: cols, rows: n})
	}
	return out
}
