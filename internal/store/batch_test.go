package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

type kv struct {
	k uint32
	v string
}

func scanKV(rows driver.Rows) (kv, error) {
	var r kv
	err := rows.Scan(&r.k, &r.v)
	return r, err
}

// TestInsertSelect writes rows with Insert and reads them back with Select and Each; a failing rows
// function sends nothing, and a missing table is reported with what and the migrate hint.
func TestInsertSelect(t *testing.T) {
	ctx := context.Background()
	conn, _ := chtest.DB(t)
	if err := conn.Exec(ctx, "CREATE TABLE kv (k UInt32, v String) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	want := []kv{{1, "a"}, {2, "b"}, {3, "c"}}
	err := store.Insert(ctx, conn, "store kv", "INSERT INTO kv (k, v)", func(b driver.Batch) error {
		for _, r := range want {
			if err := b.Append(r.k, r.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	err = store.Insert(ctx, conn, "store kv", "INSERT INTO kv (k, v)", func(b driver.Batch) error {
		if err := b.Append(uint32(9), "z"); err != nil {
			return err
		}
		return stop
	})
	if !errors.Is(err, stop) || !strings.HasPrefix(err.Error(), "store kv: ") {
		t.Fatalf("Insert with a failing rows function: got %v, want store kv: stop", err)
	}

	tests := []struct {
		name    string
		query   string
		args    []any
		want    []kv
		wantErr string
	}{
		{name: "all rows", query: "SELECT k, v FROM kv ORDER BY k", want: want},
		{name: "args", query: "SELECT k, v FROM kv WHERE k >= ? ORDER BY k", args: []any{uint32(2)}, want: want[1:]},
		{name: "no rows", query: "SELECT k, v FROM kv WHERE k > 100", want: nil},
		{name: "missing table", query: "SELECT k, v FROM nope", wantErr: "read kv: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Select(ctx, conn, "read kv", tt.query, scanKV, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "run `cxstar migrate`") {
					t.Fatalf("got %v, want an error starting %q that says to run cxstar migrate", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("row %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}

	// Each stops at the first error of its row function and wraps it.
	var seen []kv
	err = store.Each(ctx, conn, "read kv", "SELECT k, v FROM kv ORDER BY k", func(rows driver.Rows) error {
		r, err := scanKV(rows)
		seen = append(seen, r)
		if len(seen) == 2 {
			return stop
		}
		return err
	})
	if !errors.Is(err, stop) || !strings.HasPrefix(err.Error(), "read kv: ") || len(seen) != 2 || seen[0] != want[0] || seen[1] != want[1] {
		t.Fatalf("Each stopping at the second row: got %v after %v, want read kv: stop after %v", err, seen, want[:2])
	}

	err = store.Insert(ctx, conn, "store nope", "INSERT INTO nope (k, v)", func(b driver.Batch) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "store nope: ") || !strings.Contains(err.Error(), "run `cxstar migrate`") {
		t.Fatalf("Insert into a missing table: got %v, want store nope: … (run `cxstar migrate`)", err)
	}
}
