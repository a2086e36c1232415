package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

// TestWriterStoresEveryColumn reads back every column of every kind, written through the
// batch's native column encodings, against values written out by hand from the JSON lines: with
// the columns handed to the driver without a copy and with them copied (the way for a driver
// whose columns are laid out otherwise).
func TestWriterStoresEveryColumn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		share bool
	}{{"columns shared with the driver", true}, {"columns copied into the driver's", false}} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(s bool) { shareColumns = s }(shareColumns)
			shareColumns = tc.share
			conn, _ := chtest.DB(t)
			ctx := context.Background()
			v := testValidator()
			var b Batch
			noChannel := with(t, goodRating, "channel", "")
			noChannel = with(t, with(t, noChannel, "event_id", `"e-4"`), "question", `"ease"`)
			noChannel = with(t, with(t, noChannel, "score", "4"), "agency_id", `"mo-kazan.social"`)
			reply := with(t, with(t, goodAppeal, "event_id", `"e-5"`), "step", `"replied"`)
			reply = with(t, with(t, reply, "message_type", ""), "reply_text", `"Ответ дан. Спасибо!"`)
			reply = with(t, with(t, reply, "automated", "true"), "excluded", "true")
			for i, line := range []string{goodService, goodRating, goodAppeal, noChannel, reply} {
				var ev Event
				if err := v.Decode([]byte(line), &ev); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				b.Add(&ev, fmt.Sprintf("hand/%d", i))
			}
			w := NewWriter(conn, WithMaxAttempts(1), WithWriterRegisterer(nil))
			w.now = func() time.Time { return time.Date(2026, 7, 2, 8, 0, 0, 0, time.UTC) }
			if err := w.Write(ctx, &b); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ table, cols, want string }{
				{"service_events", "event_id, occurred_at, agency_id, client_type, client_id, request_id, service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source",
					"e-1|2026-06-30 21:30:00|mo-kazan.social|person|9f86d081884c7d65|r-1|s-1|service|completed|mfc|ls-birth|sc-1||1|2026-07-02 08:00:00|hand/0"},
				{"ratings", "event_id, occurred_at, agency_id, client_type, client_id, question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source",
					"e-2|2026-07-01 10:00:00|fns|business|c-77|nps|0|s-1||||portal|2026-07-02 08:00:00|hand/1\n" +
						"e-4|2026-07-01 10:00:00|mo-kazan.social|business|c-77|ease|4|s-1||||" + "|2026-07-02 08:00:00|hand/3"},
				{"appeals", "event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, channel, service_id, life_situation_id, message_type, automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, source",
					"e-3|2026-07-01 05:00:00|fns|person||a-1|received|social_network|||mention|0|0|0|0|0|0|hand/2\n" +
						"e-5|2026-07-01 05:00:00|fns|person||a-1|replied|social_network||||1|1|15|3|2|6|hand/4"},
			} {
				if got := queryRows(t, conn, c.table, c.cols); got != c.want {
					t.Errorf("%s\n got\n%s\nwant\n%s", c.table, got, c.want)
				}
			}
		})
	}
}

// TestDriverColumnsShared holds the driver pinned in go.mod to the layout the writer relies on
// to hand it the batch's columns without a copy: every column of every table's statement, but
// the LowCardinality ones, has a field of the batch column's type.
func TestDriverColumnsShared(t *testing.T) {
	conn, _ := chtest.DB(t)
	var b Batch
	b.Reserve(1, rowOverhead) // every table's columns, empty
	ctx := context.Background()
	for k := range b.tables {
		spec := Kind(k).spec()
		if spec == nil {
			continue
		}
		t.Run(spec.table, func(t *testing.T) {
			db, err := conn.PrepareBatch(ctx, spec.insert)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Abort()
			tc := &b.tables[k]
			srcs := make([]proto.ColInput, 0, len(tc.cols)+2)
			for _, c := range tc.cols {
				srcs = append(srcs, c.column())
			}
			srcs = append(srcs, &tc.stamp, &tc.source)
			cols := db.Columns()
			if len(cols) != len(srcs) {
				t.Fatalf("%d driver columns for %d batch columns", len(cols), len(srcs))
			}
			for i, src := range srcs {
				_, lowCard := src.(*proto.ColLowCardinality[string])
				if off := shareOffset(cols[i], src); (off >= 0) == lowCard {
					t.Errorf("column %s: driver %T, batch %T: share offset %d", cols[i].Name(), cols[i], src, off)
				}
			}
		})
	}
}

// TestBatchReusedAcrossInserts fills one Batch three times, with Reset in between and a
// different number of rows and agencies each time (the LowCardinality dictionary, the string
// buffers and the Enum8 codes are all reused), and checks every stored row against the formula
// that generated it.
func TestBatchReusedAcrossInserts(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	w := NewWriter(conn, WithMaxAttempts(1), WithWriterRegisterer(nil))
	var b Batch
	channelOf := func(i int) string { return []string{"portal", "mfc", "phone"}[i%3] }
	total := 0
	for round, n := range []int{3000, 500, 2000} {
		b.Reset()
		for i := range n {
			id := total + i
			ev := Event{Kind: KindRating, EventID: fmt.Sprintf("ev-%05d", id), ClientType: "person",
				OccurredAt: time.Date(2026, 7, 1, 0, 0, id%3600, 0, time.UTC),
				AgencyID:   fmt.Sprintf("ag-%d-%d", round, i%(round+2)), ClientID: strings.Repeat("c", 1+id%40),
				Question: "nps", Score: uint8(id % 11)}
			if i%2 == 0 {
				ev.Channel = channelOf(id) // optional: '' on odd rows
			}
			b.Add(&ev, fmt.Sprintf("round-%d", round))
		}
		if got := b.Len(); got != n {
			t.Fatalf("round %d: Len %d, want %d", round, got, n)
		}
		if err := w.Write(ctx, &b); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		total += n
	}
	rows, err := conn.Query(ctx, "SELECT event_id, agency_id, client_id, toString(channel), score, toUInt32(occurred_at), source FROM ratings ORDER BY event_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id, agency, client, channel, source string
		var score uint8
		var at uint32
		if err := rows.Scan(&id, &agency, &client, &channel, &score, &at, &source); err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscanf(id, "ev-%d", &n)
		round, i := 0, n
		for _, size := range []int{3000, 500, 2000} {
			if i < size {
				break
			}
			i -= size
			round++
		}
		wantChannel := ""
		if i%2 == 0 {
			wantChannel = channelOf(n)
		}
		want := fmt.Sprintf("ag-%d-%d|%s|%s|%d|%d|round-%d", round, i%(round+2), strings.Repeat("c", 1+n%40), wantChannel, n%11,
			time.Date(2026, 7, 1, 0, 0, n%3600, 0, time.UTC).Unix(), round)
		if got := fmt.Sprintf("%s|%s|%s|%d|%d|%s", agency, client, channel, score, at, source); got != want {
			t.Fatalf("%s: got %s, want %s", id, got, want)
		}
		seen++
	}
	if seen != total {
		t.Fatalf("%d rows stored, want %d", seen, total)
	}
}

// queryRows returns the table's rows ordered by event_id, each as its columns (cols, comma
// separated) converted to strings by ClickHouse and joined with |, one row a line.
func queryRows(t *testing.T, conn driver.Conn, table, cols string) string {
	t.Helper()
	var exprs []string
	for _, c := range strings.Split(cols, ",") {
		exprs = append(exprs, "toString("+strings.TrimSpace(c)+")")
	}
	var lines []string
	for _, vals := range chtest.Rows(t, conn, "SELECT "+strings.Join(exprs, ", ")+" FROM "+table+" ORDER BY event_id") {
		lines = append(lines, strings.Join(vals, "|"))
	}
	return strings.Join(lines, "\n")
}
