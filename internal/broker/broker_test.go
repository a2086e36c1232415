package broker_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/internal/broker"
)

// TestTopicsAndPersistence: the broker creates the topics of docs/events.md with the asked partition
// count, and with a data dir keeps messages and committed offsets across a restart on the same port.
func TestTopicsAndPersistence(t *testing.T) {
	dir := t.TempDir()
	b, err := broker.Start(broker.WithPort(0), broker.WithDataDir(dir), broker.WithPartitions(3))
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	conn, err := kafka.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := conn.ReadPartitions()
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range parts {
		count[p.Topic]++
	}
	for _, topic := range broker.Topics {
		if count[topic] != 3 {
			t.Errorf("topic %s has %d partitions; want 3 (all: %v)", topic, count[topic], count)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: broker.TopicRatings, RequiredAcks: kafka.RequireAll, Balancer: &kafka.Hash{}}
	msgs := []kafka.Message{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("a"), Value: []byte("2")}, {Key: []byte("a"), Value: []byte("3")}}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Read one message with a group and commit it.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: "g", Topic: broker.TopicRatings, MaxWait: 100 * time.Millisecond})
	m, err := r.FetchMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CommitMessages(ctx, m); err != nil {
		t.Fatal(err)
	}
	r.Close()
	b.Close()

	_, ps, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(ps)
	b2, err := broker.Start(broker.WithPort(port), broker.WithDataDir(dir), broker.WithPartitions(3))
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	defer b2.Close()
	r2 := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: "g", Topic: broker.TopicRatings, MaxWait: 100 * time.Millisecond})
	defer r2.Close()
	// The group resumes after the committed message: "2" then "3" (one key, one partition, in order).
	for _, want := range []string{"2", "3"} {
		m, err := r2.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		if string(m.Value) != want {
			t.Fatalf("after restart read %q; want %q", m.Value, want)
		}
	}
}
