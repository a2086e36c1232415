package main

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/broker"
)

// TestDemoGroupCaughtUp: the demo's end condition read from the broker is false while a message of
// an event topic is not committed by the group, and true once the group's offsets reach the high
// watermarks (an empty partition needs no commit).
func TestDemoGroupCaughtUp(t *testing.T) {
	b, err := broker.Start(broker.WithPort(0))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := ingest.DefaultTopics()[ingest.KindRating]
	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), Topic: topic, RequiredAcks: kafka.RequireAll,
		Balancer: kafka.BalancerFunc(func(kafka.Message, ...int) int { return 0 })}
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("a")}, kafka.Message{Value: []byte("b")}, kafka.Message{Value: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	commit := func(offset int64) {
		t.Helper()
		cl := &kafka.Client{Addr: kafka.TCP(b.Addrs()...)}
		if _, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "g", GenerationID: -1,
			Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: offset}}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		commit int64 // -1: none
		want   bool
	}{{-1, false}, {2, false}, {3, true}} {
		if c.commit >= 0 {
			commit(c.commit)
		}
		got, err := demoGroupCaughtUp(ctx, b.Addrs(), "g")
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("committed up to %d of 3 messages: caught up %v, want %v", c.commit, got, c.want)
		}
	}
}
