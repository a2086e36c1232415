package chdbtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chdbtest"
)

// TestConnRoundTrip inserts rows through the batch API (row by row and column by column) and reads
// them back: the types the project uses survive the Native format both ways, including values
// whose bytes hold NUL, ";" and an empty line ("\n\n", which ends inline INSERT data in chDB).
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestConnRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := chdbtest.Empty(t)
	if !strings.HasPrefix(c.EngineVersion(), "26.") {
		t.Errorf("engine version %q, want 26.x", c.EngineVersion())
	}
	if err := c.Exec(ctx, `CREATE TABLE r (id UInt32, s String, lc LowCardinality(String), e Enum8('a' = 1, 'b' = 2), at DateTime('UTC'),
		arr Array(String), n Nullable(Float64), i Int64, u8 UInt8) ENGINE = MergeTree ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC)
	f := 2.5
	b, err := c.PrepareBatch(ctx, "INSERT INTO r (id, s, lc, e, at, arr, n, i, u8)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint32(1), "x\x00y;\n\nz", "ag1", "b", at, []string{"p", "q"}, &f, int64(0x0a0a), uint8(1)); err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint32(2), "", "ag2", "a", at.Add(time.Hour), []string{}, nil, int64(0), uint8(0)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	b, err = c.PrepareBatch(ctx, "INSERT INTO r (id, s, lc, e, at, arr, n, i, u8)")
	if err != nil {
		t.Fatal(err)
	}
	for i, col := range []any{[]uint32{3}, []string{"z"}, []string{"ag1"}, []string{"a"}, []time.Time{at}, [][]string{{"r"}}, []*float64{nil}, []int64{-9}, []uint8{1}} {
		if err := b.Column(i).Append(col); err != nil {
			t.Fatalf("column %d: %v", i, err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}

	rows, err := c.Query(ctx, "SELECT id, s, lc, e, at, arr, n, i, u8 FROM r ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id uint32
		var s, lc, e string
		var ts time.Time
		var arr []string
		var n *float64
		var i int64
		var u8 uint8
		if err := rows.Scan(&id, &s, &lc, &e, &ts, &arr, &n, &i, &u8); err != nil {
			t.Fatal(err)
		}
		nv := "null"
		if n != nil {
			nv = fmt.Sprint(*n)
		}
		got = append(got, fmt.Sprintf("%d,%s,%s,%s,%s,%s,%s,%d,%d", id, s, lc, e, ts.UTC().Format(time.RFC3339), strings.Join(arr, "|"), nv, i, u8))
	}
	want := []string{
		"1,x\x00y;\n\nz,ag1,b,2026-07-01T00:30:00Z,p|q,2.5,2570,1",
		"2,,ag2,a,2026-07-01T01:30:00Z,,null,0,0",
		"3,z,ag1,a,2026-07-01T00:30:00Z,r,null,-9,1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read back:\n%q\nwant:\n%q", got, want)
	}
	if types := rows.ColumnTypes(); len(types) != 9 || types[6].DatabaseTypeName() != "Nullable(Float64)" || !types[6].Nullable() {
		t.Errorf("column types: %v", types)
	}

	var n uint64
	if err := c.QueryRow(ctx, "SELECT count() FROM r WHERE e = 'a'").Scan(&n); err != nil || n != 2 {
		t.Errorf("count of e = 'a': %d, %v; want 2", n, err)
	}
	// Positional arguments, bound on the client side; a ? inside quotes is text.
	if err := c.QueryRow(ctx, "SELECT count() FROM r WHERE lc = ? AND s != '?' AND id IN ? AND at >= ?", "ag1", []uint32{1, 3}, at).Scan(&n); err != nil || n != 2 {
		t.Errorf("count with arguments: %d, %v; want 2", n, err)
	}
	// An error of the engine comes back as an error naming it, not as a panic or empty rows.
	if _, err := c.Query(ctx, "SELECT no_such_column FROM r"); err == nil || !strings.Contains(err.Error(), "chDB") || !strings.Contains(err.Error(), "no_such_column") {
		t.Errorf("query error = %v, want chDB's UNKNOWN_IDENTIFIER", err)
	}
	if _, err := c.PrepareBatch(ctx, "INSERT INTO r (id, nope)"); err == nil {
		t.Error("a batch naming a missing column was accepted")
	}
}

// TestDatabasesApart gives two tests' connections their own current databases on the one engine.
func TestDatabasesApart(t *testing.T) {
	ctx := context.Background()
	a, b := chdbtest.Empty(t), chdbtest.Empty(t)
	for _, c := range []*chdbtest.Conn{a, b} {
		if err := c.Exec(ctx, "CREATE TABLE x (v UInt8) ENGINE = MergeTree ORDER BY v"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Exec(ctx, "INSERT INTO x VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    *chdbtest.Conn
		want uint64
	}{{a, 2}, {b, 0}} {
		var n uint64
		if err := tc.c.QueryRow(ctx, "SELECT count() FROM x").Scan(&n); err != nil || n != tc.want {
			t.Errorf("count = %d, %v; want %d", n, err, tc.want)
		}
	}
}
