// Package assessjson reads the JSON scorecard of a closed quarter (official.View.WriteJSON, which
// `cxstar assess --format json` prints) by its documented keys, apart from the types that write
// it: the official package's tests and the command's read it the same way.
package assessjson

import (
	"encoding/json"
	"testing"
)

// Scorecard is one standard's scorecard of a closed quarter: the official values under the usual
// keys, the revision that holds them and the pending revision beside them.
type Scorecard struct {
	Quarter  string `json:"quarter"`
	Standard string `json:"standard"`
	Agencies []struct {
		AgencyID   string `json:"agency_id"`
		Indicators []struct {
			Code  string   `json:"code"`
			Value *float64 `json:"value"`
			Level *int     `json:"level"`
		} `json:"indicators"`
	} `json:"agencies"`
	Official struct {
		Revision int `json:"revision"`
	} `json:"official"`
	Pending struct {
		Differences []Difference `json:"differences"`
		Late        []Late       `json:"late_data"`
	} `json:"pending_revision"`
}

// Difference is one value a new revision would change.
type Difference struct {
	AgencyID  string   `json:"agency_id"`
	Indicator string   `json:"indicator"`
	OldValue  float64  `json:"old_value"`
	OldLevel  int      `json:"old_level"`
	NewValue  float64  `json:"new_value"`
	NewLevel  int      `json:"new_level"`
	Why       []string `json:"why"`
}

// Late counts one agency's events of one table that arrived after closing.
type Late struct {
	AgencyID string `json:"agency_id"`
	Table    string `json:"table"`
	Events   int    `json:"events"`
}

// Decode decodes one scorecard (one standard's line); the test fails when b is not one.
func Decode(t testing.TB, b []byte) Scorecard {
	t.Helper()
	var s Scorecard
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%v:\n%s", err, b)
	}
	return s
}

// Indicator returns the value and level of agency's indicator code; nil for what the scorecard
// does not hold (not assessed, or no such agency or indicator).
func (s Scorecard) Indicator(agency, code string) (value *float64, level *int) {
	for _, a := range s.Agencies {
		for _, x := range a.Indicators {
			if a.AgencyID == agency && x.Code == code {
				value, level = x.Value, x.Level
			}
		}
	}
	return value, level
}
