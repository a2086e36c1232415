package transform_test

import (
	"fmt"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/registry"
)

// addRegistry adds the registry- and declaration-based indicators of the quarters, and the overall
// level (A21), from the registry file the test imports:
//   - proactive_scenario_share (B-T2-1, P-T1-6) and api_scenario_share (B-T2-2): «num = approved
//     scenarios of the agency with proactive_possible = true at quarter end; den = approved scenarios
//     of the agency at quarter end»; P: «0★: no approved scenario with proactive provision» (A9b).
//   - phone_availability (B-T2-15, P-T2-3), A14: «level = max L such that CAP_1..CAP_L hold and phone
//     satisfaction ≥ min_L» (2★ ≥ 60.1, 3★ ≥ 70.1, 4★ ≥ 80.1, 5★ > 90.0); «Phone satisfaction below
//     min_n → the level is capped at 1★»; no declaration → NULL (R-NULL: «a capability not reported»).
//   - appointment_booking (P-T2-7): cumulative capability flags.
//
// It follows the rules above in their order, each step under the words it implements, so it
// stays whole.
func (m *refModel) addRegistry(reg *registry.File, quarters []string, loc *time.Location, bands map[metrics.Standard]*metrics.BandSet) {
	for _, q := range quarters {
		end := quarterEnd(q, loc)
		type acc struct{ approved, proactive, api int64 }
		per := map[refKey]*acc{}
		for _, sc := range reg.Scenarios {
			for _, std := range metrics.Standards {
				if sc.Standard != "" && sc.Standard != string(std) {
					continue
				}
				agencies := append([]string{sc.OwnerAgencyID}, sc.ParticipatingAgencyIDs...)
				for _, a := range agencies {
					k := refKey{std, a, q}
					if per[k] == nil {
						per[k] = &acc{}
					}
					at, err := time.Parse(time.RFC3339, sc.ApprovedAt)
					if sc.Status != "approved" || err != nil || !at.Before(end) {
						continue
					}
					per[k].approved++
					if sc.ProactivePossible {
						per[k].proactive++
					}
					if sc.APIPossible {
						per[k].api++
					}
				}
			}
		}
		for k, a := range per {
			b := bands[k.Std]
			res := m.result(k)
			ex := fmt.Sprintf("%d proactive, %d api of %d approved", a.proactive, a.api, a.approved)
			pro := &refInd{N: a.approved, Explain: ex}
			switch {
			case a.approved > 0:
				pro.Raw = pct(a.proactive, a.approved)
				pro.Units = roundUnits(pro.Raw)
				pro.Status = metrics.Assessed
				pro.Level = proactiveLevel(b, k.Std, pro.Units, a.proactive)
			case k.Std == metrics.People:
				zero := 0 // A9b: «0★: no approved scenario with proactive provision»
				pro.Status, pro.Level = metrics.Assessed, &zero
			default:
				pro.Status = metrics.NoData
			}
			res["proactive_scenario_share"] = pro
			if k.Std == metrics.Business {
				res["api_scenario_share"] = censusShare(a.api, a.approved, b, "api_scenario_share")
				res["api_scenario_share"].Explain = ex
			}
		}
	}
	declared := map[refKey]map[string][]string{}
	for _, d := range reg.Declarations {
		k := refKey{metrics.Standard(d.Standard), d.AgencyID, d.Quarter}
		if declared[k] == nil {
			declared[k] = map[string][]string{}
		}
		declared[k][d.Indicator] = d.Flags
	}
	phoneCaps := []string{"phone_working_hours", "phone_offhours_chatbot_callback", "", "phone_24x7_one_stop_shops", "phone_24x7_agencies"}
	phoneMin := []int64{0, 601, 701, 801, 901} // tenths; 5★ is «свыше 90%» = > 90.0, i.e. ≥ 90.1 after R-ROUND
	bookingCaps := []string{"booking_one_method", "booking_one_method_24x7", "booking_any_method_24x7", "reminder_1d_change_cancel", "reminder_1d_2h_change_cancel"}
	for _, q := range quarters {
		for _, std := range metrics.Standards {
			keys := map[refKey]bool{}
			for k := range declared {
				if k.Std == std && k.Quarter == q {
					keys[k] = true
				}
			}
			for k := range m.phone {
				if k.Std == std && k.Quarter == q {
					keys[k] = true
				}
			}
			for k := range keys {
				b := bands[std]
				cnt := m.phone[k]
				flags, ok := declared[k]["phone_availability"]
				r := &refInd{N: cnt[1], Status: metrics.NoData, Explain: fmt.Sprintf("sat_phone %d/%d, flags %v (declared %v)", cnt[0], cnt[1], flags, ok)}
				if cnt[1] > 0 {
					r.Raw = pct(cnt[0], cnt[1])
					r.Units = roundUnits(r.Raw)
					r.CI = true
					r.CILow, r.CIHigh = wilson(cnt[0], cnt[1], b.Parameters.CIZ)
					r.Status = metrics.NotAssessed
				}
				if ok {
					has := map[string]bool{}
					for _, f := range flags {
						has[f] = true
					}
					enough := cnt[1] >= b.Parameters.MinN.Survey
					l := 0
					for L := 1; L <= 5; L++ {
						c := phoneCaps[L-1]
						if c != "" && !has[c] {
							break
						}
						if L > 1 && (!enough || r.Units < phoneMin[L-1]) {
							break
						}
						l = L
					}
					r.Status, r.Level = metrics.Assessed, &l
				}
				m.result(k)["phone_availability"] = r
				if std == metrics.People {
					bk := &refInd{Status: metrics.NoData}
					if fl, ok := declared[k]["appointment_booking"]; ok {
						has := map[string]bool{}
						for _, f := range fl {
							has[f] = true
						}
						l := 0
						for L := 1; L <= 5 && has[bookingCaps[L-1]]; L++ {
							l = L
						}
						bk.Status, bk.Level, bk.Explain = metrics.Assessed, &l, fmt.Sprint(fl)
					}
					m.result(k)["appointment_booking"] = bk
				}
			}
		}
	}
	// A21: «default to the minimum over Table 1 indicators with non-NULL levels».
	cat := metrics.DefaultCatalog()
	m.Overall = map[refKey]*int{}
	for k, res := range m.Res {
		var o *int
		for code, r := range res {
			ind, ok := cat.Lookup(k.Std, code)
			if !ok || ind.Table != 1 || r.Level == nil {
				continue
			}
			if o == nil || *r.Level < *o {
				v := *r.Level
				o = &v
			}
		}
		m.Overall[k] = o
	}
}
