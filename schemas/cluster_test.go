package schemas

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/cluster/*.sql.golden from the renderer's output")

// TestClusterGolden renders every migration for the cluster "cxstar" and database "cxstar" and
// compares with the golden file testdata/cluster/NAME.sql.golden (go test ./schemas -run
// TestClusterGolden -update rewrites them after a reviewed change). A new migration must render
// without error; its golden file is added when its rendering is reviewed (the cluster tests run it
// on a real cluster either way). A file in testdata/cluster that is no migration's golden file
// fails the test: it would be compared with nothing.
func TestClusterGolden(t *testing.T) {
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewClusterRenderer("cxstar", "cxstar", all)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := r.Render(all)
	if err != nil {
		t.Fatal(err)
	}
	golden := map[string]bool{}
	for i, m := range all {
		var b strings.Builder
		for _, s := range rendered[i] {
			if s.PerShard {
				b.WriteString("-- on one replica of every shard\n")
			}
			b.WriteString(s.SQL)
			b.WriteString(";\n\n")
		}
		path := filepath.Join("testdata", "cluster", m.Name+".sql.golden")
		golden[filepath.Base(path)] = true
		if *update {
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Logf("%s: no golden file yet (review the rendering, then run with -update): %v", m.Name, err)
			continue
		}
		if string(want) != b.String() {
			t.Errorf("%s: rendering differs from %s (review, then run with -update):\n%s", m.Name, path, b.String())
		}
	}
	files, err := os.ReadDir(filepath.Join("testdata", "cluster"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !golden[f.Name()] {
			t.Errorf("testdata/cluster/%s is no migration's golden file (they are named NNN_name.sql.golden): rename or delete it", f.Name())
		}
	}
}

// TestClusterLayout checks the decisions the golden files rest on: which tables are sharded.
func TestClusterLayout(t *testing.T) {
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewClusterRenderer("c", "db", all)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		table   string
		sharded bool
	}{
		{"service_events", true}, {"ratings", true}, {"appeals", true},
		{"rating_answers", true}, {"rating_groups", true}, {"client_service_events", true},
		{"client_service_events_new", true}, {"client_service_events_old", true}, {"service_groups", true},
		{"assessments", false}, {"indicator_details", false}, {"registry_scenarios", false},
		{"capability_declarations", false},
	} {
		if got := r.Sharded(tc.table); got != tc.sharded {
			t.Errorf("Sharded(%s) = %v, want %v", tc.table, got, tc.sharded)
		}
	}
}

// TestClusterRefuses: statements the renderer cannot turn into cluster DDL are errors that name the
// migration and the statement, never a silent single-node statement.
func TestClusterRefuses(t *testing.T) {
	base := Migration{Version: 1, Name: "001_t", SQL: `CREATE TABLE IF NOT EXISTS ev (a String, client_id String, agency_id String) ENGINE = MergeTree ORDER BY a;
CREATE TABLE IF NOT EXISTS small (a String) ENGINE = MergeTree ORDER BY a;`}
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"alter", "ALTER TABLE small DROP COLUMN a;", "only ADD COLUMN and MODIFY COLUMN"},
		{"two columns", "ALTER TABLE small ADD COLUMN b String, ADD COLUMN c String;", "one ADD COLUMN per statement"},
		{"alter unknown", "ALTER TABLE nowhere ADD COLUMN b String;", "not a table created by a migration"},
		{"optimize", "OPTIMIZE TABLE small FINAL;", "only CREATE TABLE"},
		{"qualified", "CREATE TABLE IF NOT EXISTS other.t (a String) ENGINE = MergeTree ORDER BY a;", "without a database"},
		{"log engine", "CREATE TABLE IF NOT EXISTS l (a String) ENGINE = Log;", "only the MergeTree family"},
		{"unknown source", "CREATE VIEW IF NOT EXISTS v AS SELECT * FROM nowhere;", "FROM nowhere: not a table"},
		{"table function", "CREATE VIEW IF NOT EXISTS v AS SELECT * FROM numbers(3);", "no table functions"},
		{"mv without TO", "CREATE MATERIALIZED VIEW IF NOT EXISTS mv ENGINE = MergeTree ORDER BY a AS SELECT a FROM small;", "with TO"},
		{"insert values", "INSERT INTO small VALUES ('x');", "only INSERT … SELECT"},
		{"sharded from small", "INSERT INTO service_events SELECT * FROM small;", "kept whole on every node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := []Migration{base, {Version: 2, Name: "002_bad", SQL: tc.sql}}
			if tc.name == "sharded from small" {
				ms[0].SQL = strings.Replace(base.SQL, " ev ", " service_events ", 1)
			}
			r, err := NewClusterRenderer("c", "db", ms)
			if err == nil {
				_, err = r.Render(ms)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "002_bad") {
				t.Errorf("error %v does not name the migration", err)
			}
		})
	}
}

// TestClusterAddColumn: a column added to a sharded table is added to its local tables and its
// Distributed table is created again with it in the same place (after the column its AFTER names,
// last without AFTER), as it is after a later RENAME; a column added to a small table is added to
// its one replicated table.
func TestClusterAddColumn(t *testing.T) {
	ms := []Migration{
		{Version: 1, Name: "001_t", SQL: `CREATE TABLE IF NOT EXISTS service_events (a String, client_id String, agency_id String) ENGINE = MergeTree ORDER BY a;
CREATE TABLE IF NOT EXISTS small (a String) ENGINE = MergeTree ORDER BY a;`},
		{Version: 2, Name: "002_add", SQL: `ALTER TABLE service_events ADD COLUMN b Decimal(9, 2) DEFAULT 0 AFTER a;
ALTER TABLE small ADD COLUMN c String;
ALTER TABLE service_events ADD COLUMN d String;`},
		{Version: 3, Name: "003_rename", SQL: `CREATE TABLE IF NOT EXISTS service_events_new (a String, b Decimal(9, 2), client_id String, agency_id String) ENGINE = MergeTree ORDER BY a;
RENAME TABLE service_events TO service_events_old, service_events_new TO service_events;`},
	}
	r, err := NewClusterRenderer("c", "db", ms)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render(ms)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out[1] {
		got = append(got, s.SQL)
	}
	want := []string{
		"ALTER TABLE db.service_events_local ON CLUSTER c ADD COLUMN b Decimal(9, 2) DEFAULT 0 AFTER a",
		"DROP TABLE IF EXISTS db.service_events ON CLUSTER c",
		"CREATE TABLE db.service_events ON CLUSTER c\n(a String, b Decimal(9, 2) DEFAULT 0, client_id String, agency_id String)\nENGINE = Distributed(c, db, service_events_local, cityHash64(toString(agency_id), client_id))",
		"ALTER TABLE db.small ON CLUSTER c ADD COLUMN c String",
		"ALTER TABLE db.service_events_local ON CLUSTER c ADD COLUMN d String",
		"DROP TABLE IF EXISTS db.service_events ON CLUSTER c",
		"CREATE TABLE db.service_events ON CLUSTER c\n(a String, b Decimal(9, 2) DEFAULT 0, client_id String, agency_id String,\n    d String\n)\nENGINE = Distributed(c, db, service_events_local, cityHash64(toString(agency_id), client_id))",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("002 renders as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var old string
	for _, s := range out[2] {
		if strings.HasPrefix(s.SQL, "CREATE TABLE db.service_events_old ON CLUSTER c") {
			old = s.SQL
		}
	}
	if !strings.Contains(old, "(a String, b Decimal(9, 2) DEFAULT 0, client_id String, agency_id String,\n    d String\n)") {
		t.Errorf("the Distributed table of the renamed service_events_old lacks the added columns b (after a) and d (last):\n%s", old)
	}
}
