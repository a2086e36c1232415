package ingest_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/kafkasec"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/tlstest"
)

// secureClients returns the consumer's dialer and the producer's transport of sec.
func secureClients(t testing.TB, sec kafkasec.Config) (*kafka.Dialer, *kafka.Transport) {
	t.Helper()
	d, err := sec.Dialer()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sec.Transport()
	if err != nil {
		t.Fatal(err)
	}
	return d, tr
}

// secureBroker starts a broker that speaks TLS only (a fresh private CA in dir) and requires
// SASL by user "ingest", keeping its data in dir so that it can be restarted on the same port.
// It returns the broker, the options that restart it and the client settings.
func secureBroker(t testing.TB, dir string, port int) (*broker.Broker, []broker.Option, kafkasec.Config) {
	t.Helper()
	tc, f := tlstest.Server(t, filepath.Join(dir, "tls"))
	opts := []broker.Option{broker.WithPort(port), broker.WithDataDir(filepath.Join(dir, "data")), broker.WithMinSessionTimeout(time.Second),
		broker.WithTLS(tc),
		broker.WithSASL(broker.User{Name: "ingest", Password: "scram-512-secret", Mechanisms: []string{broker.MechanismSCRAMSHA512}})}
	b, err := broker.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := net.SplitHostPort(b.Addr())
	n, _ := strconv.Atoi(p)
	opts[0] = broker.WithPort(n)
	return b, opts, kafkasec.Config{CAFile: f.CA, SASLMechanism: kafkasec.SCRAMSHA512, Username: "ingest", Password: "scram-512-secret"}
}

// TestIngestOverTLSAndSCRAM publishes events with duplicates and invalid lines over TLS with
// SCRAM-SHA-512, consumes them with the consumer over the same settings (dead letters too), and
// restarts the broker in the middle — every TLS connection drops — : each valid event is stored
// exactly once and every message is committed.
func TestIngestOverTLSAndSCRAM(t *testing.T) {
	conn, dsn := chtest.DB(t)
	b, opts, sec := secureBroker(t, t.TempDir(), 0)
	addrs := b.Addrs()
	defer func() { b.Close() }()
	d, tr := secureClients(t, sec)
	// 6,000 valid events (2,000 of each kind), every 7th repeated (857), 120 invalid.
	ev := kafkatest.Generate("tls", 6000, 7, 50)
	total := len(ev.Lines)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := ingest.NewProducer(addrs, ingest.WithProduceTransport(tr)).Publish(ctx, []string{ev.WriteFile(t, t.TempDir(), "events.jsonl")})
	if err != nil || st.Published != int64(total) {
		t.Fatalf("publish over TLS + SCRAM: %d of %d, %v", st.Published, total, err)
	}

	wconn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer wconn.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	c := ingest.NewConsumer(addrs, ingest.NewValidator(), ingest.NewWriter(wconn, ingest.WithBackoff(50*time.Millisecond, time.Second)),
		ingest.WithGroup("tls-scram"), ingest.WithFlush(300, 1<<20, 100*time.Millisecond), ingest.WithSessionTimeout(2*time.Second),
		ingest.WithKafkaSecurity(d, tr))
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	// Restart the broker once part of the stream is committed.
	for c.Stats().Committed < 600 {
		if time.Now().After(deadlineOf(ctx)) {
			t.Fatalf("nothing committed over TLS + SCRAM: %+v", c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := c.Stats().Committed
	b.Close()
	time.Sleep(500 * time.Millisecond)
	if b, err = broker.Start(opts...); err != nil {
		t.Fatalf("restart the broker on %v: %v", addrs, err)
	}
	if before >= int64(total) {
		t.Fatalf("all %d messages were committed before the restart: the test restarted nothing mid-stream", total)
	}

	got := kafkatest.WaitCounts(t, conn, ev.Distinct, 2*time.Minute)
	for k, n := range ev.Distinct {
		if got[k].Final != uint64(n) || got[k].Distinct != uint64(n) {
			t.Errorf("%s: count() FINAL %d, uniqExact(event_id) %d; want %d", k.Table(), got[k].Final, got[k].Distinct, n)
		}
	}
	// Every message's offset committed: the group's lag is zero on every partition.
	client := &kafka.Client{Addr: kafka.TCP(addrs...), Transport: tr}
	for lag := int64(-1); lag != 0; {
		if lag = groupLag(t, ctx, client, "tls-scram"); lag != 0 && time.Now().After(deadlineOf(ctx)) {
			t.Fatalf("lag %d after the restart", lag)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("committed %d of %d before the restart; stats after: %+v", before, total, c.Stats())
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// groupLag returns the messages of the event topics not committed by group (-1 on an error).
func groupLag(t testing.TB, ctx context.Context, c *kafka.Client, group string) int64 {
	t.Helper()
	topics := []string{ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals}
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return -1
	}
	req := &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{}}
	ends := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, tp := range meta.Topics {
		for _, p := range tp.Partitions {
			req.Topics[tp.Name] = append(req.Topics[tp.Name], p.ID)
			ends.Topics[tp.Name] = append(ends.Topics[tp.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	committed, err := c.OffsetFetch(ctx, req)
	if err != nil || committed.Error != nil {
		return -1
	}
	last, err := c.ListOffsets(ctx, ends)
	if err != nil {
		return -1
	}
	var lag int64
	for topic, parts := range last.Topics {
		for _, p := range parts {
			var off int64 = -1
			for _, cp := range committed.Topics[topic] {
				if cp.Partition == p.Partition {
					off = cp.CommittedOffset
				}
			}
			if off < 0 {
				off = 0
			}
			lag += p.LastOffset - off
		}
	}
	return lag
}

// BenchmarkIngestSecurity consumes the same 30,000 published messages into ClickHouse over
// plaintext and over TLS with SCRAM-SHA-512 (consumer, dead letters and commits all on the
// secured connections), alternately in the same run: each iteration is one pass of each, a new
// consumer group reading the topics from the start, timed from its first message to the commit
// of the last (the group join is left out). It reports the median rate of each and their ratio;
// run it with -benchtime 5x for five pairs.
func BenchmarkIngestSecurity(b *testing.B) {
	_, dsn := chtest.DB(b)
	ev := kafkatest.Generate("bench", 30000, 7, 50)
	path := ev.WriteFile(b, b.TempDir(), "events.jsonl")
	plain := kafkatest.StartBroker(b)
	secure, _, sec := secureBroker(b, b.TempDir(), 0)
	b.Cleanup(secure.Close)
	d, tr := secureClients(b, sec)
	ctx := context.Background()
	wconn, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer wconn.Close()
	type variant struct {
		name  string
		addrs []string
		d     *kafka.Dialer
		tr    kafka.RoundTripper
		rates []float64
	}
	vs := []*variant{{name: "plaintext", addrs: plain.Addrs()}, {name: "tls-scram-sha-512", addrs: secure.Addrs(), d: d, tr: tr}}
	for _, v := range vs {
		st, err := ingest.NewProducer(v.addrs, ingest.WithProduceTransport(v.tr)).Publish(ctx, []string{path})
		if err != nil || st.Published != int64(len(ev.Lines)) {
			b.Fatalf("%s: publish %d of %d: %v", v.name, st.Published, len(ev.Lines), err)
		}
	}
	total := int64(len(ev.Lines))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range vs {
			runCtx, stop := context.WithCancel(ctx)
			cons := ingest.NewConsumer(v.addrs, ingest.NewValidator(), ingest.NewWriter(wconn),
				ingest.WithGroup(v.name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)),
				ingest.WithFlush(5000, 8<<20, 200*time.Millisecond), ingest.WithKafkaSecurity(v.d, v.tr),
				ingest.WithConsumerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			done := make(chan error, 1)
			go func() { done <- cons.Run(runCtx) }()
			for cons.Stats().Consumed == 0 {
				time.Sleep(time.Millisecond)
			}
			start := time.Now()
			for cons.Stats().Committed < total {
				time.Sleep(2 * time.Millisecond)
			}
			v.rates = append(v.rates, float64(total)/time.Since(start).Seconds())
			stop()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	for _, v := range vs {
		b.ReportMetric(median(v.rates), v.name+"-msgs/s")
	}
	b.ReportMetric(median(vs[1].rates)/median(vs[0].rates), "secure/plain")
	b.Logf("msgs/s per pass: plaintext %.0f; tls-scram-sha-512 %.0f", vs[0].rates, vs[1].rates)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkReadSecurity isolates the transport: it reads the same 60,000 event lines from a
// one-partition topic with a kafka-go Reader over plaintext and over TLS + SCRAM-SHA-512,
// alternately in the same run, and reports the median rate of each and their ratio.
func BenchmarkReadSecurity(b *testing.B) {
	ev := kafkatest.Generate("read", 60000, 0, 0)
	plain := kafkatest.StartBroker(b, broker.WithPartitions(1), broker.WithTopics("t"))
	dir := b.TempDir()
	tc, f := tlstest.Server(b, dir)
	secure := kafkatest.StartBroker(b, broker.WithPartitions(1), broker.WithTopics("t"),
		broker.WithTLS(tc),
		broker.WithSASL(broker.User{Name: "u", Password: "read-bench-pw"}))
	sec := kafkasec.Config{CAFile: f.CA, SASLMechanism: kafkasec.SCRAMSHA512, Username: "u", Password: "read-bench-pw"}
	d, tr := secureClients(b, sec)
	type variant struct {
		name  string
		addr  string
		d     *kafka.Dialer
		rates []float64
	}
	vs := []*variant{{name: "plaintext", addr: plain.Addr()}, {name: "tls-scram-sha-512", addr: secure.Addr(), d: d}}
	ctx := context.Background()
	msgs := make([]kafka.Message, len(ev.Lines))
	for i, l := range ev.Lines {
		msgs[i] = kafka.Message{Value: []byte(l)}
	}
	for i, v := range vs {
		w := &kafka.Writer{Addr: kafka.TCP(v.addr), Topic: "t", RequiredAcks: kafka.RequireAll, BatchSize: 5000, BatchBytes: 1 << 20, BatchTimeout: time.Millisecond}
		if i == 1 {
			w.Transport = tr
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			b.Fatalf("%s: %v", v.name, err)
		}
		w.Close()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range vs {
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{v.addr}, Topic: "t", Partition: 0, Dialer: v.d,
				MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 1000})
			start := time.Now()
			for n := 0; n < len(msgs); n++ {
				if _, err := r.ReadMessage(ctx); err != nil {
					b.Fatalf("%s: %v", v.name, err)
				}
			}
			v.rates = append(v.rates, float64(len(msgs))/time.Since(start).Seconds())
			r.Close()
		}
	}
	b.StopTimer()
	for _, v := range vs {
		b.ReportMetric(median(v.rates), v.name+"-msgs/s")
	}
	b.ReportMetric(median(vs[1].rates)/median(vs[0].rates), "secure/plain")
}
