package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// peakTracker is an Arrow allocator that records the peak of bytes allocated and not yet freed.
type peakTracker struct {
	memory.Allocator
	cur, peak int64
}

func (p *peakTracker) Allocate(n int) []byte {
	p.cur += int64(n)
	if p.cur > p.peak {
		p.peak = p.cur
	}
	return p.Allocator.Allocate(n)
}

func (p *peakTracker) Reallocate(n int, b []byte) []byte {
	p.cur += int64(n - len(b))
	if p.cur > p.peak {
		p.peak = p.cur
	}
	return p.Allocator.Reallocate(n, b)
}

func (p *peakTracker) Free(b []byte) {
	p.cur -= int64(len(b))
	p.Allocator.Free(b)
}

// TestConstantMemory exports 5,000 and then 100,000 rows with 1,000-row batches: the peak of live
// Arrow memory and of the Go heap (sampled after a GC at every batch) must not grow with the
// row count. A non-streaming export would hold all 100,000 rows (~15 MB) at once.
func TestConstantMemory(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	seedRatings(t, conn, 100_000)
	measure := func(f Format, limit int) (arrowPeak, heapPeak uint64, rows int64) {
		pt := &peakTracker{Allocator: memory.NewGoAllocator()}
		var ms runtime.MemStats
		sample := func(Stats) {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heapPeak = max(heapPeak, ms.HeapAlloc)
		}
		query := fmt.Sprintf("SELECT * FROM ratings FINAL LIMIT %d", limit)
		st, err := Query(ctx, conn, query, f, discard{}, WithBatchRows(1000), WithAllocator(pt), WithProgress(sample))
		if err != nil {
			t.Fatal(err)
		}
		return uint64(pt.peak), heapPeak, st.Rows
	}
	for _, f := range []Format{Parquet, Arrow} {
		aSmall, hSmall, nSmall := measure(f, 5_000)
		aBig, hBig, nBig := measure(f, 100_000)
		t.Logf("%s: arrow peak %d KiB (5k rows) vs %d KiB (100k rows); heap peak %d KiB vs %d KiB",
			f, aSmall>>10, aBig>>10, hSmall>>10, hBig>>10)
		if nSmall != 5_000 || nBig != 100_000 {
			t.Fatalf("rows %d, %d", nSmall, nBig)
		}
		// 20× the rows: allow 1.5× the Arrow peak and +4 MiB of heap (Parquet footer metadata grows
		// by one row group per batch; the driver's block buffer is fixed).
		if float64(aBig) > 1.5*float64(aSmall) {
			t.Errorf("%s: Arrow memory grew with rows: %d → %d bytes", f, aSmall, aBig)
		}
		if hBig > hSmall+4<<20 {
			t.Errorf("%s: Go heap grew with rows: %d → %d bytes", f, hSmall, hBig)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestExportFile writes real files to a temp dir (what the CLI does) and checks they are readable.
func TestExportFile(t *testing.T) {
	conn, _ := chtest.DB(t)
	seedRatings(t, conn, 100)
	dir := t.TempDir()
	for _, f := range []Format{Parquet, Arrow} {
		path := filepath.Join(dir, "ratings."+string(f))
		st, err := ToFile(context.Background(), conn, "ratings", q3, f, path)
		if err != nil || st.Rows != 100 {
			t.Fatalf("%s: %+v %v", f, st, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, rows := readBack(t, f, data); len(rows) != 100 {
			t.Fatalf("%s: %d rows", f, len(rows))
		}
	}
}
