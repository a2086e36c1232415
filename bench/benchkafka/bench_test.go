package benchkafka_test

import (
	"context"
	"os"
	"testing"

	"github.com/cxstar/cxstar/bench/benchkafka"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// BenchmarkKafkaIngest: go test -bench KafkaIngest -benchtime 1x -count 3 ./bench/benchkafka
// reports ingest rows/s beside both baselines, their ratio and the ingest process's peak RSS.
func BenchmarkKafkaIngest(b *testing.B) {
	_, dsn := chtest.DB(b)
	bin := kafkatest.Binary(b, b.TempDir())
	var last benchkafka.Result
	for i := 0; i < b.N; i++ {
		r, err := benchkafka.Run(context.Background(), benchkafka.Options{Binary: bin, DSN: dsn, Log: os.Stderr})
		if err != nil {
			b.Fatal(err)
		}
		last = r
	}
	b.ReportMetric(last.IngestRowsPerSec, "ingest_rows/s")
	b.ReportMetric(last.InsertRowsPerSec, "ch_insert_rows/s")
	b.ReportMetric(last.ConsumeMsgsPerSec, "kafka_consume_msg/s")
	b.ReportMetric(last.Ratio, "ratio")
	b.ReportMetric(float64(last.PeakRSSBytes)/(1<<20), "peak_rss_MB")
}

// TestRunSmall checks that Run measures something sane on a small stream (every rate positive,
// the RSS read from /proc, the ingest process's CPU from its exit status).
func TestRunSmall(t *testing.T) {
	_, dsn := chtest.DB(t)
	bin := kafkatest.Binary(t, t.TempDir())
	r, err := benchkafka.Run(context.Background(), benchkafka.Options{Binary: bin, DSN: dsn, Events: 20_000, BatchMessages: 5_000})
	if err != nil {
		t.Fatal(err)
	}
	if r.Events != 20_000 || r.IngestRowsPerSec <= 0 || r.InsertRowsPerSec <= 0 || r.ConsumeMsgsPerSec <= 0 || r.Ratio <= 0 || r.PeakRSSBytes < 1<<20 || r.IngestCPUPerRow <= 0 || r.BrokerCPUPerRow <= 0 ||
		r.InsertServer.CPU <= 0 || r.IngestServer.CPU <= 0 {
		t.Fatalf("implausible result: %+v", r)
	}
	t.Log(r)
}
