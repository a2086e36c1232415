package simulate

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/broker"
)

// TestKafkaSink publishes a small run to the embedded broker and counts the messages per topic.
func TestKafkaSink(t *testing.T) {
	b, err := broker.Start(broker.WithPort(0))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sink := NewKafkaSink(ctx, b.Addrs(), WithKafkaChunk(1000))
	st, err := New(WithSeed(4), WithAgencies(2), WithRequests(300), WithInvalidShare(0.01), WithClock(clock)).Run(ctx, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.Published() != st.Lines() {
		t.Errorf("published %d, generated %d lines", sink.Published(), st.Lines())
	}
	for k, topic := range map[ingest.Kind]string{ingest.KindService: ingest.TopicServiceEvents, ingest.KindRating: ingest.TopicRatings, ingest.KindAppeal: ingest.TopicAppeals} {
		var n int64
		for p := 0; p < broker.DefaultPartitions; p++ {
			c, err := kafka.DialLeader(ctx, "tcp", b.Addr(), topic, p)
			if err != nil {
				t.Fatal(err)
			}
			last, err := c.ReadLastOffset()
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			n += last
		}
		if want := st.Events[k] + st.Duplicates[k] + st.InvalidByKind[k]; n != want {
			t.Errorf("%s: %d messages, want %d", topic, n, want)
		}
	}
}
func BenchmarkKafkaSink(b *testing.B) {
	br, err := broker.Start(broker.WithPort(0))
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	var events int64
	for i := 0; i < b.N; i++ {
		sink := NewKafkaSink(context.Background(), br.Addrs())
		st, err := New(WithSeed(uint64(i)), WithAgencies(4), WithRequests(4500), WithClock(clock)).Run(context.Background(), sink)
		if err == nil {
			err = sink.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
		events += st.Lines()
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
