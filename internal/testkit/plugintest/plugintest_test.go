package plugintest_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
)

// TestQueryThroughPlugin runs SQL through the standalone plugin against the private ClickHouse
// as its default user: values, the expanded macros and ClickHouse's error text come back.
func TestQueryThroughPlugin(t *testing.T) {
	if err := chtest.Up(); err != nil {
		t.Fatal(err)
	}
	p := plugintest.Start(t)
	host, port, _ := strings.Cut(chtest.Addr(), ":")
	pn, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	ds := plugintest.Datasource{UID: "test", JSONData: map[string]any{"server": host, "port": pn, "username": "default", "timeout": "10"}}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for _, c := range []struct {
		name, sql, executed string
		format, rows        int
		err                 string
	}{
		{"table of numbers", "SELECT number AS n, number * 2 AS twice FROM system.numbers LIMIT 5", "", 1, 5, ""},
		// from = 1767225600 s, to = 1775001600 s.
		{"macros", "SELECT $__fromTime AS f, $__toTime AS t", "SELECT toDateTime(intDiv(1767225600000,1000)) AS f, toDateTime(intDiv(1775001600000,1000)) AS t", 1, 1, ""},
		{"time series", "SELECT toDateTime(1767225600 + number * 86400) AS time, number AS v FROM system.numbers WHERE $__timeFilter(time) LIMIT 3",
			"SELECT toDateTime(1767225600 + number * 86400) AS time, number AS v FROM system.numbers WHERE time >= '1767225600' AND time <= '1775001600' LIMIT 3", 0, 3, ""},
		{"unknown column", "SELECT no_such_column FROM system.one", "", 1, 0, "no_such_column"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := p.Query(ctx, ds, plugintest.Query{SQL: c.sql, Format: c.format, From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			if c.err != "" {
				if !strings.Contains(res.Error, c.err) {
					t.Errorf("error %q, want one naming %s", res.Error, c.err)
				}
				return
			}
			if res.Error != "" || res.Rows() != c.rows {
				t.Fatalf("%d rows, error %q; want %d rows", res.Rows(), res.Error, c.rows)
			}
			if c.executed != "" && res.Executed != c.executed {
				t.Errorf("executed %q\nwant     %q", res.Executed, c.executed)
			}
		})
	}
	// The values themselves: twice = 2·n.
	res, _ := p.Query(ctx, ds, plugintest.Query{SQL: "SELECT number AS n, number * 2 AS twice FROM system.numbers LIMIT 5", Format: 1, From: from, To: to})
	f := res.Frames[0]
	for i := 0; i < f.Rows(); i++ {
		n, _ := f.Fields[0].ConcreteAt(i)
		tw, _ := f.Fields[1].ConcreteAt(i)
		if n.(uint64)*2 != tw.(uint64) || n.(uint64) != uint64(i) {
			t.Errorf("row %d: n=%v twice=%v", i, n, tw)
		}
	}
}
