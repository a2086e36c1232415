// Package docs_test keeps the project's own documentation (docs/*.md) in step with the code it
// describes: the indicator catalog and band files, the JSON Schemas and the rejection codes.
package docs_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/readability"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// rowOf returns the cells of the table row of docs/indicators.md that starts with id and code.
func rowOf(doc, id, code string) []string {
	prefix := "| " + id + " | `" + code + "` |"
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, prefix) {
			cells := strings.Split(strings.Trim(line, "|"), " | ")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			return cells
		}
	}
	return nil
}

// TestIndicatorTablesMatchBands checks that every indicator of the catalog has its row in
// docs/indicators.md and that each star column states the band file's thresholds on the value:
// min X as "≥ X", above X as "> X", max X as "≤ X", below X as "< X", and a level without any
// condition as "any …".
func TestIndicatorTablesMatchBands(t *testing.T) {
	doc := read(t, "indicators.md")
	cat := metrics.DefaultCatalog()
	for _, std := range metrics.Standards {
		bands, err := metrics.DefaultBands(std)
		if err != nil {
			t.Fatal(err)
		}
		for _, ind := range cat.ByStandard(std) {
			cells := rowOf(doc, ind.ID, ind.Code)
			if len(cells) != 8 {
				t.Errorf("%s %s: no 8-column row in docs/indicators.md (got %q)", ind.ID, ind.Code, cells)
				continue
			}
			ladder, _ := bands.Ladder(ind.Code)
			for i, lv := range ladder.Levels {
				cell := cells[3+i]
				conds := append([]metrics.Cond{lv.Cond}, lv.All...)
				if lv.Cond == (metrics.Cond{}) && len(lv.All) == 0 && !strings.Contains(cell, "any") {
					t.Errorf("%s level %d has no condition, the doc says %q", ind.ID, lv.Level, cell)
				}
				for _, c := range conds {
					if c.Metric != "" {
						continue
					}
					for _, w := range []struct {
						op string
						v  *metrics.Decimal
					}{{"≥ ", c.Min}, {"> ", c.Above}, {"≤ ", c.Max}, {"< ", c.Below}} {
						if w.v != nil && !strings.Contains(cell, w.op+w.v.String()) {
							t.Errorf("%s level %d: band file says %s%s, the doc says %q", ind.ID, lv.Level, w.op, w.v, cell)
						}
					}
				}
			}
		}
	}
}

// TestInterpretationLabelsDefined checks that every label the catalog cites is explained in the
// label table of docs/indicators.md.
func TestInterpretationLabelsDefined(t *testing.T) {
	doc := read(t, "indicators.md")
	seen := map[string]bool{}
	for _, ind := range metrics.DefaultCatalog().Indicators {
		for _, a := range ind.Interpretations {
			if !seen[a] && !strings.Contains(doc, "\n| "+a+" | ") {
				t.Errorf("label %s (cited by %s) is not in the label table of docs/indicators.md", a, ind.ID)
			}
			seen[a] = true
		}
	}
	if len(seen) < 20 {
		t.Fatalf("only %d labels cited by the catalog: is catalog.yaml read?", len(seen))
	}
}

// TestEventsDocMatchesSchemas checks docs/events.md against the JSON Schemas: every field of every
// kind and every allowed value of every enum is named, and every rejection code has its row.
func TestEventsDocMatchesSchemas(t *testing.T) {
	doc := read(t, "events.md")
	files, err := filepath.Glob("../schemas/json/*.json")
	if err != nil || len(files) != 3 {
		t.Fatalf("want the 3 JSON Schemas in schemas/json, got %v (%v)", files, err)
	}
	for _, f := range files {
		var s struct {
			Properties map[string]struct {
				Enum  []string `json:"enum"`
				Const string   `json:"const"`
			} `json:"properties"`
		}
		if err := json.Unmarshal([]byte(read(t, f)), &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		kind := strings.TrimSuffix(filepath.Base(f), ".json")
		if !strings.Contains(doc, "## `"+kind+"`") {
			t.Errorf("docs/events.md has no section for %s", kind)
		}
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			p := s.Properties[name]
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("%s: field %s is not in docs/events.md", kind, name)
			}
			for _, v := range p.Enum {
				if !regexp.MustCompile("`" + regexp.QuoteMeta(v) + "`").MatchString(doc) {
					t.Errorf("%s: %s value %s is not in docs/events.md", kind, name, v)
				}
			}
		}
	}
	// Every rejection code the validator and the consumer define (Code… = "…" in ingest's
	// sources, so a code added later is held to the docs too) has its row.
	codeRE := regexp.MustCompile(`\bCode[A-Za-z]+\s*=\s*"([a-z_]+)"`)
	srcs, _ := filepath.Glob("../ingest/*.go")
	codes := map[string]bool{}
	for _, f := range srcs {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range codeRE.FindAllStringSubmatch(read(t, f), -1) {
			codes[m[1]] = true
		}
	}
	for _, c := range []string{ingest.CodeInvalidJSON, ingest.CodeTooLarge, ingest.CodeWrongTopic} {
		if !codes[c] {
			t.Fatalf("rejection code %s not found in ingest's sources: is the pattern Code… = \"…\" still used?", c)
		}
	}
	for code := range codes {
		if !strings.Contains(doc, "\n| `"+code+"` |") {
			t.Errorf("rejection code %s has no row in docs/events.md", code)
		}
	}
	for _, topic := range []string{ingest.TopicServiceEvents, ingest.TopicRatings, ingest.TopicAppeals, ingest.TopicDeadLetter,
		ingest.HeaderError, ingest.HeaderReason, ingest.HeaderSource} {
		if !strings.Contains(doc, "`"+topic+"`") {
			t.Errorf("%s is not in docs/events.md", topic)
		}
	}
	for _, q := range metrics.KnownQuestions {
		if !strings.Contains(doc, "`"+q+"`") {
			t.Errorf("question %s is not in docs/events.md", q)
		}
	}
}

// TestNoDeveloperReferences: the project stands alone. No file of the repository points to
// developer material outside it (the developers' shared folder one level up, their EVENTS.md or
// INDICATORS.md, their seed texts) — the project's own docs are docs/events.md and
// docs/indicators.md — and no comment or message names an issue number or "this machine". The benchmark report and its generator
// record the load the figures were measured under; that is data, not a comment.
func TestNoDeveloperReferences(t *testing.T) {
	forbidden := []*regexp.Regexp{
		regexp.MustCompile(`\.\./shared|/work/shared|\bseeds/0`),
		regexp.MustCompile(`\b(EVENTS|INDICATORS|STACK|STYLE)\.md\b`),
		regexp.MustCompile(`(?i)\bissues? #?[0-9]+\b|\bthis( [a-z0-9-]+)? machine\b`),
	}
	self, _ := filepath.Abs("docs_test.go")
	n := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "node_modules" || name == "fuzz" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".sql", ".yaml", ".yml", ".json", ".sh", ".tmpl", ".html", ".txt", "":
		default:
			return nil
		}
		if abs, _ := filepath.Abs(path); abs == self {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for i, line := range strings.Split(string(data), "\n") {
			for _, re := range forbidden {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s:%d: %q — point to docs/events.md or docs/indicators.md, or say what the code does", path, i+1, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d files read: is the test run from docs/?", n)
	}
}

// TestReadabilityDocMatchesLimits: docs/readability.md names the embedded limits version and
// states every segment's limits as the file sets them.
func TestReadabilityDocMatchesLimits(t *testing.T) {
	doc := read(t, "readability.md")
	l := readability.DefaultLimits()
	if !strings.Contains(doc, "`"+l.Version+"`") {
		t.Errorf("docs/readability.md does not name the limits version %s", l.Version)
	}
	for name, seg := range l.Segments {
		var row string
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "| `"+name+"`") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("segment %s has no row in docs/readability.md", name)
			continue
		}
		for idx, b := range seg.Limits {
			if b.Min != nil && !strings.Contains(row, fmt.Sprintf("≥ %v", *b.Min)) || b.Max != nil && !strings.Contains(row, fmt.Sprintf("≤ %v", *b.Max)) {
				t.Errorf("segment %s, %s: the row %q does not state %+v", name, idx, row, b)
			}
		}
	}
}
