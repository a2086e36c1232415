package transform

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

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

// errInputs reports counts whose names are missing from a names table of migration 022: the
// assessment inputs disagree with each other, and the run stops rather than drop those counts.
func errInputs(table string) error {
	return fmt.Errorf("assessment inputs: counts without a row in %s (the derived tables of migration 022 are out of step): "+
		"truncate rating_answers, rating_groups, client_service_events and service_groups, run the INSERT … SELECT statements "+
		"at the end of schemas/migrations/022_indicator_inputs.sql (for client_service_events the one of 054_client_service_events_pairs.sql), then assess again", table)
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

// loader folds the rows of the aggregation queries of one quarter into data; each load… method
// runs one embedded SQL file. The queries may run at once (see load); mu serializes their folds.
type loader struct {
	conn driver.Conn
	vars map[string]string
	want map[metrics.Standard]bool
	data map[key]*agencyData
	mu   sync.Mutex
}

// load runs the aggregation queries of one quarter and folds their rows into data.
//
// The queries are independent: up to parallel of them run at once, each on its own connection
// (ClickHouse 18.16 runs a query with FINAL in one thread); with parallel 1 they run one after
// the other. With parallel > 1 the largest, services (client_service_events FINAL and the array
// arithmetic of every client × service), is split into 2 × parallel parts by ranges of its
// service groups (servicesParts): the connection that finishes the ratings query takes the parts
// left, so the connections finish closer together than with one part each (more parts read more
// granules at the ranges' edges; BENCHMARKS.md, assess). The folds add counts and touch disjoint
// fields per query, so the result does not depend on the order in which the rows arrive.
// Coverage comes last: it completes the agencies the other queries found.
func load(ctx context.Context, conn driver.Conn, q quarter.Quarter, p metrics.Parameters, agency, regFilter string, parallel int, want map[metrics.Standard]bool, data map[key]*agencyData) error {
	l := &loader{conn: conn, vars: queryVars(q, p, agency), want: want, data: data}
	l.vars["REG_FILTER"] = regFilter
	l.vars["SCENARIOS"] = store.Render(scenariosSQL, l.vars)
	l.vars["FOLLOWUP_ITEMS"] = store.Render(followupItemsSQL, l.vars)
	jobs := []func(context.Context) error{l.loadRatings}
	if parallel > 1 && agency == "" {
		parts, err := l.servicesParts(ctx, 2*parallel)
		if err != nil {
			return err
		}
		for _, part := range parts {
			jobs = append(jobs, func(ctx context.Context) error { return l.loadServicesPart(ctx, part) })
		}
	} else {
		jobs = append(jobs, l.loadServices)
	}
	jobs = append(jobs, l.loadFollowUps, l.loadAppeals, l.loadRegistry, l.loadDeclarations, l.loadDeadlines)
	if err := runAll(ctx, jobs, parallel); err != nil {
		return err
	}
	return l.loadCoverage(ctx)
}

// ServerThreads is the max_threads setting of conn's sessions, the threads ClickHouse gives one
// query: 'N' on 18.16, 'auto(N)' on current versions. A value it cannot read counts as 1.
func ServerThreads(ctx context.Context, conn driver.Conn) (int, error) {
	var v string
	if err := conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'max_threads'").Scan(&v); err != nil {
		return 0, fmt.Errorf("read the max_threads setting: %w (check the connection to ClickHouse)", err)
	}
	return threads(v), nil
}

// threads reads a max_threads value ('N', 'auto(N)', possibly quoted); 1 when it holds no positive number.
func threads(v string) int {
	n, err := strconv.Atoi(strings.Trim(v, "auto()'"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// runAll runs the jobs, at most width at once, taking them in order, and returns the first
// error; the first error stops the others (their context is cancelled, and no job starts after it).
func runAll(ctx context.Context, jobs []func(context.Context) error, width int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(jobs))
	next := make(chan int, len(jobs))
	for i := range jobs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(width, len(jobs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				if errs[i] = jobs[i](ctx); errs[i] != nil {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	// The error of the job that failed, not the context error of a job it cancelled.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return context.Cause(ctx)
}

// servicesParts returns the filters ({{PART}}) of up to n parts of sql/services.sql, each a
// contiguous range of the service groups g, cut where the groups with rows in the quarter's
// months of client_service_events (reading g alone is cheap) split into equal shares. The ranges
// cover every g, including one first inserted after the cut. The table is sorted by g first, so
// each part reads only its range's granules.
func (l *loader) servicesParts(ctx context.Context, n int) ([]string, error) {
	gs, err := l.groups(ctx, "SELECT DISTINCT g FROM client_service_events PREWHERE month >= {{LOOKBACK_MONTH}} AND month <= {{QE_MONTH}} ORDER BY g")
	if err != nil {
		return nil, err
	}
	n = max(1, min(n, len(gs)))
	parts := make([]string, n)
	for i := range parts {
		if i > 0 {
			parts[i] = fmt.Sprintf("AND g >= %d", gs[i*len(gs)/n])
		}
		if i < n-1 {
			parts[i] += fmt.Sprintf(" AND g < %d", gs[(i+1)*len(gs)/n])
		}
	}
	return parts, nil
}

// groups runs a query (with the {{NAME}} placeholders of queryVars) that returns service groups g.
func (l *loader) groups(ctx context.Context, query string) ([]uint64, error) {
	var gs []uint64
	err := store.Each(ctx, l.conn, "service groups", store.Render(query, l.vars), func(rows driver.Rows) error {
		var g uint64
		if err := rows.Scan(&g); err != nil {
			return err
		}
		gs = append(gs, g)
		return nil
	})
	return gs, err
}

// repeatLookback is where the repeat window of the quarter's first requests starts: the earliest
// instant the services query reads (and Compact merges).
func repeatLookback(q quarter.Quarter, p metrics.Parameters) time.Time {
	return q.Start().Add(-time.Duration(p.RepeatWindowDays) * 24 * time.Hour)
}

// queryVars are the values of the {{NAME}} placeholders of the embedded queries.
func queryVars(q quarter.Quarter, p metrics.Parameters, agency string) map[string]string {
	agencyFilter := ""
	if agency != "" {
		agencyFilter = "AND agency_id = " + store.Quote(agency)
	}
	automated := "automated = 0"
	if p.AllowAutomatedReplies {
		automated = "1"
	}
	window := int64(p.RepeatWindowDays) * 24 * 3600
	lookback := repeatLookback(q, p)
	ack := time.Duration(p.Ack()) * time.Hour
	return map[string]string{
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
		"QUARTER":        store.Quote(q.String()),
		"OWNER":          strings.Replace(agencyFilter, "agency_id", "owner_agency_id", 1),
		// The written-appeal acknowledgement limit, and the instant by which the quarter's last
		// appeals must be acknowledged.
		"ACK_S":   strconv.FormatInt(int64(ack/time.Second), 10),
		"ACK_END": ts(q.End().Add(ack)),
	}
}

// query runs one embedded query, scans each row into dest and calls fold; name labels its errors
// and its cxstar_assess_query_seconds series.
func (l *loader) query(ctx context.Context, name, label, sql string, dest []any, fold func() error) error {
	return l.queryPart(ctx, name, label, sql, "", dest, fold)
}

// queryPart is query with {{PART}} replaced by part (a filter of one part of a split query).
func (l *loader) queryPart(ctx context.Context, name, label, sql, part string, dest []any, fold func() error) error {
	start := time.Now()
	rows, err := l.conn.Query(ctx, store.Render(strings.ReplaceAll(sql, "{{PART}}", part), l.vars))
	if err != nil {
		return fmt.Errorf("%s query: %w (run `cxstar migrate` and check ClickHouse)", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("%s query: scan: %w", name, err)
		}
		l.mu.Lock()
		err := fold()
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s query: %w", name, err)
	}
	timed(label, start)
	return nil
}

// loadRatings runs sql/ratings.sql: answer counts per question, service, life situation and
// digital channel.
func (l *loader) loadRatings(ctx context.Context) error {
	var ag, ct, question, svc, ls string
	var digital uint8
	var n, pos, prom, det uint64
	return l.query(ctx, "ratings", "ratings", ratingsSQL, []any{&ag, &ct, &question, &svc, &ls, &digital, &n, &pos, &prom, &det}, func() error {
		if ag == "" {
			return errInputs("rating_groups")
		}
		std := standardOf(ct)
		if !l.want[std] {
			return nil
		}
		c := counts{int64(n), int64(pos), int64(prom), int64(det)}
		d := dataFor(l.data, std, ag)
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
		return nil
	})
}

// loadServices runs sql/services.sql: requests per service with their scenario and repeat counts.
func (l *loader) loadServices(ctx context.Context) error {
	if l.vars["AGENCY"] == "" {
		return l.loadServicesPart(ctx, "")
	}
	// One agency: client_service_events holds no agency column, only the service groups g that
	// service_groups names.
	gs, err := l.groups(ctx, "SELECT DISTINCT g FROM service_groups WHERE 1 {{AGENCY}} ORDER BY g")
	if err != nil {
		return err
	}
	part := "AND 0"
	if len(gs) > 0 {
		ids := make([]string, len(gs))
		for i, g := range gs {
			ids[i] = strconv.FormatUint(g, 10)
		}
		part = "AND g IN (" + strings.Join(ids, ", ") + ")"
	}
	return l.loadServicesPart(ctx, part)
}

// loadServicesPart runs sql/services.sql restricted by part, a condition on g.
func (l *loader) loadServicesPart(ctx context.Context, part string) error {
	var ag, ct, svc, ls, kind string
	var active, inScen, sub, rep uint64
	return l.queryPart(ctx, "service events", "services", servicesSQL, part, []any{&ag, &ct, &svc, &ls, &kind, &active, &inScen, &sub, &rep}, func() error {
		if ag == "" {
			return errInputs("service_groups")
		}
		std := standardOf(ct)
		if !l.want[std] {
			return nil
		}
		d := dataFor(l.data, std, ag)
		d.present = true
		d.services = append(d.services, serviceRow{svc, ls, kind, int64(active), int64(inScen), int64(sub), int64(rep)})
		return nil
	})
}

// loadAppeals runs sql/appeals.sql: the response seconds of every message per class.
func (l *loader) loadAppeals(ctx context.Context) error {
	var ag, ct, class string
	var secs []int64
	return l.query(ctx, "appeals", "appeals", appealsSQL, []any{&ag, &ct, &class, &secs}, func() error {
		std := standardOf(ct)
		if !l.want[std] {
			return nil
		}
		d := dataFor(l.data, std, ag)
		d.present = true
		d.appeals[class] = append(d.appeals[class], secs...)
		return nil
	})
}

// loadRegistry runs sql/registry.sql: approved, proactive and API scenarios per agency.
func (l *loader) loadRegistry(ctx context.Context) error {
	var ag, stdName string
	var scen, appr, pro, api uint64
	return l.query(ctx, "registry", "registry", registrySQL, []any{&ag, &stdName, &scen, &appr, &pro, &api}, func() error {
		for std := range l.want {
			if stdName != "" && stdName != string(std) {
				continue // '' = the scenario applies to both standards
			}
			d := dataFor(l.data, std, ag)
			if d.registry == nil {
				d.registry = &registryAgg{}
			}
			d.registry.scenarios += int64(scen)
			d.registry.approved += int64(appr)
			d.registry.proactive += int64(pro)
			d.registry.api += int64(api)
			d.present = d.present || appr > 0
		}
		return nil
	})
}

// loadDeclarations runs sql/declarations.sql: the latest declaration per agency and indicator.
func (l *loader) loadDeclarations(ctx context.Context) error {
	var ag, stdName, ind, value string
	var flags, names, values []string
	var num, den int64
	return l.query(ctx, "declarations", "declarations", declarationsSQL, []any{&ag, &stdName, &ind, &flags, &names, &values, &value, &num, &den}, func() error {
		std := metrics.Standard(stdName)
		if !l.want[std] {
			return nil
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
		d := dataFor(l.data, std, ag)
		d.present = true
		d.declarations[ind] = decl
		return nil
	})
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
