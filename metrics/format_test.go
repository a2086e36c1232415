package metrics

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"
)

// TestChangeAndTargetOutput checks the fields that the change against the previous quarter and the
// target add to `cxstar assess` in JSON, CSV and the table, on satisfaction 600/1 000 → 540/1 000
// (z = −2.7099, TestCompareQuarter) with a target of 57.2 (interval 50.9–57.1, TestCheckTarget).
func TestChangeAndTargetOutput(t *testing.T) {
	b, err := DefaultBands(People)
	if err != nil {
		t.Fatal(err)
	}
	sat, _ := DefaultCatalog().Lookup(People, "satisfaction_positive_share")
	prev, cur := b.Evaluate(sat, Input{Num: 600, Den: 1000}), b.Evaluate(sat, Input{Num: 540, Den: 1000})
	ch := CompareResults([]*Indicator{sat}, map[string]Result{sat.Code: prev}, map[string]Result{sat.Code: cur}, 0)[0]
	tc := CheckTarget(sat, cur, MustParseDecimal("57.2"), "L1")
	cur.Change, cur.Target = &ch, &tc
	sc := Scorecard{Quarter: "2026Q3", Standard: People, BandsVersion: "P", Agencies: []AgencyScorecard{{AgencyID: "a1", Indicators: []Result{cur}}}}

	var js bytes.Buffer
	if err := sc.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"ci_high":57.1,"status":"assessed","change":{"code":"satisfaction_positive_share","prev":60.0,"cur":54.0,"delta":-6.0,"prev_n":1000,"cur_n":1000,"test":"two_proportion","p":0.0067`,
		`"verdict":"significant_decline","z":-2.7099`,
		`"target":{"target":57.2,"deviation":-3.2,"flag":"worse_than_target"}}`,
	} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, js.String())
		}
	}

	var cs bytes.Buffer
	if err := sc.WriteCSV(&cs, EN, true); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for i, h := range rows[0] {
		got[h] = rows[1][i]
	}
	// p = 2·(1 − Φ(2.7100)) = 2·(1 − 0.996636) = 0.006729; one test, so adjusted = p.
	want := map[string]string{"value": "54.0", "prev_value": "60.0", "change": "-6.0", "change_p_adjusted": "0.006729",
		"change_verdict": "significant decline", "target": "57.2", "target_deviation": "-3.2", "target_flag": "worse than target"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("CSV %s = %q, want %q", k, got[k], w)
		}
	}

	var tb bytes.Buffer
	if err := sc.WriteTable(&tb, RU); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"К прошлому кварталу", "-6.0: значимое ухудшение", "57.2 (хуже цели)"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}

	// Both quarters unanimous and different: z is infinite and written as null.
	inf := Change{Code: "x", Z: math.Inf(1), Test: ChangeNPSDifference, Verdict: SignificantImprovement}
	if b, err := inf.MarshalJSON(); err != nil || !strings.Contains(string(b), `"z":null`) {
		t.Errorf("infinite z: %s, %v", b, err)
	}
}
