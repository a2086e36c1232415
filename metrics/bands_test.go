package metrics

import (
	"fmt"
	"testing"
)

func dec(s string) *Decimal { d := MustParseDecimal(s); return &d }

func mustBands(t *testing.T, std Standard) *BandSet {
	t.Helper()
	b, err := DefaultBands(std)
	if err != nil {
		t.Fatalf("embedded %s bands: %v", std, err)
	}
	return b
}

// levelOf classifies a plain value (raw: R-ROUND is applied by Level).
func levelOf(t *testing.T, b *BandSet, code, value string) int {
	t.Helper()
	l, err := b.Level(code, Facts{Value: dec(value)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestBoundaries checks every boundary of every numeric band of both standards: the lower edge of
// each level, the value 0.1 below it (after R-ROUND), raw values that round across the edge, and
// the gaps, overlaps and typos docs/indicators.md lists (A1, A4–A6, A9b, A13, D1, D12, D13).
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestBoundaries(t *testing.T) {
	share50 := []struct {
		v    string
		want int
	}{
		{"0", 0}, {"50.0", 0}, {"50.04", 0}, {"50.05", 1}, {"50.1", 1}, {"60.0", 1}, {"60.05", 2}, {"60.1", 2},
		{"70.0", 2}, {"70.1", 3}, {"80.0", 3}, {"80.1", 4}, {"90.0", 4}, {"90.04", 4}, {"90.1", 5}, {"100", 5},
	}
	share35 := []struct {
		v    string
		want int
	}{
		{"0.0", 1}, {"35.0", 1}, {"35.04", 1}, {"35.05", 2}, {"35.1", 2}, {"50.0", 2}, {"50.1", 3}, {"70.0", 3},
		{"70.1", 4}, {"90.0", 4}, {"90.1", 5}, {"100", 5},
	}
	req80 := []struct {
		v    string
		want int
	}{
		{"0", 0}, {"9.9", 0}, {"9.95", 1}, {"10.0", 1}, {"29.9", 1}, {"30", 2}, {"49.9", 2}, {"50", 3}, {"79.9", 3},
		{"80", 4}, {"99.9", 4}, {"99.95", 5}, {"100", 5},
	}
	req70 := []struct {
		v    string
		want int
	}{
		{"9.9", 0}, {"10", 1}, {"30", 2}, {"50", 3}, {"69.9", 3}, {"70", 4}, {"89.9", 4}, {"90", 5}, {"100", 5},
	}
	costRed := []struct {
		v    string
		want int
	}{
		{"-12.5", 0}, {"0", 0}, {"4.9", 0}, {"4.95", 1}, {"5", 1}, {"9.9", 1}, {"10", 2}, {"19.9", 2}, {"20", 3},
		{"29.9", 3}, {"30", 4}, {"49.9", 4}, {"50", 5}, {"80", 5},
	}
	people, business := mustBands(t, People), mustBands(t, Business)
	type tc struct {
		b     *BandSet
		code  string
		cases []struct {
			v    string
			want int
		}
	}
	var all []tc
	for _, code := range []string{"ease_positive_share", "nps_positive_service_share", "satisfaction_positive_share"} {
		all = append(all, tc{people, code, share50}, tc{business, code, share50})
	}
	for _, code := range []string{"sat_compliance_cost_reduction", "sat_assessment_cost_reduction", "sat_projected_requirements_evaluation",
		"sat_informing_training", "sat_feedback_channels", "sat_client_path_time", "sat_risk_profile_service", "sat_control_activities_service"} {
		all = append(all, tc{business, code, share50})
	}
	all = append(all,
		tc{people, "scenario_coverage", share35}, tc{business, "scenario_coverage", share35},
		tc{business, "proactive_scenario_share", share35}, tc{business, "api_scenario_share", share35},
		tc{business, "compliance_cost_reduction_vs_base", costRed},
		tc{business, "info_reqs_confirmable_from_state_data_share", req80},
		tc{business, "reqs_with_significant_compliance_cost_estimates_share", req80},
		tc{business, "info_reqs_confirmable_via_api_share", req80},
		tc{business, "reqs_with_significant_assessment_cost_estimates_share", req80},
		tc{business, "clients_with_complete_compliance_data_share", req70},
		// D1 / B-T1-4: «Менее X%» strict: 0.4→5, 0.5→4, 9.9→1, 10.0→0.
		tc{business, "repeat_request_rate", []struct {
			v    string
			want int
		}{
			{"0", 5}, {"0.4", 5}, {"0.44", 5}, {"0.45", 4}, {"0.5", 4}, {"0.9", 4}, {"0.95", 3}, {"1.0", 3}, {"3.9", 3},
			{"4.0", 2}, {"6.9", 2}, {"7.0", 1}, {"9.9", 1}, {"9.95", 0}, {"10.0", 0}, {"55", 0}}},
		// P-T1-3: inclusive upper bounds, 0.5 overlap → 5★ (A4), gaps removed by rounding (A5).
		tc{people, "repeat_request_rate", []struct {
			v    string
			want int
		}{
			{"0", 5}, {"0.5", 5}, {"0.54", 5}, {"0.55", 4}, {"0.6", 4}, {"1.0", 4}, {"1.04", 4}, {"1.05", 3}, {"1.1", 3},
			{"4.0", 3}, {"4.04", 3}, {"4.1", 2}, {"7.0", 2}, {"7.1", 1}, {"10.0", 1}, {"10.04", 1}, {"10.05", 0}, {"10.1", 0}}},
		// A6: P-T2-5 «NPS менее 5%» has no floor; 5.0 → 1★, 50.0 → 4★, «свыше 50%» → 50.1.
		tc{people, "digital_touchpoint_nps", []struct {
			v    string
			want int
		}{
			{"-100", 1}, {"-40", 1}, {"-4.95", 1}, {"5.0", 1}, {"5.04", 1}, {"5.05", 2}, {"5.1", 2}, {"15.0", 2}, {"15.1", 3},
			{"30.0", 3}, {"30.1", 4}, {"50.0", 4}, {"50.04", 4}, {"50.05", 5}, {"50.1", 5}, {"100", 5}}},
		tc{people, "prototype_testing_share", []struct {
			v    string
			want int
		}{
			{"0", 0}, {"9.9", 0}, {"10", 1}, {"19.9", 1}, {"20", 2}, {"29.9", 2}, {"30", 3}, {"49.9", 3}, {"50", 4}, {"99.9", 4}, {"100", 5}}},
	)
	for _, c := range all {
		for _, x := range c.cases {
			t.Run(fmt.Sprintf("%s/%s/%s", c.b.Standard, c.code, x.v), func(t *testing.T) {
				if got := levelOf(t, c.b, c.code, x.v); got != x.want {
					t.Errorf("%s %s value %s: level %d, want %d", c.b.Standard, c.code, x.v, got, x.want)
				}
			})
		}
	}
}

// TestProactivePeople covers A9b: existence test for 1★, «от 20%» read as «до 20%», the 50.1–50.9
// gap staying 4★, 5★ from 51.0 without the 70 % cap, and "none approved" → 0★.
func TestProactivePeople(t *testing.T) {
	b := mustBands(t, People)
	cases := []struct {
		name      string
		value     *Decimal
		proactive int64
		want      int
	}{
		{"none approved (no value)", nil, 0, 0},
		{"approved but none proactive", dec("0.0"), 0, 0},
		{"0.0 % with 1 approved proactive", dec("0.0"), 1, 1},
		{"0.04 % rounds to 0.0", dec("0.04"), 1, 1},
		{"0.1", dec("0.1"), 1, 2},
		{"20.0", dec("20.0"), 3, 2},
		{"20.1", dec("20.1"), 3, 3},
		{"35.0", dec("35.0"), 3, 3},
		{"35.1", dec("35.1"), 3, 4},
		{"50.0", dec("50.0"), 3, 4},
		{"50.5 gap", dec("50.5"), 3, 4},
		{"50.94 gap rounds to 50.9", dec("50.94"), 3, 4},
		{"50.95 rounds to 51.0", dec("50.95"), 3, 5},
		{"51.0", dec("51.0"), 3, 5},
		{"70.0", dec("70.0"), 3, 5},
		{"85 above the 70 cap", dec("85"), 3, 5},
	}
	for _, c := range cases {
		f := Facts{Value: c.value, Metrics: map[string]Decimal{"approved_proactive_scenarios": NewDecimal(c.proactive, 0)}}
		got, err := b.Level("proactive_scenario_share", f)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: level %d, want %d", c.name, got, c.want)
		}
	}
}

// TestPhone covers A14 on both standards: capabilities cumulative, satisfaction ranges read as
// minimums (60.1 / 70.1 / 80.1 / > 90), satisfaction below min_n caps the level at 1★.
func TestPhone(t *testing.T) {
	caps := func(n int) map[string]bool {
		names := []string{"phone_working_hours", "phone_offhours_chatbot_callback", "phone_24x7_one_stop_shops", "phone_24x7_agencies"}
		m := map[string]bool{}
		for i := 0; i < n; i++ {
			m[names[i]] = true
		}
		return m
	}
	cases := []struct {
		name  string
		flags map[string]bool
		sat   *Decimal
		want  int
	}{
		{"no phone in working hours", caps(0), dec("99"), 0},
		{"CAP1 only, no survey", caps(1), nil, 1},
		{"CAP1 only, 95 %", caps(1), dec("95"), 1},
		{"CAP2, satisfaction below min_n", caps(2), nil, 1},
		{"CAP2 + 60.0 %", caps(2), dec("60.0"), 1},
		{"CAP2 + 60.05 % rounds to 60.1", caps(2), dec("60.05"), 2},
		{"CAP2 + 60.1 %", caps(2), dec("60.1"), 2},
		{"CAP2 + 70.1 %", caps(2), dec("70.1"), 3},
		{"CAP2 + 95 % (A14)", caps(2), dec("95"), 3},
		{"CAP4 + 80.0 %", caps(3), dec("80.0"), 3},
		{"CAP4 + 80.1 %", caps(3), dec("80.1"), 4},
		{"CAP5 + 85 % (A14)", caps(4), dec("85"), 4},
		{"CAP5 + 90.0 %", caps(4), dec("90.0"), 4},
		{"CAP5 + 90.04 % rounds to 90.0", caps(4), dec("90.04"), 4},
		{"CAP5 + 90.1 %", caps(4), dec("90.1"), 5},
		{"CAP4 flags without CAP2", map[string]bool{"phone_working_hours": true, "phone_24x7_one_stop_shops": true, "phone_24x7_agencies": true}, dec("99"), 1},
	}
	for _, std := range Standards {
		b := mustBands(t, std)
		for _, c := range cases {
			got, err := b.Level("phone_availability", Facts{Value: c.sat, Flags: c.flags})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s %s: level %d, want %d", std, c.name, got, c.want)
			}
		}
	}
}

// TestCompositePeople covers the cumulative ladders of P-T2-1, P-T2-4, P-T2-6 and P-T2-7.
func TestCompositePeople(t *testing.T) {
	b := mustBands(t, People)
	m := func(kv ...string) map[string]Decimal {
		out := map[string]Decimal{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = MustParseDecimal(kv[i+1])
		}
		return out
	}
	cases := []struct {
		code string
		f    Facts
		want int
	}{
		// P-T2-6 (A15): max mention rt 7 h, max official rt 3.5 h → 3★.
		{"social_media_response_time", Facts{Metrics: m("mention_rt_hours", "7", "official_rt_hours", "3.5")}, 3},
		{"social_media_response_time", Facts{Metrics: m("mention_rt_hours", "24", "official_rt_hours", "12")}, 1},
		{"social_media_response_time", Facts{Metrics: m("mention_rt_hours", "24.000278", "official_rt_hours", "1")}, 0},
		{"social_media_response_time", Facts{Metrics: m("mention_rt_hours", "4", "official_rt_hours", "2")}, 5},
		{"social_media_response_time", Facts{Metrics: m("mention_rt_hours", "4", "official_rt_hours", "2.5")}, 4},
		{"social_media_response_time", Facts{Metrics: m("mention_rt_hours", "1")}, 0}, // official class unanswered: metric missing
		// P-T2-1: 1★ needs ≥ 90.0 assigned and the potential-applicant flag; then 35/50/70/100.
		{"journey_map_coverage", Facts{Metrics: m("segment_assignment", "89.9", "journey_map_coverage", "100"), Flags: map[string]bool{"potential_applicants_assigned": true}}, 0},
		{"journey_map_coverage", Facts{Metrics: m("segment_assignment", "90.0", "journey_map_coverage", "34.9"), Flags: map[string]bool{"potential_applicants_assigned": true}}, 1},
		{"journey_map_coverage", Facts{Metrics: m("segment_assignment", "90.0", "journey_map_coverage", "100")}, 0},
		{"journey_map_coverage", Facts{Metrics: m("segment_assignment", "95", "journey_map_coverage", "70"), Flags: map[string]bool{"potential_applicants_assigned": true}}, 4},
		// P-T2-4: 1★ KB ≥ 50 %, 2★ KB 100 %, 3–5★ readability 30/50/100 % and 2★ (cumulative).
		{"written_text_accessibility", Facts{Metrics: m("knowledge_base_coverage", "49.9", "readability_coverage", "100")}, 0},
		{"written_text_accessibility", Facts{Metrics: m("knowledge_base_coverage", "50", "readability_coverage", "100")}, 1},
		{"written_text_accessibility", Facts{Metrics: m("knowledge_base_coverage", "100", "readability_coverage", "29.9")}, 2},
		{"written_text_accessibility", Facts{Metrics: m("knowledge_base_coverage", "100", "readability_coverage", "50")}, 4},
		// P-T2-7: cumulative flags.
		{"appointment_booking", Facts{Flags: map[string]bool{}}, 0},
		{"appointment_booking", Facts{Flags: map[string]bool{"booking_one_method": true, "booking_one_method_24x7": true, "reminder_1d_change_cancel": true}}, 2},
		{"appointment_booking", Facts{Flags: map[string]bool{"booking_one_method": true, "booking_one_method_24x7": true, "booking_any_method_24x7": true, "reminder_1d_change_cancel": true, "reminder_1d_2h_change_cancel": true}}, 5},
	}
	for i, c := range cases {
		got, err := b.Level(c.code, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("case %d %s %+v: level %d, want %d", i, c.code, c.f, got, c.want)
		}
	}
}

// TestZeroFloorSwitch covers A13: the literal 1★ for 0 % by default, 0★ with the switch.
func TestZeroFloorSwitch(t *testing.T) {
	b := mustBands(t, Business)
	if got := levelOf(t, b, "scenario_coverage", "0"); got != 1 {
		t.Fatalf("0 %% coverage: level %d, want 1 (literal «до 35%%»)", got)
	}
	b.Parameters.ZeroValueFloorStar = "zero"
	if got := levelOf(t, b, "scenario_coverage", "0.04"); got != 0 {
		t.Fatalf("0.04 %% (rounds to 0.0) with zero switch: level %d, want 0", got)
	}
	if got := levelOf(t, b, "scenario_coverage", "0.05"); got != 1 {
		t.Fatalf("0.05 %% (rounds to 0.1) with zero switch: level %d, want 1", got)
	}
	if got := levelOf(t, b, "ease_positive_share", "0"); got != 0 {
		t.Fatalf("ease 0: %d", got)
	}
}

func TestBandFilesValid(t *testing.T) {
	for _, std := range Standards {
		b := mustBands(t, std)
		if b.Standard != std || b.Version == "" || b.Parameters.MinN.Survey != 30 || b.Parameters.RepeatWindowDays != 28 || b.Parameters.Timezone != "Europe/Moscow" {
			t.Errorf("%s: unexpected header/parameters %+v", std, b)
		}
		if len(b.Indicators) != len(DefaultCatalog().ByStandard(std)) {
			t.Errorf("%s: %d ladders for %d catalog indicators", std, len(b.Indicators), len(DefaultCatalog().ByStandard(std)))
		}
	}
	bad := []string{
		"standard: people\nversion: x\neffective_from: 2022-04-18\nindicators: {}\n",   // parameters invalid, ladders missing
		"standard: people\nversion: x\neffective_from: 2022-04-18\nunknown_field: 1\n", // unknown field
	}
	for _, s := range bad {
		if _, err := ParseBands([]byte(s)); err == nil {
			t.Errorf("ParseBands(%q) accepted an invalid file", s)
		}
	}
}
