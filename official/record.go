package official

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

// Refresh checks rev against today's data like Check and, when req asks to store (req.Store) and
// covers the whole quarter (no agency, both standards), records the check with Record, so that
// the dashboards show the pending revision as `cxstar assess --quarter Q` lists it.
func Refresh(ctx context.Context, conn driver.Conn, req transform.Request, rev *Revision) (*Pending, error) {
	store := req.Store && req.Agency == "" && len(req.Standards) != 1
	pd, err := Check(ctx, conn, req, rev)
	if err != nil || !store {
		return pd, err
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	return pd, Record(ctx, conn, rev, pd, now())
}

// Record stores a check of revision rev made at at: one official_checks row and, in
// official_pending, one row per difference and one per agency and table with late data.
// official_pending_latest then shows these rows until a newer check or revision.
func Record(ctx context.Context, conn driver.Conn, rev *Revision, pd *Pending, at time.Time) error {
	q, _, _, err := quarterOf(transform.Request{Quarter: rev.Quarter})
	if err != nil {
		return err
	}
	at = at.UTC()
	id := fmt.Sprintf("%s-r%d-%d", rev.Quarter, rev.Revision, at.UnixNano())
	var late uint64
	for _, l := range pd.Late {
		late += l.Events
	}
	err = store.Insert(ctx, conn, "record the pending revision", "INSERT INTO official_checks (quarter, quarter_start, revision, check_id, checked_at, checked_ns, differences, late_events, changed_inputs)", func(b driver.Batch) error {
		return b.Append(rev.Quarter, q.StartDate(), uint32(rev.Revision), id, at, uint64(at.UnixNano()), uint32(len(pd.Differences)), late, nonNil(pd.Changed))
	})
	if err != nil || len(pd.Differences)+len(pd.Late) == 0 {
		return err
	}
	return store.Insert(ctx, conn, "record the pending revision", "INSERT INTO official_pending (quarter, quarter_start, revision, check_id, checked_at, kind, standard, agency_id, indicator, old_value, old_level, new_value, new_level, source_table, events, why_en, why_ru)", func(b driver.Batch) error {
		for _, d := range pd.Differences {
			if err := b.Append(rev.Quarter, q.StartDate(), uint32(rev.Revision), id, at, "difference", string(d.Standard), d.AgencyID, d.Indicator,
				d.OldValue.NullFloat64(), level(d.OldLevel), d.NewValue.NullFloat64(), level(d.NewLevel), "", uint64(0), strings.Join(d.Why, "; "), strings.Join(d.WhyRU, "; ")); err != nil {
				return err
			}
		}
		for _, l := range pd.Late {
			if err := b.Append(rev.Quarter, q.StartDate(), uint32(rev.Revision), id, at, "late", "", l.AgencyID, "",
				(*float64)(nil), (*uint8)(nil), (*float64)(nil), (*uint8)(nil), l.Table, l.Events,
				fmt.Sprintf("%d event(s) arrived after closing", l.Events), fmt.Sprintf("после закрытия поступило событий: %d", l.Events)); err != nil {
				return err
			}
		}
		return nil
	})
}

func level(l *int) *uint8 {
	if l == nil {
		return nil
	}
	u := uint8(*l)
	return &u
}

// Status returns the newest official revision of quarter q ("2026Q3"; nil when it was never
// closed) and its pending revision exactly as `cxstar assess --quarter Q` lists it with the
// default flags: the quarter recomputed on today's data with the embedded bands in force at its
// end and the newest registry, nothing stored.
func Status(ctx context.Context, conn driver.Conn, q string) (*Revision, *Pending, error) {
	rev, err := Load(ctx, conn, q, 0)
	if err != nil || rev == nil {
		return nil, nil, err
	}
	pd, err := Check(ctx, conn, transform.Request{Quarter: q, Bands: map[metrics.Standard]*metrics.BandSet{}}, rev)
	if err != nil {
		return nil, nil, fmt.Errorf("pending revision of %s: %w", q, err)
	}
	return rev, pd, nil
}
