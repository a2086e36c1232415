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
	}
	return nil, fmt.Errorf("unsupported statement")
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

// ---- a small lexer and statement parser ----

type tokKind int

const (
	tokSpace tokKind = iota
	tokComment
	tokIdent
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind tokKind
	text string
}

func lex(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		var k tokKind
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			k = tokSpace
			for j < len(s) && strings.IndexByte(" \t\n\r", s[j]) >= 0 {
				j++
			}
		case c == '-' && j < len(s) && s[j] == '-':
			k = tokComment
			for j < len(s) && s[j] != '\n' {
				j++
			}
		case c == '\'' || c == '`' || c == '"':
			k = tokString
			if c != '\'' {
				k = tokIdent
			}
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(s) {
				j++
			}
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			k = tokIdent
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
		case c >= '0' && c <= '9':
			k = tokNumber
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'x' || s[j] >= 'a' && s[j] <= 'f') {
				j++
			}
		default:
			k = tokPunct
		}
		if j > len(s) {
			j = len(s)
		}
		out = append(out, token{k, s[i:j]})
		i = j
	}
	return out
}

func significant(toks []token) []int {
	var sig []int
	for i, t := range toks {
		if t.kind != tokSpace && t.kind != tokComment {
			sig = append(sig, i)
		}
	}
	return sig
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '`' || s[0] == '"') {
		return s[1 : len(s)-1]
	}
	return s
}

type stmtKind int

const (
	kindCreateTable stmtKind = iota + 1
	kindCreateView
	kindCreateMV
	kindInsertSelect
	kindDrop
	kindRename
)

type statement struct {
	kind                  stmtKind
	name, target          string
	ifNotExists, ifExists string // "IF NOT EXISTS " / "IF EXISTS " or ""
	columns               string // "(…)" of CREATE TABLE
	engine, engineArgs    string
	rest                  string // after the engine: PARTITION BY, ORDER BY, …
	insertCols            string // " (a, b)" of INSERT INTO t (a, b) SELECT, or ""
	selectToks            []token
	pairs                 [][2]string
}

// sources returns the tables named after FROM or JOIN in the statement's SELECT.
func (st statement) sources() []string {
	var out []string
	sig := significant(st.selectToks)
	for j, i := range sig {
		kw := strings.ToUpper(st.selectToks[i].text)
		if (kw == "FROM" || kw == "JOIN") && j+1 < len(sig) && st.selectToks[sig[j+1]].kind == tokIdent &&
			!(kw == "JOIN" && j > 0 && strings.EqualFold(st.selectToks[sig[j-1]].text, "ARRAY")) {
			out = append(out, unquote(st.selectToks[sig[j+1]].text))
		}
	}
	return out
}

// parser walks the significant tokens of one statement.
type parser struct {
	toks []token
	sig  []int
	p    int
}

func (ps *parser) peek(k int) string {
	if ps.p+k < len(ps.sig) {
		return ps.toks[ps.sig[ps.p+k]].text
	}
	return ""
}

func (ps *parser) accept(words ...string) bool {
	for k, w := range words {
		if !strings.EqualFold(ps.peek(k), w) {
			return false
		}
	}
	ps.p += len(words)
	return true
}

func (ps *parser) name() (string, error) {
	if ps.p >= len(ps.sig) || ps.toks[ps.sig[ps.p]].kind != tokIdent {
		return "", fmt.Errorf("expected a table name, found %q", ps.peek(0))
	}
	n := unquote(ps.peek(0))
	if ps.peek(1) == "." {
		return "", fmt.Errorf("table %s.%s: write names without a database (the renderer adds it)", n, ps.peek(2))
	}
	ps.p++
	return n, nil
}

// balanced returns the text of the parenthesised group starting at the current token and moves past it.
func (ps *parser) balanced() (string, error) {
	if ps.peek(0) != "(" {
		return "", fmt.Errorf("expected '(', found %q", ps.peek(0))
	}
	start := ps.sig[ps.p]
	depth := 0
	for ; ps.p < len(ps.sig); ps.p++ {
		switch ps.peek(0) {
		case "(":
			depth++
		case ")":
			depth--
		}
		if depth == 0 {
			end := ps.sig[ps.p]
			ps.p++
			return join(ps.toks[start : end+1]), nil
		}
	}
	return "", fmt.Errorf("unbalanced parentheses")
}

// restToks returns the tokens from the current significant token to the end.
func (ps *parser) restToks() []token {
	if ps.p >= len(ps.sig) {
		return nil
	}
	return ps.toks[ps.sig[ps.p]:]
}

func join(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return b.String()
}

func parseStatement(s string) (statement, error) {
	toks := lex(s)
	ps := &parser{toks: toks, sig: significant(toks)}
	var st statement
	var err error
	switch {
	case ps.accept("CREATE", "TABLE"):
		st.kind = kindCreateTable
		if ps.accept("IF", "NOT", "EXISTS") {
			st.ifNotExists = "IF NOT EXISTS "
		}
		if st.name, err = ps.name(); err != nil {
			return st, err
		}
		if st.columns, err = ps.balanced(); err != nil {
			return st, fmt.Errorf("CREATE TABLE %s needs a column list: %w", st.name, err)
		}
		if !ps.accept("ENGINE", "=") {
			return st, fmt.Errorf("CREATE TABLE %s: expected ENGINE = after the columns, found %q", st.name, ps.peek(0))
		}
		st.engine = ps.peek(0)
		ps.p++
		if ps.peek(0) == "(" {
			args, err := ps.balanced()
			if err != nil {
				return st, err
			}
			st.engineArgs = strings.TrimSpace(args[1 : len(args)-1])
		}
		st.rest = join(ps.restToks())
		if st.rest != "" {
			st.rest = "\n" + strings.TrimSpace(st.rest)
		}
		return st, nil
	case ps.accept("CREATE", "MATERIALIZED", "VIEW"):
		st.kind = kindCreateMV
		if ps.accept("IF", "NOT", "EXISTS") {
			st.ifNotExists = "IF NOT EXISTS "
		}
		if st.name, err = ps.name(); err != nil {
			return st, err
		}
		if !ps.accept("TO") {
			return st, fmt.Errorf("materialized view %s: only views with TO target can be rendered", st.name)
		}
		if st.target, err = ps.name(); err != nil {
			return st, err
		}
		if !ps.accept("AS") {
			return st, fmt.Errorf("materialized view %s: expected AS SELECT", st.name)
		}
		st.selectToks = ps.restToks()
		return st, nil
	case ps.accept("CREATE", "VIEW"):
		st.kind = kindCreateView
		if ps.accept("IF", "NOT", "EXISTS") {
			st.ifNotExists = "IF NOT EXISTS "
		}
		if st.name, err = ps.name(); err != nil {
			return st, err
		}
		if !ps.accept("AS") {
			return st, fmt.Errorf("view %s: expected AS SELECT", st.name)
		}
		st.selectToks = ps.restToks()
		return st, nil
	case ps.accept("INSERT", "INTO"):
		st.kind = kindInsertSelect
		if st.name, err = ps.name(); err != nil {
			return st, err
		}
		if ps.peek(0) == "(" {
			cols, err := ps.balanced()
			if err != nil {
				return st, err
			}
			st.insertCols = " " + cols
		}
		if !strings.EqualFold(ps.peek(0), "SELECT") {
			return st, fmt.Errorf("INSERT INTO %s: only INSERT … SELECT can be rendered", st.name)
		}
		st.selectToks = ps.restToks()
		return st, nil
	case ps.accept("DROP", "TABLE"):
		st.kind = kindDrop
		if ps.accept("IF", "EXISTS") {
			st.ifExists = "IF EXISTS "
		}
		if st.name, err = ps.name(); err != nil {
			return st, err
		}
		if ps.p < len(ps.sig) {
			return st, fmt.Errorf("DROP TABLE %s: unexpected %q", st.name, ps.peek(0))
		}
		return st, nil
	case ps.accept("RENAME", "TABLE"):
		st.kind = kindRename
		for {
			from, err := ps.name()
			if err != nil {
				return st, err
			}
			if !ps.accept("TO") {
				return st, fmt.Errorf("RENAME TABLE %s: expected TO", from)
			}
			to, err := ps.name()
			if err != nil {
				return st, err
			}
			st.pairs = append(st.pairs, [2]string{from, to})
			if !ps.accept(",") {
				break
			}
		}
		if ps.p < len(ps.sig) {
			return st, fmt.Errorf("RENAME TABLE: unexpected %q", ps.peek(0))
		}
		return st, nil
	}
	return st, fmt.Errorf("only CREATE TABLE/VIEW/MATERIALIZED VIEW … TO, INSERT … SELECT, DROP TABLE and RENAME TABLE can be rendered; write this statement so, or extend schemas/cluster.go")
}
