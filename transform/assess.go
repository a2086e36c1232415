// Package transform computes the indicators of the standards «Государство для людей» and
// «Государство для бизнеса» per agency × quarter × standard inside ClickHouse (embedded SQL in
// transform/sql over the assessment inputs that materialized views keep at insert time, migration
// 022), then rounds, bands and stores them in Go with the metrics package. Assess is the API that
// `cxstar assess`, the demo, the report and the dashboards call. What each indicator counts and
// how its level is decided is described in docs/indicators.md.
package transform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

var (
	assessSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cxstar_assess_query_seconds",
		Help:    "Time of each aggregation query of an assessment run, by query.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
	}, []string{"query"})
	assessRuns = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "cxstar_assess_runs_total",
		Help: "Assessment runs by result (ok, error).",
	}, []string{"result"})
)

// Request describes one assessment run.
type Request struct {
	// Quarter is "2026Q3", a calendar quarter in the band set's time zone (Europe/Moscow).
	Quarter string
	// Standards to assess; empty means both (people first).
	Standards []metrics.Standard
	// Agency limits the run to one agency_id; empty means every agency with data in the quarter.
	// With an agency set, the report always has that agency, even with no data at all.
	Agency string
	// Bands overrides the band set of a standard whatever its effective dates (cxstar assess
	// --bands FILE).
	Bands map[metrics.Standard]*metrics.BandSet
	// RegistryVersion is the load_id of the registry version to read (cxstar assess
	// --registry-version); empty means the newest load.
	RegistryVersion string
	// BandVersions are the versions of a standard to choose from when Bands has none: the one in
	// force on the quarter's last day (metrics.BandsAt). Default: the embedded versions.
	BandVersions map[metrics.Standard][]*metrics.BandSet
	// Timezone overrides parameters.timezone of the band sets when not empty (--tz).
	Timezone string
	// Store writes the results into assessments and indicator_details.
	Store bool
	// Now is the clock (default time.Now); it decides whether social-media answers have settled (A15).
	Now func() time.Time
	// Parallel is how many of the assessment's queries run at once, each on its own connection,
	// the largest first; the services query, the largest, is split into that many parts (by
	// ranges of its service groups; a run with Agency set is not split). 1 runs them one after
	// the other (the default, so that a run's queries come in a fixed order). At most
	// MaxParallel. ServerThreads is what the server gives one query: ClickHouse 18.16 runs a
	// query with FINAL in one thread, so an assessment on a server with more pays with that many.
	// `cxstar assess --parallel` sets it (by default to ServerThreads).
	Parallel int
}

// MaxParallel is the largest Request.Parallel: the connections of store.Open's pool. A query
// beyond the pool would wait for a connection and fail after the dial timeout.
const MaxParallel = store.MaxOpenConns

// Detail is a drill-down value of one indicator for one service or life situation.
type Detail struct {
	Standard    metrics.Standard
	AgencyID    string
	Indicator   string
	Dimension   string // service | life_situation
	DimensionID string
	Value       *metrics.Decimal
	N           int64
	CILow       *metrics.Decimal
	CIHigh      *metrics.Decimal
}

// Run is the result of Assess.
type Run struct {
	RunID      string
	ComputedAt time.Time
	Quarter    quarter.Quarter
	Scorecards []metrics.Scorecard // one per standard, in Request.Standards order
	Details    []Detail
	// Bands holds the band set used for each standard.
	Bands map[metrics.Standard]*metrics.BandSet
	// RegistryVersion is the load_id of the registry version read ("" when nothing was loaded).
	RegistryVersion string
}

// Scorecard returns the scorecard of one standard, or nil.
func (r *Run) Scorecard(std metrics.Standard) *metrics.Scorecard {
	for i := range r.Scorecards {
		if r.Scorecards[i].Standard == std {
			return &r.Scorecards[i]
		}
	}
	return nil
}

// Assess computes every indicator of the requested standards for the quarter, stores the rows when
// req.Store is set, and returns the reports. Heavy aggregation runs in ClickHouse; rounding,
// bands, intervals and min_n run in Go (metrics.BandSet.Evaluate).
func Assess(ctx context.Context, conn driver.Conn, req Request) (*Run, error) {
	run, err := assess(ctx, conn, req)
	if err != nil {
		assessRuns.WithLabelValues("error").Inc()
		return nil, err
	}
	assessRuns.WithLabelValues("ok").Inc()
	return run, nil
}

func assess(ctx context.Context, conn driver.Conn, req Request) (*Run, error) {
	stds := req.Standards
	if len(stds) == 0 {
		stds = metrics.Standards
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	run := &Run{Bands: map[metrics.Standard]*metrics.BandSet{}}
	regVersion, regFilter, err := registryAt(ctx, conn, req.RegistryVersion)
	if err != nil {
		return nil, err
	}
	run.RegistryVersion = regVersion
	for _, std := range stds {
		b, err := bandsInForce(std, req)
		if err != nil {
			return nil, err
		}
		if b.Standard != std {
			return nil, fmt.Errorf("band file %s is for standard %s, not %s", b.Version, b.Standard, std)
		}
		run.Bands[std] = b
	}
	data, err := loadAll(ctx, conn, req, stds, regFilter, run)
	if err != nil {
		return nil, err
	}
	for _, std := range stds {
		run.Scorecards = append(run.Scorecards, run.scorecard(std, data, req.Agency, now()))
	}
	if err := run.compare(ctx, conn, regFilter); err != nil {
		return nil, err
	}
	run.RunID = newRunID()
	run.ComputedAt = now().UTC().Truncate(time.Second)
	if req.Store {
		if err := storeRun(ctx, conn, run); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// loadAll runs the aggregation queries once per group of standards whose SQL-relevant parameters
// agree, and sets run.Quarter.
func loadAll(ctx context.Context, conn driver.Conn, req Request, stds []metrics.Standard, regFilter string, run *Run) (map[key]*agencyData, error) {
	groups := map[string][]metrics.Standard{}
	var order []string
	for _, std := range stds {
		k := sqlKey(run.Bands[std].Parameters, req.Timezone)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], std)
	}
	parallel := max(1, min(req.Parallel, MaxParallel))
	data := map[key]*agencyData{}
	for _, k := range order {
		b := run.Bands[groups[k][0]]
		loc, err := metrics.QuarterLocation(req.Timezone, b)
		if err != nil {
			return nil, err
		}
		q, err := quarter.Parse(req.Quarter, loc)
		if err != nil {
			return nil, err
		}
		run.Quarter = q
		want := map[metrics.Standard]bool{}
		for _, s := range groups[k] {
			want[s] = true
		}
		if err := load(ctx, conn, q, b.Parameters, req.Agency, regFilter, parallel, want, data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// scorecard evaluates every indicator of std for each agency present in data (and for agency,
// when set, even without data), and appends the drill-down values to run.Details.
func (run *Run) scorecard(std metrics.Standard, data map[key]*agencyData, agency string, now time.Time) metrics.Scorecard {
	b := run.Bands[std]
	sc := metrics.Scorecard{Quarter: run.Quarter.String(), Standard: std, BandsVersion: b.Version, Agencies: []metrics.AgencyScorecard{}}
	var agencies []string
	for k, d := range data {
		if k.std == std && d.present {
			agencies = append(agencies, k.agency)
		}
	}
	if agency != "" && (data[key{std, agency}] == nil || !data[key{std, agency}].present) {
		agencies = append(agencies, agency)
	}
	sort.Strings(agencies)
	settled := run.Quarter.End().Add(time.Duration(b.Parameters.SettleHours) * time.Hour)
	hold := ""
	if now.Before(settled) {
		hold = "the quarter settles at " + settled.UTC().Format(time.RFC3339) + " (quarter end + settle_hours, A15)"
	}
	for _, ag := range agencies {
		d := data[key{std, ag}]
		if d == nil {
			d = &agencyData{}
		}
		ar := metrics.AgencyScorecard{AgencyID: ag}
		for _, ind := range metrics.DefaultCatalog().ByStandard(std) {
			in, details := inputFor(ind, b, d, hold)
			source := ""
			if ind.Counts == metrics.CountScenarioServices {
				in, source = coverageSource(b, d, in)
			}
			res := b.Evaluate(ind, in)
			res.Source = source
			ar.Indicators = append(ar.Indicators, res)
			for _, dt := range details {
				dt.Standard, dt.AgencyID, dt.Indicator = std, ag, ind.Code
				run.Details = append(run.Details, dt)
			}
		}
		ar.OverallLevel = b.Overall(ar.Indicators)
		ar.Monitoring = monitorsFor(b, d, run.Quarter, now, hold)
		sc.Agencies = append(sc.Agencies, ar)
	}
	return sc
}

// bandsInForce returns the band set of std for req: req.Bands[std] when set, else the version in
// force on the last day of req.Quarter (in the quarter's time zone: req.Timezone, else the oldest
// version's).
func bandsInForce(std metrics.Standard, req Request) (*metrics.BandSet, error) {
	if b := req.Bands[std]; b != nil {
		return b, nil
	}
	versions := req.BandVersions[std]
	if len(versions) == 0 {
		var err error
		if versions, err = metrics.BandVersions(std); err != nil {
			return nil, err
		}
	}
	versions = append([]*metrics.BandSet(nil), versions...)
	metrics.SortBandVersions(versions)
	loc, err := metrics.QuarterLocation(req.Timezone, versions[0])
	if err != nil {
		return nil, err
	}
	q, err := quarter.Parse(req.Quarter, loc)
	if err != nil {
		return nil, err
	}
	b, err := metrics.BandsAt(versions, q.End().Add(-time.Second).In(loc).Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("bands of %s for %s: %w", std, q, err)
	}
	return b, nil
}

func sqlKey(p metrics.Parameters, tz string) string {
	if tz == "" {
		tz = p.Timezone
	}
	return fmt.Sprint(tz, p.RepeatWindowDays, p.RepeatExcludedServices, p.DigitalChannels, p.SocialChannels, p.AllowAutomatedReplies, p.SettleHours, p.Ack())
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
