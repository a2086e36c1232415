package simulate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/registry"
)

// TestRegistry checks that the reference data is a valid `cxstar registry import` file that
// names every scenario the events carry, and that it loads into ClickHouse.
func TestRegistry(t *testing.T) {
	g := New(WithSeed(9), WithAgencies(5), WithRequests(200), WithClock(clock))
	reg := g.Registry()
	data, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := registry.Parse(data)
	if err != nil {
		t.Fatalf("the registry does not parse: %v", err)
	}
	// Targets: three per person-serving agency and year.
	wantTargets := 0
	for _, a := range g.Agencies() {
		if a.PersonShare > 0 {
			wantTargets += 3 * len(years(g))
		}
	}
	if len(parsed.Targets) != wantTargets || wantTargets == 0 {
		t.Errorf("%d targets, want %d", len(parsed.Targets), wantTargets)
	}
	known := map[string]bool{}
	for _, s := range parsed.Scenarios {
		known[s.ScenarioID] = true
	}
	lines, _ := collect(t, g)
	v := ingest.NewValidator(ingest.WithClock(clock))
	var ev ingest.Event
	used := 0
	for _, l := range lines {
		if v.Decode(l.data, &ev) == nil && ev.ScenarioID != "" {
			used++
			if !known[ev.ScenarioID] {
				t.Fatalf("event names scenario %s, which is not in the registry", ev.ScenarioID)
			}
		}
	}
	if used == 0 {
		t.Fatal("no event within a scenario")
	}
	// Declarations: per agency and quarter, phone availability per standard served and booking
	// for people.
	want := 0
	for _, a := range g.Agencies() {
		per := 0
		if a.PersonShare > 0 {
			per += 2
		}
		if a.PersonShare < 1 {
			per++
		}
		want += per * len(g.Quarters())
	}
	if len(parsed.Declarations) != want {
		t.Errorf("%d declarations, want %d", len(parsed.Declarations), want)
	}
	path := filepath.Join(t.TempDir(), "registry.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	conn, _ := chtest.DB(t)
	st, err := registry.Import(context.Background(), conn, path, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if st.Scenarios != len(reg.Scenarios) || st.Declarations != want {
		t.Errorf("imported %+v; want %d scenarios and %d declarations", st, len(reg.Scenarios), want)
	}
}

func TestLadder(t *testing.T) {
	for _, tc := range []struct {
		q    float64
		want int
	}{{0, 1}, {0.24, 1}, {0.25, 2}, {0.74, 3}, {0.75, 4}, {1, 4}} {
		if got := len(ladder(phoneFlags, tc.q)); got != tc.want {
			t.Errorf("quality %.2f: %d flags, want %d", tc.q, got, tc.want)
		}
	}
}

// TestReplySLA: an agency with a reply SLA answers every social-media message (not excluded) with
// an official reply within it (mentions within twice the SLA), as A15's 100 % rule needs for a star;
// the others leave some unanswered.
func TestReplySLA(t *testing.T) {
	g := New(WithSeed(13), WithAgencies(10), WithRequests(600), WithInvalidShare(0), WithDuplicateShare(0), WithClock(clock))
	lines, _ := collect(t, g)
	sla := map[string]time.Duration{}
	for _, a := range g.Agencies() {
		sla[a.ID] = a.ReplySLA
	}
	type msg struct {
		agency, typ string
		received    time.Time
		excluded    bool
		reply       time.Time
	}
	msgs := map[string]*msg{}
	v := ingest.NewValidator(ingest.WithClock(clock))
	var ev ingest.Event
	for _, l := range lines {
		if l.kind != ingest.KindAppeal {
			continue
		}
		if err := v.Decode(l.data, &ev); err != nil {
			t.Fatal(err)
		}
		m := msgs[ev.AppealID]
		if m == nil {
			m = &msg{agency: ev.AgencyID}
			msgs[ev.AppealID] = m
		}
		switch {
		case ev.Step == "received":
			m.typ, m.received, m.excluded = ev.MessageType, ev.OccurredAt, ev.Excluded
		case ev.Step == "replied" && !ev.Automated && (m.reply.IsZero() || ev.OccurredAt.Before(m.reply)):
			m.reply = ev.OccurredAt
		}
	}
	end := g.Quarters()[len(g.Quarters())-1].End()
	withSLA, unansweredWithout := 0, 0
	for id, m := range msgs {
		if m.excluded || m.typ == "written_appeal" || m.received.IsZero() {
			continue
		}
		limit := sla[m.agency]
		if m.typ == "mention" {
			limit *= 2
		}
		if limit == 0 {
			if m.reply.IsZero() && m.received.Add(48*time.Hour).Before(end) {
				unansweredWithout++
			}
			continue
		}
		withSLA++
		if m.received.Add(limit).Before(end) && (m.reply.IsZero() || m.reply.Sub(m.received) > limit) {
			t.Fatalf("%s (%s of %s, SLA %s): received %s, first official reply %s", id, m.typ, m.agency, limit, m.received, m.reply)
		}
	}
	if withSLA == 0 || unansweredWithout == 0 {
		t.Errorf("%d messages of agencies with an SLA, %d unanswered of agencies without: want both > 0", withSLA, unansweredWithout)
	}
}

// BenchmarkKafkaSink publishes ~300k generated events to the embedded broker (acks=all).

// years lists the calendar years of the generator's quarters.
func years(g *Generator) map[int]bool {
	out := map[int]bool{}
	for _, q := range g.Quarters() {
		out[q.Year] = true
	}
	return out
}
