package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// A closed quarter's report names its official revision and, once events of the quarter arrive
// after closing, says that a revision is pending.
func TestReportOfficialRevision(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	seed(t, conn)
	closed := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)",
		[][]any{{"2026Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), uint32(2), closed, "late survey batch", "run-x", "", []string{}, "", "", "[]"}})
	page := func() string {
		var buf bytes.Buffer
		if err := Write(ctx, conn, "2026Q3", "en", &buf, WithClock(func() time.Time { return closed })); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	html := page()
	if !strings.Contains(html, `<p id="official">Official revision 2, closed 2026-10-20 12:00 UTC (late survey batch).</p>`) || strings.Contains(html, `id="pending"`) {
		t.Errorf("closed quarter without late data: official line missing or a pending line shown")
	}
	// Two ratings of 2026Q3 (Moscow) stored after closing, one a re-sent copy of the other.
	row := []any{"late-1", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "ag-x", "person", "c1", "satisfaction", uint8(4), "svc", "", "", "", "portal", closed.Add(time.Hour), "test"}
	again := append([]any(nil), row...)
	again[12] = closed.Add(2 * time.Hour)
	chtest.Insert(t, conn, `INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)`, [][]any{row, again})
	html = page()
	if !strings.Contains(html, `<p id="pending">Pending revision: 1 event(s) of this quarter arrived after closing; `) {
		t.Errorf("pending line missing after a late event")
	}
}
