package metrics

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestReasonText(t *testing.T) {
	for _, c := range []struct{ stored, ru string }{
		{"sample 12 below min_n 30", "выборка 12 меньше min_n 30"},
		{"1 service below min_n 30 excluded", "не учтены услуги с выборкой меньше min_n 30: 1"},
		{"3 services below min_n 30 excluded; source: registry", "не учтены услуги с выборкой меньше min_n 30: 3; источник: registry"},
		{"denominator is 0: nothing to compute from", "знаменатель равен 0: не из чего вычислять"},
		{"the quarter settles at 2026-10-03T21:00:00Z (quarter end + settle_hours, A15)", "квартал устоится в 2026-10-03T21:00:00Z (конец квартала + settle_hours, A15)"},
		{"no messages", "нет сообщений"},
		{"", ""},
	} {
		if got := ReasonText(c.stored, RU); got != c.ru {
			t.Errorf("ReasonText(%q, ru) = %q, want %q", c.stored, got, c.ru)
		}
		if got := ReasonText(c.stored, EN); got != c.stored {
			t.Errorf("ReasonText(%q, en) = %q, want it unchanged", c.stored, got)
		}
	}
	if got := reasonServicesExcluded(1, 30); got != "1 service below min_n 30 excluded" {
		t.Errorf("one service: %q", got)
	}
	if got := reasonServicesExcluded(2, 30); got != "2 services below min_n 30 excluded" {
		t.Errorf("two services: %q", got)
	}
}

// TestTableRussian: the Russian table of `cxstar assess` has no English words around the values,
// whatever the reasons; the English table keeps the stored reasons.
func TestTableRussian(t *testing.T) {
	one := 1
	rep := Scorecard{Quarter: "2026Q3", Standard: People, BandsVersion: "P-1", Agencies: []AgencyScorecard{{
		AgencyID: "a1", OverallLevel: &one,
		Indicators: []Result{
			{ID: "P-T1-4", Code: "nps_positive_service_share", Table: 1, Status: Assessed, Level: &one, Reason: "1 service below min_n 30 excluded"},
			{ID: "P-T1-1", Code: "scenario_coverage", Table: 1, Status: NoData, Reason: "denominator is 0: nothing to compute from"},
			{ID: "P-T1-5", Code: "satisfaction_positive_share", Table: 1, Status: NotAssessed, N: 12, Reason: "sample 12 below min_n 30"},
		},
	}}}
	var ru, en bytes.Buffer
	if err := rep.WriteTable(&ru, RU); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteTable(&en, EN); err != nil {
		t.Fatal(err)
	}
	// Latin words of three letters or more, other than the names min_n and NPS, are English
	// fragments.
	words := regexp.MustCompile(`[A-Za-z]{3,}`).FindAllString(ru.String(), -1)
	for _, w := range words {
		if w != "min" && w != "NPS" {
			t.Errorf("Russian table has the English word %q:\n%s", w, ru.String())
		}
	}
	for _, want := range []string{"не учтены услуги с выборкой меньше min_n 30: 1", "знаменатель равен 0", "выборка 12 меньше min_n 30", "шкалы: P-1"} {
		if !strings.Contains(ru.String(), want) {
			t.Errorf("Russian table lacks %q:\n%s", want, ru.String())
		}
	}
	for _, want := range []string{"1 service below min_n 30 excluded", "denominator is 0", "bands: P-1"} {
		if !strings.Contains(en.String(), want) {
			t.Errorf("English table lacks %q:\n%s", want, en.String())
		}
	}
}
