package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/browsertest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/official"
	"github.com/cxstar/cxstar/transform"
)

const insertRatings = `INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)`

// A closed quarter's report names its official revision; after a late load it counts the pending
// revision's differences and late events and lists each difference exactly as
// `cxstar assess --quarter Q` does, in a table that a real Chromium lays out.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestReportPendingRevision(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	loaded := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	closedAt := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	rating := func(id, client, request string, score uint8, occurred, ingested time.Time) []any {
		return []any{id, occurred, "po-a", "person", client, "satisfaction", score, "svc", request, "", "", "portal", ingested, "test"}
	}
	// 40 satisfaction answers of 2026Q3 (Moscow): 30 positive (4 or 3), 10 negative (2 or 1)
	// → 30/40 = 75.0 % → 3★ (70.1 ≤ v < 80.1).
	var rows [][]any
	at := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= 40; i++ {
		score := uint8(4 - i%2) // 3 or 4
		if i > 30 {
			score = uint8(1 + i%2) // 1 or 2
		}
		rows = append(rows, rating(fmt.Sprintf("e%d", i), fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", i), score, at, loaded))
	}
	chtest.Insert(t, conn, insertRatings, rows)
	rev, _, err := official.Close(ctx, conn, transform.Request{Quarter: "2026Q3", Now: func() time.Time { return closedAt }}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rev.ClosedAt.Equal(closedAt) {
		t.Fatalf("closed at %s, want %s", rev.ClosedAt, closedAt)
	}
	page := func(lang string) string {
		t.Helper()
		var buf bytes.Buffer
		if err := Write(ctx, conn, "2026Q3", lang, &buf, WithClock(func() time.Time { return closedAt })); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	html := page("en")
	if !strings.Contains(html, `<p id="official">Official revision 1, closed 2026-10-20 12:00 UTC.</p>`) || strings.Contains(html, `id="pending`) {
		t.Errorf("closed quarter without late data: official line missing or a pending revision shown")
	}

	// Late: 8 negative answers of new clients and c1's superseding answer to r1 (4 → 1): 29
	// positive of 48 → 60.416… → 60.4 % → 2★ (60.1 ≤ v < 70.1); 9 late events (a re-sent copy of
	// one of them is not counted again).
	late := closedAt.Add(24 * time.Hour)
	rows = nil
	for i := 41; i <= 48; i++ {
		rows = append(rows, rating(fmt.Sprintf("e%d", i), fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", i), 1, at, late))
	}
	rows = append(rows, rating("e1-again", "c1", "r1", 1, at.Add(time.Hour), late))
	rows = append(rows, rating("e41", "c41", "r41", 1, at, late.Add(time.Hour))) // a re-sent copy: not another late event
	chtest.Insert(t, conn, insertRatings, rows)

	html = page("en")
	for _, want := range []string{
		`<p id="official">Official revision 1, closed 2026-10-20 12:00 UTC.</p>`,
		`<p id="pending">Pending revision: a recomputation on today&#39;s data changes 1 value(s) (listed below); 9 event(s) of this quarter arrived after closing.`,
		`<tr><td>people</td><td>po-a</td><td><span class="ind-id">P-T1-5</span> `,
		`<td class="num">75.0 (3★)</td><td class="num">60.4 (2★)</td><td>ratings: 9 event(s) of this agency arrived after closing</td></tr>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("English report lacks %s", want)
		}
	}
	if n := strings.Count(html, `<td class="num">75.0 (3★)</td>`); n != 1 {
		t.Errorf("%d pending rows, want 1", n)
	}
	ru := page("ru")
	for _, want := range []string{
		`<p id="pending">Ожидающая редакция: пересчёт на сегодняшних данных меняет значений: 1 (список ниже); после закрытия поступило событий за квартал: 9.`,
		`<td class="num">75,0 (3★)</td><td class="num">60,4 (2★)</td><td>ratings: после закрытия поступило событий этого органа: 9</td></tr>`,
	} {
		if !strings.Contains(ru, want) {
			t.Errorf("Russian report lacks %s", want)
		}
	}

	// The same differences as `cxstar assess --quarter 2026Q3` (official.Check with its defaults).
	pd, err := official.Check(ctx, conn, transform.Request{Quarter: "2026Q3"}, rev)
	if err != nil {
		t.Fatal(err)
	}
	if len(pd.Differences) != 1 || pd.Differences[0].OldValue.String() != "75.0" || pd.Differences[0].NewValue.String() != "60.4" {
		t.Errorf("assess lists %+v", pd.Differences)
	}

	// In Chromium: no console error, the list laid out with its one row, the pending line shown.
	bctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	b, err := browsertest.Start(bctx)
	if err != nil {
		t.Fatalf("headless Chromium is required (CI: apt-get install -y chromium): %v", err)
	}
	defer b.Close()
	path := filepath.Join(t.TempDir(), "report-ru.html")
	if err := os.WriteFile(path, []byte(ru), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := b.Load(bctx, "file://"+path, 1280, 900)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(bctx)
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	var facts struct {
		Rows    int
		Height  float64
		Pending bool
		Cells   string
	}
	if err := p.Eval(bctx, `({
		rows: document.querySelectorAll("#pending-list tbody tr").length,
		height: document.querySelector("#pending-list").getBoundingClientRect().height,
		pending: document.querySelector("#pending").getBoundingClientRect().height > 0,
		cells: [...document.querySelectorAll("#pending-list tbody td")].slice(3, 5).map(e => e.textContent).join(" → ")
	})`, &facts); err != nil {
		t.Fatal(err)
	}
	if facts.Rows != 1 || facts.Height < 40 || !facts.Pending || facts.Cells != "75,0 (3★) → 60,4 (2★)" {
		t.Errorf("pending list in Chromium: %+v, want 1 row laid out, 75,0 (3★) → 60,4 (2★)", facts)
	}
}
