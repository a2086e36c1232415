// Package httpload measures an HTTP endpoint under concurrent keep-alive clients, for benchmarks.
package httpload

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Post runs one sub-benchmark per entry of clients: that many clients, each on its own keep-alive
// connection, POST body (JSON) to url back to back, b.N requests in all. It reports requests per
// second and the p50 and p99 latency the clients saw, and fails when any request fails or does
// not answer 200.
func Post(b *testing.B, url string, body []byte, clients ...int) {
	for _, n := range clients {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			lat := make([]time.Duration, b.N)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := 0; c < n; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						start := time.Now()
						resp, err := client.Post(url, "application/json", bytes.NewReader(body))
						if err != nil {
							failed.Add(1)
							continue
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							failed.Add(1)
						}
						lat[i] = time.Since(start)
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d requests failed", f, b.N)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
