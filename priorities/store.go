package priorities

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// storeCols are the columns Store writes into the priorities table (migration 040).
const storeCols = "run_id, computed_at, quarter, quarter_start, standard, agency_id, life_situation_id, kind, item_id, rank, score, clients, below_min_n, " +
	"satisfaction, satisfaction_n, ease, ease_n, nps, nps_n, repeat_rate, submitted, repeat_share, why_ru, why_en, weights_version, bands_version"

// Store writes the lists of one run into the priorities table: one row per life situation and
// per service, segment and channel inside it, with its reasons in Russian and English.
func Store(ctx context.Context, conn driver.Conn, runID string, computedAt time.Time, q quarter.Quarter, std metrics.Standard, lists []List) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO priorities ("+storeCols+")")
	if err != nil {
		return fmt.Errorf("store priorities: %w (has `cxstar migrate` run? the table comes with migration 040)", err)
	}
	qs := q.StartDate()
	n := 0
	appendRow := func(l List, e Entry) error {
		n++
		g := map[string]Gap{}
		for _, x := range e.Gaps {
			g[x.Code] = x
		}
		return b.Append(runID, computedAt.UTC(), q.String(), qs, string(std), l.AgencyID, e.LifeSituation, string(e.Kind), e.ID,
			uint16(e.Rank), e.Score, uint64(e.Clients), boolByte(e.BelowMinN),
			g[Satisfaction].Value, uint64(g[Satisfaction].N), g[Ease].Value, uint64(g[Ease].N), g[NPS].Value, uint64(g[NPS].N),
			g[Repeats].Value, uint64(g[Repeats].N), e.RepeatShare, Why(e, metrics.RU), Why(e, metrics.EN), l.Weights, l.Bands)
	}
	for _, l := range lists {
		for _, e := range l.Entries {
			if err := appendRow(l, e); err != nil {
				_ = b.Abort()
				return fmt.Errorf("store priorities: %w", err)
			}
			for _, c := range e.Children {
				if err := appendRow(l, c); err != nil {
					_ = b.Abort()
					return fmt.Errorf("store priorities: %w", err)
				}
			}
		}
	}
	if n == 0 {
		return b.Abort()
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store priorities: %w", err)
	}
	return nil
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
