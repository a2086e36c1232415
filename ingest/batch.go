package ingest

import (
	"slices"
	"time"
	"unsafe"
)

// Batch collects validated events as typed columns, one set per table, ready for a columnar
// native-protocol insert. The columns are those of the contract (contract.go). The zero value
// is an empty batch; a Batch is not safe for concurrent use.
type Batch struct {
	tables [KindAppeal + 1]tableCols // by Kind; 0 unused
	bytes  int
}

// tableCols holds one table's columns in the order of its INSERT statement.
type tableCols struct {
	cols   []colBuf
	source []string
	stamp  []time.Time // ingested_at, refilled for every insert
}

// colBuf is one column being filled.
type colBuf interface {
	add(ev *Event) int // appends ev's value; returns the bytes it counts towards Batch.Bytes
	reset()            // empties the column, keeping its capacity
	values() any       // the column's values as a slice for the driver
	len() int
}

type strCol struct {
	off     uintptr // of the Event field (see field.strIn)
	counted bool    // identifiers count towards Batch.Bytes; enum values are constants
	v       []string
}

func (c *strCol) add(ev *Event) int {
	s := *(*string)(unsafe.Add(unsafe.Pointer(ev), c.off))
	c.v = append(c.v, s)
	if c.counted {
		return len(s)
	}
	return 0
}
func (c *strCol) reset()      { c.v = c.v[:0] }
func (c *strCol) values() any { return c.v }
func (c *strCol) len() int    { return len(c.v) }

type timeCol struct {
	at func(*Event) *time.Time
	v  []time.Time
}

func (c *timeCol) add(ev *Event) int { c.v = append(c.v, *c.at(ev)); return 0 }
func (c *timeCol) reset()            { c.v = c.v[:0] }
func (c *timeCol) values() any       { return c.v }
func (c *timeCol) len() int          { return len(c.v) }

type u8Col struct {
	get func(*Event) uint8
	v   []uint8
}

func (c *u8Col) add(ev *Event) int { c.v = append(c.v, c.get(ev)); return 0 }
func (c *u8Col) reset()            { c.v = c.v[:0] }
func (c *u8Col) values() any       { return c.v }
func (c *u8Col) len() int          { return len(c.v) }

type u32Col struct {
	get func(*Event) uint32
	v   []uint32
}

func (c *u32Col) add(ev *Event) int { c.v = append(c.v, c.get(ev)); return 0 }
func (c *u32Col) reset()            { c.v = c.v[:0] }
func (c *u32Col) values() any       { return c.v }
func (c *u32Col) len() int          { return len(c.v) }

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
	spec := ev.Kind.spec()
	if spec == nil {
		return
	}
	t := &b.tables[ev.Kind]
	if t.cols == nil {
		t.cols = make([]colBuf, len(spec.cols))
		for i, c := range spec.cols {
			t.cols[i] = c.buf()
		}
	}
	n := rowOverhead + len(source)
	for _, c := range t.cols {
		n += c.add(ev)
	}
	t.source = append(t.source, source)
	b.bytes += n
}

// Len returns the number of events in the batch.
func (b *Batch) Len() int {
	n := 0
	for i := range b.tables {
		n += len(b.tables[i].source)
	}
	return n
}

// Counts returns the number of events per kind.
func (b *Batch) Counts() (service, rating, appeal int) {
	return len(b.tables[KindService].source), len(b.tables[KindRating].source), len(b.tables[KindAppeal].source)
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
		t.source = t.source[:0]
	}
	b.bytes = 0
}

// insert is one table's INSERT: the statement and its columns in the statement's order.
type insert struct {
	table string
	sql   string
	cols  []any
	rows  int
}

// inserts returns one insert per table that has rows; now is their ingested_at.
func (b *Batch) inserts(now time.Time) []insert {
	var out []insert
	for k := range b.tables {
		t := &b.tables[k]
		n := len(t.source)
		if n == 0 {
			continue
		}
		spec := Kind(k).spec()
		cols := make([]any, 0, len(t.cols)+2)
		for _, c := range t.cols {
			cols = append(cols, c.values())
		}
		t.stamp = slices.Grow(t.stamp[:0], n)[:n]
		for i := range t.stamp {
			t.stamp[i] = now
		}
		cols = append(cols, t.stamp, t.source)
		out = append(out, insert{table: spec.table, sql: spec.insert, cols: cols, rows: n})
	}
	return out
}
