package priorities

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/schemas"
)

// TestRenderForChDB writes the migrations, the events of TestLoadCounts and the counting query to
// CXSTAR_RENDER_DIR, numbered in order, to run them on current ClickHouse (chDB) with
// transform/testdata/chdb/q.c; without the variable it does nothing.
func TestRenderForChDB(t *testing.T) {
	dir := os.Getenv("CXSTAR_RENDER_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	i := 0
	w := func(s string) {
		i++
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.sql", i)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, s := range m.Statements() {
			w(s)
		}
	}
	svc, rat := loadFixture(t)
	w("INSERT INTO service_events (" + serviceCols + ") VALUES " + values(svc))
	w("INSERT INTO ratings (" + ratingCols + ") VALUES " + values(rat))
	b, _ := metrics.DefaultBands(metrics.People)
	w(CellsQuery(fixtureQuarter(), metrics.People, "", b))
}

func values(rows [][]any) string {
	var out []string
	for _, r := range rows {
		var vs []string
		for _, v := range r {
			switch x := v.(type) {
			case string:
				vs = append(vs, quote(x))
			case time.Time:
				vs = append(vs, "toDateTime('"+x.UTC().Format("2006-01-02 15:04:05")+"', 'UTC')")
			default:
				vs = append(vs, fmt.Sprint(x))
			}
		}
		out = append(out, "("+strings.Join(vs, ", ")+")")
	}
	return strings.Join(out, ", ")
}
