package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/internal/proccpu"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// benchMessages returns n Kafka messages of the three kinds, as the Kafka benchmark publishes
// them (kafkagen's shapes: distinct ids, spread over 6 partitions per topic). Message i is of
// the generation's partition i%18.
func benchMessages(n int) []kafka.Message {
	lines := sampleLines(n)
	topics := [3]string{TopicServiceEvents, TopicRatings, TopicAppeals}
	out := make([]kafka.Message, n)
	for i, l := range lines {
		out[i] = kafka.Message{Topic: topics[i%3], Partition: i % 6, Offset: int64(i / 18), HighWaterMark: int64(n), Value: l}
	}
	return out
}

// BenchmarkProcess is the consumer's work per message between the partition readers and the
// writer: decode and validate, the duplicate check, the batch's columns, in groups of one
// partition as the generation loop takes a chunk, with 50k-message batches reset after each flush
// as the generation loop does. ClickHouse and Kafka are not involved.
func BenchmarkProcess(b *testing.B) {
	const batch = 50_000
	msgs := benchMessages(200_000)
	c := NewConsumer(nil, NewValidator(), nil, WithConsumerRegisterer(nil))
	p := newPending(18, batch, DefaultBatchBytes)
	kinds := [3]Kind{KindService, KindRating, KindAppeal}
	seen := NewSeen(DefaultDedupeWindow)
	// The messages of each of the 18 partitions in offset order, as chunks hold them.
	parts := make([][]record, 18)
	for i, m := range msgs {
		parts[i%18] = append(parts[i%18], record{m.Offset, m.Value})
	}
	var dec [group]decoded
	b.ReportAllocs()
	cpu0 := proccpu.Used()
	n, part, at := 0, 0, 0
	for b.Loop() {
		if at == len(parts[part]) {
			if part, at = (part+1)%18, 0; part == 0 {
				seen = NewSeen(DefaultDedupeWindow) // the same ids again would all be duplicates
			}
		}
		recs := parts[part][at:min(at+group, len(parts[part]))]
		k := tp{msgs[part].Topic, msgs[part].Partition}
		g := dec[:len(recs)]
		c.decode(k, recs, g, seen, kinds[part%3])
		for i := range g {
			c.place(k, part, int64(len(msgs)), &recs[i], &g[i], p, seen)
			if p.messages >= batch {
				p.reset()
			}
		}
		at += len(recs)
		n += len(recs)
	}
	b.ReportMetric(float64(proccpu.Used()-cpu0)/float64(n), "cpu-ns/msg")
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
	cpu0 := proccpu.Used()
	for i := 0; b.Loop(); i++ {
		if i%len(ids) == 0 {
			s = NewSeen(DefaultDedupeWindow)
		}
		if s.Add(ids[i%len(ids)]) {
			b.Fatal("a distinct id reported as a duplicate")
		}
	}
	b.ReportMetric(float64(proccpu.Used()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkFill is the writer's hand-over of one 50k-row batch to the driver: the driver's
// columns of each table's statement filled from the batch's (fill), without sending them. The
// statements are prepared outside the measured CPU time.
func BenchmarkFill(b *testing.B) {
	conn, _ := chtest.DB(b)
	v := NewValidator()
	var batch Batch
	var ev Event
	for i, l := range sampleLines(50_000) {
		if err := v.Decode(l, &ev); err != nil {
			b.Fatal(err)
		}
		batch.addFrom(&ev, TopicRatings, i%6, int64(i))
	}
	ctx := context.Background()
	var cpu time.Duration
	for b.Loop() {
		for _, ins := range batch.inserts(time.Now()) {
			db, err := conn.PrepareBatch(ctx, ins.sql)
			if err != nil {
				b.Fatal(err)
			}
			cpu0 := proccpu.Used()
			if err := fill(db, ins); err != nil {
				_ = db.Abort()
				b.Fatal(err)
			}
			cpu += proccpu.Used() - cpu0
			if err := db.Abort(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/50_000, "cpu-ns/row")
}
