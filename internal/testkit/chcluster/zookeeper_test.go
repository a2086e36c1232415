package chcluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/testkit/chcluster"
)

// TestZooKeeperLoss stops ZooKeeper while the ingest writer inserts a batch: the insert cannot be
// acknowledged (replicated tables are read-only), so the writer keeps retrying and does not return
// (ingest commits a Kafka offset only after it returns), reads go on; when ZooKeeper is back the
// same call succeeds and every event is stored once.
func TestZooKeeperLoss(t *testing.T) {
	ctx := context.Background()
	conn, dsn := chcluster.DB(t)
	clock := func() time.Time { return time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC) }
	v := ingest.NewValidator(ingest.WithClock(clock))
	var b ingest.Batch
	for i := range 200 {
		line := fmt.Sprintf(`{"schema":"service_event.v1","event_id":"zk-%d","occurred_at":"2026-05-0%dT10:00:00+03:00","agency_id":"zk-agency","client_type":"person","client_id":"c%d","request_id":"r%d","service_id":"zk.s1","status":"submitted","channel":"portal"}`,
			i, 1+i%9, i%37, i)
		var ev ingest.Event
		if err := v.Decode([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		b.Add(&ev, fmt.Sprintf("zk/%d", i))
	}

	if _, err := chcluster.Script("stop-zk"); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_, _ = chcluster.Script("start-zk")
		}
	})
	done := make(chan error, 1)
	w := ingest.NewWriter(conn, ingest.WithBackoff(200*time.Millisecond, 2*time.Second),
		ingest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))) // a retry warning every 2 s
	go func() { done <- w.Write(ctx, &b) }()
	select {
	case err := <-done:
		t.Fatalf("the insert returned while ZooKeeper was down (err %v): an offset would be committed for rows not stored", err)
	case <-time.After(12 * time.Second):
	}
	// Reads go on without ZooKeeper.
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM service_events").Scan(&n); err != nil {
		t.Errorf("read while ZooKeeper is down: %v", err)
	}
	if _, err := chcluster.Script("start-zk"); err != nil {
		t.Fatal(err)
	}
	restarted = true
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("insert after ZooKeeper came back: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the insert did not succeed within 90 s of ZooKeeper coming back")
	}
	syncReplicas(t, dsn, dbOf(dsn)) // after waiting for the sessions ZooKeeper's stop expired
	var rows, distinct uint64
	if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM service_events FINAL WHERE agency_id = 'zk-agency'").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != 200 || distinct != 200 {
		t.Errorf("after ZooKeeper came back: %d rows, %d distinct events; want 200 and 200", rows, distinct)
	}
}
