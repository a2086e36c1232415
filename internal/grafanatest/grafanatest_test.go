package grafanatest

import (
	"encoding/json"
	"testing"
)

func TestUpHealthAndPlugin(t *testing.T) {
	s := Start(t)
	var h struct{ Database, Version string }
	if err := json.Unmarshal(s.MustCall(t, 200, "GET", "/api/health", "", "", 0, nil), &h); err != nil {
		t.Fatal(err)
	}
	if h.Database != "ok" {
		t.Errorf("health database = %q, want ok", h.Database)
	}
	// The ClickHouse plugin is loaded (unsigned, allowed by custom.ini).
	var p struct{ ID string }
	if err := json.Unmarshal(s.MustCall(t, 200, "GET", "/api/plugins/grafana-clickhouse-datasource/settings", "", "", 0, nil), &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "grafana-clickhouse-datasource" {
		t.Errorf("plugin id = %q", p.ID)
	}
	// Wrong password: 401.
	if code, _, _ := s.Call("GET", "/api/org", s.User, "wrong", 0, nil); code != 401 {
		t.Errorf("wrong password: status %d, want 401", code)
	}
}
