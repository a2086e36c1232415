package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// BenchmarkAssess generates ≥ 10 M ratings and ≥ 10 M service events in a scratch database
// (CXSTAR_BENCH_ROWS overrides the count per table) and reports the assessment time beside a full
// scan of the same columns, measured in the same run:
//
//	go test -run '^$' -bench BenchmarkAssess -benchtime 1x ./bench
func BenchmarkAssess(b *testing.B) {
	rows := int64(10_000_000)
	if v, err := strconv.ParseInt(os.Getenv("CXSTAR_BENCH_ROWS"), 10, 64); err == nil && v > 0 {
		rows = v
	}
	conn, _ := chtest.DB(b)
	ctx := context.Background()
	generate := true
	for i := 0; i < b.N; i++ {
		res, err := AssessVsScan(ctx, conn, AssessOptions{Ratings: rows, ServiceEvents: rows, Rounds: 3, Generate: generate})
		if err != nil {
			b.Fatal(err)
		}
		generate = false
		b.ReportMetric(res.Assess.Seconds(), "assess-s")
		b.ReportMetric(res.Scan.Seconds(), "scan-s")
		b.ReportMetric(res.Ratio, "ratio")
		b.Log(res)
	}
}
