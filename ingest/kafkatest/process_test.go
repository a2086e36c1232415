package kafkatest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/freeport"
)

func TestCrashSafety(t *testing.T) {
	conn, dsn := chtest.DB(t)
	b := testBroker(t)
	// 200,000 distinct valid events; every 50th repeated (4,000 duplicates); an invalid line after
	// every 1,000th valid event (200 invalid).
	ev := kafkatest.Generate("crash", 200_000, 50, 1000)
	if ev.Valid() != 200_000 || ev.Dups != 4000 || ev.Invalid != 200 {
		t.Fatalf("generator: valid %d dups %d invalid %d", ev.Valid(), ev.Dups, ev.Invalid)
	}
	kafkatest.Publish(t, b.Addrs(), ev)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("kill schedule seed %d", seed)
	total := uint64(ev.Valid())
	const kills = 5
	partial := 0
	for i := 0; i < kills; i++ {
		p := start(t, fmt.Sprintf("ingest-%d", i), ingestArgs(b.Addr(), dsn, "crash", "--batch-rows", "8000")...)
		// Kill at a random point: once ClickHouse has grown by a random amount past where this
		// run started, plus a random delay, so kills land inside batches, between insert and
		// commit, and during startup.
		before := rawCount(conn)
		target := before + uint64(rng.IntN(int(total)/(kills+1)))
		deadline := time.Now().Add(30 * time.Second)
		for rawCount(conn) < target && time.Now().Before(deadline) {
			select {
			case <-p.done:
				t.Fatalf("ingest exited early: %v", p.err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		p.kill()
		got, err := kafkatest.Counts(context.Background(), conn)
		if err != nil {
			t.Fatal(err)
		}
		final := got[ingest.KindService].Final + got[ingest.KindRating].Final + got[ingest.KindAppeal].Final
		t.Logf("kill %d: %d of %d events stored (%d raw rows)", i+1, final, total, rawCount(conn))
		if final > 0 && final < total {
			partial++
		}
	}
	if partial < 3 {
		t.Errorf("only %d of %d kills landed in the middle of ingestion; the test did not exercise crashes", partial, kills)
	}
	p := start(t, "ingest-final", ingestArgs(b.Addr(), dsn, "crash")...)
	checkExact(t, conn, ev, 90*time.Second)
	if err := p.stop(t, 30*time.Second); err != nil {
		t.Errorf("ingest after SIGTERM: %v; want exit status 0", err)
	}
	checkDeadLetters(t, b.Addr(), ev, false)
}

// TestClickHouseRestart stops and restarts a private ClickHouse server (its own data dir and
// ports, not the shared one) in the middle of ingestion: the consumer retries, commits nothing
// while the server is down, and in the end nothing is lost.
func TestClickHouseRestart(t *testing.T) {
	dir := t.TempDir()
	tcp, http := freeport.Port(t), freeport.Port(t)
	env := append(os.Environ(), "CXSTAR_CH_DIR="+dir, fmt.Sprintf("CXSTAR_CH_TCP_PORT=%d", tcp), fmt.Sprintf("CXSTAR_CH_HTTP_PORT=%d", http))
	script := filepath.Join(chtest.RepoRoot(), "scripts", "clickhouse.sh")
	ch := func(verb string) {
		t.Helper()
		cmd := exec.Command("bash", script, verb)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("private ClickHouse %s: %v\n%s", verb, err, out)
		}
	}
	ch("up")
	t.Cleanup(func() { ch("down") })
	dsn := fmt.Sprintf("clickhouse://127.0.0.1:%d/kafka_restart", tcp)
	ctx := context.Background()
	conn, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := store.Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}

	b := testBroker(t)
	// 60,000 distinct valid events, every 20th repeated (3,000), an invalid line after every
	// 500th (120).
	ev := kafkatest.Generate("chr", 60_000, 20, 500)
	kafkatest.Publish(t, b.Addrs(), ev)
	mport := freeport.Port(t)
	p := start(t, "ingest", append(ingestArgs(b.Addr(), dsn, "chr", "--batch-rows", "5000", "--retry-max", "1s", "--stall-after", "1s"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", mport))...)
	for rawCount(conn) < 10_000 {
		select {
		case <-p.done:
			t.Fatalf("ingest exited early: %v", p.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if code := healthz(mport); code != 200 {
		t.Errorf("/healthz while ingesting: %d; want 200", code)
	}
	ch("down")
	// The consumer now fails inserts, commits nothing, and reports itself stalled after 1 s.
	unhealthy := false
	for i := 0; i < 40 && !unhealthy; i++ {
		time.Sleep(100 * time.Millisecond)
		unhealthy = healthz(mport) == 503
	}
	if !unhealthy {
		t.Errorf("/healthz never answered 503 while ClickHouse was down")
	}
	ch("up")
	conn2, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	checkExact(t, conn2, ev, 60*time.Second)
	if code := healthz(mport); code != 200 {
		t.Errorf("/healthz after ClickHouse came back: %d; want 200", code)
	}
	log, _ := os.ReadFile(p.log)
	if !strings.Contains(string(log), "ClickHouse insert failed; retrying") {
		t.Errorf("the consumer never saw ClickHouse down (no retry logged): the restart missed the ingestion")
	}
	if err := p.stop(t, 30*time.Second); err != nil {
		t.Errorf("ingest after SIGTERM: %v; want exit status 0", err)
	}
	checkDeadLetters(t, b.Addr(), ev, true)
}

// TestBrokerRestart stops `cxstar broker` (persistent, --data-dir) while `cxstar ingest` runs,
// starts it again on the same port, and publishes more: the consumer reconnects, rejoins its
// group at the committed offsets, and stores everything exactly once.
func TestBrokerRestart(t *testing.T) {
	conn, dsn := chtest.DB(t)
	port := freeport.Port(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	data := t.TempDir()
	brokerArgs := []string{"broker", "--port", strconv.Itoa(port), "--min-session-timeout", "1s", "--data-dir", data}
	bp := start(t, "broker-1", brokerArgs...)
	waitListening(t, addr, bp)
	p := start(t, "ingest", ingestArgs(addr, dsn, "restart")...)

	// First 9,000 events (3,000 per kind, every 10th repeated), then the broker restarts, then
	// 9,000 more with other event ids.
	ev1 := kafkatest.Generate("br1", 9_000, 10, 0)
	kafkatest.Publish(t, []string{addr}, ev1)
	checkExact(t, conn, ev1, 60*time.Second)
	time.Sleep(500 * time.Millisecond) // the last commit
	if err := bp.stop(t, 30*time.Second); err != nil {
		t.Fatalf("broker after SIGTERM: %v", err)
	}
	time.Sleep(2 * time.Second) // the consumer loses its connections and its group
	bp2 := start(t, "broker-2", brokerArgs...)
	waitListening(t, addr, bp2)
	ev2 := kafkatest.Generate("br2", 9_000, 10, 0)
	kafkatest.Publish(t, []string{addr}, ev2)
	both := &kafkatest.Events{Distinct: map[ingest.Kind]int{}}
	for k, n := range ev1.Distinct {
		both.Distinct[k] = n + ev2.Distinct[k]
	}
	checkExact(t, conn, both, 90*time.Second)
	if err := p.stop(t, 30*time.Second); err != nil {
		t.Errorf("ingest after SIGTERM: %v; want exit status 0", err)
	}
	if err := bp2.stop(t, 30*time.Second); err != nil {
		t.Errorf("broker after SIGTERM: %v", err)
	}
}

// TestTwoProcessesShareTheGroup runs `cxstar broker` and two `cxstar ingest` processes of one
// group, publishes with `cxstar produce`, and checks that both processes got partitions (disjoint,
// covering all 18) and that the totals are exact; then a third process joins in the middle of a
// second stream (a rebalance while ingesting) and the totals are still exact, with lag 0 at the end.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestTwoProcessesShareTheGroup(t *testing.T) {
	conn, dsn := chtest.DB(t)
	port := freeport.Port(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	bp := start(t, "broker", "broker", "--port", strconv.Itoa(port), "--min-session-timeout", "1s", "--data-dir", t.TempDir())
	waitListening(t, addr, bp)

	m1, m2 := freeport.Port(t), freeport.Port(t)
	p1 := start(t, "ingest-1", append(ingestArgs(addr, dsn, "pair"), "--listen", fmt.Sprintf("127.0.0.1:%d", m1))...)
	p2 := start(t, "ingest-2", append(ingestArgs(addr, dsn, "pair"), "--listen", fmt.Sprintf("127.0.0.1:%d", m2))...)
	// Wait until both are members of one stable generation (each healthy, 18 partitions between them).
	deadline := time.Now().Add(30 * time.Second)
	var own1, own2 []string
	for {
		own1, own2 = owned(m1), owned(m2)
		if len(own1) > 0 && len(own2) > 0 && len(own1)+len(own2) == 18 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the two processes did not split the partitions: %v / %v", own1, own2)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// 30,000 distinct valid events, every 10th repeated (3,000), an invalid line after every
	// 300th (100).
	ev := kafkatest.Generate("pair", 30_000, 10, 300)
	path := ev.WriteFile(t, t.TempDir(), "pair.jsonl")
	pp := start(t, "produce", "produce", "--brokers", addr, path)
	<-pp.done
	if pp.err != nil {
		t.Fatalf("cxstar produce: %v", pp.err)
	}
	if want := fmt.Sprintf("published %d  unroutable 0", len(ev.Lines)); !strings.Contains(pp.stdout.String(), want) {
		t.Errorf("cxstar produce printed %q; want %q", pp.stdout.String(), want)
	}
	checkExact(t, conn, ev, 60*time.Second)
	own1, own2 = owned(m1), owned(m2)
	seen := map[string]int{}
	for _, p := range append(own1, own2...) {
		seen[p]++
	}
	if len(seen) != 18 || len(own1) == 0 || len(own2) == 0 {
		t.Errorf("partitions after ingestion: %v and %v; want a disjoint split of all 18", own1, own2)
	}
	for p, n := range seen {
		if n != 1 {
			t.Errorf("partition %s owned by both processes", p)
		}
	}
	// Both consumed, and (no rebalance while ingesting) exactly once between them.
	var st1, st2 ingest.ConsumerStats
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st1, st2 = statsOf(m1), statsOf(m2)
		if st1.Committed+st2.Committed >= int64(len(ev.Lines)) {
			break
		}
	}
	if st1.Consumed == 0 || st2.Consumed == 0 || st1.Consumed+st2.Consumed != int64(len(ev.Lines)) ||
		st1.Inserted+st2.Inserted != int64(ev.Valid()) || st1.Committed+st2.Committed != int64(len(ev.Lines)) {
		t.Errorf("stats %+v and %+v; want both consuming, %d consumed and committed, %d inserted in all", st1, st2, len(ev.Lines), ev.Valid())
	}
	checkDeadLetters(t, addr, ev, true)

	// Phase 2: a rebalance in the middle of ingestion. A third process starts while the first two
	// store a stream that keeps arriving: files of 10,000 events are published one after another
	// until the third process owns partitions, and one more after that, so the group rebalances
	// with rows still coming in however fast the consumers are. The totals must still be exact.
	both := &kafkatest.Events{Distinct: map[ingest.Kind]int{}, InvalidBy: map[string]int{}}
	lines := 0
	add := func(e *kafkatest.Events) {
		for k, n := range e.Distinct {
			both.Distinct[k] += n
		}
		for code, n := range e.InvalidBy {
			both.InvalidBy[code] += n
		}
		both.Invalid += e.Invalid
		lines += len(e.Lines)
	}
	add(ev)
	publish := func(i int) {
		e := kafkatest.Generate(fmt.Sprintf("pair2-%d", i), 10_000, 10, 300)
		pp := start(t, fmt.Sprintf("produce-%d", i+2), "produce", "--brokers", addr, e.WriteFile(t, t.TempDir(), "pair2.jsonl"))
		<-pp.done
		if pp.err != nil {
			t.Fatalf("cxstar produce: %v", pp.err)
		}
		add(e)
	}
	publish(0)
	m3 := freeport.Port(t)
	p3 := start(t, "ingest-3", append(ingestArgs(addr, dsn, "pair"), "--listen", fmt.Sprintf("127.0.0.1:%d", m3))...)
	var mid uint64 // rows stored when the third process was seen owning partitions
	for i := 1; ; i++ {
		joined := len(owned(m3)) > 0
		if joined {
			mid = rawCount(conn)
		}
		publish(i)
		if joined {
			t.Logf("the third process joined with %d rows stored; %d files of 10,000 events published", mid, i+1)
			break
		}
		if i == 30 {
			t.Fatalf("the third process owned no partition after %d files were published", i+1)
		}
	}
	checkExact(t, conn, both, 60*time.Second)
	if stored := uint64(both.Valid()); mid >= stored {
		t.Errorf("the third process joined after ingestion had finished (%d of %d rows): no rebalance was tested", mid, stored)
	}
	deadline = time.Now().Add(30 * time.Second)
	var own3 []string
	for {
		own1, own2, own3 = owned(m1), owned(m2), owned(m3)
		if len(own1) > 0 && len(own2) > 0 && len(own3) > 0 && len(own1)+len(own2)+len(own3) == 18 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("three processes did not split the partitions: %v / %v / %v", own1, own2, own3)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Every partition's committed offset reaches its end: lag 0 everywhere.
	time.Sleep(time.Second)
	for _, m := range []int{m1, m2, m3} {
		for part, lag := range lags(m) {
			if lag != 0 {
				t.Errorf("process on :%d reports lag %v on %s after everything was stored", m, lag, part)
			}
		}
	}
	var consumed int64
	for _, p := range []*proc{p1, p2, p3} {
		if err := p.stop(t, 30*time.Second); err != nil {
			t.Errorf("ingest after SIGTERM: %v; want exit status 0", err)
		}
		c, _ := finalStats(t, p)
		consumed += c
	}
	// A rebalance may hand a partition over with messages fetched but not yet committed: they
	// are read again (at least once), never skipped.
	if consumed < int64(lines) {
		t.Errorf("consumed %d messages in all; want at least %d", consumed, lines)
	}
	checkDeadLetters(t, addr, both, false)
	if err := bp.stop(t, 10*time.Second); err != nil {
		t.Errorf("broker after SIGTERM: %v", err)
	}
}

// TestKcatProducesIngestedEvents: a non-Go client (Debian's kcat, librdkafka) publishes to the
// broker and `cxstar ingest` stores its events.
func TestKcatProducesIngestedEvents(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is required (apt-get install -y kcat; .ci/run must install it): %v", err)
	}
	conn, dsn := chtest.DB(t)
	b := testBroker(t)
	ev := kafkatest.Generate("kcat", 900, 0, 0) // 300 of each kind, all valid, no duplicates
	for _, k := range []struct {
		topic string
		kind  string
	}{{ingest.TopicServiceEvents, "service_event.v1"}, {ingest.TopicRatings, "rating.v1"}, {ingest.TopicAppeals, "appeal.v1"}} {
		var in strings.Builder
		for _, l := range ev.Lines {
			if strings.Contains(string(l), `"schema":"`+k.kind+`"`) {
				topic, key, _ := ingest.Route(l, ingest.DefaultTopics())
				if topic != k.topic {
					t.Fatalf("route %s: %s", l, topic)
				}
				in.WriteString(string(key) + "\t" + string(l) + "\n")
			}
		}
		cmd := exec.Command(kcat, "-P", "-b", b.Addr(), "-t", k.topic, "-K", "\t", "-X", "acks=all")
		cmd.Stdin = strings.NewReader(in.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat -P %s: %v\n%s", k.topic, err, out)
		}
	}
	p := start(t, "ingest", ingestArgs(b.Addr(), dsn, "kcat")...)
	checkExact(t, conn, ev, 60*time.Second)
	if err := p.stop(t, 30*time.Second); err != nil {
		t.Errorf("ingest after SIGTERM: %v; want exit status 0", err)
	}
	if c, i := finalStats(t, p); c != 900 || i != 900 {
		t.Errorf("consumed %d inserted %d; want 900 and 900", c, i)
	}
}
