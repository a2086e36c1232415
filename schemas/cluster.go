package schemas

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ShardingKeys names the raw tables that are split across the shards of a cluster, with the
// expression (an unsigned integer of the row) that picks a row's shard. Every other table created by
// a migration is either derived from a sharded table by a materialized view (and then sharded the
// same way, as its rows are written on the shard of their source rows) or small (assessments,
// registry, …) and kept whole on every node. See schemas/CLUSTER.md for why these keys keep every
// indicator exact.
var ShardingKeys = map[string]string{
	// All events and answers of a client of an agency on one shard: the duplicates of an event (an
	// event id never changes its client), the requests of a client for a service over the repeat
	// window, and the answers folded into the client's latest answer.
	"service_events": "cityHash64(toString(agency_id), client_id)",
	"ratings":        "cityHash64(toString(agency_id), client_id)",
	// All steps of an appeal on one shard (anonymous appeals have no client).
	"appeals": "cityHash64(appeal_id)",
}

// ClusterStatement is one statement of a migration rendered for a cluster.
type ClusterStatement struct {
	// SQL is the statement, every table name qualified with the database.
	SQL string
	// PerShard says the statement writes rows into the local tables of the shard it runs on: it
	// must run once on one replica of every shard (replication copies the rows to the others).
	// Any other statement runs once, on any node (DDL carries ON CLUSTER).
	PerShard bool
}

// ClusterRenderer renders migrations as DDL for a ClickHouse cluster: a sharded table becomes
// NAME_local (a Replicated engine, one replica set per shard) plus a Distributed table under NAME,
// so readers keep their SQL; a small table becomes one Replicated table with a replica on every
// node; materialized views read and write the local tables of each node. It is mechanical: a new
// migration needs no cluster copy, and a statement it cannot render is an error naming it.
//
// ZooKeeper paths: /clickhouse/tables/{shard}/DB/NNN_NAME_local for a sharded table and
// /clickhouse/tables/all/DB/NNN_NAME for a small one, NNN the version of the migration that
// created it, so that a later migration may create a table of the same name again (023 does).
type ClusterRenderer struct {
	cluster, db string
	sharded     map[string]bool
	columns     map[string]string // sharded table → its column list, for the Distributed table
	known       map[string]bool   // every table or view a migration creates
}

var (
	clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	placement   = regexp.MustCompile(`(?i)\s+(AFTER\s+\S+|FIRST)\s*$`)
	mergeTree   = regexp.MustCompile(`^(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing|Graphite)?MergeTree$`)
)

// NewClusterRenderer prepares the rendering of migrations (all of them, in version order) for the
// cluster named cluster (remote_servers) and the database db. It decides which tables are sharded:
// those in ShardingKeys, the targets of materialized views that read a sharded table, and the
// tables renamed to or from a sharded name.
func NewClusterRenderer(cluster, db string, all []Migration) (*ClusterRenderer, error) {
	if !clusterName.MatchString(cluster) {
		return nil, fmt.Errorf("cluster name %q must match %s", cluster, clusterName)
	}
	if !clusterName.MatchString(db) {
		return nil, fmt.Errorf("database name %q must match %s", db, clusterName)
	}
	r := &ClusterRenderer{cluster: cluster, db: db, sharded: map[string]bool{}, columns: map[string]string{}, known: map[string]bool{}}
	for name := range ShardingKeys {
		r.sharded[name] = true
	}
	type edge struct{ from, to string }
	var feeds, renames []edge
	for _, m := range all {
		for _, s := range m.Statements() {
			st, err := parseStatement(s)
			if err != nil {
				return nil, fmt.Errorf("migration %s: %w", m.Name, err)
			}
			switch st.kind {
			case kindCreateTable, kindCreateView:
				r.known[st.name] = true
			case kindCreateMV:
				r.known[st.name] = true
				for _, src := range st.sources() {
					feeds = append(feeds, edge{src, st.target})
				}
			case kindRename:
				for _, p := range st.pairs {
					r.known[p[1]] = true
					renames = append(renames, edge{p[0], p[1]}, edge{p[1], p[0]})
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, e := range append(feeds, renames...) {
			if r.sharded[e.from] && !r.sharded[e.to] {
				r.sharded[e.to], changed = true, true
			}
		}
	}
	return r, nil
}

// Sharded reports whether the table is split across shards (NAME_local + Distributed NAME).
func (r *ClusterRenderer) Sharded(table string) bool { return r.sharded[table] }

// LedgerDDL returns the statement that creates the migrations ledger (schema_migrations), one
// replicated copy on every node.
func (r *ClusterRenderer) LedgerDDL() string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s.schema_migrations ON CLUSTER %s
(version UInt32, name String, applied_at DateTime('UTC'))
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/%s/schema_migrations', '{replica}', applied_at) ORDER BY version`,
		r.db, r.cluster, r.db)
}

// Render returns the cluster statements of each migration, in order. Call it with the same
// migrations as NewClusterRenderer: the rendering of a migration depends on the ones before it.
func (r *ClusterRenderer) Render(all []Migration) ([][]ClusterStatement, error) {
	out := make([][]ClusterStatement, 0, len(all))
	for _, m := range all {
		var stmts []ClusterStatement
		for i, s := range m.Statements() {
			rs, err := r.render(m.Version, s)
			if err != nil {
				return nil, fmt.Errorf("migration %s, statement %d (%s): cannot render it for a cluster: %w",
					m.Name, i+1, firstLine(s), err)
			}
			stmts = append(stmts, rs...)
		}
		out = append(out, stmts)
	}
	return out, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return line
}

func (r *ClusterRenderer) q(name string) string { return r.db + "." + name }

func (r *ClusterRenderer) distributed(name, ifNotExists string) string {
	key := ""
	if k, ok := ShardingKeys[name]; ok {
		key = ", " + k
	}
	return fmt.Sprintf("CREATE TABLE %s%s ON CLUSTER %s\n%s\nENGINE = Distributed(%s, %s, %s_local%s)",
		ifNotExists, r.q(name), r.cluster, r.columns[name], r.cluster, r.db, name, key)
}

// render rewrites one migration statement for the cluster. It is one switch on the statement's
// kind, a case per kind the migrations use, so its length is the number of kinds.
func (r *ClusterRenderer) render(version int, s string) ([]ClusterStatement, error) {
	st, err := parseStatement(s)
	if err != nil {
		return nil, err
	}
	one := func(sql string) []ClusterStatement { return []ClusterStatement{{SQL: sql}} }
	switch st.kind {
	case kindCreateTable:
		if !mergeTree.MatchString(st.engine) {
			return nil, fmt.Errorf("engine %s: only the MergeTree family can be replicated", st.engine)
		}
		args := ""
		if st.engineArgs != "" {
			args = ", " + st.engineArgs
		}
		if r.sharded[st.name] {
			r.columns[st.name] = st.columns
			local := fmt.Sprintf("CREATE TABLE %s%s_local ON CLUSTER %s\n%s\nENGINE = Replicated%s('/clickhouse/tables/{shard}/%s/%03d_%s_local', '{replica}'%s)%s",
				st.ifNotExists, r.q(st.name), r.cluster, st.columns, st.engine, r.db, version, st.name, args, st.rest)
			return []ClusterStatement{{SQL: local}, {SQL: r.distributed(st.name, st.ifNotExists)}}, nil
		}
		return one(fmt.Sprintf("CREATE TABLE %s%s ON CLUSTER %s\n%s\nENGINE = Replicated%s('/clickhouse/tables/all/%s/%03d_%s', '{replica}'%s)%s",
			st.ifNotExists, r.q(st.name), r.cluster, st.columns, st.engine, r.db, version, st.name, args, st.rest)), nil
	case kindCreateView:
		body, err := r.rewriteSelect(st.selectToks, false)
		if err != nil {
			return nil, err
		}
		return one(fmt.Sprintf("CREATE VIEW %s%s ON CLUSTER %s AS\n%s", st.ifNotExists, r.q(st.name), r.cluster, body)), nil
	case kindCreateMV:
		target := st.target
		if r.sharded[target] {
			target += "_local"
			for _, src := range st.sources() {
				if !r.sharded[src] {
					return nil, fmt.Errorf("materialized view %s writes the sharded table %s but reads %s, which is kept whole on every node", st.name, st.target, src)
				}
			}
		}
		body, err := r.rewriteSelect(st.selectToks, true)
		if err != nil {
			return nil, err
		}
		return one(fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s ON CLUSTER %s TO %s AS\n%s",
			st.ifNotExists, r.q(st.name), r.cluster, r.q(target), body)), nil
	case kindInsertSelect:
		if !r.known[st.name] {
			return nil, fmt.Errorf("INSERT INTO %s: not a table created by a migration", st.name)
		}
		if r.sharded[st.name] {
			for _, src := range st.sources() {
				if !r.sharded[src] {
					return nil, fmt.Errorf("INSERT INTO the sharded table %s reads %s, which is kept whole on every node (every shard would insert it)", st.name, src)
				}
			}
			body, err := r.rewriteSelect(st.selectToks, true)
			if err != nil {
				return nil, err
			}
			return []ClusterStatement{{SQL: fmt.Sprintf("INSERT INTO %s_local%s\n%s", r.q(st.name), st.insertCols, body), PerShard: true}}, nil
		}
		body, err := r.rewriteSelect(st.selectToks, false)
		if err != nil {
			return nil, err
		}
		return one(fmt.Sprintf("INSERT INTO %s%s\n%s", r.q(st.name), st.insertCols, body)), nil
	case kindDrop:
		if r.sharded[st.name] {
			delete(r.columns, st.name)
			return []ClusterStatement{
				{SQL: fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", r.q(st.name), r.cluster)},
				{SQL: fmt.Sprintf("DROP TABLE %s%s_local ON CLUSTER %s", st.ifExists, r.q(st.name), r.cluster)},
			}, nil
		}
		return one(fmt.Sprintf("DROP TABLE %s%s ON CLUSTER %s", st.ifExists, r.q(st.name), r.cluster)), nil
	case kindRename:
		var parts []string
		targets := map[string]bool{}
		for _, p := range st.pairs {
			targets[p[1]] = true
		}
		newCols := map[string]string{}
		for _, p := range st.pairs {
			if r.sharded[p[0]] != r.sharded[p[1]] {
				return nil, fmt.Errorf("RENAME %s TO %s: one is sharded and the other is not", p[0], p[1])
			}
			if r.sharded[p[0]] {
				parts = append(parts, fmt.Sprintf("%s_local TO %s_local", r.q(p[0]), r.q(p[1])))
				newCols[p[1]] = r.columns[p[0]]
			} else {
				parts = append(parts, fmt.Sprintf("%s TO %s", r.q(p[0]), r.q(p[1])))
			}
		}
		out := []ClusterStatement{{SQL: fmt.Sprintf("RENAME TABLE %s ON CLUSTER %s", strings.Join(parts, ", "), r.cluster)}}
		// The Distributed tables follow their local tables by name: drop the ones whose local
		// table went away, and create each renamed one again over its new local table.
		for _, p := range st.pairs {
			if r.sharded[p[0]] && !targets[p[0]] {
				delete(r.columns, p[0])
				out = append(out, ClusterStatement{SQL: fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", r.q(p[0]), r.cluster)})
			}
		}
		names := make([]string, 0, len(newCols))
		for n := range newCols {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			r.columns[n] = newCols[n]
		}
		for _, p := range st.pairs {
			if _, ok := newCols[p[1]]; ok {
				out = append(out,
					ClusterStatement{SQL: fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", r.q(p[1]), r.cluster)},
					ClusterStatement{SQL: r.distributed(p[1], "")})
			}
		}
		return out, nil
	case kindAddColumn:
		return r.addColumn(st)
	case kindModifyColumn:
		return r.modifyColumn(st)
	}
	return nil, fmt.Errorf("unsupported statement")
}

// addColumn renders ALTER TABLE … ADD COLUMN (see alterColumn): the Distributed table over a
// sharded table gets the column where the ALTER puts it in the local tables (see insertColumn).
func (r *ClusterRenderer) addColumn(st statement) ([]ClusterStatement, error) {
	return r.alterColumn(st, "ADD COLUMN "+st.ifNotExists+st.column, func(cols string) (string, error) {
		return insertColumn(cols, st.column)
	})
}

// insertColumn puts the column definition def into the column list cols where ADD COLUMN puts
// it: after the column its AFTER names, first for FIRST, last otherwise. A column list has no
// AFTER or FIRST, so the definition goes in without it.
func insertColumn(cols, def string) (string, error) {
	bare := strings.TrimSpace(placement.ReplaceAllString(def, ""))
	where := strings.Fields(strings.TrimSpace(placement.FindString(def)))
	open, parts, end, err := splitColumns(cols)
	if err != nil {
		return "", err
	}
	at := len(parts)
	switch {
	case len(where) == 1: // FIRST
		at = 0
	case len(where) == 2: // AFTER name
		at = -1
		for i, p := range parts {
			if f := strings.Fields(p); len(f) > 0 && unquote(f[0]) == unquote(where[1]) {
				at = i + 1
			}
		}
		if at < 0 {
			return "", fmt.Errorf("ADD COLUMN … AFTER %s: no column %s", where[1], where[1])
		}
	}
	if at == len(parts) {
		i := strings.LastIndex(cols, ")")
		return strings.TrimRight(cols[:i], " \t\n") + ",\n    " + bare + "\n" + cols[i:], nil
	}
	next := parts[at]
	lead := next[:len(next)-len(strings.TrimLeft(next, " \t\n"))]
	parts = append(parts[:at], append([]string{lead + bare}, parts[at:]...)...)
	return cols[:open+1] + strings.Join(parts, ",") + cols[end:], nil
}

// modifyColumn renders ALTER TABLE … MODIFY COLUMN (see alterColumn): the Distributed table over a
// sharded table gets the column's new type.
func (r *ClusterRenderer) modifyColumn(st statement) ([]ClusterStatement, error) {
	return r.alterColumn(st, "MODIFY COLUMN "+st.column+" "+st.columnType, func(cols string) (string, error) {
		return retypeColumn(cols, st.column, st.columnType)
	})
}

// alterColumn renders ALTER TABLE … ON CLUSTER with clause: on a sharded table, on its local
// tables, and the Distributed table over them is created again with the column list that change
// makes of the table's current one (ClickHouse 18.16 refuses ALTER … ON CLUSTER of a table that is
// not replicated on a cluster whose shards are).
func (r *ClusterRenderer) alterColumn(st statement, clause string, change func(cols string) (string, error)) ([]ClusterStatement, error) {
	if !r.known[st.name] {
		return nil, fmt.Errorf("ALTER TABLE %s: not a table created by a migration", st.name)
	}
	alter := func(table string) ClusterStatement {
		return ClusterStatement{SQL: fmt.Sprintf("ALTER TABLE %s ON CLUSTER %s %s", r.q(table), r.cluster, clause)}
	}
	if !r.sharded[st.name] {
		return []ClusterStatement{alter(st.name)}, nil
	}
	cols, err := change(r.columns[st.name])
	if err != nil {
		return nil, fmt.Errorf("ALTER TABLE %s: %w", st.name, err)
	}
	r.columns[st.name] = cols
	return []ClusterStatement{alter(st.name + "_local"),
		{SQL: fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s", r.q(st.name), r.cluster)},
		{SQL: r.distributed(st.name, "")}}, nil
}

// retypeColumn returns the column list "(…)" of a CREATE TABLE with column's type replaced by typ.
func retypeColumn(cols, column, typ string) (string, error) {
	open, parts, end, err := splitColumns(cols)
	if err != nil {
		return "", err
	}
	found := false
	for i, p := range parts {
		fields := strings.Fields(p)
		if len(fields) == 0 || unquote(fields[0]) != column {
			continue
		}
		lead := p[:len(p)-len(strings.TrimLeft(p, " \t\n"))]
		tail := p[len(strings.TrimRight(p, " \t\n")):]
		parts[i] = lead + fields[0] + " " + typ + tail
		found = true
	}
	if !found {
		return "", fmt.Errorf("no column %s", column)
	}
	return cols[:open+1] + strings.Join(parts, ",") + cols[end:], nil
}

// splitColumns splits the column list in cols (the text from its "(" to its ")") at the commas
// between columns; open and end are the indexes of the brackets in cols.
func splitColumns(cols string) (open int, parts []string, end int, err error) {
	open, end = strings.Index(cols, "("), strings.LastIndex(cols, ")")
	if open < 0 || end < open {
		return 0, nil, 0, fmt.Errorf("its column list is unknown")
	}
	inner := cols[open+1 : end]
	depth, start := 0, 0
	for i, c := range inner {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, inner[start:i])
				start = i + 1
			}
		}
	}
	return open, append(parts, inner[start:]), end, nil
}

// rewriteSelect qualifies every table named after FROM or JOIN with the database; local picks the
// local table of a sharded one (materialized views and per-shard inserts work on each node's rows).
func (r *ClusterRenderer) rewriteSelect(toks []token, local bool) (string, error) {
	var b strings.Builder
	sig := significant(toks)
	replace := map[int]string{}
	for j, i := range sig {
		kw := strings.ToUpper(toks[i].text)
		if toks[i].kind != tokIdent || (kw != "FROM" && kw != "JOIN") {
			continue
		}
		if kw == "JOIN" && j > 0 && strings.EqualFold(toks[sig[j-1]].text, "ARRAY") {
			continue
		}
		if j+1 >= len(sig) {
			return "", fmt.Errorf("%s at the end of the statement", kw)
		}
		n := toks[sig[j+1]]
		if n.kind != tokIdent {
			continue // a subquery
		}
		if j+2 < len(sig) && (toks[sig[j+2]].text == "." || toks[sig[j+2]].text == "(") {
			return "", fmt.Errorf("%s %s%s…: write table names without a database (the renderer adds it) and no table functions", kw, n.text, toks[sig[j+2]].text)
		}
		name := unquote(n.text)
		if !r.known[name] {
			return "", fmt.Errorf("%s %s: not a table created by a migration", kw, name)
		}
		if local && r.sharded[name] {
			name += "_local"
		}
		replace[sig[j+1]] = r.q(name)
	}
	for i, t := range toks {
		if s, ok := replace[i]; ok {
			b.WriteString(s)
		} else {
			b.WriteString(t.text)
		}
	}
	return strings.TrimSpace(b.String()), nil
}
