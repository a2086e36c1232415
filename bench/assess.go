package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/transform"
)

// AssessOptions configures AssessVsScan.
type AssessOptions struct {
	// Ratings and ServiceEvents are the numbers of rows generated (default 10 M each).
	Ratings, ServiceEvents int64
	// Rounds is how many times the scan and the assessment each run; medians are reported (default 3).
	Rounds int
	// Quarter is the quarter the rows fall into (default 2026Q3); a tenth of them falls outside it.
	Quarter string
	// Generate inserts the rows first (set false to reuse the rows of an earlier run).
	Generate bool
	// Compact measures the assessment a second time after transform.Compact has merged the
	// quarter's inputs (`cxstar compact`, run once a quarter has settled).
	Compact bool
	// Parallel is the measured assessments' transform.Request.Parallel. 0 (the default) takes the
	// server's max_threads, as `cxstar assess` does: the threads the scan's queries get too.
	Parallel int
}

// AssessResult holds the medians of one AssessVsScan run.
type AssessResult struct {
	Ratings, ServiceEvents int64         // rows in the tables
	Parallel               int           // the assessments' queries at once (transform.Request.Parallel)
	Generate               time.Duration // time to insert the rows (0 when reused)
	Scan                   time.Duration // median of one full scan of both tables (count() … WHERE on the same columns)
	Assess                 time.Duration // median of Assess (both standards, no store)
	Ratio                  float64       // Assess / Scan
	Scans, Assesses        []time.Duration
	// With Options.Compact: the time transform.Compact took, the partitions it merged, and the
	// medians measured after it as above.
	Compact         time.Duration
	Merged          []transform.Compacted
	CompactedScan   time.Duration
	CompactedAssess time.Duration
	CompactedRatio  float64
	CompactedRuns   []time.Duration
}

// String formats the result for `cxstar bench` and test logs.
func (r AssessResult) String() string {
	s := fmt.Sprintf("assess over %d ratings + %d service events (queries at once: %d): median %v; full scan of the same columns: median %v; ratio %.2f× (target ≤ 3×); generate %v; scans %v; assesses %v",
		r.Ratings, r.ServiceEvents, r.Parallel, r.Assess.Round(time.Millisecond), r.Scan.Round(time.Millisecond), r.Ratio, r.Generate.Round(time.Millisecond), r.Scans, r.Assesses)
	if r.Compact > 0 {
		s += fmt.Sprintf("; compact %v (%d partitions); then assess median %v, scan median %v, ratio %.2f×; assesses %v",
			r.Compact.Round(time.Millisecond), len(r.Merged), r.CompactedAssess.Round(time.Millisecond), r.CompactedScan.Round(time.Millisecond), r.CompactedRatio, r.CompactedRuns)
	}
	return s
}

// AssessVsScan measures transform.Assess against a full scan in the same run, on rows generated
// inside ClickHouse with INSERT … SELECT FROM numbers() in the connection's database (use a
// scratch one: it appends to ratings and service_events). Its length is the text of the two
// INSERT … SELECT statements that generate the rows and of the scans that read the assessment's
// columns; the measuring loop is short.
func AssessVsScan(ctx context.Context, conn driver.Conn, o AssessOptions) (AssessResult, error) {
	if o.Ratings <= 0 {
		o.Ratings = 10_000_000
	}
	if o.ServiceEvents <= 0 {
		o.ServiceEvents = 10_000_000
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Quarter == "" {
		o.Quarter = "2026Q3"
	}
	bands, err := metrics.DefaultBands(metrics.People)
	if err != nil {
		return AssessResult{}, err
	}
	loc, err := metrics.QuarterLocation("", bands)
	if err != nil {
		return AssessResult{}, err
	}
	q, err := quarter.Parse(o.Quarter, loc)
	if err != nil {
		return AssessResult{}, err
	}
	var res AssessResult
	// Rows spread over the quarter plus 28 days before it (repeat lookback) and a little after.
	start := q.Start().Add(-28 * 24 * time.Hour).Unix()
	span := q.End().Add(7*24*time.Hour).Unix() - start
	if o.Generate {
		t0 := time.Now()
		ratings := fmt.Sprintf(`INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)
SELECT
    concat('bench-r-', toString(number)),
    toDateTime(%[1]d + intHash32(number) %% %[2]d),
    concat('agency-', toString(number %% 40)),
    if(number %% 5 = 0, 'business', 'person'),
    concat('c', toString(intHash32(number + 1) %% 2000000)),
    arrayElement(['nps', 'nps_digital', 'satisfaction', 'ease', 'sat_phone', 'sat_compliance_costs', 'sat_path_time'], 1 + number %% 7),
    if(number %% 7 < 2, intHash32(number + 2) %% 11, 1 + intHash32(number + 2) %% 4),
    concat('svc-', toString(number %% 40), '-', toString(intHash32(number + 3) %% 25)),
    if(number %% 10 < 4, concat('req-', toString(intHash32(number + 4) %% 5000000)), ''),
    concat('ls-', toString(number %% 40), '-', toString(intHash32(number + 3) %% 25 %% 8)),
    '',
    arrayElement(['portal', 'mobile_app', 'mfc', 'office', 'phone', 'chat_bot'], 1 + number %% 6),
    now(), 'bench'
FROM numbers(%[3]d)`, start, span, o.Ratings)
		if err := conn.Exec(ctx, ratings); err != nil {
			return res, fmt.Errorf("generate ratings: %w", err)
		}
		// Each agency has 25 services in 8 life situations. Three status events per request: submitted, in_progress, completed (every 4th refused).
		services := fmt.Sprintf(`INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)
SELECT
    concat('bench-s-', toString(number)),
    toDateTime(%[1]d + intHash32(intDiv(number, 3)) %% %[2]d + (number %% 3) * 86400 * (1 + intDiv(number, 3) %% 5)),
    concat('agency-', toString(intDiv(number, 3) %% 40)),
    if(intDiv(number, 3) %% 5 = 0, 'business', 'person'),
    concat('c', toString(intHash32(intDiv(number, 3) + 7) %% 1500000)),
    concat('req-', toString(intDiv(number, 3))),
    concat('svc-', toString(intDiv(number, 3) %% 40), '-', toString(intHash32(intDiv(number, 3) + 9) %% 25)),
    arrayElement(['service', 'support_measure', 'digital_service'], 1 + intDiv(number, 3) %% 3),
    arrayElement(['submitted', 'in_progress', if(intDiv(number, 3) %% 4 = 0, 'refused', 'completed')], 1 + number %% 3),
    arrayElement(['portal', 'mobile_app', 'mfc', 'office'], 1 + intDiv(number, 3) %% 4),
    concat('ls-', toString(intDiv(number, 3) %% 40), '-', toString(intHash32(intDiv(number, 3) + 9) %% 25 %% 8)),
    if(intDiv(number, 3) %% 3 = 0, concat('sc-', toString(intDiv(number, 3) %% 50)), ''),
    '', 0, now(), 'bench'
FROM numbers(%[3]d)`, start, span, o.ServiceEvents)
		if err := conn.Exec(ctx, services); err != nil {
			return res, fmt.Errorf("generate service events: %w", err)
		}
		res.Generate = time.Since(t0)
	}
	// The inserts leave parts that ClickHouse goes on merging for a while: measure once it has
	// finished (as a quarter's rows stand when it is assessed), not beside those merges.
	if err := waitMerges(ctx, conn, 10*time.Minute); err != nil {
		return res, err
	}
	if err := conn.QueryRow(ctx, "SELECT (SELECT count() FROM ratings), (SELECT count() FROM service_events)").Scan(&res.Ratings, &res.ServiceEvents); err != nil {
		var r, s uint64
		if err2 := conn.QueryRow(ctx, "SELECT (SELECT count() FROM ratings), (SELECT count() FROM service_events)").Scan(&r, &s); err2 != nil {
			return res, fmt.Errorf("count rows: %w", err)
		}
		res.Ratings, res.ServiceEvents = int64(r), int64(s)
	}
	if res.Parallel = o.Parallel; res.Parallel <= 0 {
		if res.Parallel, err = transform.ServerThreads(ctx, conn); err != nil {
			return res, err
		}
	}
	qs, qe, lb := chTime(q.Start()), chTime(q.End()), chTime(q.Start().Add(-28*24*time.Hour))
	// The full scan reads the columns the assessment reads, with the same time filters.
	scans := []string{
		fmt.Sprintf(`SELECT count() FROM ratings WHERE occurred_at >= %s AND occurred_at < %s
  AND length(event_id) + length(client_id) + length(service_id) + length(request_id) + length(life_situation_id) + length(scenario_id) + score + length(agency_id) + toUInt8(client_type) + toUInt8(question) + toUInt8(channel) > 0`, qs, qe),
		fmt.Sprintf(`SELECT count() FROM service_events WHERE occurred_at >= %s AND occurred_at < %s
  AND length(client_id) + length(request_id) + length(service_id) + length(life_situation_id) + length(scenario_id) + length(agency_id) + toUInt8(client_type) + toUInt8(status) + toUInt8(service_kind) > 0`, lb, qe),
	}
	now := func() time.Time { return q.End().Add(48 * time.Hour) }
	// rounds runs the scan and the assessment alternately, o.Rounds times each.
	rounds := func() (scan, assess []time.Duration, err error) {
		for i := 0; i < o.Rounds; i++ {
			t0 := time.Now()
			for _, s := range scans {
				var n uint64
				if err := conn.QueryRow(ctx, s).Scan(&n); err != nil {
					return scan, assess, fmt.Errorf("full scan: %w", err)
				}
			}
			scan = append(scan, time.Since(t0).Round(time.Millisecond))
			t0 = time.Now()
			if _, err := transform.Assess(ctx, conn, transform.Request{Quarter: o.Quarter, Now: now, Parallel: res.Parallel}); err != nil {
				return scan, assess, fmt.Errorf("assess: %w", err)
			}
			assess = append(assess, time.Since(t0).Round(time.Millisecond))
		}
		return scan, assess, nil
	}
	if res.Scans, res.Assesses, err = rounds(); err != nil {
		return res, err
	}
	res.Scan, res.Assess = medianDuration(res.Scans), medianDuration(res.Assesses)
	if res.Scan > 0 {
		res.Ratio = float64(res.Assess) / float64(res.Scan)
	}
	if !o.Compact {
		return res, nil
	}
	// The quarter has ended (the rows' quarter is in the past): its partitions are merged as
	// `cxstar compact` merges them, then measured again.
	t0 := time.Now()
	res.Merged, err = transform.Compact(ctx, []driver.Conn{conn}, func(t string) string { return t }, transform.Request{Quarter: o.Quarter})
	if err != nil {
		return res, err
	}
	res.Compact = time.Since(t0)
	scans2, assesses2, err := rounds()
	if err != nil {
		return res, err
	}
	res.CompactedRuns = assesses2
	res.CompactedScan, res.CompactedAssess = medianDuration(scans2), medianDuration(assesses2)
	if res.CompactedScan > 0 {
		res.CompactedRatio = float64(res.CompactedAssess) / float64(res.CompactedScan)
	}
	return res, nil
}

// waitMerges waits until no merge of the connection's database has run for two checks in a row
// (system.merges), or returns an error after limit.
func waitMerges(ctx context.Context, conn driver.Conn, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < 2; {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT toUInt64(count()) FROM system.merges WHERE database = currentDatabase()").Scan(&n); err != nil {
			return fmt.Errorf("read system.merges: %w", err)
		}
		if quiet++; n > 0 {
			quiet = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ClickHouse still merges the generated rows after %v (system.merges)", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil
}

// chTime is a ClickHouse DateTime literal of an instant.
func chTime(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }

func medianDuration(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
