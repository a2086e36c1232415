package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/grafanadouble"
	"github.com/cxstar/cxstar/internal/testkit/plugintest"
	"github.com/cxstar/cxstar/internal/testkit/tenanttest"
	"github.com/cxstar/cxstar/tenancy"
)

// renderedBoard is a dashboard file of the rendered bundle, decoded only as far as the queries.
type renderedBoard struct {
	path       string
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title   string           `json:"title"`
		Targets []map[string]any `json:"targets"`
	} `json:"panels"`
}

// agency is the value of the dashboard's constant agency variable ("" when it has none).
func (b renderedBoard) agency() string {
	for _, v := range b.Templating.List {
		if v.Name == "agency" && v.Type == "constant" {
			s, _ := v.Query.(string)
			return s
		}
	}
	return ""
}

// boardQuery is one query of a rendered dashboard: a panel target or a query variable.
type boardQuery struct {
	name   string         // "panel «title»" or "variable name"
	target map[string]any // the target JSON as rendered (variables: built like the front end does)
}

func (b renderedBoard) queries() []boardQuery {
	var qs []boardQuery
	for _, v := range b.Templating.List {
		if s, ok := v.Query.(string); ok && v.Type == "query" {
			qs = append(qs, boardQuery{"variable " + v.Name, map[string]any{"refId": "A", "rawSql": s, "format": dashboards.FormatTable}})
		}
	}
	for _, p := range b.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, boardQuery{"panel «" + p.Title + "»", tg})
		}
	}
	return qs
}

// renderedBoards renders the bundle of agencies and decodes its dashboard files.
func renderedBoards(t *testing.T, agencies []dashboards.Agency, opts ...dashboards.Option) []renderedBoard {
	t.Helper()
	b, err := dashboards.Render("/out", dashboards.RenderConfig{}, agencies, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var out []renderedBoard
	for path, raw := range b.Files {
		if !strings.HasPrefix(path, "dashboards/") || filepath.Ext(path) != ".json" {
			continue
		}
		rb := renderedBoard{path: path}
		if err := json.Unmarshal(raw, &rb); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, rb)
	}
	if len(out) != len(agencies)+2 {
		t.Fatalf("%d dashboards rendered, want %d agency dashboards + overview + all agencies", len(out), len(agencies))
	}
	return out
}

// boardTarget returns the target JSON (variables replaced by vars) and the title of the first panel
// in lang, on a rendered board that pick picks, whose SQL contains marker; the test fails when
// there is none (board names the boards for the message).
func boardTarget(t *testing.T, lang dashboards.Lang, board string, pick func(renderedBoard) bool, marker string, vars map[string]string) (string, string) {
	t.Helper()
	for _, b := range renderedBoards(t, seedAgencies, dashboards.WithLang(lang)) {
		if !pick(b) {
			continue
		}
		for _, pn := range b.Panels {
			for _, tg := range pn.Targets {
				if sql, _ := tg["rawSql"].(string); strings.Contains(sql, marker) {
					tg["rawSql"] = dashboards.InterpolateVars(sql, vars)
					js, err := json.Marshal(tg)
					if err != nil {
						t.Fatal(err)
					}
					return string(js), pn.Title
				}
			}
		}
	}
	t.Fatalf("%s: %s has no panel reading %q", lang, board, marker)
	return "", ""
}

// provision gives seedAgencies their ClickHouse users and databases beside dsn's database
// (tenancy.Provision with secret), removed when the test ends. It returns the main database, the
// Project Office's tenant and the agencies'.
func provision(t testing.TB, conn driver.Conn, dsn, secret string) (string, tenancy.Tenant, []tenancy.Tenant) {
	t.Helper()
	cfg := tenancy.Config{MainDB: tenanttest.MainDB(t, dsn), UsersDir: tenanttest.UsersDir(), Secret: []byte(secret), Addr: chtest.Addr()}
	tenanttest.Cleanup(t, conn, cfg, dashboards.IDs(seedAgencies))
	po, ag, err := tenancy.Provision(context.Background(), conn, cfg, dashboards.IDs(seedAgencies))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.MainDB, po, ag
}

// pushedDatasources pushes to a Grafana test double, with ClickHouse at the test server, and
// returns each organization's datasource as push sent it (jsonData and the secure password),
// keyed by agency id ("" for the Project Office): the plugin gets exactly that, as Grafana would
// hand it over.
func pushedDatasources(t testing.TB, po tenancy.Tenant, ag []tenancy.Tenant) map[string]plugintest.Datasource {
	t.Helper()
	host, port, _ := strings.Cut(chtest.Addr(), ":")
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	g := grafanadouble.Start(t)
	cfg := dashboards.PushConfig{Grafana: dashboards.Grafana{URL: g.URL, User: g.User, Password: g.Password},
		ClickHouseHost: host, ClickHousePort: p, ProjectOffice: po, Tenants: tenancy.Map(ag)}
	rep, err := dashboards.Push(context.Background(), cfg, seedAgencies)
	if err != nil {
		t.Fatalf("push to the Grafana test double: %v", err)
	}
	out := map[string]plugintest.Datasource{}
	for org, id := range rep.OrgIDs {
		ds, secure, ok := g.Datasource(id, dashboards.DatasourceUID)
		if !ok {
			t.Fatalf("push made no datasource in %s", org)
		}
		jd, ok := ds.JSONData.(map[string]any)
		if !ok {
			t.Fatalf("%s: datasource jsonData is %T", org, ds.JSONData)
		}
		out[strings.TrimPrefix(org, dashboards.AgencyOrgPrefix)] = plugintest.Datasource{UID: ds.UID, Name: ds.Name, JSONData: jd, SecureJSONData: secure}
	}
	out[""] = out[dashboards.ProjectOfficeOrg]
	delete(out, dashboards.ProjectOfficeOrg)
	if len(out) != len(ag)+1 {
		t.Fatalf("%d datasources pushed, want %d", len(out), len(ag)+1)
	}
	return out
}

// pluginRange is the dashboards' time range in the plugin tests, covering the seeded quarters.
var pluginFrom, pluginTo = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// runBoard sends every query of b through the plugin as ds, with the dashboard variables vars
// replaced as Grafana's front end does, and returns one line per failure: no rows, a plugin or
// ClickHouse error, or SQL the plugin executed that ExpandSQL does not predict.
func runBoard(t *testing.T, p *plugintest.Plugin, ds plugintest.Datasource, b renderedBoard, vars map[string]string) (problems []string, n int) {
	t.Helper()
	for _, q := range b.queries() {
		raw, _ := q.target["rawSql"].(string)
		target := make(map[string]any, len(q.target))
		for k, v := range q.target {
			target[k] = v
		}
		target["rawSql"] = dashboards.InterpolateVars(raw, vars)
		js, err := json.Marshal(target)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Query(context.Background(), ds, plugintest.Query{Target: js, From: pluginFrom, To: pluginTo, Interval: time.Hour})
		if err != nil {
			t.Fatalf("%s / %s: %v", b.Title, q.name, err)
		}
		n++
		where := fmt.Sprintf("dashboard «%s» (%s), %s", b.Title, b.UID, q.name)
		switch {
		case res.Error != "":
			problems = append(problems, fmt.Sprintf("%s: the plugin answered an error: %s\nSQL sent:\n%s", where, res.Error, target["rawSql"]))
		case res.Rows() == 0:
			problems = append(problems, fmt.Sprintf("%s: no rows\nSQL executed:\n%s", where, res.Executed))
		case res.Executed != dashboards.ExpandSQL(raw, vars, pluginFrom, pluginTo, time.Hour):
			problems = append(problems, fmt.Sprintf("%s: the plugin executed\n%s\nExpandSQL gives\n%s", where, res.Executed, dashboards.ExpandSQL(raw, vars, pluginFrom, pluginTo, time.Hour)))
		}
	}
	return problems, n
}

// TestPanelsThroughPlugin runs every query of every rendered dashboard (each agency's, the
// overview, all agencies; panels and query variables) through the real ClickHouse datasource
// plugin, configured with the very datasource push sent for the organization (to a Grafana
// test double), against the seeded data on the real ClickHouse server: each returns rows
// and no error, and the SQL the plugin executed is dashboards.ExpandSQL's.
func TestPanelsThroughPlugin(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	_, po, ag := provision(t, conn, dsn, "plugin-secret")
	sources := pushedDatasources(t, po, ag)
	for _, lang := range []dashboards.Lang{dashboards.RU, dashboards.EN} {
		for _, std := range []string{"people", "business"} {
			total := 0
			for _, b := range renderedBoards(t, seedAgencies, dashboards.WithLang(lang)) {
				vars := map[string]string{"standard": std, "quarter": "2026Q3", "agency": b.agency()}
				if b.UID == dashboards.AllAgenciesUID {
					vars["agency"] = "fns.77"
				}
				problems, n := runBoard(t, p, sources[b.agency()], b, vars)
				for _, pr := range problems {
					t.Errorf("%s, %s: %s", lang, std, pr)
				}
				total += n
			}
			// Per agency dashboard: 15 panels + the quarter variable; overview: 6 panels + quarter;
			// all agencies: 15 panels + agency and quarter variables.
			if want := len(seedAgencies)*16 + 7 + 17; total != want {
				t.Errorf("%s, %s: %d queries ran through the plugin, want %d", lang, std, total, want)
			}
		}
	}
}

// leak names the first cell of rows that belongs to an agency other than own: a cell equal to
// another agency's id, or holding one of its seeded run ids ("run-<id>-…").
func leak(own string, cells []string) string {
	for _, c := range cells {
		for _, a := range seedAgencies {
			if a.ID != own && (c == a.ID || strings.Contains(c, "run-"+a.ID+"-")) {
				return c
			}
		}
	}
	return ""
}

// frameCells flattens the frames' values to text.
func frameCells(res plugintest.Result) []string {
	var out []string
	for _, f := range res.Frames {
		for _, fld := range f.Fields {
			for i := 0; i < fld.Len(); i++ {
				if v, ok := fld.ConcreteAt(i); ok {
					out = append(out, fmt.Sprint(v))
				}
			}
		}
	}
	return out
}

// directCells runs sql on c and flattens the result to text.
func directCells(c driver.Conn, sql string) ([]string, error) {
	rows, err := c.Query(context.Background(), sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return out, err
		}
		for _, v := range vals {
			out = append(out, fmt.Sprint(reflect.Indirect(reflect.ValueOf(v)).Interface()))
		}
	}
	return out, rows.Err()
}

// curiousSQL is what a curious agency viewer might type into a panel of their organization to
// read other agencies' rows: agency filters, the main database, another agency's database, the
// system tables that hold data or query texts, table functions, a readonly override, a second
// statement.
func curiousSQL(mainDB, otherDB, other string) []string {
	_, port, _ := strings.Cut(chtest.Addr(), ":")
	return []string{
		"SELECT * FROM assessments_latest WHERE agency_id = '" + other + "'",
		"SELECT * FROM assessments WHERE agency_id != ''",
		"SELECT * FROM indicator_details WHERE agency_id = '" + other + "'",
		"SELECT * FROM `" + mainDB + "`.assessments",
		"SELECT * FROM `" + mainDB + "`.assessments_latest WHERE agency_id = '" + other + "'",
		"SELECT * FROM `" + mainDB + "`.indicator_details_latest",
		"SELECT * FROM assessments WHERE run_id IN (SELECT run_id FROM `" + mainDB + "`.assessments)",
		"SELECT * FROM `" + otherDB + "`.assessments",
		"SELECT * FROM `" + otherDB + "`.assessments_latest",
		"SELECT * FROM merge('" + mainDB + "', '^assessments$')",
		"SELECT * FROM system.processes",
		// Bounded: the whole log of a long-used server is over the plugin's 4 MB reply limit.
		"SELECT * FROM system.query_log ORDER BY event_time DESC LIMIT 200",
		"SELECT * FROM system.parts WHERE database = '" + mainDB + "'",
		"SELECT * FROM system.columns WHERE database = '" + otherDB + "'",
		"SELECT * FROM url('http://127.0.0.1:18123/?query=SELECT+*+FROM+" + mainDB + ".assessments', TSV, 'a String')",
		"SELECT * FROM remote('127.0.0.1:" + port + "', `" + mainDB + "`.assessments, 'default', '')",
		"SELECT * FROM file('/etc/passwd', TSV, 'a String')",
		"SELECT * FROM `" + mainDB + "`.assessments SETTINGS readonly = 0",
		"SELECT * FROM assessments_latest; SELECT * FROM `" + mainDB + "`.assessments",
	}
}

// TestTenancyThroughPlugin: with each agency's datasource (push's settings and its ClickHouse
// credentials), through the real plugin, and with the same credentials directly through
// clickhouse-go, the curious viewer's SQL returns no row of another agency; the agency's own
// rows do come back, and the Project Office's credentials do see other agencies (so the check
// can fail).
func TestTenancyThroughPlugin(t *testing.T) {
	p := plugintest.Start(t)
	conn, dsn := chtest.DB(t)
	seed(t, conn, seedAgencies)
	main, po, ag := provision(t, conn, dsn, "boundary-secret")
	sources := pushedDatasources(t, po, ag)
	ctx := context.Background()
	q := func(ds plugintest.Datasource, sql string) plugintest.Result {
		res, err := p.Query(ctx, ds, plugintest.Query{SQL: sql, Format: dashboards.FormatTable, From: pluginFrom, To: pluginTo})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return res
	}
	for i, tn := range ag {
		own, other := tn.AgencyID, ag[(i+1)%len(ag)]
		ds := sources[own]
		res := q(ds, "SELECT agency_id, run_id FROM assessments_latest")
		if res.Rows() != 32 || res.Error != "" || leak(own, frameCells(res)) != "" {
			t.Fatalf("%s's own rows through the plugin: %d rows (error %q), want its 32 only", own, res.Rows(), res.Error)
		}
		direct, err := tenancy.Conn(chtest.Addr(), tn)
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range curiousSQL(main, other.Database, other.AgencyID) {
			res := q(ds, sql)
			if l := leak(own, frameCells(res)); l != "" {
				t.Errorf("%s through the plugin: %q returned %q, a row of another agency", own, sql, l)
			}
			cells, derr := directCells(direct, sql)
			if l := leak(own, cells); l != "" {
				t.Errorf("%s directly: %q returned %q, a row of another agency", own, sql, l)
			}
			if i == 0 {
				t.Logf("%.70s → plugin: %d rows %.80s | direct: %d cells %.80v", sql, res.Rows(), res.Error, len(cells), derr)
			}
		}
		direct.Close()
	}
	// The detector works: the Project Office reads every agency's rows.
	res := q(sources[""], "SELECT * FROM assessments_latest")
	if leak("mvd", frameCells(res)) == "" {
		t.Errorf("the Project Office's datasource shows no other agency than mvd (%d rows, %q): the leak check cannot fail", res.Rows(), res.Error)
	}
}
