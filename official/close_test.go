package official

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxstar/cxstar/internal/testkit/assessjson"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/scorecardtest"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/transform"
)

// Close 2026Q3; late events and a superseding answer arrive; the official values stay, the
// pending revision lists exactly the expected difference; --close --reason publishes revision 2 and
// both revisions stay readable.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestCloseQuarter(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	loaded := time.Now().UTC().Truncate(time.Second)
	bands := smallDefaultBands(t)
	req := func(now time.Time) transform.Request {
		return transform.Request{Quarter: "2026Q3", Bands: bands, Now: func() time.Time { return now }}
	}

	f := feed{prefix: "main-"}
	// a1: satisfaction 4, 3, 2, 4, 1, 3 → 4/6 = 66.7 % → 2★ (≥ 60.1).
	for i, s := range []int{4, 3, 2, 4, 1, 3} {
		f.rating("a1", fmt.Sprintf("c%d", i+1), fmt.Sprintf("r%d", i+1), "satisfaction", s, "2026-08-01T10:00:00Z")
	}
	// a2: 4, 4, 3, 1, 2 → 3/5 = 60.0 % → 1★; nothing of a2 arrives late.
	for i, s := range []int{4, 4, 3, 1, 2} {
		f.rating("a2", fmt.Sprintf("d%d", i+1), fmt.Sprintf("q%d", i+1), "satisfaction", s, "2026-08-01T10:00:00Z")
	}
	f.load(t, conn, loaded)
	if time.Now().UTC().Truncate(time.Second) != loaded {
		loaded = time.Time{} // the load crossed a second: its last insert time is not known exactly
	}

	closed := nextSecond()
	rev, _, err := Close(ctx, conn, req(closed), "")
	if err != nil {
		t.Fatal(err)
	}
	if rev.Revision != 1 || !rev.ClosedAt.Equal(closed) || rev.Inputs.RegistryVersion != "" || len(rev.Inputs.Tables) != 3 {
		t.Fatalf("revision %d closed %s registry %q tables %v, want 1, %s, none, 3 tables", rev.Revision, rev.ClosedAt, rev.Inputs.RegistryVersion, rev.Inputs.Tables, closed)
	}
	tb := rev.Inputs.Tables
	if tb[0].Table != "service_events" || tb[0].Rows != 0 || tb[1].Table != "ratings" || tb[1].Rows != 11 || tb[2].Table != "appeals" || tb[2].Rows != 0 ||
		!loaded.IsZero() && !tb[1].LastInsert.Equal(loaded) || !tb[1].LastInsert.Before(closed) {
		t.Errorf("fingerprint tables %v, want 0 service events, 11 ratings last inserted at %s, 0 appeals", tb, loaded)
	}
	if got := strings.Join(rev.Inputs.Bands, ","); got != "people=P-2022-04-18.1,business=B-2022-04-18.1" {
		t.Errorf("fingerprint bands %s", got)
	}
	checkSat := func(r *Revision, agency, value, level string) {
		t.Helper()
		x, ok := scorecardtest.Result(r.Scorecard(metrics.People), agency, "satisfaction_positive_share")
		if !ok {
			t.Errorf("revision %d: no satisfaction of %s", r.Revision, agency)
		} else if x.Value.String() != value || levelStr(x.Level) != level || x.ID != "P-T1-5" {
			t.Errorf("revision %d %s satisfaction %s level %s (%s), want %s level %s (P-T1-5)", r.Revision, agency, x.Value, levelStr(x.Level), x.ID, value, level)
		}
	}
	checkSat(rev, "a1", "66.7", "2")
	// printed renders a revision as `assess` prints it (table and JSON), without a pending revision.
	printed := func(r *Revision) string {
		t.Helper()
		var b bytes.Buffer
		v := &View{Revision: r, Revisions: []int{1}}
		for _, lang := range []metrics.Lang{metrics.EN, metrics.RU} {
			if err := v.WriteTable(&b, lang); err != nil {
				t.Fatal(err)
			}
		}
		if err := v.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	atClose := printed(rev)
	latest := func(agency string) float64 {
		t.Helper()
		var v float64
		if err := conn.QueryRow(ctx, "SELECT any(value) FROM assessments_latest WHERE quarter = '2026Q3' AND agency_id = '"+agency+"' AND indicator = 'satisfaction_positive_share'").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Late data: a new answer of c7 (1) and c1's superseding answer to the same request (1).
	lf := feed{prefix: "late-"}
	lf.rating("a1", "c7", "r7", "satisfaction", 1, "2026-09-15T10:00:00Z")
	lf.rating("a1", "c1", "r1", "satisfaction", 1, "2026-09-20T10:00:00Z")
	late := nextSecond()
	lf.load(t, conn, late)
	// An ordinary stored run afterwards does not replace the official rows.
	if _, err := transform.Assess(ctx, conn, transform.Request{Quarter: "2026Q3", Bands: bands, Store: true, Now: func() time.Time { return late }}); err != nil {
		t.Fatal(err)
	}
	if v := latest("a1"); v != 66.7 {
		t.Errorf("assessments_latest after a later run: %v, want the official 66.7", v)
	}

	off, err := Load(ctx, conn, "2026Q3", 0)
	if err != nil || off == nil {
		t.Fatalf("load: %v %v", off, err)
	}
	checkSat(off, "a1", "66.7", "2")
	if got := printed(off); got != atClose {
		t.Errorf("after the late load the official revision prints differently from when it was closed:\n%s\nat closing:\n%s", got, atClose)
	}
	pd, err := Check(ctx, conn, req(late), off)
	if err != nil {
		t.Fatal(err)
	}
	// c1 now 1, c2 3, c3 2, c4 4, c5 1, c6 3, c7 1 → 3/7 = 42.857… → 42.9 → 0★ (≤ 50.0).
	want := "people a1 satisfaction_positive_share 66.7/2 → 42.9/0 [ratings: 2 event(s) of this agency arrived after closing]"
	var got []string
	for _, d := range pd.Differences {
		got = append(got, fmt.Sprintf("%s %s %s %s/%s → %s/%s %v", d.Standard, d.AgencyID, d.Indicator, decStr(d.OldValue), levelStr(d.OldLevel), decStr(d.NewValue), levelStr(d.NewLevel), d.Why))
	}
	if strings.Join(got, "\n") != want {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	if fmt.Sprint(pd.Late) != "[{a1 ratings 2}]" {
		t.Errorf("late data %v, want [{a1 ratings 2}]", pd.Late)
	}

	// Recorded for the dashboards: an agency-only check is not (it sees part of the quarter); a
	// whole one is, and official_pending_latest shows exactly its difference and late count.
	pending := func() string {
		t.Helper()
		return strings.Join(chtest.Strings(t, conn, `SELECT concat(quarter, ' r', toString(revision), ' ', toString(kind), ' ', toString(standard), ' ', agency_id, ' ', indicator, source_table, ' ',
			ifNull(toString(old_value), '-'), '/', ifNull(toString(old_level), '-'), ' → ', ifNull(toString(new_value), '-'), '/', ifNull(toString(new_level), '-'), ' ', toString(events), ' ', why_en, ' | ', why_ru)
			FROM official_pending_latest ORDER BY kind, agency_id, indicator`), "\n")
	}
	stored := req(late)
	stored.Store = true
	part := stored
	part.Agency = "a1"
	if _, err := Refresh(ctx, conn, part, off); err != nil {
		t.Fatal(err)
	}
	if got := pending(); got != "" {
		t.Errorf("an agency-only check was recorded: %s", got)
	}
	if _, err := Refresh(ctx, conn, stored, off); err != nil {
		t.Fatal(err)
	}
	wantRows := "2026Q3 r1 difference people a1 satisfaction_positive_share 66.7/2 → 42.9/0 0 ratings: 2 event(s) of this agency arrived after closing | ratings: после закрытия поступило событий этого органа: 2\n" +
		"2026Q3 r1 late  a1 ratings -/- → -/- 2 2 event(s) arrived after closing | после закрытия поступило событий: 2"
	if got := pending(); got != wantRows {
		t.Errorf("official_pending_latest:\n%s\nwant:\n%s", got, wantRows)
	}

	// JSON: the official values under the usual keys, the differences in pending_revision.
	var buf bytes.Buffer
	v := &View{Revision: off, Revisions: []int{1}, Pending: pd, Standards: []metrics.Standard{metrics.People}}
	if err := v.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	doc := assessjson.Decode(t, buf.Bytes())
	sat := -1.0
	if v, _ := doc.Indicator("a1", "satisfaction_positive_share"); v != nil {
		sat = *v
	}
	if doc.Quarter != "2026Q3" || sat != 66.7 || doc.Official.Revision != 1 || len(doc.Pending.Differences) != 1 ||
		doc.Pending.Differences[0].NewValue != 42.9 || len(doc.Pending.Late) != 1 {
		t.Errorf("JSON: quarter %s satisfaction %v revision %d differences %v late %v", doc.Quarter, sat, doc.Official.Revision, doc.Pending.Differences, doc.Pending.Late)
	}

	// Revision 2 needs a reason; with one it publishes the recomputation and keeps revision 1.
	if _, _, err := Close(ctx, conn, req(late), ""); err == nil || !strings.Contains(err.Error(), "needs --reason") {
		t.Errorf("second close without a reason: %v", err)
	}
	closed2 := nextSecond()
	rev2, _, err := Close(ctx, conn, req(closed2), "late survey batch")
	if err != nil {
		t.Fatal(err)
	}
	if rev2.Revision != 2 || rev2.Reason != "late survey batch" || rev2.Inputs.Tables[1].Rows != 13 {
		t.Errorf("revision 2: %d %q ratings rows %d, want 2, late survey batch, 13", rev2.Revision, rev2.Reason, rev2.Inputs.Tables[1].Rows)
	}
	revs, err := Revisions(ctx, conn, "2026Q3")
	if err != nil || fmt.Sprint(revs) != "[1 2]" {
		t.Errorf("revisions %v %v, want [1 2]", revs, err)
	}
	r1, err := Load(ctx, conn, "2026Q3", 1)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Load(ctx, conn, "2026Q3", 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSat(r1, "a1", "66.7", "2")
	checkSat(r2, "a1", "42.9", "0")
	checkSat(r2, "a2", "60.0", "1")
	if r1.Revision != 1 || r2.Revision != 2 || r2.Reason != "late survey batch" || !r2.ClosedAt.Equal(closed2) {
		t.Errorf("loaded revisions %d, %d %q %s", r1.Revision, r2.Revision, r2.Reason, r2.ClosedAt)
	}
	if v := latest("a1"); v != 42.9 {
		t.Errorf("assessments_latest after revision 2: %v, want 42.9", v)
	}
	if got := pending(); got != "" {
		t.Errorf("official_pending_latest after revision 2 still shows revision 1's check: %s", got)
	}
	pd2, err := Check(ctx, conn, req(closed2), r2)
	if err != nil {
		t.Fatal(err)
	}
	if len(pd2.Differences) != 0 || len(pd2.Late) != 0 {
		t.Errorf("after revision 2: differences %v late %v, want none", pd2.Differences, pd2.Late)
	}
	stored2 := req(closed2)
	stored2.Store = true
	if _, err := Refresh(ctx, conn, stored2, r2); err != nil {
		t.Fatal(err)
	}
	var checks, diffs uint64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(differences) FROM official_checks WHERE quarter = '2026Q3' AND revision = 2").Scan(&checks, &diffs); err != nil || checks != 1 || diffs != 0 {
		t.Errorf("revision 2's check: %d checks with %d differences (%v), want 1 with 0", checks, diffs, err)
	}
	if got := pending(); got != "" {
		t.Errorf("official_pending_latest after a clean check: %s", got)
	}
}
