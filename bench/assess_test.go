package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// BenchmarkAssess generates ≥ 10 M ratings and ≥ 10 M service events in a scratch database
// (CXSTAR_BENCH_ROWS overrides the count per table) on the 18.16 server and reports the assessment
// time beside a full scan of the same columns, measured in the same run, as inserted and settled:
//
//	go test -run '^$' -bench 'BenchmarkAssess$' -benchtime 1x ./bench
func BenchmarkAssess(b *testing.B) {
	conn, _ := chtest.DB(b)
	benchAssess(b, conn, benchRows())
}

// BenchmarkAssessCurrentEngine is BenchmarkAssess on current ClickHouse (chDB, in the test
// process, two threads a query), the engine most users run:
//
//	go test -run '^$' -bench BenchmarkAssessCurrentEngine -benchtime 1x ./bench
func BenchmarkAssessCurrentEngine(b *testing.B) {
	benchAssess(b, chdbtest.DB(b), benchRows())
}

// benchRows is the count per table: 10 M, or CXSTAR_BENCH_ROWS.
func benchRows() int64 {
	rows := int64(10_000_000)
	if v, err := strconv.ParseInt(os.Getenv("CXSTAR_BENCH_ROWS"), 10, 64); err == nil && v > 0 {
		rows = v
	}
	return rows
}

// benchAssess generates the rows on the first iteration, then measures AssessVsScan and
// reports its medians: as inserted and, after transform.Compact, settled.
func benchAssess(b *testing.B, conn driver.Conn, rows int64) {
	ctx := context.Background()
	generate := true
	for i := 0; i < b.N; i++ {
		res, err := AssessVsScan(ctx, conn, AssessOptions{Ratings: rows, ServiceEvents: rows, Rounds: 3, Generate: generate, Compact: true})
		if err != nil {
			b.Fatal(err)
		}
		generate = false
		b.ReportMetric(res.Assess.Seconds(), "assess-s")
		b.ReportMetric(res.Scan.Seconds(), "scan-s")
		b.ReportMetric(res.Ratio, "ratio")
		b.ReportMetric(res.CompactedAssess.Seconds(), "settled-assess-s")
		b.ReportMetric(res.CompactedRatio, "settled-ratio")
		b.Log(res)
	}
}
