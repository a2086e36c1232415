package simulate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/quarter"
)

// testNow is a fixed clock: the default period is then 2025Q4–2026Q3.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

type line struct {
	kind ingest.Kind
	key  string
	data []byte
}

func collect(t testing.TB, g *Generator) ([]line, Stats) {
	t.Helper()
	var out []line
	st, err := g.Run(context.Background(), SinkFunc(func(k ingest.Kind, key, l []byte) error {
		out = append(out, line{k, string(key), bytes.Clone(l)})
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func TestQuarter(t *testing.T) {
	for _, tc := range []struct {
		in         string
		want       string
		start, end string // UTC
	}{
		// 1 January 00:00 Moscow time is 31 December 21:00 UTC.
		{"2026Q1", "2026Q1", "2025-12-31T21:00:00Z", "2026-03-31T21:00:00Z"},
		{"2026-q3", "2026Q3", "2026-06-30T21:00:00Z", "2026-09-30T21:00:00Z"},
		{"2025Q4", "2025Q4", "2025-09-30T21:00:00Z", "2025-12-31T21:00:00Z"},
	} {
		q, err := quarter.Parse(tc.in, Moscow)
		if err != nil {
			t.Fatal(err)
		}
		if q.String() != tc.want || q.Start().UTC().Format(time.RFC3339) != tc.start || q.End().UTC().Format(time.RFC3339) != tc.end {
			t.Errorf("%s: got %s %s %s", tc.in, q, q.Start().UTC().Format(time.RFC3339), q.End().UTC().Format(time.RFC3339))
		}
	}
	for _, bad := range []string{"2026", "2026Q5", "2026Q0", "Q3", "1999Q1", "2026Q12"} {
		if _, err := quarter.Parse(bad, Moscow); err == nil {
			t.Errorf("quarter.Parse(%q) accepted", bad)
		}
	}
	// 2026-09-30T21:30Z is 1 October 00:30 in Moscow: already 2026Q4, so the last completed is Q3.
	if got := quarter.LastComplete(time.Date(2026, 9, 30, 21, 30, 0, 0, time.UTC), Moscow); got.String() != "2026Q3" {
		t.Errorf("LastComplete = %s, want 2026Q3", got)
	}
	if got := (quarter.Quarter{Year: 2026, Q: 1}).Add(-1); got.String() != "2025Q4" {
		t.Errorf("2026Q1 - 1 = %s", got)
	}
}

func TestAppendRFC3339(t *testing.T) {
	for _, unix := range []int64{0, 951782400 /* 2000-02-29 */, 1767214800, 1782856799, 4070908800, 1709164800 /* 2024-02-29 */} {
		tm := time.Unix(unix, 0)
		if got, want := string(appendRFC3339(nil, unix, false)), tm.In(Moscow).Format(time.RFC3339); got != want {
			t.Errorf("%d Moscow: %s, want %s", unix, got, want)
		}
		if got, want := string(appendRFC3339(nil, unix, true)), tm.UTC().Format(time.RFC3339); got != want {
			t.Errorf("%d UTC: %s, want %s", unix, got, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	opts := []Option{WithSeed(7), WithAgencies(4), WithRequests(300), WithClock(clock)}
	hash := func(opts ...Option) ([32]byte, Stats) {
		h := sha256.New()
		st, err := New(opts...).Run(context.Background(), SinkFunc(func(k ingest.Kind, key, l []byte) error {
			h.Write([]byte{byte(k)})
			h.Write(key)
			h.Write(l)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return [32]byte(h.Sum(nil)), st
	}
	a, sa := hash(opts...)
	b, sb := hash(opts...)
	if a != b || sa.Lines() != sb.Lines() {
		t.Fatalf("same seed gave different output: %x %x", a, b)
	}
	c, _ := hash(append(opts, WithSeed(8))...)
	if a == c {
		t.Fatal("a different seed gave the same output")
	}
	// The files are byte-identical too.
	dir1, dir2 := t.TempDir(), t.TempDir()
	for _, d := range []string{dir1, dir2} {
		fs, err := NewFileSink(d, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(opts...).Run(context.Background(), fs); err != nil {
			t.Fatal(err)
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []ingest.Kind{ingest.KindService, ingest.KindRating, ingest.KindAppeal} {
		x, _ := os.ReadFile(filepath.Join(dir1, FileName(k, false)))
		y, _ := os.ReadFile(filepath.Join(dir2, FileName(k, false)))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: files differ or are empty (%d, %d bytes)", k, len(x), len(y))
		}
	}
}

// TestValidator runs every generated line through the real validator: each valid event passes
// and decodes to the kind it was written as, each invalid line is refused with the code the
// generator expected, and duplicates repeat an earlier event_id.
func TestValidator(t *testing.T) {
	g := New(WithSeed(3), WithAgencies(6), WithRequests(400), WithInvalidShare(0.02), WithDuplicateShare(0.02), WithClock(clock))
	lines, st := collect(t, g)
	v := ingest.NewValidator(ingest.WithClock(clock))
	var ev ingest.Event
	codes := map[string]int64{}
	var valid, dups [4]int64
	seen := map[string]bool{}
	for _, l := range lines {
		err := v.Decode(l.data, &ev)
		var rej *ingest.Rejection
		if errors.As(err, &rej) {
			codes[rej.Code]++
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", l.data, err)
		}
		if ev.Kind != l.kind {
			t.Fatalf("line written as %s decodes as %s: %s", l.kind, ev.Kind, l.data)
		}
		var wantKey string
		switch ev.Kind {
		case ingest.KindService:
			wantKey = ev.RequestID
		case ingest.KindRating:
			wantKey = ev.EventID
		default:
			wantKey = ev.AppealID
		}
		if l.key != wantKey {
			t.Fatalf("key %q, want %q: %s", l.key, wantKey, l.data)
		}
		if seen[ev.EventID] {
			dups[ev.Kind]++
		} else {
			seen[ev.EventID] = true
			valid[ev.Kind]++
		}
	}
	if valid != st.Events || dups != st.Duplicates {
		t.Errorf("validator saw valid %v dup %v; generator counted %v %v", valid, dups, st.Events, st.Duplicates)
	}
	if len(codes) != len(st.Invalid) {
		t.Errorf("codes %v, want %v", codes, st.Invalid)
	}
	for c, n := range st.Invalid {
		if codes[c] != n {
			t.Errorf("code %s: validator %d, generator %d", c, codes[c], n)
		}
	}
	// With 2 % of ~100k events invalid, every one of the 9 defects occurs.
	for _, c := range ExpectedCodes() {
		if st.Invalid[c] == 0 {
			t.Errorf("no invalid line with code %s", c)
		}
	}
	if st.Lines() != int64(len(lines)) {
		t.Errorf("Lines() = %d, sink got %d", st.Lines(), len(lines))
	}
}

// TestDistribution checks that the data exercises every event-computable indicator with
// realistic spreads.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestDistribution(t *testing.T) {
	g := New(WithSeed(11), WithAgencies(20), WithRequests(1500), WithInvalidShare(0), WithDuplicateShare(0), WithClock(clock))
	lines, st := collect(t, g)
	v := ingest.NewValidator(ingest.WithClock(clock))
	var ev ingest.Event

	type cs struct{ client, service string }
	type req struct {
		cs        cs
		submitted time.Time
	}
	var reqs []req
	completions := map[cs][]time.Time{}
	questions := map[string]int{}
	clientTypes := map[string]int{}
	msgTypes := map[string]int{}
	channels := map[string]int{}
	statuses := map[string]int{}
	// NPS per agency and quarter: promoters − detractors, answers.
	type aq struct {
		agency string
		q      int
	}
	npsP, npsN := map[aq]int{}, map[aq]int{}
	received := map[string]time.Time{}
	var replyHours []float64
	var proactive, withScenario, services int
	first := g.Quarters()[0].Index()
	for _, l := range lines {
		if err := v.Decode(l.data, &ev); err != nil {
			t.Fatalf("%v: %s", err, l.data)
		}
		clientTypes[ev.ClientType]++
		switch ev.Kind {
		case ingest.KindService:
			statuses[ev.Status]++
			k := cs{ev.ClientID, ev.ServiceID}
			switch ev.Status {
			case "submitted":
				reqs = append(reqs, req{k, ev.OccurredAt})
				services++
				if ev.Proactive {
					proactive++
				}
				if ev.ScenarioID != "" {
					withScenario++
				}
			case "completed":
				completions[k] = append(completions[k], ev.OccurredAt)
			}
		case ingest.KindRating:
			questions[ev.Question]++
			if ev.Question == "nps" {
				k := aq{ev.AgencyID, quarter.Of(ev.OccurredAt, Moscow).Index() - first}
				npsN[k]++
				switch {
				case ev.Score >= 9:
					npsP[k]++
				case ev.Score <= 6:
					npsP[k]--
				}
			}
		case ingest.KindAppeal:
			channels[ev.Channel]++
			switch ev.Step {
			case "received":
				msgTypes[ev.MessageType]++
				received[ev.AppealID] = ev.OccurredAt
			case "replied":
				if !ev.Automated {
					replyHours = append(replyHours, ev.OccurredAt.Sub(received[ev.AppealID]).Hours())
				}
			}
		}
	}
	// Repeat requests by the rule A10, computed independently of the generator: a request is a
	// repeat when the same client had a completion of the same service in the 28 days before.
	var repeats int
	for _, r := range reqs {
		for _, c := range completions[r.cs] {
			if c.Before(r.submitted) && !r.submitted.After(c.Add(28*24*time.Hour)) {
				repeats++
				break
			}
		}
	}
	var target float64
	for _, a := range g.Agencies() {
		target += a.RepeatShare * a.Weight
	}
	var w float64
	for _, a := range g.Agencies() {
		w += a.Weight
	}
	target /= w
	got := float64(repeats) / float64(len(reqs))
	t.Logf("requests %d, repeats %d (%.2f%%; target %.2f%%; by construction %d)", len(reqs), repeats, 100*got, 100*target, st.RepeatRequests)
	// The first quarter has no lookback before the data and a few coincidental returns add to it:
	// within 1 percentage point of the weighted target.
	if math.Abs(got-target) > 0.01 {
		t.Errorf("repeat share %.2f%%, want %.2f%% ± 1", 100*got, 100*target)
	}
	if int64(repeats) < st.RepeatRequests {
		t.Errorf("A10 found %d repeats, fewer than the %d generated as repeats", repeats, st.RepeatRequests)
	}
	for _, q := range []string{"nps", "nps_digital", "satisfaction", "ease", "sat_phone", "sat_compliance_costs",
		"sat_assessment_costs", "sat_requirements_evaluation", "sat_informing_training", "sat_feedback_channels",
		"sat_path_time", "sat_risk_profile", "sat_control_activities"} {
		if questions[q] < 100 {
			t.Errorf("question %s: %d answers, want ≥ 100", q, questions[q])
		}
	}
	for _, m := range []string{"mention", "official_appeal", "comment_on_official_post", "written_appeal"} {
		if msgTypes[m] < 50 {
			t.Errorf("message type %s: %d", m, msgTypes[m])
		}
	}
	for _, s := range []string{"submitted", "in_progress", "completed", "refused", "withdrawn"} {
		if statuses[s] == 0 {
			t.Errorf("no status %s", s)
		}
	}
	if clientTypes["person"] == 0 || clientTypes["business"] == 0 || channels["social_network"] == 0 || channels["public_chat"] == 0 {
		t.Errorf("client types %v, appeal channels %v", clientTypes, channels)
	}
	if proactive == 0 || withScenario == 0 || withScenario == services {
		t.Errorf("proactive %d, within a scenario %d of %d requests", proactive, withScenario, services)
	}
	sort.Float64s(replyHours)
	if replyHours[0] > 1 || replyHours[len(replyHours)-1] < 48 {
		t.Errorf("first official replies from %.2f h to %.1f h; want minutes to days", replyHours[0], replyHours[len(replyHours)-1])
	}
	// NPS differs by agency (over 40 points between the best and the worst in the first quarter),
	// and agencies with a strong drift move in its direction over the year.
	lo, hi := 1000.0, -1000.0
	moved, drifting := 0, 0
	for _, a := range g.Agencies() {
		q0 := 100 * float64(npsP[aq{a.ID, 0}]) / float64(npsN[aq{a.ID, 0}])
		q3 := 100 * float64(npsP[aq{a.ID, 3}]) / float64(npsN[aq{a.ID, 3}])
		lo, hi = math.Min(lo, q0), math.Max(hi, q0)
		if math.Abs(a.Drift) > 0.03 && a.NPSQuality > 0.15 && a.NPSQuality < 0.85 {
			drifting++
			if (q3-q0)*a.Drift > 0 {
				moved++
			}
		}
	}
	if hi-lo < 40 {
		t.Errorf("NPS ranges only from %.1f to %.1f across agencies", lo, hi)
	}
	if drifting == 0 || moved < drifting*3/4 {
		t.Errorf("%d of %d strongly drifting agencies moved in the drift's direction", moved, drifting)
	}
}

func TestNoFutureEvents(t *testing.T) {
	// The current quarter is cut at now: nothing is rejected as being in the future.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g := New(WithSeed(5), WithAgencies(2), WithRequests(500), WithInvalidShare(0), WithDuplicateShare(0),
		WithQuarters(quarter.Quarter{Year: 2026, Q: 3}, quarter.Quarter{Year: 2026, Q: 4}), WithClock(func() time.Time { return now }))
	lines, _ := collect(t, g)
	v := ingest.NewValidator(ingest.WithClock(func() time.Time { return now }))
	var ev ingest.Event
	var last time.Time
	for _, l := range lines {
		if err := v.Decode(l.data, &ev); err != nil {
			t.Fatalf("%v: %s", err, l.data)
		}
		if ev.OccurredAt.After(last) {
			last = ev.OccurredAt
		}
	}
	if last.After(now) || last.Before(now.Add(-48*time.Hour)) {
		t.Errorf("latest event %s; want shortly before %s", last, now)
	}
}

// TestBackfill loads generated files through ingest.Loader into ClickHouse and reads back the
// counts: distinct valid events per table, duplicates and rejects as the generator counted.
func TestBackfill(t *testing.T) {
	conn, _ := chtest.DB(t)
	dir := t.TempDir()
	fs, err := NewFileSink(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	g := New(WithSeed(21), WithAgencies(3), WithRequests(500), WithInvalidShare(0.01), WithDuplicateShare(0.01), WithClock(clock))
	st, err := g.Run(context.Background(), fs)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	ls, err := ingest.NewLoader(ingest.NewValidator(ingest.WithClock(clock)), ingest.NewWriter(conn, ingest.WithMaxAttempts(3))).
		Load(context.Background(), fs.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if ls.Inserted != st.Valid() || ls.Duplicate != st.DuplicateTotal() || ls.Rejected != st.InvalidTotal() || ls.Read != st.Lines() {
		t.Errorf("loader %+v; generator valid %d dup %d invalid %d lines %d", ls, st.Valid(), st.DuplicateTotal(), st.InvalidTotal(), st.Lines())
	}
	for _, k := range []ingest.Kind{ingest.KindService, ingest.KindRating, ingest.KindAppeal} {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+k.Table()+" FINAL").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if int64(n) != st.Events[k] {
			t.Errorf("%s: %d rows in ClickHouse, generator wrote %d distinct valid events", k.Table(), n, st.Events[k])
		}
	}
	var agencies uint64
	if err := conn.QueryRow(context.Background(), "SELECT uniqExact(agency_id) FROM service_events").Scan(&agencies); err != nil {
		t.Fatal(err)
	}
	if agencies != 3 {
		t.Errorf("%d agencies in service_events, want 3", agencies)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	var events, bytes int64
	for i := 0; i < b.N; i++ {
		st, err := New(WithSeed(uint64(i)), WithAgencies(4), WithRequests(5000), WithClock(clock)).Run(context.Background(), Discard)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Lines()
		bytes += st.Bytes
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(bytes)/float64(events), "bytes/event")
}
