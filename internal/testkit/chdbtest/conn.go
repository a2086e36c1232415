package chdbtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unsafe"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// Conn is a driver.Conn on one chDB connection. Statements run one at a time, synchronously; a
// context cancels a statement only before it starts. Query arguments are positional (?) and bound
// on the client side; Select, ScanStruct, AppendStruct, async inserts and the raw-format calls are
// not supported (the project uses none).
type Conn struct {
	mu     sync.Mutex
	e      *engine
	pc     unsafe.Pointer
	db     string
	closed bool
}

var _ driver.Conn = (*Conn)(nil)

// Open returns a new connection to the process's engine (booting it on first use) whose current
// database is db, created when missing.
func Open(db string) (*Conn, error) {
	e, err := start()
	if err != nil {
		return nil, err
	}
	pc, err := e.open()
	if err != nil {
		return nil, err
	}
	c := &Conn{e: e, pc: pc, db: db}
	for _, s := range []string{"CREATE DATABASE IF NOT EXISTS " + db, "USE " + db} {
		if err := c.Exec(context.Background(), s); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Database returns the connection's current database.
func (c *Conn) Database() string { return c.db }

// EngineVersion returns version() of the engine, e.g. "26.7.2.1".
func (c *Conn) EngineVersion() string { return c.e.version }

func (c *Conn) run(ctx context.Context, query []byte, format string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("chdbtest: connection closed")
	}
	out, err := c.e.query(c.pc, query, format)
	if err != nil {
		return nil, fmt.Errorf("chDB %s: %w", c.e.version, err)
	}
	return out, nil
}

// bind replaces each positional ? outside quotes with the literal of its argument, as
// clickhouse-go does on the client side: strings, integers, floats, bools, time.Time (seconds,
// UTC) and slices of them.
func bind(query string, args []any) (string, error) {
	if len(args) == 0 {
		return query, nil
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case quote != 0:
			if ch == '\\' && i+1 < len(query) {
				b.WriteByte(ch)
				i++
				ch = query[i]
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '`' || ch == '"':
			quote = ch
		case ch == '?':
			if n >= len(args) {
				return "", fmt.Errorf("chdbtest: more ? than the %d arguments", len(args))
			}
			lit, err := literal(args[n])
			if err != nil {
				return "", err
			}
			b.WriteString(lit)
			n++
			continue
		}
		b.WriteByte(ch)
	}
	if n != len(args) {
		return "", fmt.Errorf("chdbtest: %d arguments for %d ?", len(args), n)
	}
	return b.String(), nil
}

func literal(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return quoteString(x), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case time.Time:
		return fmt.Sprintf("toDateTime(%d)", x.Unix()), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(x), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			lit, err := literal(rv.Index(i).Interface())
			if err != nil {
				return "", err
			}
			parts[i] = lit
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("chdbtest: no literal for an argument of type %T", v)
}

// Exec runs a statement and discards its output.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) error {
	query, err := bind(query, args)
	if err != nil {
		return err
	}
	_, err = c.run(ctx, []byte(query), "TabSeparated")
	return err
}

// Query runs a SELECT and returns its rows, decoded from the Native format.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	query, err := bind(query, args)
	if err != nil {
		return nil, err
	}
	out, err := c.run(ctx, []byte(query), "Native")
	if err != nil {
		return nil, err
	}
	r := chproto.NewReader(bufio.NewReader(bytes.NewReader(out)))
	res := &rows{}
	for {
		b := proto.NewBlock()
		b.ServerContext.Timezone = time.UTC
		if err := b.Decode(r, 0); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("chdbtest: decode the Native output of chDB: %w", err)
		}
		if res.names == nil {
			res.names, res.cols = b.ColumnsNames(), b.Columns
		}
		if b.Rows() > 0 {
			res.blocks = append(res.blocks, b)
		}
	}
	return res, nil
}

// QueryRow runs a SELECT and returns its first row.
func (c *Conn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	rs, err := c.Query(ctx, query, args...)
	return &row{rows: rs, err: err}
}

var insertRe = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+([A-Za-z0-9_.]+)\s*(?:\(([^)]*)\))?\s*(?:VALUES\s*)?$`)

// PrepareBatch starts an INSERT; the rows go to chDB as one Native block on Send.
func (c *Conn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	m := insertRe.FindStringSubmatch(query)
	if m == nil {
		return nil, fmt.Errorf("chdbtest: PrepareBatch wants `INSERT INTO table (columns)`, got %q", query)
	}
	table := m[1]
	var want []string
	for _, name := range strings.Split(m[2], ",") {
		if name = strings.Trim(strings.TrimSpace(name), "`\""); name != "" {
			want = append(want, name)
		}
	}
	rs, err := c.Query(ctx, "DESCRIBE TABLE "+table)
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	var all []string
	for rs.Next() {
		var name, typ, kind, ignore string
		dest := []any{&name, &typ, &kind}
		for range rs.Columns()[3:] {
			dest = append(dest, &ignore)
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		if kind != "MATERIALIZED" && kind != "ALIAS" {
			types[name] = typ
			all = append(all, name)
		}
	}
	if len(want) == 0 {
		want = all
	}
	block := proto.NewBlock()
	block.ServerContext.Timezone = time.UTC
	for _, name := range want {
		typ, ok := types[name]
		if !ok {
			return nil, fmt.Errorf("chdbtest: table %s has no column %s", table, name)
		}
		if err := block.AddColumn(name, column.Type(typ)); err != nil {
			return nil, err
		}
	}
	return &batch{ctx: ctx, conn: c, block: block, insert: fmt.Sprintf("INSERT INTO %s (%s) FROM INFILE %%s FORMAT Native", table, strings.Join(want, ", "))}, nil
}

// Ping checks that the engine answers.
func (c *Conn) Ping(ctx context.Context) error { return c.Exec(ctx, "SELECT 1") }

// Close closes the connection; the engine stays up for the process's other connections.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.e.closeConn(c.pc)
	}
	return nil
}

// Contributors is part of driver.Conn.
func (c *Conn) Contributors() []string { return nil }

// ServerVersion reports chDB's version, revision 0 (no native protocol) and UTC.
func (c *Conn) ServerVersion() (*driver.ServerVersion, error) {
	return &driver.ServerVersion{Name: "chDB", DisplayName: "chDB", Version: proto.ParseVersion(c.e.version), Timezone: time.UTC}, nil
}

// Stats is part of driver.Conn.
func (c *Conn) Stats() driver.Stats { return driver.Stats{MaxOpenConns: 1, Open: 1} }

var errUnsupported = errors.New("chdbtest: not supported")

// Select is not supported.
func (c *Conn) Select(context.Context, any, string, ...any) error { return errUnsupported }

// QueryFormat is not supported.
func (c *Conn) QueryFormat(context.Context, string, string, ...any) (io.ReadCloser, error) {
	return nil, errUnsupported
}

// InsertFormat is not supported.
func (c *Conn) InsertFormat(context.Context, string, string, io.Reader) error { return errUnsupported }

// AsyncInsert is not supported.
func (c *Conn) AsyncInsert(context.Context, string, bool, ...any) error { return errUnsupported }

type rows struct {
	names  []string
	cols   []column.Interface
	blocks []*proto.Block
	block  int // current block
	row    int // 1-based row in the current block after Next
	err    error
}

func (r *rows) Next() bool {
	for r.block < len(r.blocks) {
		if r.row < r.blocks[r.block].Rows() {
			r.row++
			return true
		}
		r.block++
		r.row = 0
	}
	return false
}

func (r *rows) Scan(dest ...any) error {
	if r.block >= len(r.blocks) || r.row == 0 {
		return errors.New("chdbtest: Scan called without a row (call Next first)")
	}
	b := r.blocks[r.block]
	if len(dest) != len(b.Columns) {
		return fmt.Errorf("chdbtest: expected %d destination arguments in Scan, not %d", len(b.Columns), len(dest))
	}
	for i, d := range dest {
		if err := b.Columns[i].ScanRow(d, r.row-1); err != nil {
			return fmt.Errorf("chdbtest: scan column %s: %w", b.ColumnsNames()[i], err)
		}
	}
	return nil
}

func (r *rows) ScanStruct(any) error { return errUnsupported }
func (r *rows) Totals(...any) error  { return errUnsupported }
func (r *rows) Columns() []string    { return r.names }
func (r *rows) Close() error         { return nil }
func (r *rows) Err() error           { return r.err }
func (r *rows) HasData() bool        { return len(r.blocks) > 0 }
func (r *rows) ColumnTypes() []driver.ColumnType {
	out := make([]driver.ColumnType, len(r.cols))
	for i, c := range r.cols {
		_, nullable := c.(*column.Nullable)
		out[i] = columnType{name: r.names[i], typ: string(c.Type()), nullable: nullable, scan: c.ScanType()}
	}
	return out
}

type columnType struct {
	name, typ string
	nullable  bool
	scan      reflect.Type
}

func (t columnType) Name() string             { return t.name }
func (t columnType) Nullable() bool           { return t.nullable }
func (t columnType) ScanType() reflect.Type   { return t.scan }
func (t columnType) DatabaseTypeName() string { return t.typ }

type row struct {
	rows driver.Rows
	err  error
}

func (r *row) Err() error { return r.err }

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if !r.rows.Next() {
		return errors.New("chdbtest: no rows in result set")
	}
	return r.rows.Scan(dest...)
}

func (r *row) ScanStruct(any) error { return errUnsupported }

type batch struct {
	ctx    context.Context
	conn   *Conn
	block  *proto.Block
	insert string
	sent   bool
	err    error
}

func (b *batch) Append(v ...any) error {
	if b.sent {
		return errors.New("chdbtest: batch already sent")
	}
	if err := b.block.Append(v...); err != nil {
		b.err = err
		return err
	}
	return nil
}

func (b *batch) Column(i int) driver.BatchColumn {
	if i < 0 || i >= len(b.block.Columns) {
		return batchColumn{b: b, err: fmt.Errorf("chdbtest: no column %d", i)}
	}
	return batchColumn{b: b, col: b.block.Columns[i]}
}

func (b *batch) Send() error {
	if b.sent {
		return errors.New("chdbtest: batch already sent")
	}
	b.sent = true
	if b.err != nil {
		return b.err
	}
	if b.block.Rows() == 0 {
		return nil
	}
	buf := &chproto.Buffer{}
	if err := b.block.Encode(buf, 0); err != nil {
		return err
	}
	// The block goes through a file: data inline after FORMAT ends at the first empty line ("\n\n")
	// in chDB, and binary data can hold those bytes anywhere.
	f, err := os.CreateTemp(b.conn.e.dataFolder, "insert-*.native")
	if err != nil {
		return fmt.Errorf("chdbtest: insert file: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(buf.Buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("chdbtest: insert file: %w", err)
	}
	_, err = b.conn.run(b.ctx, []byte(fmt.Sprintf(b.insert, quoteString(f.Name()))), "TabSeparated")
	return err
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (b *batch) Abort() error                { b.sent = true; return nil }
func (b *batch) AppendStruct(any) error      { return errUnsupported }
func (b *batch) Flush() error                { return nil }
func (b *batch) IsSent() bool                { return b.sent }
func (b *batch) Rows() int                   { return b.block.Rows() }
func (b *batch) Columns() []column.Interface { return b.block.Columns }
func (b *batch) Close() error                { b.sent = true; return nil }

type batchColumn struct {
	b   *batch
	col column.Interface
	err error
}

func (c batchColumn) Append(v any) error {
	if c.err != nil {
		return c.err
	}
	if _, err := c.col.Append(v); err != nil {
		c.b.err = err
		return err
	}
	return nil
}

func (c batchColumn) AppendRow(v any) error {
	if c.err != nil {
		return c.err
	}
	if err := c.col.AppendRow(v); err != nil {
		c.b.err = err
		return err
	}
	return nil
}
