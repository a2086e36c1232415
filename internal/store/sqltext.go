package store

import "strings"

// Render replaces the {{NAME}} placeholders of a query template with vars[NAME], in one pass (a
// value is not searched for placeholders again).
func Render(tmpl string, vars map[string]string) string {
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

// Quote returns s as a ClickHouse string literal ('…' with backslashes and single quotes escaped),
// for a value written into the text of a query.
func Quote(s string) string { return "'" + quoteEscaper.Replace(s) + "'" }

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
