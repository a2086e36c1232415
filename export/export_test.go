package export

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/quarter"
)

func TestParseCHType(t *testing.T) {
	cases := []struct {
		in       string
		want     string
		nullable bool
		enum     []string
	}{
		{"String", "utf8", false, nil},
		{"LowCardinality(String)", "utf8", false, nil},
		{"FixedString(4)", "utf8", false, nil},
		{"DateTime('UTC')", "timestamp[s, tz=UTC]", false, nil},
		{"DateTime", "timestamp[s, tz=UTC]", false, nil},
		{"Date", "date32", false, nil},
		{"UInt8", "uint8", false, nil},
		{"UInt64", "uint64", false, nil},
		{"Int32", "int32", false, nil},
		{"Nullable(Float64)", "float64", true, nil},
		{"Nullable(UInt8)", "uint8", true, nil},
		{"LowCardinality(Nullable(String))", "utf8", true, nil},
		// Values out of order and a quoted comma: names come back sorted by value.
		{"Enum8('b' = 2, '' = 0, 'a,\\'x' = 1)", "dictionary<values=utf8, indices=int8, ordered=false>", false, []string{"", "a,'x", "b"}},
		{"Enum16('people' = 1, 'business' = 2)", "dictionary<values=utf8, indices=int8, ordered=false>", false, []string{"people", "business"}},
	}
	for _, c := range cases {
		got, err := parseCHType(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if s := got.arrowType().String(); s != c.want || got.nullable != c.nullable {
			t.Errorf("%s: got %s nullable=%v, want %s nullable=%v", c.in, s, got.nullable, c.want, c.nullable)
		}
		if fmt.Sprint(got.enum) != fmt.Sprint(c.enum) {
			t.Errorf("%s: enum %q, want %q", c.in, got.enum, c.enum)
		}
	}
	for _, bad := range []string{"Array(String)", "Decimal(9, 2)", "Tuple(UInt8, String)"} {
		if _, err := parseCHType(bad); err == nil {
			t.Errorf("%s: accepted, want an error", bad)
		}
	}
}

func TestParseQuarter(t *testing.T) {
	q, err := quarter.Parse("2026q3", nil)
	if err != nil || q.String() != "2026Q3" {
		t.Fatalf("ParseQuarter: %v %v", q, err)
	}
	if s, e := q.Start(), q.End(); s != time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) || e != time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("bounds %v %v", s, e)
	}
	if q.Prev().String() != "2026Q2" || (quarter.Quarter{Year: 2026, Q: 4}).Next().String() != "2027Q1" || (quarter.Quarter{Year: 2026, Q: 1}).Prev().String() != "2025Q4" {
		t.Fatal("Prev/Next")
	}
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	// Moscow is UTC+3: 2026Q3 runs from 2026-06-30 21:00 UTC to 2026-09-30 21:00 UTC.
	if s, e := q.In(msk).Start().UTC(), q.In(msk).Next().Start().UTC(); s != time.Date(2026, 6, 30, 21, 0, 0, 0, time.UTC) || e != time.Date(2026, 9, 30, 21, 0, 0, 0, time.UTC) {
		t.Fatalf("Moscow bounds %v %v", s, e)
	}
	query, _ := TableQuery("ratings", q.In(msk), false)
	if !strings.Contains(query, "occurred_at >= toDateTime('2026-06-30 21:00:00', 'UTC') AND occurred_at < toDateTime('2026-09-30 21:00:00', 'UTC')") {
		t.Fatalf("query %s", query)
	}
	if query, _ := TableQuery("assessments", q.In(msk), false); !strings.Contains(query, "quarter_start = toDate('2026-07-01')") {
		t.Fatalf("query %s", query)
	}
	for _, bad := range []string{"2026", "2026Q5", "26Q1", "Q3", "2026Q0"} {
		if _, err := quarter.Parse(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

var (
	questions = []string{"nps", "satisfaction", "ease", "sat_phone"}
	channels  = []string{"", "portal", "mfc", "phone"}
	q3        = quarter.Quarter{Year: 2026, Q: 3}
)

// seedRatings inserts n ratings in 2026Q3 with event ids r000000…, cycling through agencies,
// questions and channels.
func seedRatings(t testing.TB, conn driver.Conn, n int) {
	t.Helper()
	base := q3.Start()
	ing := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		ct := "person"
		if i%3 == 0 {
			ct = "business"
		}
		rows[i] = []any{fmt.Sprintf("r%06d", i), base.Add(time.Duration(i%(90*24*60)) * time.Minute),
			fmt.Sprintf("agency-%d", i%5), ct, fmt.Sprintf("c%05d", i%977), questions[i%4], uint8(1 + i%4),
			fmt.Sprintf("svc-%d", i%7), fmt.Sprintf("req-%d", i), fmt.Sprintf("ls-%d", i%3), "",
			channels[i%4], ing, "test"}
	}
	chtest.Insert(t, conn, insertRating, rows)
}

func insertRows(t testing.TB, conn driver.Conn, insert string, rows ...[]any) {
	t.Helper()
	chtest.Insert(t, conn, insert, rows)
}

const insertRating = `INSERT INTO ratings (event_id, occurred_at, agency_id, client_type, client_id,
		question, score, service_id, request_id, life_situation_id, scenario_id, channel, ingested_at, source)`

const insertAssessment = `INSERT INTO assessments (run_id, computed_at, quarter, quarter_start, standard, agency_id,
		indicator, table_no, value, level, n, ci_low, ci_high, status, reason, bands_version)`

func ptr[T any](v T) *T { return &v }

// readBack reads an exported file into its schema and rows of formatted values.
func readBack(t *testing.T, f Format, data []byte) (*arrow.Schema, [][]string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	var recs []arrow.RecordBatch
	var schema *arrow.Schema
	switch f {
	case Arrow:
		r, err := ipc.NewFileReader(bytes.NewReader(data), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		schema = r.Schema()
		for i := 0; i < r.NumRecords(); i++ {
			rec, err := r.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Retain()
			recs = append(recs, rec)
		}
	case Parquet:
		tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), parquet.NewReaderProperties(mem),
			pqarrow.ArrowReadProperties{BatchSize: 1000}, mem)
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.Release()
		schema = tbl.Schema()
		tr := array.NewTableReader(tbl, 1000)
		defer tr.Release()
		for tr.Next() {
			rec := tr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
	}
	var rows [][]string
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]string, rec.NumCols())
			for c := range row {
				row[c] = formatValue(t, rec.Column(c), i)
			}
			rows = append(rows, row)
		}
		rec.Release()
	}
	return schema, rows
}

// formatValue formats one Arrow value the way ClickHouse's toString does (\N for NULL).
func formatValue(t *testing.T, a arrow.Array, i int) string {
	if a.IsNull(i) {
		return `\N`
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Dictionary:
		return formatValue(t, a.Dictionary(), a.GetValueIndex(i))
	case *array.Timestamp:
		return a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit).UTC().Format("2006-01-02 15:04:05")
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	}
	t.Fatalf("unexpected array type %T", a)
	return ""
}

// clickhouseRows runs query with every column converted by ClickHouse's own toString.
func clickhouseRows(t *testing.T, conn driver.Conn, query string, names []string) [][]string {
	t.Helper()
	exprs := make([]string, len(names))
	for i, n := range names {
		exprs[i] = fmt.Sprintf("ifNull(toString(%s), '\\\\N')", n)
	}
	return chtest.Rows(t, conn, "SELECT "+strings.Join(exprs, ", ")+" FROM ("+query+")")
}

func sortRows(rows [][]string) {
	sort.Slice(rows, func(a, b int) bool { return strings.Join(rows[a], "\x00") < strings.Join(rows[b], "\x00") })
}

func fieldTypes(s *arrow.Schema) map[string]string {
	m := map[string]string{}
	for _, f := range s.Fields() {
		m[f.Name] = f.Type.String() + map[bool]string{true: "?", false: ""}[f.Nullable]
	}
	return m
}

// TestExportRoundTrip exports a quarter of every table to Parquet and to Arrow and reads the files
// back: the same rows and values as ClickHouse gives, the ClickHouse column types kept.
// It is one scenario read top to bottom (set-up, then checks on the same data), so it stays whole.
func TestExportRoundTrip(t *testing.T) {
	conn, _ := chtest.DB(t)
	ctx := context.Background()
	seedRatings(t, conn, 25)
	ing := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	insertRows(t, conn, insertRating,
		// r000003 delivered again: FINAL keeps one row (the newer ingested_at).
		// Same sorting key (agency-3, business, sat_phone, svc-3) as the first delivery; score and
		// channel differ so that the test sees which version is kept.
		[]any{"r000003", q3.Start().Add(3 * time.Minute), "agency-3", "business", "c00003", "sat_phone", uint8(2),
			"svc-3", "req-3", "ls-0", "", "mfc", ing, "test"},
		// Outside the quarter (2026Q2 and 2026Q4): not exported.
		[]any{"old", q3.Start().Add(-time.Second), "agency-0", "person", "c1", "nps", uint8(9), "s", "r", "l", "", "", ing, "test"},
		[]any{"new", q3.End(), "agency-0", "person", "c1", "nps", uint8(9), "s", "r", "l", "", "", ing, "test"},
	)
	// Two runs for agency-1: only the newer one is in assessments_latest.
	cq := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	d := q3.Start()
	insertRows(t, conn, insertAssessment,
		[]any{"run1", cq, "2026Q3", d, "people", "agency-1", "P-T1-2", uint8(1), ptr(72.5), ptr(uint8(3)), uint64(410), ptr(68.1), ptr(76.4), "assessed", "", "v1"},
		[]any{"run1", cq, "2026Q3", d, "people", "agency-1", "P-T1-3", uint8(1), (*float64)(nil), (*uint8)(nil), uint64(12), (*float64)(nil), (*float64)(nil), "not_assessed", "n=12 < 100", "v1"},
		[]any{"run2", cq.Add(time.Hour), "2026Q3", d, "people", "agency-1", "P-T1-2", uint8(1), ptr(73.25), ptr(uint8(3)), uint64(420), ptr(69.0), ptr(77.0), "assessed", "", "v1"},
		[]any{"run2", cq.Add(time.Hour), "2026Q3", d, "people", "agency-1", "P-T1-3", uint8(1), (*float64)(nil), (*uint8)(nil), uint64(0), (*float64)(nil), (*float64)(nil), "no_data", "no ratings", "v1"},
		[]any{"run2", cq.Add(time.Hour), "2026Q2", q3.Prev().Start(), "people", "agency-1", "P-T1-2", uint8(1), ptr(60.0), ptr(uint8(2)), uint64(300), ptr(55.0), ptr(65.0), "assessed", "", "v1"},
	)

	insertRows(t, conn, `INSERT INTO service_events (event_id, occurred_at, agency_id, client_type, client_id, request_id,
		service_id, service_kind, status, channel, life_situation_id, scenario_id, segment_id, proactive, ingested_at, source)`,
		[]any{"s1", q3.Start().Add(time.Hour), "agency-1", "person", "c1", "req-1", "svc-1", "support_measure", "completed", "mfc", "ls-1", "sc-1", "seg", uint8(1), ing, "test"},
		[]any{"s2", q3.End().Add(-time.Second), "agency-2", "business", "c2", "req-2", "svc-2", "service", "refused", "api", "", "", "", uint8(0), ing, "test"},
		// Follow-up steps of the items r000000 (2 hours after the answer: in time), r000004 (10 days
		// after: late) and r000008 (an hour before the answer, in 2026Q2: not a follow-up of it).
		[]any{"f0", q3.Start().Add(2 * time.Hour), "agency-0", "business", "c00000", "req-0", "svc-0", "service", "followed_up", "phone", "", "", "", uint8(0), ing, "test"},
		[]any{"f4", q3.Start().Add(10 * 24 * time.Hour), "agency-4", "person", "c00004", "req-4", "svc-4", "service", "followed_up", "phone", "", "", "", uint8(0), ing, "test"},
		[]any{"f8", q3.Start().Add(-time.Hour), "agency-3", "person", "c00008", "req-8", "svc-1", "service", "followed_up", "phone", "", "", "", uint8(0), ing, "test"},
	)
	insertRows(t, conn, `INSERT INTO appeals (event_id, occurred_at, agency_id, client_type, client_id, appeal_id, step, message_type,
		channel, automated, excluded, reply_chars, reply_words, reply_sentences, reply_syllables, service_id, life_situation_id, ingested_at, source)`,
		[]any{"a1", q3.Start().Add(2 * time.Hour), "agency-1", "person", "c1", "ap-1", "received", "mention", "social_network", uint8(0), uint8(0), uint32(0), uint32(0), uint32(0), uint32(0), "", "", ing, "test"},
		[]any{"a2", q3.Start().Add(5 * time.Hour), "agency-1", "person", "c1", "ap-1", "replied", "", "email", uint8(1), uint8(0), uint32(4000000000), uint32(250), uint32(12), uint32(700), "svc-1", "ls-1", ing, "test"},
	)
	insertRows(t, conn, `INSERT INTO indicator_details (run_id, computed_at, quarter, quarter_start, standard, agency_id, indicator,
		dimension, dimension_id, value, n, ci_low, ci_high)`,
		[]any{"run1", cq, "2026Q3", d, "people", "agency-1", "P-T1-2", "service", "svc-1", ptr(50.0), uint64(10), ptr(40.0), ptr(60.0)},
		[]any{"run2", cq.Add(time.Hour), "2026Q3", d, "people", "agency-1", "P-T1-2", "service", "svc-1", ptr(0.125), uint64(8), (*float64)(nil), (*float64)(nil)},
		[]any{"run2", cq.Add(time.Hour), "2026Q3", d, "people", "agency-1", "P-T1-2", "life_situation", "ls-1", ptr(99.5), uint64(400), ptr(98.0), ptr(100.0)},
	)

	wantTypes := map[string]map[string]string{
		"service_events": {
			"service_kind": "dictionary<values=utf8, indices=int8, ordered=false>", "proactive": "uint8",
			"segment_id": "utf8", "occurred_at": "timestamp[s, tz=UTC]",
		},
		"appeals": {
			"reply_chars": "uint32", "message_type": "dictionary<values=utf8, indices=int8, ordered=false>", "automated": "uint8",
		},
		"indicator_details": {
			"dimension": "dictionary<values=utf8, indices=int8, ordered=false>", "value": "float64?", "n": "uint64", "quarter_start": "date32",
		},
		"ratings": {
			"event_id": "utf8", "occurred_at": "timestamp[s, tz=UTC]", "agency_id": "utf8",
			"client_type": "dictionary<values=utf8, indices=int8, ordered=false>",
			"question":    "dictionary<values=utf8, indices=int8, ordered=false>",
			"score":       "uint8", "channel": "dictionary<values=utf8, indices=int8, ordered=false>",
		},
		"assessments": {
			"quarter_start": "date32", "value": "float64?", "level": "uint8?", "n": "uint64", "ci_low": "float64?",
			"status": "dictionary<values=utf8, indices=int8, ordered=false>", "computed_at": "timestamp[s, tz=UTC]",
		},
	}
	// Hand count: ratings 25 seeded (all in Q3, minutes 0..24), r000003 twice → 25; old/new are outside.
	// assessments_latest for 2026Q3: run2's two rows (run1 is older, the Q2 row is another quarter).
	// service_events: s1, s2, f0 and f4 are inside the quarter (f8 is before it); appeals: both rows
	// are inside the quarter; indicator_details_latest: run2's 2 rows.
	// followup_items: of the 25 seeded answers, i%4 = 0 is nps with score 1 (i = 0, 4, …, 24: 7) and
	// i%4 = 1 satisfaction with score 2 (i = 1, 5, …, 21: 6), all naming a request: 13 detractor items.
	wantRows := map[string]int{"ratings": 25, "assessments": 2, "service_events": 4, "appeals": 2, "indicator_details": 2, "followup_items": 13}
	for _, table := range Tables {
		for _, f := range []Format{Parquet, Arrow} {
			t.Run(table+"/"+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				var progress []Stats
				st, err := Table(ctx, conn, table, q3, f, &buf, WithBatchRows(7), WithProgress(func(s Stats) { progress = append(progress, s) }))
				if err != nil {
					t.Fatal(err)
				}
				if st.Rows != int64(wantRows[table]) || st.Bytes != int64(buf.Len()) {
					t.Fatalf("stats %+v, want %d rows and %d bytes", st, wantRows[table], buf.Len())
				}
				// 25 rows in batches of 7 → 7+7+7+4 = 4 batches; 2 rows → 1 batch.
				if want := (wantRows[table] + 6) / 7; st.Batches != want || len(progress) != want {
					t.Fatalf("batches %d (progress calls %d), want %d", st.Batches, len(progress), want)
				}
				schema, got := readBack(t, f, buf.Bytes())
				types := fieldTypes(schema)
				for col, want := range wantTypes[table] {
					// Parquet has no seconds unit: DateTime is stored as TIMESTAMP(MILLIS, UTC).
					if f == Parquet {
						want = strings.Replace(want, "timestamp[s,", "timestamp[ms,", 1)
					}
					if types[col] != want {
						t.Errorf("column %s: type %s, want %s", col, types[col], want)
					}
				}
				var names []string
				for _, fl := range schema.Fields() {
					names = append(names, fl.Name)
				}
				var chNames []string
				described := table
				if table == "followup_items" {
					described = "followup_status" // the items with their follow-up state
				}
				// DESCRIBE has 5 string columns on 18.16 and more on current ClickHouse.
				for _, vals := range chtest.Rows(t, conn, "DESCRIBE TABLE "+described) {
					chNames = append(chNames, vals[0])
				}
				if strings.Join(names, ",") != strings.Join(chNames, ",") {
					t.Fatalf("columns %v, want the table's %v", names, chNames)
				}
				query, _ := TableQuery(table, q3, false)
				want := clickhouseRows(t, conn, query, names)
				sortRows(got)
				sortRows(want)
				if table == "followup_items" {
					// The export's query reads only the quarter's partitions; its rows are the view's.
					view := clickhouseRows(t, conn, fmt.Sprintf("SELECT * FROM followup_status WHERE answered_at >= toDateTime(%d) AND answered_at < toDateTime(%d)",
						q3.Start().Unix(), q3.End().Unix()), names)
					sortRows(view)
					if fmt.Sprint(view) != fmt.Sprint(want) {
						t.Errorf("exported follow-up items differ from followup_status for the quarter:\n export %q\n view   %q", want, view)
					}
					// By hand: r000000 and r000004 followed up, r000000 alone within 5 working days.
					var followed, inTime []string
					for _, r := range want {
						row := map[string]string{}
						for i, n := range names {
							row[n] = r[i]
						}
						if row["followed_up"] == "1" {
							followed = append(followed, row["event_id"])
						}
						if row["within_5_working_days"] == "1" {
							inTime = append(inTime, row["event_id"])
						}
					}
					if fmt.Sprint(followed) != "[r000000 r000004]" || fmt.Sprint(inTime) != "[r000000]" {
						t.Errorf("followed up %v, in time %v; want [r000000 r000004] and [r000000]", followed, inTime)
					}
				}
				if len(got) != len(want) || len(got) != wantRows[table] {
					t.Fatalf("%d rows read back, ClickHouse has %d, want %d", len(got), len(want), wantRows[table])
				}
				for i := range got {
					if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
						t.Errorf("row %d:\n file %q\n   CH %q", i, got[i], want[i])
					}
				}
				if table == "ratings" {
					// The re-delivered r000003 keeps its newer version: score 2 (was 4), mfc (was phone).
					for _, r := range got {
						if r[0] == "r000003" && (r[5] != "sat_phone" || r[6] != "2" || r[11] != "mfc") {
							t.Errorf("r000003 = %q, want the re-delivered version", r)
						}
					}
				}
				if table == "assessments" {
					// run2 rows only: 73.25 and a NULL value for the no_data row.
					joined := fmt.Sprint(got)
					if strings.Contains(joined, "run1") || !strings.Contains(joined, "73.25") || !strings.Contains(joined, `\N`) {
						t.Errorf("assessments rows %v: want run2 only with a NULL value", got)
					}
				}
			})
		}
	}
	t.Run("all-runs", func(t *testing.T) {
		var buf bytes.Buffer
		st, err := Table(ctx, conn, "assessments", q3, Parquet, &buf, WithAllRuns())
		// Q3 rows of both runs: 2 + 2.
		if err != nil || st.Rows != 4 {
			t.Fatalf("all runs: %+v %v, want 4 rows", st, err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		var buf bytes.Buffer
		st, err := Table(ctx, conn, "appeals", q3.Next(), Arrow, &buf)
		if err != nil || st.Rows != 0 {
			t.Fatalf("empty export: %+v %v", st, err)
		}
		schema, rows := readBack(t, Arrow, buf.Bytes())
		if len(rows) != 0 || schema.NumFields() != 19 {
			t.Fatalf("empty export: %d rows, %d fields; want 0 rows and the 19 appeals columns", len(rows), schema.NumFields())
		}
	})
	t.Run("unknown table", func(t *testing.T) {
		if _, err := Table(ctx, conn, "schema_migrations", q3, Arrow, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "choose one of") {
			t.Fatalf("err = %v", err)
		}
	})
}
