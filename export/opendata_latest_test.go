package export

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/scorecardtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

// Open data counts the latest answer per client, request and question, like the assessment (A24):
// e1 answers the same request twice (4, then 1); 11 answers count, 7 positive = 63.6 %, not
// 8 of 12 = 66.7 %.
func TestOpenDataLatestAnswer(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	at := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var rows [][]any
	for i := 1; i <= 11; i++ {
		score := uint8(4)
		if i >= 9 {
			score = 1
		}
		rows = append(rows, []any{fmt.Sprintf("x%02d", i), at, "E", "person", fmt.Sprintf("e%d", i), "satisfaction", score, "svc", fmt.Sprintf("req-%d", i), "ls-1", "", "portal", ing, "test"})
	}
	rows = append(rows, []any{"x99", at.Add(24 * time.Hour), "E", "person", "e1", "satisfaction", uint8(1), "svc", "req-1", "ls-1", "", "portal", ing, "test"})
	insertRows(t, conn, insertRating, rows...)

	od, err := BuildOpenData(ctx, conn, q3, 10)
	if err != nil {
		t.Fatal(err)
	}
	var total *Cell
	for i := range od.Cells {
		if od.Cells[i].AgencyID == "E" && od.Cells[i].Total {
			total = &od.Cells[i]
		}
	}
	if total == nil || total.Satisfaction.Value == nil || *total.Satisfaction.Value != 63.6 || *total.Satisfaction.Answers != 11 || *total.Respondents != 11 {
		t.Fatalf("open data total of E: %+v, want satisfaction 63.6 on 11 answers of 11 respondents", total)
	}
	b, err := metrics.DefaultBands(metrics.People)
	if err != nil {
		t.Fatal(err)
	}
	b.Parameters.MinN.Survey = 5
	run, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", Standards: []metrics.Standard{metrics.People}, Bands: map[metrics.Standard]*metrics.BandSet{metrics.People: b}})
	if err != nil {
		t.Fatal(err)
	}
	if x, ok := scorecardtest.Result(run.Scorecard(metrics.People), "E", "satisfaction_positive_share"); !ok || x.Value.String() != "63.6" || x.N != 11 {
		t.Errorf("assessment: satisfaction %s on %d, want the open data's 63.6 on 11", x.Value, x.N)
	}

	// Once 2026Q3 is closed, open data publishes the ratings stored at closing: a later answer of a
	// new client (e12, positive) changes nothing, and the revision is named.
	closed := ing.Add(time.Hour)
	chtest.Insert(t, conn, "INSERT INTO official_revisions (quarter, quarter_start, revision, closed_at, reason, run_id, registry_version, bands_versions, catalog_version, binary_version, reports)",
		[][]any{{"2026Q3", q3.StartDate(), uint32(1), closed, "", "run-1", "", []string{}, "", "", "[]"}})
	insertRows(t, conn, insertRating, []any{"x12", at, "E", "person", "e12", "satisfaction", uint8(4), "svc", "req-12", "ls-1", "", "portal", closed.Add(time.Hour), "test"})
	od, err = BuildOpenData(ctx, conn, q3, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range od.Cells {
		if c.AgencyID == "E" && c.Total && (*c.Satisfaction.Value != 63.6 || *c.Satisfaction.Answers != 11) {
			t.Errorf("closed quarter: satisfaction %v on %v, want the 63.6 on 11 stored at closing", *c.Satisfaction.Value, *c.Satisfaction.Answers)
		}
	}
	if od.OfficialRevision != 1 || od.ClosedAt == nil || !od.ClosedAt.Equal(closed) {
		t.Errorf("open data revision %d closed %v, want 1 at %s", od.OfficialRevision, od.ClosedAt, closed)
	}
	// The CSV names them on every row: E's total (11 respondents, 7 of 11 positive) and its cell.
	var csvOut bytes.Buffer
	if err := od.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if got, want := csvOut.String(), strings.Join(CSVHeader, ",")+"\n"+
		"2026Q3,E,ls-1,false,11,11,11,11,63.6,0,0,,0,0,,,1,2026-11-01T01:00:00Z\n"+
		"2026Q3,E,,true,11,11,11,11,63.6,0,0,,0,0,,,1,2026-11-01T01:00:00Z\n"; got != want {
		t.Errorf("CSV of the closed quarter:\n%s\nwant:\n%s", got, want)
	}

	// Kafka redelivers x05 (e5, positive, stored before closing) after closing, and a merge keeps
	// only the newest copy: open data still counts it (its first arrival was before closing), so
	// the closed quarter stays 63.6 on 11; e12 (first stored after closing) stays out. Stored-at
	// read from the surviving copy would give 6 of 10 = 60.0 %.
	insertRows(t, conn, insertRating, []any{"x05", at, "E", "person", "e5", "satisfaction", uint8(4), "svc", "req-5", "ls-1", "", "portal", closed.Add(2 * time.Hour), "test"})
	if err := conn.Exec(ctx, "OPTIMIZE TABLE ratings FINAL"); err != nil {
		t.Fatal(err)
	}
	var copies uint64
	var survivor time.Time
	if err := conn.QueryRow(ctx, "SELECT count(), max(ingested_at) FROM ratings WHERE event_id = 'x05'").Scan(&copies, &survivor); err != nil {
		t.Fatal(err)
	}
	if copies != 1 || !survivor.Equal(closed.Add(2*time.Hour)) {
		t.Fatalf("after OPTIMIZE FINAL x05 has %d copies, the newest stored %s: want 1 copy stored at %s", copies, survivor, closed.Add(2*time.Hour))
	}
	od, err = BuildOpenData(ctx, conn, q3, 10)
	if err != nil {
		t.Fatal(err)
	}
	total = nil
	for i := range od.Cells {
		if od.Cells[i].AgencyID == "E" && od.Cells[i].Total {
			total = &od.Cells[i]
		}
	}
	if total == nil || total.Satisfaction.Value == nil || *total.Satisfaction.Value != 63.6 || *total.Satisfaction.Answers != 11 || *total.Respondents != 11 {
		var b bytes.Buffer
		_ = od.WriteCSV(&b)
		t.Errorf("closed quarter after a redelivery and a merge:\n%s\nwant E's total satisfaction 63.6 on 11 answers of 11 respondents", b.String())
	}
}
