package export

import (
	"context"
	"io"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/atomicfile"
	"github.com/cxstar/cxstar/quarter"
)

// ToFile exports table for quarter q into the file at path. It writes a temporary file in the same
// folder and renames it into place only when the export succeeded, so a failed or interrupted
// export never leaves a truncated file under the final name.
func ToFile(ctx context.Context, conn driver.Conn, table string, q quarter.Quarter, f Format, path string, opts ...Option) (Stats, error) {
	var st Stats
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		var err error
		st, err = Table(ctx, conn, table, q, f, w, opts...)
		return err
	})
	return st, err
}

// BenchResult is the outcome of one BenchParquet or BenchArrow run.
type BenchResult struct {
	Stats
	Elapsed    time.Duration
	RowsPerSec float64
}

// BenchParquet exports table for quarter q as Parquet into a byte counter (no disk) and reports
// rows/s, for `cxstar bench`. The rate includes reading from ClickHouse.
func BenchParquet(ctx context.Context, conn driver.Conn, table string, q quarter.Quarter, opts ...Option) (BenchResult, error) {
	return bench(ctx, conn, table, q, Parquet, opts...)
}

// BenchArrow is BenchParquet for the Arrow IPC file format.
func BenchArrow(ctx context.Context, conn driver.Conn, table string, q quarter.Quarter, opts ...Option) (BenchResult, error) {
	return bench(ctx, conn, table, q, Arrow, opts...)
}

func bench(ctx context.Context, conn driver.Conn, table string, q quarter.Quarter, f Format, opts ...Option) (BenchResult, error) {
	start := time.Now()
	st, err := Table(ctx, conn, table, q, f, &countingWriter{w: nopWriter{}}, opts...)
	r := BenchResult{Stats: st, Elapsed: time.Since(start)}
	if r.Elapsed > 0 {
		r.RowsPerSec = float64(st.Rows) / r.Elapsed.Seconds()
	}
	return r, err
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
