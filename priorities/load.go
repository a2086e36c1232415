package priorities

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

//go:embed sql/cells.sql
var cellsSQL string

// CellsQuery renders the counting query of one quarter and standard (agency empty: every agency)
// with the repeat window and excluded services of b.
func CellsQuery(q quarter.Quarter, std metrics.Standard, agency string, b *metrics.BandSet) string {
	window := int64(b.Parameters.RepeatWindowDays) * 24 * 3600
	clientType := "'person'"
	if std == metrics.Business {
		clientType = "'business'"
	}
	ag := ""
	if agency != "" {
		ag = "AND agency_id = " + store.Quote(agency)
	}
	ex := make([]string, len(b.Parameters.RepeatExcludedServices))
	for i, s := range b.Parameters.RepeatExcludedServices {
		ex[i] = store.Quote(s)
	}
	excluded := "CAST([] AS Array(String))"
	if len(ex) > 0 {
		excluded = "[" + strings.Join(ex, ", ") + "]"
	}
	return strings.NewReplacer(
		"{{QS_S}}", strconv.FormatInt(q.Start().Unix(), 10),
		"{{QE_S}}", strconv.FormatInt(q.End().Unix(), 10),
		"{{LOOKBACK_S}}", strconv.FormatInt(q.Start().Add(-time.Duration(window)*time.Second).Unix(), 10),
		"{{WINDOW}}", strconv.FormatInt(window, 10),
		"{{CLIENT_TYPE}}", clientType,
		"{{AGENCY}}", ag,
		"{{EXCLUDED}}", excluded,
	).Replace(cellsSQL)
}

// Load counts the cells of one quarter and standard from the raw events (agency empty: every
// agency, which the national list and the medians need).
func Load(ctx context.Context, conn driver.Conn, q quarter.Quarter, std metrics.Standard, agency string, b *metrics.BandSet) ([]Cell, error) {
	return store.Select(ctx, conn, fmt.Sprintf("count priority cells of %s %s", q, std), CellsQuery(q, std, agency, b), func(rows driver.Rows) (Cell, error) {
		var c Cell
		var kind string
		var cl, sub, rep, sp, sn, ep, en, pr, de, nn uint64
		if err := rows.Scan(&c.AgencyID, &c.LifeSituation, &kind, &c.ID, &cl, &sub, &rep, &sp, &sn, &ep, &en, &pr, &de, &nn); err != nil {
			return c, err
		}
		c.Kind = Kind(kind)
		c.Counts = Counts{Clients: int64(cl), Submitted: int64(sub), Repeats: int64(rep), SatPos: int64(sp), SatN: int64(sn),
			EasePos: int64(ep), EaseN: int64(en), Promoters: int64(pr), Detractors: int64(de), NPSN: int64(nn)}
		return c, nil
	})
}
