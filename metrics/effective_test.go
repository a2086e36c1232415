package metrics

import (
	"strings"
	"testing"
)

func TestBandsAt(t *testing.T) {
	v := func(version, from, to string) *BandSet {
		return &BandSet{Version: version, EffectiveFrom: from, EffectiveTo: to}
	}
	a := v("A", "2022-04-18", "")
	b := v("B", "2027-01-01", "")
	c := v("C", "2022-04-18", "2024-01-01")
	d := v("D", "2024-01-01", "")
	cases := []struct {
		versions []*BandSet
		day      string
		want     string // version, or "error: <part of the message>"
	}{
		{[]*BandSet{a, b}, "2026-12-31", "A"},
		{[]*BandSet{a, b}, "2027-01-01", "B"}, // effective_from is the first day in force
		{[]*BandSet{b, a}, "2027-03-31", "B"},
		{[]*BandSet{a, b}, "2022-04-17", "error: no band version is in force on 2022-04-17"},
		{[]*BandSet{c, d}, "2023-12-31", "C"},
		{[]*BandSet{c, d}, "2024-01-01", "D"}, // effective_to is the first day no longer in force
		{[]*BandSet{c}, "2024-01-01", "error: no band version is in force"},
		{[]*BandSet{a, v("A2", "2022-04-18", "")}, "2025-01-01", "error: both in force from 2022-04-18"},
	}
	for i, c := range cases {
		got, err := BandsAt(c.versions, c.day)
		switch {
		case strings.HasPrefix(c.want, "error: "):
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("case %d: err %v, want %q", i, err, c.want)
			}
		case err != nil:
			t.Errorf("case %d: %v", i, err)
		case got.Version != c.want:
			t.Errorf("case %d: %s on %s, want %s", i, got.Version, c.day, c.want)
		}
	}
}

func TestEmbeddedBandVersions(t *testing.T) {
	for _, std := range Standards {
		v, err := BandVersions(std)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 1 || v[0].Version != map[Standard]string{People: "P-2022-04-18.1", Business: "B-2022-04-18.1"}[std] {
			t.Errorf("%s: embedded versions %d, first %s", std, len(v), v[0].Version)
		}
	}
	if _, err := ParseBands([]byte(strings.Replace(string(BandsYAML(People)), `effective_from: "2022-04-18"`, "effective_from: \"2022-04-18\"\neffective_to: \"2022-01-01\"", 1))); err == nil ||
		!strings.Contains(err.Error(), "effective_to 2022-01-01 must be after effective_from 2022-04-18") {
		t.Errorf("effective_to before effective_from: %v", err)
	}
}

// A declared part of a capability ladder is rounded by R-ROUND before banding, like a computed value.
func TestEvaluateRoundsDeclaredMetrics(t *testing.T) {
	b, err := DefaultBands(People)
	if err != nil {
		t.Fatal(err)
	}
	ind, _ := DefaultCatalog().Lookup(People, "written_text_accessibility")
	for v, want := range map[string]int{"49.96": 1, "49.95": 1, "49.94": 0} {
		r := b.Evaluate(ind, Input{Declared: true, Metrics: map[string]Decimal{"knowledge_base_coverage": MustParseDecimal(v), "readability_coverage": MustParseDecimal("0")}})
		if r.Level == nil || *r.Level != want {
			t.Errorf("knowledge_base_coverage %s: level %v, want %d", v, r.Level, want)
		}
	}
}
