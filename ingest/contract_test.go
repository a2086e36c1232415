package ingest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/cxstar/cxstar/ingest/agencyid"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// property is the part of a JSON Schema property the contract fixes.
type property struct {
	Type      string   `json:"type"`
	Const     string   `json:"const"`
	Enum      []string `json:"enum"`
	Default   any      `json:"default"`
	MinLength *int     `json:"minLength"`
	MaxLength *int     `json:"maxLength"`
	Minimum   *int     `json:"minimum"`
	Maximum   *int     `json:"maximum"`
	Pattern   string   `json:"pattern"`
	Format    string   `json:"format"`
}

type jsonSchema struct {
	Properties map[string]property `json:"properties"`
	Required   []string            `json:"required"`
	AllOf      []struct {
		If struct {
			Properties map[string]property `json:"properties"`
		} `json:"if"`
		Then struct {
			Required []string `json:"required"`
		} `json:"then"`
	} `json:"allOf"`
}

// TestContractMatchesSchemas holds each kind's table to its published JSON Schema: the same
// properties, the same required ones, and for each field the type, limits and values its rule
// implies.
func TestContractMatchesSchemas(t *testing.T) {
	for _, spec := range kinds {
		t.Run(spec.schema, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(chtest.RepoRoot(), "schemas", "json", spec.schema+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var js jsonSchema
			if err := json.Unmarshal(raw, &js); err != nil {
				t.Fatal(err)
			}
			names := []string{"schema"}
			required := []string{"schema"}
			for _, f := range spec.fields {
				names = append(names, f.name)
				if !f.optional && f.absent == "" && f.rule != ruleFlag {
					required = append(required, f.name)
				}
			}
			var props []string
			for name := range js.Properties {
				props = append(props, name)
			}
			slices.Sort(names)
			slices.Sort(props)
			if !slices.Equal(names, props) {
				t.Fatalf("JSON Schema properties %v, contract fields %v", props, names)
			}
			slices.Sort(required)
			got := slices.Sorted(slices.Values(js.Required))
			if !slices.Equal(required, got) {
				t.Errorf("JSON Schema requires %v, the contract %v", got, required)
			}
			if c := js.Properties["schema"].Const; c != spec.schema {
				t.Errorf("schema const %q", c)
			}
			for _, f := range spec.fields {
				checkProperty(t, &spec, &f, js.Properties[f.name])
				if f.depValue != "" {
					found := false
					for _, c := range js.AllOf {
						found = found || c.If.Properties[f.dep].Const == f.depValue && slices.Equal(c.Then.Required, []string{f.name})
					}
					if !found {
						t.Errorf("%s: no allOf rule requiring it when %s is %s", f.name, f.dep, f.depValue)
					}
				}
			}
		})
	}
}

func checkProperty(t *testing.T, spec *kindSpec, f *field, p property) {
	t.Helper()
	wantLen := func(min, max int) {
		t.Helper()
		if p.Type != "string" || p.MaxLength == nil || *p.MaxLength != max || (min > 0) != (p.MinLength != nil && *p.MinLength == min) {
			t.Errorf("%s: want a string of %d–%d characters, JSON Schema has %+v", f.name, min, max, p)
		}
	}
	switch f.rule {
	case ruleID, rulePseudonym:
		min := 1
		if f.optional {
			min = 0
		}
		wantLen(min, 128)
	case ruleAgency:
		if p.Type != "string" || p.Pattern != "^"+agencyid.Pattern+"$" {
			t.Errorf("%s: JSON Schema pattern %q, contract %q", f.name, p.Pattern, agencyid.Pattern)
		}
	case ruleTime:
		if p.Type != "string" || p.Format != "date-time" {
			t.Errorf("%s: not a date-time in the JSON Schema: %+v", f.name, p)
		}
	case ruleEnum:
		if !slices.Equal(p.Enum, f.values) {
			t.Errorf("%s: JSON Schema enum %v, contract %v", f.name, p.Enum, f.values)
		}
		if f.absent != "" && p.Default != f.absent {
			t.Errorf("%s: JSON Schema default %v, contract %q", f.name, p.Default, f.absent)
		}
	case ruleFlag:
		if p.Type != "boolean" || p.Default != false {
			t.Errorf("%s: want a boolean defaulting to false, JSON Schema has %+v", f.name, p)
		}
	case ruleScore:
		lo, hi := 1<<30, -1
		for _, v := range fieldEnums[f.depNo] {
			l, h := f.scale(v)
			lo, hi = min(lo, l), max(hi, h)
		}
		if p.Type != "integer" || p.Minimum == nil || *p.Minimum != lo || p.Maximum == nil || *p.Maximum != hi {
			t.Errorf("%s: want an integer in %d–%d, JSON Schema has %+v", f.name, lo, hi, p)
		}
	case ruleReply:
		wantLen(0, f.max)
	default:
		t.Errorf("%s: rule %d not covered by this test", f.name, f.rule)
	}
}

// TestContractMatchesTables holds each kind's table to the ClickHouse table the migrations
// create: the same columns with the same types, and an insert of every kind lands.
func TestContractMatchesTables(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	for _, spec := range kinds {
		rows, err := conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ? ORDER BY name", spec.table)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			got[name] = typ
		}
		rows.Close()
		want := map[string]string{"ingested_at": "DateTime('UTC')", "source": "String"}
		for _, c := range spec.cols {
			want[c.name] = c.typ
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("table %s has columns\n %v\nthe contract\n %v", spec.table, got, want)
		}
	}
	var b Batch
	v := testValidator()
	for _, line := range []string{goodService, goodRating, goodAppeal} {
		var ev Event
		if err := v.Decode([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		b.Add(&ev, "contract")
	}
	if err := NewWriter(conn, WithMaxAttempts(3)).Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+k.Table()+" WHERE source = 'contract'").Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d rows (%v), want 1", k.Table(), n, err)
		}
	}
}
