package store_test

import (
	"context"
	"testing"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// TestQuote checks the literal text and that ClickHouse reads each literal back as the original.
func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a1", `'a1'`},
		{"", `''`},
		{"O'Brien", `'O\'Brien'`},
		{`C:\tmp`, `'C:\\tmp'`},
		{`\'`, `'\\\''`},
		{"Минтруд", `'Минтруд'`},
	}
	conn, _ := chtest.DB(t)
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := store.Quote(tt.in); got != tt.want {
				t.Fatalf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
			var back string
			if err := conn.QueryRow(context.Background(), "SELECT "+store.Quote(tt.in)).Scan(&back); err != nil {
				t.Fatal(err)
			}
			if back != tt.in {
				t.Fatalf("ClickHouse reads %s as %q, want %q", store.Quote(tt.in), back, tt.in)
			}
		})
	}
}

func TestRender(t *testing.T) {
	vars := map[string]string{"QE": "toDateTime(1790000000)", "AGENCY": "AND agency_id = 'a1'", "LOOP": "{{QE}}"}
	tests := []struct{ name, tmpl, want string }{
		{"two placeholders", "WHERE t < {{QE}} {{AGENCY}}", "WHERE t < toDateTime(1790000000) AND agency_id = 'a1'"},
		{"twice", "{{QE}}, {{QE}}", "toDateTime(1790000000), toDateTime(1790000000)"},
		{"unknown stays", "{{NOPE}}", "{{NOPE}}"},
		{"a value is not rendered again", "{{LOOP}}", "{{QE}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.Render(tt.tmpl, vars); got != tt.want {
				t.Fatalf("Render(%q) = %q, want %q", tt.tmpl, got, tt.want)
			}
		})
	}
}
