package readability

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/internal/testkit/httpload"
)

// benchTexts are replies of typical lengths: a short answer, a paragraph, a long letter.
var benchTexts = []string{
	simple,
	handScored[2].text + " " + simple + " Если у вас остались вопросы, позвоните нам по телефону 122 или напишите в чат на портале.",
	strings.Repeat(handScored[2].text+" "+simple+" ", 10),
}

// BenchmarkScore measures the check without HTTP: count, indices and limits, in texts per second.
func BenchmarkScore(b *testing.B) {
	l := DefaultLimits()
	for _, text := range benchTexts {
		b.Run(fmt.Sprintf("%dB", len(text)), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := l.Score(text, ""); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}

// BenchmarkHTTP measures POST /v1/readability over loopback TCP with C concurrent clients, each
// sending the paragraph-sized text back to back on its own keep-alive connection; it reports
// requests per second and the p50 and p99 latency seen by the clients.
func BenchmarkHTTP(b *testing.B) {
	srv := httptest.NewServer(NewHandler(WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))))
	defer srv.Close()
	body, _ := json.Marshal(map[string]string{"text": benchTexts[1]})
	httpload.Post(b, srv.URL+Path, body, 1, 16, 64)
}
