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
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

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
	// BandVersions are the versions of a standard to choose from when Bands has none: the one in
	// force on the quarter's last day (metrics.BandsAt). Default: the embedded versions.
	BandVersions map[metrics.Standard][]*metrics.BandSet
	// Timezone overrides parameters.timezone of the band sets when not empty (--tz).
	Timezone string
	// Store writes the results into assessments and indicator_details.
	Store bool
	// Now is the clock (default time.Now); it decides whether social-media answers have settled (A15).
	Now func() time.Time
}

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
	Reports    []metrics.Report // one per standard, in Request.Standards order
	Details    []Detail
	// Bands holds the band set used for each standard.
	Bands map[metrics.Standard]*metrics.BandSet
}

// Report returns the report of one standard, or nil.
func (r *Run) Report(std metrics.Standard) *metrics.Report {
	for i := range r.Reports {
		if r.Reports[i].Standard == std {
			return &r.Reports[i]
		}
	}
	return nil
}

type counts struct{ n, pos, prom, det int64 }

func (c *counts) add(o counts) { c.n += o.n; c.pos += o.pos; c.prom += o.prom; c.det += o.det }

type questionAgg struct {
	total, digital      counts
	bySvc, byLS         map[string]*counts
	digitalSvc, digitLS map[string]*counts
}

type serviceRow struct {
	serviceID, ls, kind                    string
	active, inScenario, submitted, repeats int64
}

type registryAgg struct{ scenarios, approved, proactive, api int64 }

type declaration struct {
	flags   map[string]bool
	metrics map[string]metrics.Decimal
	value   *metrics.Decimal
	num     int64
	den     int64
}

type agencyData struct {
	ratings      map[string]*questionAgg
	services     []serviceRow
	appeals      map[string][]int64 // class → response seconds, −1 = unanswered
	registry     *registryAgg
	declarations map[string]*declaration
	// present: the agency has events or declarations in the quarter, or approved scenarios; only
	// present agencies are reported (plus Request.Agency).
	present bool
	// deadlines: written-appeal acknowledgements and the registry services of scenario coverage.
	deadlines deadlineData
}

type key struct {
	std    metrics.Standard
	agency string
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
	for _, std := range stds {
		b := req.Bands[std]
		if b == nil {
			var err error
			if b, err = bandsInForce(std, req); err != nil {
				return nil, err
			}
		}
		if b.Standard != std {
			return nil, fmt.Errorf("band file %s is for standard %s, not %s", b.Version, b.Standard, std)
		}
		run.Bands[std] = b
	}
	// Standards whose SQL-relevant parameters agree share one set of queries.
	groups := map[string][]metrics.Standard{}
	var order []string
	for _, std := range stds {
		k := sqlKey(run.Bands[std].Parameters, req.Timezone)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], std)
	}
	data := map[key]*agencyData{}
	for _, k := range order {
		b := run.Bands[groups[k][0]]
		p := b.Parameters
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
		if err := load(ctx, conn, q, p, req.Agency, want, data); err != nil {
			return nil, err
		}
	}
	for _, std := range stds {
		b := run.Bands[std]
		rep := metrics.Report{Quarter: run.Quarter.String(), Standard: std, BandsVersion: b.Version, Agencies: []metrics.AgencyReport{}}
		var agencies []string
		for k, d := range data {
			if k.std == std && d.present {
				agencies = append(agencies, k.agency)
			}
		}
		if req.Agency != "" && (data[key{std, req.Agency}] == nil || !data[key{std, req.Agency}].present) {
			agencies = append(agencies, req.Agency)
		}
		sort.Strings(agencies)
		settled := run.Quarter.End().Add(time.Duration(b.Parameters.SettleHours) * time.Hour)
		hold := ""
		if now().Before(settled) {
			hold = "the quarter settles at " + settled.UTC().Format(time.RFC3339) + " (quarter end + settle_hours, A15)"
		}
		for _, agency := range agencies {
			d := data[key{std, agency}]
			if d == nil {
				d = &agencyData{}
			}
			ar := metrics.AgencyReport{AgencyID: agency}
			for _, ind := range metrics.DefaultCatalog().ByStandard(std) {
				in, details := inputFor(ind, b, d, hold)
				source := ""
				if ind.Code == "scenario_coverage" {
					in, source = coverageSource(b, d, in)
				}
				res := b.Evaluate(ind, in)
				res.Source = source
				ar.Indicators = append(ar.Indicators, res)
				for _, dt := range details {
					dt.Standard, dt.AgencyID, dt.Indicator = std, agency, ind.Code
					run.Details = append(run.Details, dt)
				}
			}
			ar.OverallLevel = b.Overall(ar.Indicators)
			ar.Monitoring = monitorsFor(b, d, run.Quarter, now(), hold)
			rep.Agencies = append(rep.Agencies, ar)
		}
		run.Reports = append(run.Reports, rep)
	}
	run.RunID = newRunID()
	run.ComputedAt = now().UTC().Truncate(time.Second)
	if req.Store {
		if err := store(ctx, conn, run); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// bandsInForce picks the band version of std in force on the last day of req.Quarter (in the
// quarter's time zone: req.Timezone, else the oldest version's).
func bandsInForce(std metrics.Standard, req Request) (*metrics.BandSet, error) {
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

// errInputs reports counts whose names are missing from a names table of migration 022: the
// assessment inputs disagree with each other, and the run stops rather than drop those counts.
func errInputs(table string) error {
	return fmt.Errorf("assessment inputs: counts without a row in %s (the derived tables of migration 022 are out of step): "+
		"truncate rating_answers, rating_groups, client_service_events and service_groups, run the INSERT … SELECT statements "+
		"at the end of schemas/migrations/022_indicator_inputs.sql, then assess again", table)
}

func standardOf(clientType string) metrics.Standard {
	if clientType == "business" {
		return metrics.Business
	}
	return metrics.People
}

func dataFor(data map[key]*agencyData, std metrics.Standard, agency string) *agencyData {
	k := key{std, agency}
	d := data[k]
	if d == nil {
		d = &agencyData{ratings: map[string]*questionAgg{}, appeals: map[string][]int64{}, declarations: map[string]*declaration{}}
		data[k] = d
	}
	return d
}

func timed(query string, start time.Time) {
	assessSeconds.WithLabelValues(query).Observe(time.Since(start).Seconds())
}

// load runs the aggregation queries of one quarter and folds their rows into data.
func load(ctx context.Context, conn driver.Conn, q quarter.Quarter, p metrics.Parameters, agency string, want map[metrics.Standard]bool, data map[key]*agencyData) error {
	agencyFilter := ""
	if agency != "" {
		agencyFilter = "AND agency_id = " + quote(agency)
	}
	automated := "automated = 0"
	if p.AllowAutomatedReplies {
		automated = "1"
	}
	window := int64(p.RepeatWindowDays) * 24 * 3600
	lookback := q.Start().Add(-time.Duration(window) * time.Second)
	vars := map[string]string{
		"QS": ts(q.Start()),
		"QE": ts(q.End()),
		// The same instants as unix seconds, in the packed form of the tables of migration 022
		// (seconds << 32), and the UTC months (partitions) that hold them.
		"QS_S":           strconv.FormatInt(q.Start().Unix(), 10),
		"QS_V":           strconv.FormatUint(uint64(q.Start().Unix())<<32, 10),
		"QE_V":           strconv.FormatUint(uint64(q.End().Unix())<<32, 10),
		"LOOKBACK_V":     strconv.FormatUint(uint64(lookback.Unix())<<32, 10),
		"LOOKBACK_MONTH": month(lookback),
		"QE_MONTH":       month(q.End().Add(-time.Second)),
		"SETTLE":         ts(q.End().Add(time.Duration(p.SettleHours) * time.Hour)),
		"WINDOW":         strconv.FormatInt(window, 10),
		"AGENCY":         agencyFilter,
		"DIGITAL":        array(p.DigitalChannels),
		"SOCIAL":         array(p.SocialChannels),
		"EXCLUDED":       array(p.RepeatExcludedServices),
		"AUTOMATED":      automated,
		"QUARTER":        quote(q.String()),
		"OWNER":          strings.Replace(agencyFilter, "agency_id", "owner_agency_id", 1),
	}

	start := time.Now()
	rows, err := conn.Query(ctx, render(ratingsSQL, vars))
	if err != nil {
		return fmt.Errorf("ratings query: %w (run `cxstar migrate` and check ClickHouse)", err)
	}
	for rows.Next() {
		var ag, ct, question, svc, ls string
		var digital uint8
		var c counts
		var n, pos, prom, det uint64
		if err := rows.Scan(&ag, &ct, &question, &svc, &ls, &digital, &n, &pos, &prom, &det); err != nil {
			rows.Close()
			return fmt.Errorf("ratings query: scan: %w", err)
		}
		if ag == "" {
			rows.Close()
			return errInputs("rating_groups")
		}
		std := standardOf(ct)
		if !want[std] {
			continue
		}
		c = counts{int64(n), int64(pos), int64(prom), int64(det)}
		d := dataFor(data, std, ag)
		d.present = true
		qa := d.ratings[question]
		if qa == nil {
			qa = &questionAgg{bySvc: map[string]*counts{}, byLS: map[string]*counts{}, digitalSvc: map[string]*counts{}, digitLS: map[string]*counts{}}
			d.ratings[question] = qa
		}
		qa.total.add(c)
		addTo(qa.bySvc, svc, c)
		addTo(qa.byLS, ls, c)
		if digital == 1 {
			qa.digital.add(c)
			addTo(qa.digitalSvc, svc, c)
			addTo(qa.digitLS, ls, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ratings query: %w", err)
	}
	timed("ratings", start)

	start = time.Now()
	rows, err = conn.Query(ctx, render(servicesSQL, vars))
	if err != nil {
		return fmt.Errorf("service events query: %w (run `cxstar migrate` and check ClickHouse)", err)
	}
	for rows.Next() {
		var ag, ct, svc, ls, kind string
		var active, inScen, sub, rep uint64
		if err := rows.Scan(&ag, &ct, &svc, &ls, &kind, &active, &inScen, &sub, &rep); err != nil {
			rows.Close()
			return fmt.Errorf("service events query: scan: %w", err)
		}
		if ag == "" {
			rows.Close()
			return errInputs("service_groups")
		}
		std := standardOf(ct)
		if !want[std] {
			continue
		}
		d := dataFor(data, std, ag)
		d.present = true
		d.services = append(d.services, serviceRow{svc, ls, kind, int64(active), int64(inScen), int64(sub), int64(rep)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("service events query: %w", err)
	}
	timed("services", start)

	start = time.Now()
	rows, err = conn.Query(ctx, render(appealsSQL, vars))
	if err != nil {
		return fmt.Errorf("appeals query: %w (run `cxstar migrate` and check ClickHouse)", err)
	}
	for rows.Next() {
		var ag, ct, class string
		var secs []int64
		if err := rows.Scan(&ag, &ct, &class, &secs); err != nil {
			rows.Close()
			return fmt.Errorf("appeals query: scan: %w", err)
		}
		std := standardOf(ct)
		if !want[std] {
			continue
		}
		d := dataFor(data, std, ag)
		d.present = true
		d.appeals[class] = append(d.appeals[class], secs...)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("appeals query: %w", err)
	}
	timed("appeals", start)

	start = time.Now()
	rows, err = conn.Query(ctx, render(registrySQL, vars))
	if err != nil {
		return fmt.Errorf("registry query: %w (run `cxstar migrate`)", err)
	}
	for rows.Next() {
		var ag, stdName string
		var scen, appr, pro, api uint64
		if err := rows.Scan(&ag, &stdName, &scen, &appr, &pro, &api); err != nil {
			rows.Close()
			return fmt.Errorf("registry query: scan: %w", err)
		}
		for std := range want {
			if stdName != "" && stdName != string(std) {
				continue // '' = the scenario applies to both standards
			}
			d := dataFor(data, std, ag)
			if d.registry == nil {
				d.registry = &registryAgg{}
			}
			d.registry.scenarios += int64(scen)
			d.registry.approved += int64(appr)
			d.registry.proactive += int64(pro)
			d.registry.api += int64(api)
			d.present = d.present || appr > 0
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("registry query: %w", err)
	}
	timed("registry", start)

	start = time.Now()
	rows, err = conn.Query(ctx, render(declarationsSQL, vars))
	if err != nil {
		return fmt.Errorf("declarations query: %w (run `cxstar migrate`)", err)
	}
	for rows.Next() {
		var ag, stdName, ind, value string
		var flags, names, values []string
		var num, den int64
		if err := rows.Scan(&ag, &stdName, &ind, &flags, &names, &values, &value, &num, &den); err != nil {
			rows.Close()
			return fmt.Errorf("declarations query: scan: %w", err)
		}
		std := metrics.Standard(stdName)
		if !want[std] {
			continue
		}
		decl := &declaration{flags: map[string]bool{}, metrics: map[string]metrics.Decimal{}, num: num, den: den}
		for _, f := range flags {
			decl.flags[f] = true
		}
		for i := range names {
			if i < len(values) {
				if v, err := metrics.ParseDecimal(values[i]); err == nil {
					decl.metrics[names[i]] = v
				}
			}
		}
		if value != "" {
			if v, err := metrics.ParseDecimal(value); err == nil {
				decl.value = &v
			}
		}
		d := dataFor(data, std, ag)
		d.present = true
		d.declarations[ind] = decl
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("declarations query: %w", err)
	}
	timed("declarations", start)
	return loadDeadlines(ctx, conn, q, p, vars, want, data)
}

func addTo(m map[string]*counts, id string, c counts) {
	if id == "" {
		return
	}
	x := m[id]
	if x == nil {
		x = &counts{}
		m[id] = x
	}
	x.add(c)
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
