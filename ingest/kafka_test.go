package ingest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

func TestRoute(t *testing.T) {
	const s, r, a = "S", "R", "A"
	for _, tc := range []struct {
		name, line, topic, key string
		ok                     bool
	}{
		{"service keyed by request_id", `{"schema":"service_event.v1","event_id":"e1","request_id":"r9"}`, s, "r9", true},
		{"rating keyed by event_id", `{"schema":"rating.v1","event_id":"e2","request_id":"r9"}`, r, "e2", true},
		{"appeal keyed by appeal_id", `{"schema":"appeal.v1","event_id":"e3","appeal_id":"a7"}`, a, "a7", true},
		{"missing key falls back to event_id", `{"schema":"appeal.v1","event_id":"e4"}`, a, "e4", true},
		{"no id at all: keyless", `{"schema":"service_event.v1"}`, s, "", true},
		{"unknown schema", `{"schema":"rating.v2","event_id":"e5"}`, "", "", false},
		{"not JSON", `{"schema":`, "", "", false},
		{"no schema", `{"event_id":"e6"}`, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic, key, ok := ingest.Route([]byte(tc.line), map[ingest.Kind]string{ingest.KindService: s, ingest.KindRating: r, ingest.KindAppeal: a})
			if topic != tc.topic || string(key) != tc.key || ok != tc.ok {
				t.Fatalf("Route = %q, %q, %v; want %q, %q, %v", topic, key, ok, tc.topic, tc.key, tc.ok)
			}
		})
	}
}

// TestKafkaEndToEnd produces events with duplicates and invalid lines through ingest.Producer to
// a real (in-process) broker, consumes them with ingest.Consumer into a real ClickHouse, and
// checks exact counts in ClickHouse and in the dead-letter topic.
func TestKafkaEndToEnd(t *testing.T) {
	conn, dsn := chtest.DB(t)
	b := kafkatest.StartBroker(t)
	// 3,000 distinct valid events: 1,000 of each kind (kinds in turn).
	// Every 7th valid event is repeated once: 3000/7 = 428 duplicates.
	// One invalid line after every 50th valid event: 3000/50 = 60 (20 per code).
	ev := kafkatest.Generate("e2e", 3000, 7, 50)
	if ev.Valid() != 3000 || ev.Dups != 428 || ev.Invalid != 60 || len(ev.Lines) != 3000+428+60 {
		t.Fatalf("generator: valid %d dups %d invalid %d lines %d", ev.Valid(), ev.Dups, ev.Invalid, len(ev.Lines))
	}
	kafkatest.Publish(t, b.Addrs(), ev)
	// Two more by hand: a valid rating on the service-events topic (wrong_topic) and a line that
	// is not JSON on the ratings topic (invalid_json), so the dead-letter topic must hold 62.
	kw := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), RequiredAcks: kafka.RequireAll}
	err := kw.WriteMessages(context.Background(),
		kafka.Message{Topic: ingest.TopicServiceEvents, Key: []byte("wt"), Value: []byte(`{"schema":"rating.v1","event_id":"e2e-bad-wt","occurred_at":"2026-06-01T00:00:00Z","agency_id":"fns","client_type":"person","client_id":"c1","question":"nps","score":5}`)},
		kafka.Message{Topic: ingest.TopicRatings, Value: []byte(`e2e-bad-notjson`)})
	kw.Close()
	if err != nil {
		t.Fatal(err)
	}
	total := len(ev.Lines) + 2

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wconn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer wconn.Close()
	c := ingest.NewConsumer(b.Addrs(), ingest.NewValidator(), ingest.NewWriter(wconn),
		ingest.WithGroup("e2e"), ingest.WithFlush(500, 1<<20, 200*time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	got := kafkatest.WaitCounts(t, conn, ev.Distinct, 60*time.Second)
	for k, n := range ev.Distinct {
		if got[k].Final != uint64(n) || got[k].Distinct != uint64(n) {
			t.Errorf("%s: count() FINAL %d, uniqExact(event_id) %d; want %d", k.Table(), got[k].Final, got[k].Distinct, n)
		}
	}
	// Wait until every message is committed, then stop (SIGTERM path: drain, commit, nil).
	deadline := time.Now().Add(30 * time.Second)
	for c.Stats().Committed < int64(total) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel; want nil", err)
	}
	st := c.Stats()
	if st.Consumed != int64(total) || st.Committed != st.Consumed || st.Rejected != 62 ||
		st.Inserted != 3000 || st.Duplicates != 428 {
		t.Errorf("stats %+v; want consumed=committed=%d, rejected 62, inserted 3000, duplicates 428", st, total)
	}

	dl, err := kafkatest.ReadTopic(context.Background(), b.Addr(), ingest.TopicDeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 62 {
		t.Fatalf("dead-letter topic holds %d messages; want 62", len(dl))
	}
	codes := map[string]int{}
	for _, d := range dl {
		codes[d.Error]++
		if d.Reason == "" || !strings.Contains(string(d.Value), "e2e-bad-") || strings.Count(d.Source, "/") != 2 {
			t.Errorf("dead letter %q: reason %q source %q", d.Value, d.Reason, d.Source)
		}
	}
	want := map[string]int{ingest.CodeOutOfRange: 20, ingest.CodeBadEnum: 20, ingest.CodePersonalData: 20,
		ingest.CodeWrongTopic: 1, ingest.CodeInvalidJSON: 1}
	for code, n := range want {
		if codes[code] != n {
			t.Errorf("dead letters with cx-error %s: %d; want %d (all: %v)", code, codes[code], n, codes)
		}
	}
}

// TestProduceAndIngestSample publishes testdata/kafka/sample.jsonl.gz (7 lines, counted by hand:
// 2 service events of request req-1, 3 ratings of which smp-3 twice and smp-4 with a
// satisfaction score of 7 (outside 1–4), 1 appeal, 1 line that is not JSON) and ingests it.
func TestProduceAndIngestSample(t *testing.T) {
	conn, dsn := chtest.DB(t)
	b := kafkatest.StartBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var unroutable []int
	st, err := ingest.NewProducer(b.Addrs(), ingest.WithUnroutableFunc(func(_ string, line int) { unroutable = append(unroutable, line) })).
		Publish(ctx, []string{"testdata/kafka/sample.jsonl.gz"})
	if err != nil {
		t.Fatal(err)
	}
	if st != (ingest.ProduceStats{Files: 1, Read: 7, Published: 6, Unroutable: 1}) || len(unroutable) != 1 || unroutable[0] != 7 {
		t.Fatalf("publish: %+v, unroutable lines %v; want 7 read, 6 published, line 7 unroutable", st, unroutable)
	}
	wantKeys := map[string][]string{
		ingest.TopicServiceEvents: {"req-1", "req-1"},
		ingest.TopicRatings:       {"smp-3", "smp-3", "smp-4"},
		ingest.TopicAppeals:       {"ap-1"},
	}
	for topic, want := range wantKeys {
		msgs, err := kafkatest.ReadTopic(ctx, b.Addr(), topic)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		parts := map[int]bool{}
		for _, m := range msgs {
			keys = append(keys, string(m.Key))
			parts[m.Partition] = true
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != strings.Join(want, ",") || len(parts) > len(want) {
			t.Errorf("%s: keys %v in partitions %v; want %v", topic, keys, parts, want)
		}
		if topic == ingest.TopicServiceEvents && len(parts) != 1 {
			t.Errorf("the two events of request req-1 are in partitions %v; want one (key request_id)", parts)
		}
	}

	wconn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer wconn.Close()
	c := ingest.NewConsumer(b.Addrs(), ingest.NewValidator(), ingest.NewWriter(wconn), ingest.WithGroup("sample"),
		ingest.WithFlush(100, 1<<20, 100*time.Millisecond))
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	want := map[ingest.Kind]int{ingest.KindService: 2, ingest.KindRating: 1, ingest.KindAppeal: 1}
	got := kafkatest.WaitCounts(t, conn, want, 30*time.Second)
	for k, n := range want {
		if got[k].Final != uint64(n) {
			t.Errorf("%s: %d rows under FINAL; want %d", k.Table(), got[k].Final, n)
		}
	}
	for c.Stats().Committed < 6 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Consumed != 6 || s.Inserted != 4 || s.Duplicates != 1 || s.Rejected != 1 || s.Committed != 6 {
		t.Errorf("stats %+v; want consumed 6, inserted 4, duplicates 1, rejected 1, committed 6", s)
	}
	dl, err := kafkatest.ReadTopic(ctx, b.Addr(), ingest.TopicDeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 || dl[0].Error != ingest.CodeOutOfRange || string(dl[0].Key) != "smp-4" ||
		!strings.HasPrefix(dl[0].Source, ingest.TopicRatings+"/") || !strings.Contains(dl[0].Reason, "score") {
		t.Errorf("dead letters %+v; want smp-4 with cx-error out_of_range, a reason about score, source cx.ratings/…", dl)
	}
}

// TestStaleGenerationCommitIsRefused checks the property the consumer's rebalance handling rests
// on: a commit made with the Generation that fetched the messages is refused by the coordinator
// once the partition belongs to a newer generation, so a member that was slow (e.g. waiting for
// ClickHouse) and lost its partitions cannot rewind or skip the new owner's offsets.
func TestStaleGenerationCommitIsRefused(t *testing.T) {
	b := kafkatest.StartBroker(t, broker.WithMinSessionTimeout(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := func() kafka.ConsumerGroupConfig {
		return kafka.ConsumerGroupConfig{ID: "fence", Brokers: b.Addrs(), Topics: []string{ingest.TopicRatings},
			HeartbeatInterval: 200 * time.Millisecond, SessionTimeout: 2 * time.Second, RebalanceTimeout: 2 * time.Second}
	}
	cg1, err := kafka.NewConsumerGroup(cfg())
	if err != nil {
		t.Fatal(err)
	}
	defer cg1.Close()
	gen1, err := cg1.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gen1.CommitOffsets(map[string]map[int]int64{ingest.TopicRatings: {0: 10}}); err != nil {
		t.Fatalf("commit by the current generation: %v", err)
	}
	// Member 1 is "stuck": its generation function does not return when the rebalance starts,
	// so it never rejoins and the coordinator gives every partition to member 2.
	release := make(chan struct{})
	gen1.Start(func(context.Context) { <-release })
	cg2, err := kafka.NewConsumerGroup(cfg())
	if err != nil {
		t.Fatal(err)
	}
	defer cg2.Close()
	gen2, err := cg2.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(gen2.Assignments[ingest.TopicRatings]); n != broker.DefaultPartitions {
		t.Fatalf("member 2 owns %d partitions; want all %d", n, broker.DefaultPartitions)
	}
	if err := gen2.CommitOffsets(map[string]map[int]int64{ingest.TopicRatings: {0: 20}}); err != nil {
		t.Fatalf("commit by the new owner: %v", err)
	}
	// The late commit of the old generation, which would rewind partition 0 from 20 to 15.
	err = gen1.CommitOffsets(map[string]map[int]int64{ingest.TopicRatings: {0: 15}})
	if !errors.Is(err, kafka.IllegalGeneration) && !errors.Is(err, kafka.UnknownMemberId) && !errors.Is(err, kafka.RebalanceInProgress) {
		t.Errorf("a commit by generation %d after generation %d took over: %v; want the coordinator to refuse it (illegal generation)", gen1.ID, gen2.ID, err)
	}
	t.Logf("late commit of generation %d refused: %v", gen1.ID, err)
	close(release)
	cl := &kafka.Client{Addr: kafka.TCP(b.Addrs()...)}
	res, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "fence", Topics: map[string][]int{ingest.TopicRatings: {0}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Topics[ingest.TopicRatings][0].CommittedOffset; got != 20 {
		t.Errorf("committed offset of partition 0 is %d; want 20 (the new owner's)", got)
	}
}

// TestBackpressureWhileClickHouseIsDown: with ClickHouse unreachable the consumer keeps at most
// three batches (one being written, two full), stops fetching instead of growing, reports itself
// stalled, commits nothing, and on stop returns an error saying the batch will be read again.
func TestBackpressureWhileClickHouseIsDown(t *testing.T) {
	b := kafkatest.StartBroker(t)
	ev := kafkatest.Generate("bp", 20_000, 0, 0)
	kafkatest.Publish(t, b.Addrs(), ev)

	opts, err := store.Options("clickhouse://127.0.0.1:1/nothing_listens_here")
	if err != nil {
		t.Fatal(err)
	}
	opts.DialTimeout = 200 * time.Millisecond
	dead, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	// maxBuffer 64 KiB → a batch is handed over once it reaches ⌊65536/3⌋ = 21,845 bytes. Batch.Add
	// counts at least 96 bytes an event, so a batch reaches them after at most ⌈21845/96⌉ = 228
	// events; one batch stuck in the writer, one waiting behind it and one waiting to be handed
	// over: at most 684.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := ingest.NewConsumer(b.Addrs(), ingest.NewValidator(),
		ingest.NewWriter(dead, ingest.WithBackoff(10*time.Millisecond, 50*time.Millisecond), ingest.WithLogger(quiet)),
		ingest.WithConsumerLogger(quiet),
		ingest.WithGroup("bp"), ingest.WithMaxBuffer(64<<10), ingest.WithFlush(100_000, 1<<30, 50*time.Millisecond),
		ingest.WithStallAfter(300*time.Millisecond), ingest.WithStopTimeout(200*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	time.Sleep(2 * time.Second)
	st := c.Stats()
	ok, status := c.Health()
	cancel()
	runErr := <-done
	if st.Consumed == 0 || st.Consumed > 684 {
		t.Errorf("processed %d messages while ClickHouse was down; want between 1 and 684 (three batches)", st.Consumed)
	}
	if st.Committed != 0 || st.Inserted != 0 {
		t.Errorf("committed %d, inserted %d while ClickHouse was down; want 0", st.Committed, st.Inserted)
	}
	if ok || !strings.Contains(status, "waiting") {
		t.Errorf("health %v %q; want stalled", ok, status)
	}
	if runErr == nil {
		t.Errorf("Run returned nil although its last batch could not be written; want an error")
	}
	cl := &kafka.Client{Addr: kafka.TCP(b.Addrs()...)}
	res, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: "bp", Topics: map[string][]int{ingest.TopicRatings: {0, 1, 2, 3, 4, 5}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Topics[ingest.TopicRatings] {
		if p.CommittedOffset >= 0 {
			t.Errorf("partition %d has committed offset %d; want none", p.Partition, p.CommittedOffset)
		}
	}
}
