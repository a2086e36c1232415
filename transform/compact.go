package transform

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// Compacting a closed quarter. An assessment reads client_service_events, rating_answers,
// followup_items and followups with FINAL, which on ClickHouse 18.16 merges every part it reads in
// one thread at every run. A partition that no longer receives events keeps the parts its inserts
// left, since the background merges leave a large part beside a few small ones; merged once into
// one part each, the same rows take the services query about 40 % less CPU and the ratings query
// about 30 % (BENCHMARKS.md, assess), with the same results: a merge does what FINAL does, once and
// for good.

// compactInput is one assessment input that Compact merges.
type compactInput struct {
	table string
	// period is the span of time a partition holds, from its partition id.
	period func(id string) (start, end time.Time, err error)
	// lookback: the assessment reads the partitions from the repeat window before the quarter
	// start (else from the quarter start); after: also the partitions after the quarter end.
	lookback, after bool
}

// compactInputs are the inputs read with FINAL, each partitioned by time (migrations 022, 051–053).
var compactInputs = []compactInput{
	// PARTITION BY month (toYYYYMM of the UTC time); services.sql reads the months from the repeat
	// window's start to the quarter's last.
	{table: "client_service_events", period: monthPeriod, lookback: true},
	// PARTITION BY toStartOfQuarter(occurred_at, 'Europe/Moscow'); ratings.sql reads every answer
	// from the quarter start on (a later answer may supersede one of the quarter).
	{table: "rating_answers", period: quarterPeriod, after: true},
	// PARTITION BY toStartOfQuarter(answered_at, 'Europe/Moscow'); followup_items.sql reads the items
	// answered in the quarter.
	{table: "followup_items", period: quarterPeriod},
	// PARTITION BY toStartOfQuarter(occurred_at, 'Europe/Moscow'); followup_items.sql reads the steps
	// from the quarter start on (a step may answer an item of the quarter after its end).
	{table: "followups", period: quarterPeriod, after: true},
}

// Compacted is one partition that Compact merged into one part.
type Compacted struct {
	Table     string        // the table, as named on the node (NAME_local on a cluster)
	Partition string        // the partition id (system.parts.partition_id)
	Parts     int           // active parts before the merge
	After     int           // active parts after it: 1, unless rows arrived meanwhile or ClickHouse declined to merge
	Rows      uint64        // rows before the merge
	Took      time.Duration // time of the OPTIMIZE statement
}

// Compact merges into one part (OPTIMIZE TABLE … PARTITION ID … FINAL) each partition of the
// assessment's inputs that an assessment of req.Quarter reads (every partition when req.Quarter is
// empty), that holds more than one part and whose time span ended before req.Now (default: the
// clock). It runs on each of nodes (a single node, or one replica of each shard:
// store.DataNodes), local naming each input's table there. It changes no result, only how much
// an assessment merges at read time; it is idempotent (a merged partition has one part and is left
// alone), and a partition that receives late events gets new parts, which the next run merges. It
// returns the partitions it merged.
func Compact(ctx context.Context, nodes []driver.Conn, local func(table string) string, req Request) ([]Compacted, error) {
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	// Every partition: a window from the beginning of time to its end.
	qs, qe, lookback := time.Time{}, time.Unix(1<<62, 0), time.Time{}
	if req.Quarter != "" {
		var err error
		if qs, qe, lookback, err = compactWindow(req); err != nil {
			return nil, err
		}
	}
	var out []Compacted
	for _, conn := range nodes {
		for _, in := range compactInputs {
			merged, err := compactTable(ctx, conn, local(in.table), func(id string) (bool, error) {
				return in.settledRead(id, qs, qe, lookback, now())
			})
			out = append(out, merged...)
			if err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// compactTable merges each partition of table (an input as named on conn's node) that holds more
// than one part and that merge selects, then lists the parts once more to report what each became.
func compactTable(ctx context.Context, conn driver.Conn, table string, merge func(id string) (bool, error)) ([]Compacted, error) {
	parts, err := partitions(ctx, conn, table)
	if err != nil {
		return nil, err
	}
	var out []Compacted
	for _, p := range parts {
		selected, err := merge(p.id)
		if err != nil {
			return out, fmt.Errorf("partition %s of %s: %w", p.id, table, err)
		}
		if !selected || p.parts < 2 {
			continue
		}
		t0 := time.Now()
		if err := conn.Exec(ctx, fmt.Sprintf("OPTIMIZE TABLE %s PARTITION ID '%s' FINAL", table, p.id)); err != nil {
			return out, fmt.Errorf("merge partition %s of %s (%d parts; ClickHouse needs free disk for a copy of it): %w", p.id, table, p.parts, err)
		}
		out = append(out, Compacted{Table: table, Partition: p.id, Parts: p.parts, Rows: p.rows, Took: time.Since(t0)})
	}
	if len(out) == 0 {
		return nil, nil
	}
	after, err := partitions(ctx, conn, table)
	if err != nil {
		return out, err
	}
	for i := range out {
		for _, p := range after {
			if p.id == out[i].Partition {
				out[i].After = p.parts
			}
		}
	}
	return out, nil
}

// settledRead reports whether an assessment of the quarter [qs, qe) (repeat window from lookback)
// reads partition id of the input and the partition's time has ended by now.
func (in compactInput) settledRead(id string, qs, qe, lookback, now time.Time) (bool, error) {
	start, end, err := in.period(id)
	if err != nil {
		return false, err
	}
	from := qs
	if in.lookback {
		from = lookback
	}
	return end.After(from) && (in.after || start.Before(qe)) && !end.After(now), nil
}

// compactWindow returns the quarter's bounds and the earliest start of the repeat window over the
// standards of req (their band sets may differ in window length and time zone).
func compactWindow(req Request) (qs, qe, lookback time.Time, err error) {
	stds := req.Standards
	if len(stds) == 0 {
		stds = metrics.Standards
	}
	for i, std := range stds {
		b, err := bandsInForce(std, req)
		if err != nil {
			return qs, qe, lookback, err
		}
		loc, err := metrics.QuarterLocation(req.Timezone, b)
		if err != nil {
			return qs, qe, lookback, err
		}
		q, err := quarter.Parse(req.Quarter, loc)
		if err != nil {
			return qs, qe, lookback, err
		}
		lb := repeatLookback(q, b.Parameters)
		if i == 0 || q.Start().Before(qs) {
			qs = q.Start()
		}
		if i == 0 || q.End().After(qe) {
			qe = q.End()
		}
		if i == 0 || lb.Before(lookback) {
			lookback = lb
		}
	}
	return qs, qe, lookback, nil
}

type partition struct {
	id    string
	parts int
	rows  uint64
}

// partitions lists the partitions of table (in conn's database) with their active parts.
func partitions(ctx context.Context, conn driver.Conn, table string) ([]partition, error) {
	rows, err := conn.Query(ctx, `SELECT partition_id, toUInt64(count()), toUInt64(sum(rows)) FROM system.parts
		WHERE database = currentDatabase() AND table = ? AND active GROUP BY partition_id ORDER BY partition_id`, table)
	if err != nil {
		return nil, fmt.Errorf("list the parts of %s: %w", table, err)
	}
	defer rows.Close()
	var out []partition
	for rows.Next() {
		var p partition
		var n uint64
		if err := rows.Scan(&p.id, &n, &p.rows); err != nil {
			return nil, fmt.Errorf("list the parts of %s: %w", table, err)
		}
		p.parts = int(n)
		out = append(out, p)
	}
	return out, rows.Err()
}

// monthPeriod is the UTC month of a partition id YYYYMM.
func monthPeriod(id string) (time.Time, time.Time, error) {
	t, err := time.Parse("200601", id)
	if err != nil {
		return t, t, fmt.Errorf("want a month YYYYMM: %w", err)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// quarterPeriod is the quarter of a partition id YYYYMMDD, its first day in Moscow time (the
// partition key of rating_answers, migration 022).
func quarterPeriod(id string) (time.Time, time.Time, error) {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("time zone Europe/Moscow (install the tz database, e.g. apt install tzdata): %w", err)
	}
	t, err := time.ParseInLocation("20060102", id, loc)
	if err != nil {
		return t, t, fmt.Errorf("want a quarter's first day YYYYMMDD: %w", err)
	}
	if t.Day() != 1 || (t.Month()-1)%3 != 0 {
		return t, t, fmt.Errorf("want a quarter's first day YYYYMMDD, not %s", id)
	}
	return t, t.AddDate(0, 3, 0), nil
}

// String is one line of `cxstar compact`.
func (c Compacted) String() string {
	return fmt.Sprintf("%s partition %s: %d parts, %d rows merged into %d in %v", c.Table, c.Partition, c.Parts, c.Rows, c.After, c.Took.Round(time.Millisecond))
}
