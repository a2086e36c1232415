package export

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/proccpu"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

const benchRows = 200_000

// benchDB seeds a database with benchRows ratings; call it on the top-level benchmark so that the
// database lives until every sub-benchmark has run.
func benchDB(b *testing.B) driver.Conn {
	conn, _ := chtest.DB(b)
	seedRatings(b, conn, benchRows)
	// Merge now so that FINAL does not pay for unmerged parts in the timed loop.
	if err := conn.Exec(context.Background(), "OPTIMIZE TABLE ratings FINAL"); err != nil {
		b.Fatal(err)
	}
	return conn
}

// BenchmarkExport exports 200,000 ratings (14 columns, 4 of them enums) from ClickHouse to
// Parquet and Arrow IPC, discarding the bytes; it reports rows/s including the ClickHouse read
// and the CPU time of this process per row.
func BenchmarkExport(b *testing.B) {
	conn := benchDB(b)
	for _, f := range []Format{Parquet, Arrow} {
		b.Run(string(f), func(b *testing.B) {
			var res BenchResult
			var err error
			cpu0 := proccpu.Used()
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
			b.ReportMetric(float64(proccpu.Used()-cpu0)/float64(b.N)/benchRows, "cpu-ns/row")
		})
	}
	// Without FINAL: separates the server's merge-on-read cost (FINAL on 18.16 is single-threaded)
	// from the driver → Arrow → file conversion that this package does.
	for _, f := range []Format{Parquet, Arrow} {
		b.Run(string(f)+"-nofinal", func(b *testing.B) {
			cpu0 := proccpu.Used()
			for b.Loop() {
				st, err := Query(context.Background(), conn, "SELECT * FROM ratings", f, nopWriter{})
				if err != nil || st.Rows != benchRows {
					b.Fatalf("%+v %v", st, err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(proccpu.Used()-cpu0)/float64(b.N)/benchRows, "cpu-ns/row")
		})
	}
}
