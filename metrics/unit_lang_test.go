package metrics

import "testing"

func TestParseLang(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Lang
		ok   bool
	}{{"", RU, true}, {"ru", RU, true}, {"RU", RU, true}, {" en ", EN, true}, {"En", EN, true}, {"de", "", false}, {"russian", "", false}} {
		got, err := ParseLang(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseLang(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
