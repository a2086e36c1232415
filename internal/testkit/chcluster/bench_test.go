package chcluster_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/testkit/chcluster"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/simulate"
	"github.com/cxstar/cxstar/transform"
)

// cpuSeconds returns the CPU time (user + system) the process of pid file path has used.
func cpuSeconds(b *testing.B, pidFile string) float64 {
	b.Helper()
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		b.Fatalf("read %s: %v", pidFile, err)
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(raw)) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks (USER_HZ = 100 on Linux)
}

// BenchmarkClusterVsSingle loads the same simulated data (CXSTAR_BENCH_AGENCIES agencies ×
// CXSTAR_BENCH_REQUESTS requests, default 20 × 1500) into a single node and into the 2 × 2
// cluster through the production path, then assesses 2026Q2 on each, and reports rows/s of the
// loads, the seconds of an assessment, and each cluster node's share of the CPU time the
// assessment took on the cluster:
//
//	go test -run '^$' -bench ClusterVsSingle -benchtime 3x ./internal/testkit/chcluster
func BenchmarkClusterVsSingle(b *testing.B) {
	agencies, requests := 20, 1500
	if v, err := strconv.Atoi(os.Getenv("CXSTAR_BENCH_AGENCIES")); err == nil {
		agencies = v
	}
	if v, err := strconv.Atoi(os.Getenv("CXSTAR_BENCH_REQUESTS")); err == nil {
		requests = v
	}
	ctx := context.Background()
	now := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := b.TempDir()
	g := simulate.New(simulate.WithSeed(42), simulate.WithAgencies(agencies), simulate.WithRequests(requests),
		simulate.WithQuarters(quarter.Quarter{Year: 2026, Q: 1}, quarter.Quarter{Year: 2026, Q: 3}), simulate.WithClock(clock))
	sink, err := simulate.NewFileSink(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := g.Run(ctx, sink); err != nil {
		b.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		b.Fatal(err)
	}
	single, _ := chtest.DB(b)
	clus, clusDSN := chcluster.DB(b)
	load := func(name string, conn driver.Conn) {
		start := time.Now()
		st, err := ingest.NewLoader(ingest.NewValidator(ingest.WithClock(clock)), ingest.NewWriter(conn), ingest.WithRejects(io.Discard)).Load(ctx, sink.Paths())
		if err != nil {
			b.Fatal(err)
		}
		s := time.Since(start).Seconds()
		b.ReportMetric(float64(st.Inserted)/s, name+"-load-rows/s")
		fmt.Fprintf(os.Stderr, "%s: %d rows loaded in %.1f s (%.0f rows/s)\n", name, st.Inserted, s, float64(st.Inserted)/s)
	}
	load("single", single)
	load("cluster", clus)
	syncReplicas(b, clusDSN, dbOf(clusDSN))

	dataDir := os.Getenv("CXSTAR_CLUSTER_DIR")
	if dataDir == "" {
		home, _ := os.UserHomeDir()
		dataDir = filepath.Join(home, ".cache", "cxstar", "chcluster")
	}
	assess := func(conn driver.Conn) {
		if _, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q2", Now: clock}); err != nil {
			b.Fatal(err)
		}
	}
	assess(single) // warm both
	assess(clus)
	b.ResetTimer()
	var tSingle, tClus time.Duration
	cpu := make([]float64, 5)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		assess(single)
		tSingle += time.Since(start)
		before := make([]float64, 5)
		for n := 1; n <= 4; n++ {
			before[n] = cpuSeconds(b, filepath.Join(dataDir, fmt.Sprintf("node%d", n), "server.pid"))
		}
		start = time.Now()
		assess(clus)
		tClus += time.Since(start)
		for n := 1; n <= 4; n++ {
			cpu[n] += cpuSeconds(b, filepath.Join(dataDir, fmt.Sprintf("node%d", n), "server.pid")) - before[n]
		}
	}
	b.StopTimer()
	b.ReportMetric(tSingle.Seconds()/float64(b.N), "single-assess-s")
	b.ReportMetric(tClus.Seconds()/float64(b.N), "cluster-assess-s")
	total := cpu[1] + cpu[2] + cpu[3] + cpu[4]
	fmt.Fprintf(os.Stderr, "assess 2026Q2: single %.2f s, cluster %.2f s; cluster CPU %.2f s: node1 (shard 1, initiator) %.0f %%, node2 (shard 1) %.0f %%, node3 (shard 2) %.0f %%, node4 (shard 2) %.0f %%\n",
		tSingle.Seconds()/float64(b.N), tClus.Seconds()/float64(b.N), total/float64(b.N),
		100*cpu[1]/total, 100*cpu[2]/total, 100*cpu[3]/total, 100*cpu[4]/total)
	b.ReportMetric(100*(cpu[1]+cpu[2])/total, "shard1-cpu-%")
	b.ReportMetric(100*(cpu[3]+cpu[4])/total, "shard2-cpu-%")
}
