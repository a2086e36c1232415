package official

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/testkit/scorecardtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/registry"
	"github.com/cxstar/cxstar/transform"
)

// feed builds event lines (docs/events.md contracts) for the tests of this package.
type feed struct {
	prefix string // event ids are <prefix>e-<n>
	lines  []string
	seq    int
}

func (f *feed) add(m map[string]any) {
	f.seq++
	if _, ok := m["event_id"]; !ok {
		m["event_id"] = fmt.Sprintf("%se-%d", f.prefix, f.seq)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	f.lines = append(f.lines, string(b))
}

func (f *feed) rating(agency, client, request, question string, score int, at string) {
	f.add(map[string]any{"schema": "rating.v1", "occurred_at": at, "agency_id": agency, "client_type": "person",
		"client_id": client, "request_id": request, "question": question, "score": score, "channel": "portal"})
}

func (f *feed) service(agency, ctype, request, service, status, scenario, at string) {
	m := map[string]any{"schema": "service_event.v1", "occurred_at": at, "agency_id": agency, "client_type": ctype,
		"client_id": "c-" + request, "request_id": request, "service_id": service, "service_kind": "service", "status": status, "channel": "portal"}
	if scenario != "" {
		m["scenario_id"] = scenario
	}
	f.add(m)
}

// appeal adds one step of an appeal; flags are "automated" and "excluded".
func (f *feed) appeal(agency, ctype, appeal, step, mtype, channel, at string, flags ...string) {
	m := map[string]any{"schema": "appeal.v1", "occurred_at": at, "agency_id": agency, "client_type": ctype,
		"appeal_id": appeal, "step": step, "channel": channel}
	if mtype != "" {
		m["message_type"] = mtype
	}
	for _, fl := range flags {
		m[fl] = true
	}
	f.add(m)
}

// load ingests the lines as `cxstar backfill` does; at is the validator's clock (events after it
// are refused), ingested_at is the wall clock.
func (f *feed) load(t *testing.T, conn driver.Conn, at time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("events-%d.jsonl", at.UnixNano()))
	if err := os.WriteFile(path, []byte(strings.Join(f.lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var rejects strings.Builder
	loader := ingest.NewLoader(ingest.NewValidator(ingest.WithClock(func() time.Time { return at })), ingest.NewWriter(conn), ingest.WithRejects(&rejects))
	st, err := loader.Load(context.Background(), []string{path})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if st.Rejected != 0 {
		t.Fatalf("load: %d lines rejected:\n%s", st.Rejected, rejects.String())
	}
	f.lines = nil
}

// importRegistry loads a registry file (JSON) with loaded_at = at.
func importRegistry(t *testing.T, conn driver.Conn, doc string, at time.Time) registry.ImportStats {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("registry-%d.json", at.UnixNano()))
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := registry.Import(context.Background(), conn, path, at)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// smallDefaultBands returns the default bands of every standard with min_n survey 5 (smallBands).
func smallDefaultBands(t *testing.T) map[metrics.Standard]*metrics.BandSet {
	t.Helper()
	bands := map[metrics.Standard]*metrics.BandSet{}
	for _, std := range metrics.Standards {
		b, err := metrics.DefaultBands(std)
		if err != nil {
			t.Fatal(err)
		}
		bands[std] = smallBands(t, b, 5)
	}
	return bands
}

// nextSecond waits for the next whole second and returns it: ingested_at is the wall clock of the
// insert in whole seconds (as is closed_at), so steps a second apart are ordered.
func nextSecond() time.Time {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	return time.Now().UTC().Truncate(time.Second)
}

// smallBands returns a band set with min_n survey lowered so that hand-made samples are assessed.
func smallBands(t *testing.T, b *metrics.BandSet, survey int64) *metrics.BandSet {
	t.Helper()
	c := *b
	c.Parameters.MinN.Survey = survey
	c.Parameters.MinN.ServiceNPS = survey
	return &c
}

// result returns agency's result for code in run's scorecard of std; the test fails when it has none.
func result(t *testing.T, run *transform.Run, std metrics.Standard, agency, code string) metrics.Result {
	t.Helper()
	rep := run.Scorecard(std)
	if rep == nil {
		t.Fatalf("no %s report", std)
	}
	r, ok := scorecardtest.Result(rep, agency, code)
	if !ok {
		t.Fatalf("%s %s %s: not in the report", std, agency, code)
	}
	return r
}

func levelStr(l *int) string {
	if l == nil {
		return "null"
	}
	return fmt.Sprint(*l)
}
