package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/readability"

	"github.com/cxstar/cxstar/internal/testkit/httpload"
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
	httpload.Post(b, url, body, 1, 16, 64)
}
