package chdbtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// Engine is one ClickHouse that a test runs its body on.
type Engine struct {
	Name string    // "ClickHouse 18.16" or "chDB 26.7.2.1"
	Conn *Recorder // a fresh, migrated database
}

// Both returns a fresh migrated database on the project's 18.16 server (internal/testkit/chtest) and one on
// current ClickHouse (DB), each recording the results of its queries. Run the same test body on
// both, then call Same.
func Both(t testing.TB) []Engine {
	t.Helper()
	old, _ := chtest.DB(t)
	cur := DB(t)
	return []Engine{{"ClickHouse 18.16", Record(old)}, {"chDB " + cur.EngineVersion(), Record(cur)}}
}

// OnBoth runs body on each engine of Both, as a subtest named after the engine. Unless a run
// failed, it then checks that body returned equal values on both (SameValues, naming them what)
// and that both engines ran the same queries with the same rows (Same), and logs how many. It
// returns what body returned on the first engine (the 18.16 server).
func OnBoth[V any](t *testing.T, what string, body func(t *testing.T, conn driver.Conn) V) V {
	t.Helper()
	engines := Both(t)
	vals := make([]V, len(engines))
	for i, e := range engines {
		t.Run(e.Name, func(t *testing.T) { vals[i] = body(t, e.Conn) })
	}
	if t.Failed() {
		return vals[0]
	}
	SameValues(t, what, engines[0], engines[1], vals[0], vals[1])
	queries, rows := Same(t, engines[0], engines[1])
	t.Logf("%d queries, %d result rows the same on %s and %s", queries, rows, engines[0].Name, engines[1].Name)
	return vals[0]
}

// Result is the full result of one query as text: one line per row (values tab-separated,
// NULL for a null), sorted, as the queries of the project do not rely on row order.
type Result struct {
	SQL   string
	Names []string // the columns' names
	Types []string
	Rows  []string
}

// Recorder is a driver.Conn that keeps the result of every Query it runs. It reads each result
// once, with the driver's Scan into each column's scan type (string for LowCardinality and Enum,
// *T for Nullable(T), …); the caller's Scan then takes those values, and only into variables of
// exactly those types, as the driver's own Scan does.
type Recorder struct {
	driver.Conn
	mu      sync.Mutex // queries may run at once (transform runs an assessment's queries in parallel)
	Results []Result
}

// Record wraps conn.
func Record(conn driver.Conn) *Recorder { return &Recorder{Conn: conn} }

// Query records the query's result and returns its rows.
func (r *Recorder) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	res, vals, err := dump(ctx, r.Conn, query, args...)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.Results = append(r.Results, res)
	r.mu.Unlock()
	return &replay{vals: vals, names: res.Names, row: -1}, nil
}

// Dump runs a query and returns its result as text.
func Dump(ctx context.Context, conn driver.Conn, query string, args ...any) (Result, error) {
	res, _, err := dump(ctx, conn, query, args...)
	return res, err
}

func dump(ctx context.Context, conn driver.Conn, query string, args ...any) (Result, [][]reflect.Value, error) {
	res := Result{SQL: query}
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return res, nil, err
	}
	defer rows.Close()
	res.Names = rows.Columns()
	types := rows.ColumnTypes()
	for _, ct := range types {
		res.Types = append(res.Types, ct.DatabaseTypeName())
	}
	var vals [][]reflect.Value
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return res, nil, fmt.Errorf("dump %s: %w", firstLine(query), err)
		}
		row := make([]reflect.Value, len(dest))
		text := make([]string, len(dest))
		for i, d := range dest {
			row[i] = reflect.ValueOf(d).Elem()
			text[i] = textOf(row[i])
		}
		vals = append(vals, row)
		res.Rows = append(res.Rows, strings.Join(text, "\t"))
	}
	if err := rows.Err(); err != nil {
		return res, nil, err
	}
	sort.Strings(res.Rows)
	return res, vals, nil
}

// replay gives back the rows that Recorder read.
type replay struct {
	driver.Rows // nil: the methods the project does not call panic
	vals        [][]reflect.Value
	names       []string
	row         int
}

func (r *replay) Next() bool { r.row++; return r.row < len(r.vals) }

func (r *replay) Scan(dest ...any) error {
	if r.row < 0 || r.row >= len(r.vals) {
		return errors.New("chdbtest: Scan called without a row (call Next first)")
	}
	vals := r.vals[r.row]
	if len(dest) != len(vals) {
		return fmt.Errorf("chdbtest: expected %d destination arguments in Scan, not %d", len(vals), len(dest))
	}
	for i, d := range dest {
		dv := reflect.ValueOf(d)
		if dv.Kind() != reflect.Pointer || dv.IsNil() || !vals[i].Type().AssignableTo(dv.Elem().Type()) {
			return fmt.Errorf("chdbtest: column %d holds %s; Scan into %T is not supported", i+1, vals[i].Type(), d)
		}
		dv.Elem().Set(vals[i])
	}
	return nil
}

func (r *replay) Columns() []string { return r.names }
func (r *replay) Close() error      { return nil }
func (r *replay) Err() error        { return nil }

func textOf(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "NULL"
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8 {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = textOf(v.Index(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// Same fails the test unless both recorders ran the same queries and got the same rows, value for
// value; column types may differ between engines and are logged. It returns the number of queries
// and of rows compared.
func Same(t testing.TB, a, b Engine) (queries, rows int) {
	t.Helper()
	ra, rb := bySQL(a.Conn.Results), bySQL(b.Conn.Results)
	if len(ra) != len(rb) {
		t.Errorf("%s ran %d queries, %s ran %d", a.Name, len(ra), b.Name, len(rb))
	}
	typeDiffs := map[string]bool{}
	for i := 0; i < len(ra) && i < len(rb); i++ {
		x, y := ra[i], rb[i]
		if x.SQL != y.SQL {
			t.Errorf("query %d differs between the runs:\n%s: %s\n%s: %s", i+1, a.Name, firstLine(x.SQL), b.Name, firstLine(y.SQL))
			continue
		}
		if d := diffRows(x.Rows, y.Rows); d != "" {
			t.Errorf("query %d (%s) gives different rows on %s (-) and %s (+):\n%s", i+1, firstLine(x.SQL), a.Name, b.Name, d)
		}
		// chDB writes no header for an empty result: types are known only with rows.
		if len(x.Rows) > 0 && strings.Join(x.Types, ",") != strings.Join(y.Types, ",") {
			typeDiffs[fmt.Sprintf("%s %v, %s %v", a.Name, x.Types, b.Name, y.Types)] = true
		}
		queries++
		rows += len(x.Rows)
	}
	for d := range typeDiffs {
		t.Logf("column types differ (values equal): %s", d)
	}
	return queries, rows
}

// bySQL returns the results ordered by their SQL text, and in the order they ran for the same text:
// queries that run at once finish in any order, while the same query run twice (on data that
// changed in between) ran one after the other.
func bySQL(rs []Result) []Result {
	out := append([]Result(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].SQL < out[j].SQL })
	return out
}

// SameValues fails the test unless va and vb, what the same test body returned on the engines a and
// b, are deeply equal.
func SameValues(t testing.TB, what string, a, b Engine, va, vb any) {
	t.Helper()
	if reflect.DeepEqual(va, vb) {
		return
	}
	ja, _ := json.MarshalIndent(va, "", " ")
	jb, _ := json.MarshalIndent(vb, "", " ")
	t.Errorf("%s differ between %s (-) and %s (+):\n%s", what, a.Name, b.Name, diffRows(strings.Split(string(ja), "\n"), strings.Split(string(jb), "\n")))
}

// diffRows lists up to 10 rows that only one side has.
func diffRows(a, b []string) string {
	count := map[string]int{}
	for _, r := range a {
		count[r]++
	}
	for _, r := range b {
		count[r]--
	}
	var out []string
	for r, n := range count {
		for ; n > 0; n-- {
			out = append(out, "- "+r)
		}
		for ; n < 0; n++ {
			out = append(out, "+ "+r)
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("… %d more", len(out)-10))
	}
	return strings.Join(out, "\n")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}
