package ingest

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// benchMessages returns n Kafka messages of the three kinds, as the Kafka benchmark publishes
// them (kafkagen's shapes: distinct ids, spread over 6 partitions per topic).
func benchMessages(n int) []fetched {
	lines := sampleLines(n)
	topics := [3]string{TopicServiceEvents, TopicRatings, TopicAppeals}
	out := make([]fetched, n)
	for i, l := range lines {
		out[i] = fetched{kafka.Message{Topic: topics[i%3], Partition: i % 6, Offset: int64(i / 18), HighWaterMark: int64(n), Value: l}, i % 18}
	}
	return out
}

// BenchmarkProcess is the consumer's work per message between the partition readers and the
// writer: decode and validate, the duplicate check, the batch's columns, with 50k-message
// batches reset after each flush as the generation loop does. ClickHouse and Kafka are not
// involved.
func BenchmarkProcess(b *testing.B) {
	const batch = 50_000
	msgs := benchMessages(200_000)
	c := NewConsumer(nil, NewValidator(), nil, WithConsumerRegisterer(nil))
	p := newPending(18)
	kinds := [3]Kind{KindService, KindRating, KindAppeal}
	seen := NewSeen(DefaultDedupeWindow)
	var ev Event
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		f := msgs[i%len(msgs)]
		if i%len(msgs) == 0 {
			seen = NewSeen(DefaultDedupeWindow) // the same ids again would all be duplicates
		}
		c.process(&f, &ev, p, seen, kinds[f.part%3])
		if p.messages >= batch {
			p.reset()
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/msg")
}

// BenchmarkSeen is the duplicate check of distinct ids with the default window (so the set
// turns over as on a long-running consumer).
func BenchmarkSeen(b *testing.B) {
	ids := make([]string, 1<<20)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%d", i)
	}
	b.ReportAllocs()
	s := NewSeen(DefaultDedupeWindow)
	cpu0 := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		if i%len(ids) == 0 {
			s = NewSeen(DefaultDedupeWindow)
		}
		if s.Add(ids[i%len(ids)]) {
			b.Fatal("a distinct id reported as a duplicate")
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the user + system CPU time of the process so far: on shared cores the CPU a
// benchmark takes is steadier than its wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
