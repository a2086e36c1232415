package registry

import (
	"strings"
	"testing"
)

func TestParseRegistryErrors(t *testing.T) {
	bad := `{"scenarios": [{"scenario_id": "s", "owner_agency_id": "a", "status": "approved"},
	                       {"scenario_id": "s", "owner_agency_id": "a", "status": "live", "standard": "citizens"}],
	         "declarations": [{"agency_id": "a", "quarter": "2026Q3", "standard": "people", "indicator": "phone_availability", "flags": ["phone_anytime"]},
	                          {"agency_id": "a", "quarter": "2026Q9", "standard": "people", "indicator": "no_such_code"}]}`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("invalid registry accepted")
	}
	for _, want := range []string{"approved_at is required", "appears twice", `status "live"`, `standard "citizens"`, `flag "phone_anytime"`, `"no_such_code"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := Parse([]byte(`{"scenarios": [], "unknown": 1}`)); err == nil {
		t.Error("unknown field accepted")
	}
}
