package store

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// insertConn is a connection whose batches are prepared and sent with insertContext; Open and
// the cluster's node connections return one.
type insertConn struct{ driver.Conn }

// PrepareBatch is the driver's, with the batch's context from insertContext.
func (c insertConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	ctx, stop := insertContext(ctx)
	b, err := c.Conn.PrepareBatch(ctx, query, opts...)
	if err != nil {
		stop()
		return nil, err
	}
	return &insertBatch{Batch: b, stop: stop}, nil
}

// insertBatch is a batch whose context the caller's stops ending once it is sent, aborted or closed.
type insertBatch struct {
	driver.Batch
	stop func()
}

func (b *insertBatch) Send() error  { defer b.stop(); return b.Batch.Send() }
func (b *insertBatch) Abort() error { defer b.stop(); return b.Batch.Abort() }
func (b *insertBatch) Close() error { defer b.stop(); return b.Batch.Close() }

// insertContext returns the context to prepare and send one batch with: ctx's values, ended by
// ctx only until stop is called, after Send. clickhouse-go (v2.50.0) watches a batch's context
// from a goroutine that closes the connection when the context ends, and that goroutine may
// still be waiting to run after Send returned and the connection went back to the pool: a caller
// ending ctx right after an insert (the backfill loader does, when it finishes) could close a
// pooled connection under the next query ("use of closed network connection"). The batch's
// context never ends after stop; ctx's deadline ends it through ctx's end.
func insertContext(ctx context.Context) (context.Context, func()) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unwatch := context.AfterFunc(ctx, cancel)
	return bctx, func() { unwatch() }
}

// Insert prepares one batch of query (INSERT INTO table (columns)), lets rows append to it and
// sends it; an error of rows aborts the batch. Errors start with what (what was being stored) and
// wrap their cause.
func Insert(ctx context.Context, conn driver.Conn, what, query string, rows func(b driver.Batch) error) error {
	b, err := conn.PrepareBatch(ctx, query)
	if err != nil {
		return fmt.Errorf("%s: %w (run `cxstar migrate`)", what, err)
	}
	if err := rows(b); err != nil {
		_ = b.Abort()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Select runs query with args and returns one value per row, made by scan. Errors are Each's.
func Select[T any](ctx context.Context, conn driver.Conn, what, query string, scan func(driver.Rows) (T, error), args ...any) ([]T, error) {
	var out []T
	err := Each(ctx, conn, what, query, func(rows driver.Rows) error {
		v, err := scan(rows)
		out = append(out, v)
		return err
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each runs query with args and calls row for every row (row scans it and uses the values); it
// stops at the first error of row. Errors start with what (what was being read) and wrap their
// cause; a failed query also says to run cxstar migrate.
func Each(ctx context.Context, conn driver.Conn, what, query string, row func(driver.Rows) error, args ...any) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w (run `cxstar migrate`)", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
