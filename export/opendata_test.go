package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
)

type rating struct {
	agency, ls, client, question string
	score                        uint8
}

// seedOpenData inserts the ratings of the hand-computed cells of TestOpenData.
func seedOpenData(t *testing.T, conn driver.Conn) {
	t.Helper()
	var rs []rating
	add := func(agency, ls, prefix string, n int, question string, score func(i int) uint8) {
		for i := 1; i <= n; i++ {
			rs = append(rs, rating{agency, ls, fmt.Sprintf("%s%d", prefix, i), question, score(i)})
		}
	}
	pos := func(p int) func(i int) uint8 { // the first p answers positive (4), the rest negative (1)
		return func(i int) uint8 {
			if i <= p {
				return 4
			}
			return 1
		}
	}
	// A: ls-1 12 clients (9 positive), ls-2 10 clients (all positive), ls-3 9 clients (5 positive).
	add("A", "ls-1", "a", 12, "satisfaction", pos(9))
	add("A", "ls-2", "d", 10, "satisfaction", pos(10))
	add("A", "ls-3", "e", 9, "satisfaction", pos(5))
	// B: ls-1 10 clients satisfaction (7 positive), 4 of them ease (3 positive);
	//    ls-2 10 clients satisfaction (5 positive) and ease (8 positive).
	add("B", "ls-1", "b", 10, "satisfaction", pos(7))
	add("B", "ls-1", "b", 4, "ease", pos(3))
	add("B", "ls-2", "f", 10, "satisfaction", pos(5))
	add("B", "ls-2", "f", 10, "ease", pos(8))
	// C: 9 clients in all.
	add("C", "ls-1", "c", 9, "satisfaction", pos(9))
	// D: NPS. ls-1 15 clients: scores 10,9,10,9,10,9 (6 promoters), 7,8,7,8 (passives), 0,3,5,6,6 (detractors);
	//    ls-2 3 clients, ls-3 8 clients, all 10.
	npsScores := []uint8{10, 9, 10, 9, 10, 9, 7, 8, 7, 8, 0, 3, 5, 6, 6}
	add("D", "ls-1", "g", 15, "nps", func(i int) uint8 { return npsScores[i-1] })
	add("D", "ls-2", "h", 3, "nps", func(int) uint8 { return 10 })
	add("D", "ls-3", "j", 8, "nps", func(int) uint8 { return 10 })

	at := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = []any{fmt.Sprintf("e%04d", i), at.Add(time.Duration(i) * time.Minute), r.agency, "person", r.client, r.question, r.score,
			"svc", "", r.ls, "", "", ing, "test"}
	}
	insertRows(t, conn, insertRating, rows...)
	// Re-delivery of B's first rating (e.g. index of b1 satisfaction) and a 10th C client in 2026Q2:
	// neither may change any figure.
	first := -1
	for i, r := range rs {
		if r.agency == "B" && r.client == "b1" && r.question == "satisfaction" {
			first = i
			break
		}
	}
	insertRows(t, conn, insertRating,
		[]any{fmt.Sprintf("e%04d", first), at.Add(time.Duration(first) * time.Minute), "B", "person", "b1", "satisfaction", uint8(4), "svc", "", "ls-1", "", "", ing.Add(time.Hour), "test"},
		[]any{"old-c10", q3.Start().Add(-time.Hour), "C", "person", "c10", "satisfaction", uint8(4), "svc", "", "ls-1", "", "", ing, "test"},
	)
}

func TestOpenData(t *testing.T) {
	conn, _ := chtest.DB(t)
	seedOpenData(t, conn)
	ctx := context.Background()
	dir := t.TempDir()
	paths, od, err := WriteOpenData(ctx, conn, q3, 10, dir)
	if err != nil {
		t.Fatal(err)
	}
	csvData, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	// Expected CSV, computed by hand (k = 10):
	// A: cells 12, 10, 9 → ls-3 (9 = k−1) small; 9 < k alone, so the smallest published (ls-2, 10)
	//    is suppressed as complementary. Total 31 respondents; satisfaction 9+10+5 = 24/31 = 77.4 %;
	//    ls-1: 9/12 = 75.0 %.
	// B: cells 10 and 10 (= k) published; b1's re-delivery is counted once (ratings 10+4 = 14).
	//    satisfaction 7/10 = 70.0 %, 5/10 = 50.0 %, total 12/20 = 60.0 %.
	//    ease: 4 respondents in ls-1 (small) → ls-2 (10) complementary; total 14: 11/14 = 78.6 %.
	// C: 9 respondents (the 10th is in 2026Q2) → agency and cell suppressed.
	// D: 15, 3, 8 → 3 and 8 small, together 11 ≥ k: no complementary. NPS ls-1 (6 − 5)/15 = 6.7;
	//    total (6 + 11 − 5)/26 = 46.2.
	want := strings.Join([]string{
		strings.Join(CSVHeader, ","),
		"2026Q3,A,ls-1,false,12,12,12,12,75.0,0,0,,0,0,,,,",
		"2026Q3,A,ls-2,false,,,,,,,,,,,,complementary,,",
		"2026Q3,A,ls-3,false,,,,,,,,,,,,small_cell,,",
		"2026Q3,A,,true,31,31,31,31,77.4,0,0,,0,0,,,,",
		"2026Q3,B,ls-1,false,10,14,10,10,70.0,,,,0,0,,,,",
		"2026Q3,B,ls-2,false,10,20,10,10,50.0,,,,0,0,,,,",
		"2026Q3,B,,true,20,34,20,20,60.0,14,14,78.6,0,0,,,,",
		"2026Q3,C,ls-1,false,,,,,,,,,,,,small_agency,,",
		"2026Q3,C,,true,,,,,,,,,,,,small_agency,,",
		"2026Q3,D,ls-1,false,15,15,0,0,,0,0,,15,15,6.7,,,",
		"2026Q3,D,ls-2,false,,,,,,,,,,,,small_cell,,",
		"2026Q3,D,ls-3,false,,,,,,,,,,,,small_cell,,",
		"2026Q3,D,,true,26,26,0,0,,0,0,,26,26,46.2,,,",
	}, "\n") + "\n"
	if string(csvData) != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", csvData, want)
	}
	// JSON carries the same cells, k and the rule text; suppressed figures are null.
	var back OpenData
	data, _ := os.ReadFile(paths[1])
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.K != 10 || !strings.Contains(back.Rule, "k = 10") || len(back.Cells) != len(od.Cells) || back.Quarter != "2026Q3" {
		t.Fatalf("JSON header: k=%d quarter=%s cells=%d", back.K, back.Quarter, len(back.Cells))
	}
	if !strings.Contains(string(data), `"respondents": null`) || back.Cells[1].Respondents != nil || *back.Cells[0].Satisfaction.Value != 75.0 {
		t.Error("JSON: suppressed cells must be null and published values kept")
	}
	// Invariant on the output: no published respondent figure below k.
	for _, c := range od.Cells {
		for _, v := range []*int64{c.Respondents, c.Satisfaction.Respondents, c.Ease.Respondents, c.NPS.Respondents} {
			if v != nil && *v > 0 && *v < 10 {
				t.Errorf("published figure %d < k in %+v", *v, c)
			}
		}
	}

	// k = 9: C (9) and A's ls-3 (9) are published, so nothing of A is suppressed any more.
	var buf bytes.Buffer
	od9, err := BuildOpenData(ctx, conn, q3, 9)
	if err != nil {
		t.Fatal(err)
	}
	od9.WriteCSV(&buf)
	for _, line := range []string{
		"2026Q3,A,ls-2,false,10,10,10,10,100.0,0,0,,0,0,,,,",
		"2026Q3,A,ls-3,false,9,9,9,9,55.6,0,0,,0,0,,,,", // 5/9 = 55.56 %
		"2026Q3,C,,true,9,9,9,9,100.0,0,0,,0,0,,,,",
	} {
		if !strings.Contains(buf.String(), line+"\n") {
			t.Errorf("k=9: missing %q in\n%s", line, buf.String())
		}
	}
}

func TestRoundHalfUp1(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{66.65, 66.7}, {100.0 / 3, 33.3}, {200.0 / 3, 66.7}, {-0.05, -0.1}, {6.6666, 6.7}, {46.1538, 46.2}} {
		if got := roundHalfUp1(c.in); got != c.want {
			t.Errorf("roundHalfUp1(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
