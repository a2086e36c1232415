package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// TestBackfillClickHouse loads a mixed file (good, bad, repeated lines) and a gzipped file into a
// real ClickHouse, reads the rows back, checks the rejects file, then loads everything again and
// checks that nothing an indicator reads has changed.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestBackfillClickHouse(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	dir := t.TempDir()

	// events.jsonl: line numbers matter, the rejects file must name them.
	lines := []string{
		goodService, // 1
		goodRating,  // 2
		goodAppeal,  // 3
		`{"schema":"rating.v1","event_id":"e-4","occurred_at":"2026-08-31T23:59:59-01:00","agency_id":"fns","client_type":"person","client_id":"c-1","question":"ease","score":4}`, // 4
		`{"schema":"rating.v1","event_id":"e-5","occurred_at":"2026-07-01T10:00:00Z","agency_id":"fns","client_type":"person","client_id":"c-2","question":"ease","score":5}`,      // 5: out_of_range
		`not json`, // 6: invalid_json
		``,         // 7: empty lines are skipped, not read
		goodRating, // 8: same event_id as line 2: a duplicate
		`{"schema":"rating.v1","event_id":"e-9","occurred_at":"2026-07-01T10:00:00Z","agency_id":"fns","client_type":"person","client_id":"ivan@mail.ru","question":"nps","score":9}`,                                                    // 9: personal_data
		`{"schema":"appeal.v1","event_id":"e-10","occurred_at":"2026-07-01T12:00:00Z","agency_id":"fns","client_type":"person","appeal_id":"a-1","step":"replied","channel":"social_network","reply_text":"Ваш вопрос решён. Спасибо!"}`, // 10
		`{"schema":"service_event.v1","event_id":"e-11","occurred_at":"2099-01-01T00:00:00Z","agency_id":"fns","client_type":"person","client_id":"c-3","request_id":"r","service_id":"s","status":"completed","channel":"mfc"}`,         // 11: future_timestamp
	}
	mixed := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(mixed, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// more.jsonl.gz: one new service event and one repeat of line 1 of the other file.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Replace(goodService, `"e-1"`, `"e-12"`, 1) + "\n" + goodService + "\n"))
	zw.Close()
	packed := filepath.Join(dir, "more.jsonl.gz")
	if err := os.WriteFile(packed, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	load := func() (Stats, []RejectRecord) {
		var rejects bytes.Buffer
		l := NewLoader(testValidator(), NewWriter(conn, WithMaxAttempts(3)), WithRejects(&rejects), WithBatchRows(2))
		st, err := l.Load(ctx, []string{dir})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		var recs []RejectRecord
		sc := bufio.NewScanner(&rejects)
		for sc.Scan() {
			var r RejectRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("rejects file line %q: %v", sc.Text(), err)
			}
			recs = append(recs, r)
		}
		return st, recs
	}

	st, recs := load()
	// Read: 10 non-empty lines + 2 = 12. Rejected: lines 5, 6, 9, 11 = 4. Duplicates: line 8 and
	// the gzipped repeat of line 1 = 2. Inserted: 12 − 4 − 2 = 6 (e-1, e-2, e-3, e-4, e-10, e-12).
	want := Stats{Files: 2, Read: 12, Inserted: 6, Duplicate: 2, Rejected: 4}
	if st != want {
		t.Errorf("first load: got %+v, want %+v", st, want)
	}
	type rej struct {
		line       int
		code, file string
	}
	var gotRej []rej
	for _, r := range recs {
		if r.Reason == "" || r.Raw != lines[r.Line-1] {
			t.Errorf("reject record %+v: want a reason and the raw line %q", r, lines[r.Line-1])
		}
		gotRej = append(gotRej, rej{r.Line, r.Code, filepath.Base(r.File)})
	}
	sort.Slice(gotRej, func(i, j int) bool { return gotRej[i].line < gotRej[j].line })
	wantRej := []rej{{5, CodeOutOfRange, "events.jsonl"}, {6, CodeInvalidJSON, "events.jsonl"},
		{9, CodePersonalData, "events.jsonl"}, {11, CodeFutureTimestamp, "events.jsonl"}}
	if len(gotRej) != len(wantRej) {
		t.Fatalf("rejects: got %v, want %v", gotRej, wantRej)
	}
	for i := range wantRej {
		if gotRej[i] != wantRej[i] {
			t.Errorf("reject %d: got %v, want %v", i, gotRej[i], wantRej[i])
		}
	}

	// What an indicator reads: distinct rows per table (FINAL) and a few values.
	type snapshot struct {
		services, ratings, appeals uint64
		scoreSum                   uint64
		firstService               time.Time
		lateRating                 time.Time
		replyWords, replySentences uint32
	}
	read := func() snapshot {
		var s snapshot
		q := func(sql string, dest ...any) {
			t.Helper()
			if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		q(`SELECT count() FROM service_events FINAL`, &s.services)
		q(`SELECT count(), sum(toUInt64(score)) FROM ratings FINAL`, &s.ratings, &s.scoreSum)
		q(`SELECT count() FROM appeals FINAL`, &s.appeals)
		q(`SELECT occurred_at FROM service_events FINAL WHERE event_id = 'e-1'`, &s.firstService)
		q(`SELECT occurred_at FROM ratings FINAL WHERE event_id = 'e-4'`, &s.lateRating)
		q(`SELECT reply_words, reply_sentences FROM appeals FINAL WHERE event_id = 'e-10'`, &s.replyWords, &s.replySentences)
		return s
	}
	first := read()
	wantSnap := snapshot{
		services: 2, ratings: 2, appeals: 2, // e-1, e-12; e-2, e-4; e-3, e-10
		scoreSum: 0 + 4, // e-2 nps 0, e-4 ease 4
		// 2026-07-01T00:30:00+03:00 = 2026-06-30 21:30 UTC; 2026-08-31T23:59:59−01:00 = 2026-09-01 00:59:59 UTC.
		firstService:   time.Date(2026, 6, 30, 21, 30, 0, 0, time.UTC),
		lateRating:     time.Date(2026, 9, 1, 0, 59, 59, 0, time.UTC),
		replyWords:     4, // «Ваш вопрос решён. Спасибо!»: 4 words, 2 sentences
		replySentences: 2,
	}
	if !first.firstService.Equal(wantSnap.firstService) || !first.lateRating.Equal(wantSnap.lateRating) {
		t.Errorf("timestamps: got %v and %v, want %v and %v", first.firstService, first.lateRating, wantSnap.firstService, wantSnap.lateRating)
	}
	first.firstService, first.lateRating = wantSnap.firstService, wantSnap.lateRating
	if first != wantSnap {
		t.Errorf("after the first load: got %+v, want %+v", first, wantSnap)
	}
	// Each row's source is its file and line.
	for _, c := range []struct{ table, id, want string }{
		{"ratings", "e-4", mixed + ":4"}, {"appeals", "e-10", mixed + ":10"}, {"service_events", "e-12", packed + ":1"},
	} {
		var src string
		if err := conn.QueryRow(ctx, "SELECT source FROM "+c.table+" WHERE event_id = ?", c.id).Scan(&src); err != nil || src != c.want {
			t.Errorf("source of %s: %q (%v), want %q", c.id, src, err, c.want)
		}
	}
	if n := rawRows(t, conn, "service_events") + rawRows(t, conn, "ratings") + rawRows(t, conn, "appeals"); n != 6 {
		t.Errorf("raw rows after one load: %d, want 6 (duplicates within a run are not sent)", n)
	}

	// The same files again: the same counts from the loader, and nothing changes under FINAL.
	st2, recs2 := load()
	if st2 != want || len(recs2) != len(recs) {
		t.Errorf("second load: got %+v with %d rejects, want %+v with %d", st2, len(recs2), want, len(recs))
	}
	second := read()
	second.firstService, second.lateRating = wantSnap.firstService, wantSnap.lateRating
	if second != wantSnap {
		t.Errorf("after loading twice: got %+v, want %+v", second, wantSnap)
	}
	// The rows really were sent twice: it is the table design that counts them once.
	if err := conn.Exec(ctx, `OPTIMIZE TABLE ratings FINAL`); err != nil {
		t.Fatal(err)
	}
	if n := rawRows(t, conn, "ratings"); n != 2 {
		t.Errorf("ratings after a merge: %d rows, want 2", n)
	}
}

func rawRows(t *testing.T, conn driver.Conn, table string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackfillProgress: the last progress call of each file comes after its rows are
// acknowledged, so its counts include them, even when a batch spans several files; a line over
// the limit is reported as over 1 MiB, not with the bytes read before giving up.
func TestBackfillProgress(t *testing.T) {
	conn, _ := chtest.DB(t)
	dir := t.TempDir()
	// a.jsonl: 3 valid events; b.jsonl: 2 valid and a 1.2 MiB line; c.jsonl: 1 valid. All six
	// fit in one batch of 100 rows.
	ev := func(i int) string { return strings.Replace(goodRating, `"e-2"`, fmt.Sprintf(`"p-%d"`, i), 1) }
	files := map[string][]string{
		"a.jsonl": {ev(1), ev(2), ev(3)},
		"b.jsonl": {ev(4), `{"pad":"` + strings.Repeat("x", 1200<<10) + `"}`, ev(5)},
		"c.jsonl": {ev(6)},
	}
	for name, lines := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	final := map[string]Stats{}
	var rejects bytes.Buffer
	l := NewLoader(testValidator(), NewWriter(conn, WithMaxAttempts(3)), WithBatchRows(100), WithRejects(&rejects),
		WithProgress(time.Hour, func(file string, done, size int64, st Stats) {
			if done == size {
				final[filepath.Base(file)] = st
			}
		}))
	st, err := l.Load(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	// Files are read in name order; the batch is written once, after c.jsonl.
	want := map[string]Stats{
		"a.jsonl": {Files: 3, Read: 7, Inserted: 6, Rejected: 1},
		"b.jsonl": {Files: 3, Read: 7, Inserted: 6, Rejected: 1},
		"c.jsonl": {Files: 3, Read: 7, Inserted: 6, Rejected: 1},
	}
	if !reflect.DeepEqual(final, want) || st != want["c.jsonl"] {
		t.Errorf("final progress per file %+v, total %+v; want %+v", final, st, want)
	}
	var rec RejectRecord
	if err := json.Unmarshal(rejects.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Line != 2 || rec.Code != CodeTooLarge || rec.Reason != "line is over the limit of 1048576 bytes (1 MiB)" {
		t.Errorf("reject %+v", rec)
	}
}
