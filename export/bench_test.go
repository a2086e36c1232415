package export

import (
	"context"
	"sync"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/chtest"
)

var (
	benchOnce sync.Once
	benchConn driver.Conn
)

const benchRows = 200_000

// benchDB seeds one database with benchRows ratings for every benchmark of the package.
func benchDB(b *testing.B) driver.Conn {
	benchOnce.Do(func() {
		benchConn, _ = chtest.DB(b)
		seedRatings(b, benchConn, benchRows)
		// Merge now so that FINAL does not pay for unmerged parts in the timed loop.
		if err := benchConn.Exec(context.Background(), "OPTIMIZE TABLE ratings FINAL"); err != nil {
			b.Fatal(err)
		}
	})
	return benchConn
}

// BenchmarkExport exports 200,000 ratings (14 columns, 4 of them enums) from ClickHouse to
// Parquet and Arrow IPC, discarding the bytes; it reports rows/s including the ClickHouse read.
func BenchmarkExport(b *testing.B) {
	for _, f := range []Format{Parquet, Arrow} {
		b.Run(string(f), func(b *testing.B) {
			conn := benchDB(b)
			var res BenchResult
			var err error
			for b.Loop() {
				res, err = bench(context.Background(), conn, "ratings", q3, f)
				if err != nil {
					b.Fatal(err)
				}
				if res.Rows != benchRows {
					b.Fatalf("rows %d", res.Rows)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(res.Bytes)/benchRows, "bytes/row")
		})
	}
}
