package ingest

import (
	"slices"
	"testing"
	"unsafe"
)

// TestReserveNoGrowth fills reserved batches with events of one kind, of all kinds, twice (with
// a Reset between): no column may move to a new array, whatever table receives the rows, and
// Reserve cuts the rows to what the bytes bound allows.
func TestReserveNoGrowth(t *testing.T) {
	lines := sampleLines(3 * 400) // service, rating, appeal, service, …
	tests := []struct {
		name       string
		rows       int
		bytes      int
		kinds      []int // i%3 of the sample lines to use
		wantRows   int   // the rows Reserve made room for
		fillRounds int
	}{
		{"service events only", 400, 1 << 30, []int{0}, 400, 2},
		{"ratings only", 400, 1 << 30, []int{1}, 400, 2},
		{"appeals only", 400, 1 << 30, []int{2}, 400, 2},
		{"all kinds", 400, 1 << 30, []int{0, 1, 2}, 400, 2},
		{"cut by bytes", 400, 96 * 99, []int{0, 1, 2}, 100, 1},
	}
	v := NewValidator()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Batch
			b.Reserve(tt.rows, tt.bytes)
			before := batchArrays(&b)
			for k := KindService; k <= KindAppeal; k++ {
				if c := cap(b.tables[k].source.Pos); c < tt.wantRows || c >= tt.wantRows+tt.wantRows/4+8 {
					t.Errorf("%s: room for %d sources; want %d (size-class rounding aside)", k, c, tt.wantRows)
				}
			}
			var ev Event
			for round := range tt.fillRounds {
				b.Reset()
				n := 0
				for i, l := range lines {
					if !slices.Contains(tt.kinds, i%3) || n == tt.wantRows {
						continue
					}
					if err := v.Decode(l, &ev); err != nil {
						t.Fatal(err)
					}
					b.addFrom(&ev, TopicServiceEvents, 5, int64(100_000+i))
					n++
				}
				if b.Len() != tt.wantRows {
					t.Fatalf("round %d: %d rows; want %d", round, b.Len(), tt.wantRows)
				}
				after := batchArrays(&b)
				for i := range before {
					if after[i] != before[i] {
						t.Fatalf("round %d: column array %d moved (grew) after %d rows", round, i, n)
					}
				}
			}
		})
	}
}

// batchArrays lists the backing array of every column of b, in a fixed order.
func batchArrays(b *Batch) []unsafe.Pointer {
	var out []unsafe.Pointer
	for k := range b.tables {
		t := &b.tables[k]
		for _, c := range t.cols {
			switch c := c.(type) {
			case *strCol:
				out = append(out, unsafe.Pointer(unsafe.SliceData(c.col.Pos)), unsafe.Pointer(unsafe.SliceData(c.col.Buf)))
			case *lowCardCol:
				out = append(out, unsafe.Pointer(unsafe.SliceData(c.col.Values)))
			case *enumCol:
				out = append(out, unsafe.Pointer(unsafe.SliceData(c.col)))
			case *timeCol:
				out = append(out, unsafe.Pointer(unsafe.SliceData(c.col.Data)))
			case *u8Col:
				out = append(out, unsafe.Pointer(unsafe.SliceData(c.col)))
			case *u32Col:
				out = append(out, unsafe.Pointer(unsafe.SliceData(c.col)))
			default:
				panic("batchArrays: a column type it does not know")
			}
		}
		out = append(out, unsafe.Pointer(unsafe.SliceData(t.source.Pos)), unsafe.Pointer(unsafe.SliceData(t.source.Buf)))
	}
	return out
}
