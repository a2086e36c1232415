package store

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// recordConn is a driver.Conn whose PrepareBatch keeps the batch's context and returns a batch
// that only counts its sends.
type recordConn struct {
	driver.Conn
	ctx context.Context
}

func (c *recordConn) PrepareBatch(ctx context.Context, _ string, _ ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.ctx = ctx
	return &sentBatch{}, nil
}

type sentBatch struct {
	driver.Batch
	sent int
}

func (b *sentBatch) Send() error { b.sent++; return nil }

// TestInsertConn: a batch's context keeps the caller's values and ends with the caller's while the
// batch is not sent, and not when the caller's ends after Send returned (the driver would then
// close a pooled connection).
func TestInsertConn(t *testing.T) {
	type key struct{}
	rc := &recordConn{}
	conn := insertConn{rc}

	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	if _, err := conn.PrepareBatch(parent, "INSERT INTO t"); err != nil {
		t.Fatal(err)
	}
	if rc.ctx.Value(key{}) != "v" {
		t.Errorf("the batch's context lost the caller's values")
	}
	cancel()
	select {
	case <-rc.ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the caller's end did not end the context of a batch not yet sent")
	}

	parent, cancel = context.WithCancel(context.Background())
	b, err := conn.PrepareBatch(parent, "INSERT INTO t")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil || b.(*insertBatch).Batch.(*sentBatch).sent != 1 {
		t.Fatalf("Send: %v; the driver's batch must be sent once", err)
	}
	cancel()
	time.Sleep(10 * time.Millisecond) // a context.AfterFunc would have run by now
	if err := rc.ctx.Err(); err != nil {
		t.Errorf("the caller's end after Send ended the batch's context: %v", err)
	}
}
