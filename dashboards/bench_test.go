package dashboards_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/tenancy"
)

// BenchmarkRender renders the whole bundle (100 agency dashboards + Project Office) in memory.
func BenchmarkRender(b *testing.B) {
	var ags []dashboards.Agency
	for i := 0; i < 100; i++ {
		ags = append(ags, dashboards.Agency{ID: fmt.Sprintf("agency-%03d", i)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dashboards.Render("/out", dashboards.RenderConfig{}, ags); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLevelsQuery runs the agency dashboard's star-level panel as the Project Office (main
// views) and as the agency's tenant (its copy, read with FINAL): the cost of the isolation.
// Compare the two sub-benchmarks' ns/op.
func BenchmarkLevelsQuery(b *testing.B) {
	conn, dsn := chtest.DB(b)
	seed(b, conn, seedAgencies)
	_, po, ag := provision(b, conn, dsn, "bench")
	d, _ := dashboards.AgencyDashboard(seedAgencies[0])
	var sql string
	for _, q := range dashboards.Queries(d) {
		if q.Panel == "Уровень (звёзды) по показателям" {
			sql = dashboards.ExpandSQL(q.SQL, map[string]string{"agency": "mvd", "standard": "people", "quarter": "2026Q3"}, time.Now(), time.Now(), time.Hour)
		}
	}
	for _, c := range []struct {
		name string
		tn   tenancy.Tenant
	}{{"project-office-main-views", po}, {"agency-tenant-copy", ag[0]}} {
		b.Run(c.name, func(b *testing.B) {
			cc, err := tenancy.Conn(chtest.Addr(), c.tn)
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Close()
			for b.Loop() {
				rows, err := cc.Query(context.Background(), sql)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				rows.Close()
				if n != 8 {
					b.Fatalf("%d rows, want 8 indicators", n)
				}
			}
		})
	}
}
