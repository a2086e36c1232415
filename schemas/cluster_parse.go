package schemas

import (
	"fmt"
	"strings"
)

// A small lexer and statement parser for the migrations' SQL, enough for ClusterRenderer to
// tell a statement's kind, its table and the tables it reads from.

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
	kindAddColumn
	kindModifyColumn
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
	column                string // ALTER TABLE … ADD COLUMN: the column's definition; MODIFY COLUMN: its name
	columnType            string // ALTER TABLE … MODIFY COLUMN: the new type
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

// optional accepts words when they come next and returns them as they are rendered again ("IF NOT
// EXISTS "); "" when they do not come.
func (ps *parser) optional(words ...string) string {
	if !ps.accept(words...) {
		return ""
	}
	return strings.Join(words, " ") + " "
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

// parseStatement tells s's kind, table and sources. It is one switch on the leading keywords, a
// case per statement kind the migrations use, so its length is the number of kinds.
func parseStatement(s string) (statement, error) {
	toks := lex(s)
	ps := &parser{toks: toks, sig: significant(toks)}
	var st statement
	var err error
	switch {
	case ps.accept("CREATE", "TABLE"):
		st.kind = kindCreateTable
		st.ifNotExists = ps.optional("IF", "NOT", "EXISTS")
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
		st.ifNotExists = ps.optional("IF", "NOT", "EXISTS")
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
		st.ifNotExists = ps.optional("IF", "NOT", "EXISTS")
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
		st.ifExists = ps.optional("IF", "EXISTS")
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
	case ps.accept("ALTER", "TABLE"):
		st.kind = kindAddColumn
		if st.name, err = ps.name(); err != nil {
			return st, err
		}
		if ps.accept("MODIFY", "COLUMN") {
			st.kind = kindModifyColumn
			if st.column, err = ps.name(); err != nil {
				return st, err
			}
			if st.columnType = strings.TrimSpace(join(ps.restToks())); st.columnType == "" {
				return st, fmt.Errorf("ALTER TABLE %s MODIFY COLUMN %s: expected a type", st.name, st.column)
			}
			return st, nil
		}
		if !ps.accept("ADD", "COLUMN") {
			return st, fmt.Errorf("ALTER TABLE %s: only ADD COLUMN and MODIFY COLUMN can be rendered", st.name)
		}
		st.ifNotExists = ps.optional("IF", "NOT", "EXISTS")
		rest := ps.restToks()
		depth := 0
		for _, t := range rest {
			switch t.text {
			case "(":
				depth++
			case ")":
				depth--
			case ",":
				if depth == 0 {
					return st, fmt.Errorf("ALTER TABLE %s: one ADD COLUMN per statement", st.name)
				}
			}
		}
		if st.column = strings.TrimSpace(join(rest)); st.column == "" {
			return st, fmt.Errorf("ALTER TABLE %s ADD COLUMN: expected a column definition", st.name)
		}
		return st, nil
	}
	return st, fmt.Errorf("only CREATE TABLE/VIEW/MATERIALIZED VIEW … TO, INSERT … SELECT, DROP TABLE, RENAME TABLE and ALTER TABLE … ADD/MODIFY COLUMN can be rendered; write this statement so, or extend schemas/cluster.go")
}
