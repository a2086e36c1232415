package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// TestRefusedCommitRetried: the coordinator refuses one offset commit (a transient error; the
// generation goes on). The offsets it carried are committed by a later commit, including those
// of partitions that receive no later message, so that the group's offsets reach the end of
// every partition; and every message counts once in Stats.Committed.
func TestRefusedCommitRetried(t *testing.T) {
	conn, dsn := chtest.DB(t)
	const partitions = 3
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions,
		ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals, ingest.TopicDeadLetter))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// 900 valid events, no duplicate, no invalid line: 300 a topic, spread over its partitions by key.
	ev := kafkatest.Generate("rc", 900, 0, 0)
	kafkatest.Publish(t, c.ListenAddrs(), ev)
	// The first commit is refused (a transient error: the generation goes on). Its batch holds 200
	// messages of some partitions; later batches may hold none of some of those.
	refused := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Err: kerr.CoordinatorLoadInProgress})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wconn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer wconn.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cons := ingest.NewConsumer(c.ListenAddrs(), ingest.NewValidator(), ingest.NewWriter(wconn),
		ingest.WithGroup("refused"), ingest.WithFlush(200, 1<<20, 100*time.Millisecond), ingest.WithConsumerLogger(quiet))
	done := make(chan error, 1)
	go func() { done <- cons.Run(ctx) }()
	kafkatest.WaitCounts(t, conn, ev.Distinct, 60*time.Second)

	// Every partition's committed offset reaches its end, within a few flush intervals.
	cl := &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...)}
	topics := map[string][]int{}
	end := map[string]int64{}
	sum := int64(0)
	for _, tp := range []string{ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals} {
		for p := range partitions {
			topics[tp] = append(topics[tp], p)
			lc, err := kafka.DialLeader(ctx, "tcp", c.ListenAddrs()[0], tp, p)
			if err != nil {
				t.Fatal(err)
			}
			last, err := lc.ReadLastOffset()
			lc.Close()
			if err != nil {
				t.Fatal(err)
			}
			end[fmt.Sprintf("%s/%d", tp, p)] = last
			sum += last
		}
	}
	if sum != 900 {
		t.Fatalf("the partitions hold %d messages; want 900", sum)
	}
	var behind []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "refused", Topics: topics})
		if err != nil {
			t.Fatal(err)
		}
		behind = behind[:0]
		for tp, ps := range res.Topics {
			for _, p := range ps {
				if k := fmt.Sprintf("%s/%d", tp, p.Partition); p.CommittedOffset != end[k] {
					behind = append(behind, fmt.Sprintf("%s at %d of %d", k, p.CommittedOffset, end[k]))
				}
			}
		}
		if len(behind) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(behind) > 0 {
		t.Errorf("committed offsets short of the partitions' ends: %v", behind)
	}
	if refused.Hits() != 1 {
		t.Errorf("the fault refused %d commits; want 1", refused.Hits())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := cons.Stats(); st.Consumed != 900 || st.Committed != 900 || st.Inserted != 900 {
		t.Errorf("stats %+v; want 900 consumed, committed and inserted", st)
	}
}
