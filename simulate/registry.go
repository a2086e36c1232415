package simulate

import (
	"math"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
	"github.com/cxstar/cxstar/registry"
)

// Capability ladders of the declaration-based indicators, in level order (the flags of
// metrics/bands/*.yaml): an agency declaring the first k flags meets level k.
var (
	phoneFlags   = []string{"phone_working_hours", "phone_offhours_chatbot_callback", "phone_24x7_one_stop_shops", "phone_24x7_agencies"}
	bookingFlags = []string{"booking_one_method", "booking_one_method_24x7", "booking_any_method_24x7", "reminder_1d_change_cancel", "reminder_1d_2h_change_cancel"}
)

// Registry returns the reference data of the simulated agencies in the format of
// `cxstar registry import`: the client scenarios, and per agency and quarter the capability
// declarations of phone availability (both standards the agency serves) and appointment booking
// (people), whose declared level follows the agency's quality and its drift.
func (g *Generator) Registry() *registry.File {
	reg := &registry.File{}
	for _, a := range g.agencyList {
		for _, sc := range a.Scenarios {
			std := "people"
			if sc.ClientType == "business" {
				std = "business"
			}
			reg.Scenarios = append(reg.Scenarios, registry.Scenario{
				ScenarioID: sc.ID, LifeSituationID: sc.LifeSituationID, OwnerAgencyID: sc.OwnerAgencyID, Standard: std,
				Status: sc.Status, ApprovedAt: sc.ApprovedAt.Format(time.RFC3339), ProactivePossible: sc.ProactivePossible,
				APIPossible: sc.APIPossible, ServiceIDs: append([]string(nil), sc.ServiceIDs...),
			})
		}
		var stds []string
		if a.PersonShare > 0 {
			stds = append(stds, "people")
		}
		if a.PersonShare < 1 {
			stds = append(stds, "business")
		}
		for qi, q := range g.quarters {
			quality := clamp01(a.SatQuality + a.Drift*float64(qi))
			for _, std := range stds {
				reg.Declarations = append(reg.Declarations, registry.Declaration{
					AgencyID: a.ID, Quarter: q.String(), Standard: std, Indicator: "phone_availability",
					Flags: ladder(phoneFlags, quality), Evidence: "simulated declaration",
				})
			}
			if a.PersonShare > 0 {
				reg.Declarations = append(reg.Declarations, registry.Declaration{
					AgencyID: a.ID, Quarter: q.String(), Standard: "people", Indicator: "appointment_booking",
					Flags: ladder(bookingFlags, clamp01(a.EaseQuality+a.Drift*float64(qi))), Evidence: "simulated declaration",
				})
			}
		}
		if a.PersonShare > 0 {
			reg.Targets = append(reg.Targets, demoTargets(a.ID, g.quarters)...)
		}
	}
	return reg
}

// demoTargets are the Project Office's targets of a person-serving agency: 3★ on satisfaction and
// ease (70.1 %) and at most 5 % repeat requests, for every year of the quarters.
func demoTargets(agency string, qs []quarter.Quarter) []registry.Target {
	var out []registry.Target
	seen := map[int]bool{}
	for _, q := range qs {
		if seen[q.Year] {
			continue
		}
		seen[q.Year] = true
		for _, t := range []struct{ code, value string }{
			{"satisfaction_positive_share", "70.1"}, {"ease_positive_share", "70.1"}, {"repeat_request_rate", "5.0"},
		} {
			v := metrics.MustParseDecimal(t.value)
			out = append(out, registry.Target{AgencyID: agency, Standard: "people", Indicator: t.code, Year: q.Year, Value: &v})
		}
	}
	return out
}

// ladder returns the first 1…len(flags) flags, more for a higher quality.
func ladder(flags []string, quality float64) []string {
	k := 1 + int(math.Floor(quality*float64(len(flags))))
	return append([]string(nil), flags[:min(k, len(flags))]...)
}
