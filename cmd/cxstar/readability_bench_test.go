package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxstar/cxstar/readability"
)

// BenchmarkReadabilityServe loads `cxstar readability serve` with C concurrent keep-alive clients
// posting a 1 KB reply (a paragraph and five follow-up sentences) and reports requests per second
// and the p50 and p99 latency the clients saw. It starts the command in-process on a free port;
// with CXSTAR_BENCH_READABILITY_URL (e.g. http://127.0.0.1:18090/v1/readability) it loads a
// server started separately instead, such as the binary in another process. Run it a few times
// (-count 5) and compare medians: on shared cores single runs vary by 2×.
func BenchmarkReadabilityServe(b *testing.B) {
	url := os.Getenv("CXSTAR_BENCH_READABILITY_URL")
	if url == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- runReadabilityServe(ctx, []string{"--listen", addr}) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				b.Error(err)
			}
		}()
		url = "http://" + addr + readability.Path
		for i := 0; ; i++ {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			if i == 100 {
				b.Fatalf("readability serve did not answer on %s: %v", addr, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	text := "Ваше заявление рассмотрено. Решение о предоставлении услуги принято 12 марта; уведомление направлено в личный кабинет на портале. " +
		strings.Repeat("Если у вас остались вопросы, позвоните нам по телефону 122 или напишите в чат на портале. ", 5)
	body, _ := json.Marshal(map[string]string{"text": text})
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			lat := make([]time.Duration, b.N)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := 0; c < clients; c++ {
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
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d requests failed", n, b.N)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
