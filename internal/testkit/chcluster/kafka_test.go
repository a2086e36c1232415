package chcluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/ingest/kafkatest"
	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/testkit/chcluster"
)

// TestKafkaIngestReplicaKilled runs the Kafka consumer of `cxstar ingest` into the cluster and
// stops a replica of shard 2 in the middle of the stream, then starts it again: the consumer
// goes on through the other replica, every distinct event is stored exactly once, and after
// catching up the restarted replica holds what its peer holds.
func TestKafkaIngestReplicaKilled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, dsn := chcluster.DB(t)
	b := kafkatest.StartBroker(t)
	// 30,000 distinct valid events, every 20th repeated, an invalid line after every 500th.
	ev := kafkatest.Generate("ckr", 30_000, 20, 500)
	kafkatest.Publish(t, b.Addrs(), ev)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := ingest.NewWriter(conn, ingest.WithBackoff(100*time.Millisecond, time.Second), ingest.WithLogger(quiet))
	c := ingest.NewConsumer(b.Addrs(), ingest.NewValidator(), w, ingest.WithGroup("cluster-test"),
		ingest.WithFlush(2000, 4<<20, 200*time.Millisecond), ingest.WithConsumerLogger(quiet))
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	raw := func() uint64 {
		var n uint64
		_ = conn.QueryRow(context.Background(), "SELECT count() FROM service_events").Scan(&n)
		return n
	}
	for deadline := time.Now().Add(2 * time.Minute); raw() < 2000; {
		if time.Now().After(deadline) {
			t.Fatalf("the consumer stored %d service events in 2 minutes", raw())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := chcluster.Script("stop-node", "3"); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_, _ = chcluster.Script("start-node", "3")
		}
	})
	atStop := raw()
	time.Sleep(3 * time.Second)
	if _, err := chcluster.Script("start-node", "3"); err != nil {
		t.Fatal(err)
	}
	restarted = true
	kafkatest.WaitCounts(t, conn, ev.Distinct, 3*time.Minute)
	// Each of the counts' queries is served by one replica of each shard, and the restarted
	// replica may still be fetching what its peer took while it was down: wait for replication,
	// then count again, so that every read sees the same rows.
	db := dbOf(dsn)
	syncReplicas(t, dsn, db)
	got, err := kafkatest.Counts(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range ev.Distinct {
		if got[k].Final != uint64(n) || got[k].Distinct != uint64(n) {
			t.Errorf("%s: count() FINAL %d, distinct event ids %d; want %d each", k.Table(), got[k].Final, got[k].Distinct, n)
		}
	}
	t.Logf("replica s2r1 stopped after %d service events were stored, restarted 3 s later; stats %+v", atStop, c.Stats())
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Errorf("consumer: %v", err)
	}
	// The restarted replica has caught up with its peer: the same rows on both replicas of shard 2.
	for _, table := range []string{"service_events_local", "ratings_local", "appeals_local"} {
		var r3, r4 uint64
		q := fmt.Sprintf("SELECT (SELECT count() FROM remote('%s', %s, %s)), (SELECT count() FROM remote('%s', %s, %s))",
			chcluster.Addr(3), db, table, chcluster.Addr(4), db, table)
		if err := conn.QueryRow(context.Background(), q).Scan(&r3, &r4); err != nil {
			t.Fatal(err)
		}
		if r3 != r4 || r3 == 0 {
			t.Errorf("%s: replica s2r1 has %d rows, s2r2 %d; want the same, not 0", table, r3, r4)
		}
	}
}

// TestKafkaIngestSIGKILL runs `cxstar ingest` as its own process against the cluster, kills it
// with SIGKILL in the middle of the stream and starts it again: the second process resumes from
// the offsets the first committed (only for rows every shard acknowledged), and every distinct
// event is stored exactly once.
func TestKafkaIngestSIGKILL(t *testing.T) {
	conn, dsn := chcluster.DB(t)
	bin := kafkatest.Binary(t, t.TempDir())
	b := kafkatest.StartBroker(t, broker.WithMinSessionTimeout(time.Second))
	ev := kafkatest.Generate("ckk", 30_000, 20, 500)
	kafkatest.Publish(t, b.Addrs(), ev)
	logDir := t.TempDir()
	run := func(i int) *exec.Cmd {
		lf, err := os.Create(filepath.Join(logDir, fmt.Sprintf("ingest%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "ingest", "--brokers", b.Addr(), "--clickhouse", dsn, "--group", "cluster-kill",
			"--session-timeout", "2s", "--batch-wait", "200ms", "--batch-rows", "2000", "--stop-timeout", "20s", "--listen", "")
		cmd.Stdout, cmd.Stderr = lf, lf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			lf.Close()
			if t.Failed() {
				out, _ := os.ReadFile(lf.Name())
				if len(out) > 4000 {
					out = out[len(out)-4000:]
				}
				t.Logf("ingest %d log:\n%s", i, out)
			}
		})
		return cmd
	}
	raw := func() uint64 {
		var n uint64
		_ = conn.QueryRow(context.Background(), "SELECT count() FROM service_events").Scan(&n)
		return n
	}
	first := run(1)
	for deadline := time.Now().Add(2 * time.Minute); raw() < 3000; {
		if time.Now().After(deadline) {
			t.Fatalf("ingest stored %d service events in 2 minutes", raw())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL: no flush, no commit, no goodbye
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := raw()
	run(2)
	kafkatest.WaitCounts(t, conn, ev.Distinct, 3*time.Minute)
	// Count again once every replica has what its peer has, so that all reads see the same rows.
	syncReplicas(t, dsn, dbOf(dsn))
	got, err := kafkatest.Counts(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range ev.Distinct {
		if got[k].Final != uint64(n) || got[k].Distinct != uint64(n) {
			t.Errorf("%s: count() FINAL %d, distinct event ids %d, raw %d; want %d each", k.Table(), got[k].Final, got[k].Distinct, got[k].Raw, n)
		}
	}
	t.Logf("killed the first ingest after %d service events were stored; in the end %+v", atKill, got)
}
