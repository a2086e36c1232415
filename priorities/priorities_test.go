package priorities

import (
	"math"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/metrics"
)

// handCells is a small quarter: agency A1 with three life situations (birth, move, pension — the
// last with 20 survey answers, below min_n 30) and two segments in each of birth and move, and A2
// with one life situation that only feeds the national medians.
func handCells() []Cell {
	ls := func(a, l string, c Counts) Cell {
		return Cell{AgencyID: a, LifeSituation: l, Kind: KindLifeSituation, Counts: c}
	}
	seg := func(a, l, id string, c Counts) Cell {
		return Cell{AgencyID: a, LifeSituation: l, Kind: KindSegment, ID: id, Counts: c}
	}
	return []Cell{
		ls("A1", "birth", Counts{Clients: 1000, SatPos: 240, SatN: 400, EasePos: 280, EaseN: 400, Promoters: 120, Detractors: 120, NPSN: 400, Repeats: 50, Submitted: 1000}),
		ls("A1", "move", Counts{Clients: 500, SatPos: 130, SatN: 200, EasePos: 170, EaseN: 200, Promoters: 100, Detractors: 20, NPSN: 200, Repeats: 10, Submitted: 500}),
		ls("A1", "pension", Counts{Clients: 300, SatPos: 10, SatN: 20, EasePos: 10, EaseN: 20, Promoters: 5, Detractors: 5, NPSN: 20, Repeats: 40, Submitted: 300}),
		seg("A1", "birth", "young", Counts{Clients: 600, SatPos: 120, SatN: 250, EasePos: 160, EaseN: 250, Promoters: 60, Detractors: 90, NPSN: 250, Repeats: 40, Submitted: 600}),
		seg("A1", "birth", "old", Counts{Clients: 400, SatPos: 120, SatN: 150, EasePos: 120, EaseN: 150, Promoters: 60, Detractors: 30, NPSN: 150, Repeats: 10, Submitted: 400}),
		seg("A1", "move", "young", Counts{Clients: 300, SatPos: 20, SatN: 25, EasePos: 20, EaseN: 25, Promoters: 5, Detractors: 5, NPSN: 25, Repeats: 4, Submitted: 200}),
		seg("A1", "move", "old", Counts{Clients: 200, SatPos: 110, SatN: 175, EasePos: 150, EaseN: 175, Promoters: 95, Detractors: 15, NPSN: 175, Repeats: 6, Submitted: 300}),
		ls("A2", "birth", Counts{Clients: 1000, SatPos: 300, SatN: 400, EasePos: 320, EaseN: 400, Promoters: 200, Detractors: 40, NPSN: 400, Repeats: 20, Submitted: 1000}),
	}
}

// The worked numbers. Weights: band 1, median 0.5; satisfaction 1, ease 1, NPS 0.5 (target 0),
// repeats 1. Bands P-2022-04-18.1, min_n survey 30.
//
// A1 pooled over its life situations: satisfaction 380/620 = 61.3 (2★, next 70.1 for 3★); ease
// 460/620 = 74.2 (3★, next 80.1 for 4★); repeats 100/1800 = 5.6 (2★, next ≤ 4.0 for 3★).
// National medians over life situations with n ≥ min_n (pension's 20 answers left out):
// satisfaction {60, 65, 75} → 65.0; ease {70, 85, 80} → 80.0; NPS {0, 40, 40} → 40.0; repeats
// (census) {5.0, 2.0, 13.3, 2.0} → 3.5.
//
//	birth: sat 60.0 → 10.1 + 0.5·5 = 12.6; ease 70.0 → 10.1 + 0.5·10 = 15.1;
//	       NPS 0.0 → 0 + 0.5·40 = 20, ×0.5 = 10; repeats 5.0 → 1.0 + 0.5·1.5 = 1.75;
//	       Σ 39.45 × 1000 clients / 100 = 394.5
//	move:  sat 65.0 → 5.1 + 0 = 5.1; ease 85.0, NPS 40.0, repeats 2.0 → 0; Σ 5.1 × 500 / 100 = 25.5
//	pension: 20 survey answers < 30: not ranked, although its repeat rate 13.3 is the worst.
//
// Segments of birth:
//
//	young: sat 48.0 → 22.1 + 8.5 = 30.6; ease 64.0 → 16.1 + 8 = 24.1; NPS −12.0 → (12 + 26)·0.5 = 19;
//	       repeats 40/600 = 6.7 → 2.7 + 1.6 = 4.3; Σ 78.0 × 600 / 100 = 468
//	old:   sat 80.0 → 0; ease 80.0 → 0.1; NPS 20.0 → 0.5·20·0.5 = 5; repeats 2.5 → 0; Σ 5.1 × 400 / 100 = 20.4
//
// Segments of move: young has 25 answers (below min_n), old: sat 110/175 = 62.9 → 7.2 + 1.05 =
// 8.25; ease 85.7, NPS 45.7, repeats 2.0 → 0; Σ 8.25 × 200 / 100 = 16.5.
func TestRankHandComputed(t *testing.T) {
	b, err := metrics.DefaultBands(metrics.People)
	if err != nil {
		t.Fatal(err)
	}
	l := Rank(handCells(), "A1", b, DefaultWeights())
	type row struct {
		rank      int
		ls        string
		score     float64
		belowMinN bool
	}
	want := []row{{1, "birth", 394.5, false}, {2, "move", 25.5, false}, {0, "pension", 0, true}}
	if len(l.Entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(l.Entries), len(want))
	}
	for i, w := range want {
		e := l.Entries[i]
		if e.Rank != w.rank || e.LifeSituation != w.ls || math.Abs(e.Score-w.score) > 1e-9 || e.BelowMinN != w.belowMinN {
			t.Errorf("entry %d: rank %d %s score %v below %v, want %+v", i, e.Rank, e.LifeSituation, e.Score, e.BelowMinN, w)
		}
	}
	children := map[string][]row{
		"birth": {{1, "young", 468, false}, {2, "old", 20.4, false}},
		"move":  {{1, "old", 16.5, false}, {0, "young", 0, true}},
	}
	for _, e := range l.Entries {
		w := children[e.LifeSituation]
		if len(e.Children) != len(w) {
			t.Errorf("%s: %d children, want %d", e.LifeSituation, len(e.Children), len(w))
			continue
		}
		for i, c := range e.Children {
			if c.Rank != w[i].rank || c.ID != w[i].ls || math.Abs(c.Score-w[i].score) > 1e-9 || c.BelowMinN != w[i].belowMinN || c.Kind != KindSegment {
				t.Errorf("%s child %d: rank %d %s %s score %v below %v, want %+v", e.LifeSituation, i, c.Rank, c.Kind, c.ID, c.Score, c.BelowMinN, w[i])
			}
		}
	}
	// Gaps of birth, in the order of the weights file.
	birth := l.Entries[0]
	wantGaps := map[string][3]float64{ // value, target, weighted
		Satisfaction: {60, 70.1, 12.6}, Ease: {70, 80.1, 15.1}, NPS: {0, 0, 10}, Repeats: {5, 4, 1.75},
	}
	for _, g := range birth.Gaps {
		w := wantGaps[g.Code]
		if g.Value == nil || g.Target == nil || math.Abs(*g.Value-w[0]) > 1e-9 || math.Abs(*g.Target-w[1]) > 1e-9 || math.Abs(g.Weighted-w[2]) > 1e-9 {
			t.Errorf("birth %s: %+v, want value %v target %v weighted %v", g.Code, g, w[0], w[1], w[2])
		}
	}
	if birth.RepeatShare == nil || *birth.RepeatShare != 50 {
		t.Errorf("birth repeat share %v, want 50 (50 of A1's 100 repeats)", birth.RepeatShare)
	}
	why := Why(birth, metrics.RU)
	wantWhy := "1\u00a0000 клиентов; лёгкость получения 70,0 % при 80,1 % для 4★ (медиана 80,0 %); " +
		"удовлетворённость 60,0 % при 70,1 % для 3★ (медиана 65,0 %); NPS 0,0 при медиане 40,0; " +
		"повторные обращения 5,0 % при 4,0 % для 3★ (медиана 3,5 %); 50,0 % повторных обращений приходятся на эту ситуацию"
	if why != wantWhy {
		t.Errorf("why:\n got %s\nwant %s", why, wantWhy)
	}
	if en := Why(l.Entries[2], metrics.EN); en != "300 clients; too few answers (below min_n): not ranked" {
		t.Errorf("English why of pension: %s", en)
	}
	// National: birth pools A1 and A2 (2 000 clients) and still ranks first.
	n := Rank(handCells(), "", b, DefaultWeights())
	if n.Entries[0].LifeSituation != "birth" || n.Entries[0].Clients != 2000 || n.Entries[0].Rank != 1 {
		t.Errorf("national first entry %+v", n.Entries[0])
	}
}

func TestClientsRU(t *testing.T) {
	for n, w := range map[int64]string{1: "клиент", 2: "клиента", 5: "клиентов", 11: "клиентов", 21: "клиент", 3412: "клиентов", 3422: "клиента", 112: "клиентов"} {
		if g := clientsRU(n); g != w {
			t.Errorf("%d %s, want %s", n, g, w)
		}
	}
	if g := group(3412, false); g != "3\u00a0412" {
		t.Errorf("group(3412) = %q", g)
	}
}

func TestParseWeightsRejects(t *testing.T) {
	for _, bad := range []string{
		"version: x\nindicators: [{code: foo, weight: 1}]\n",
		"version: x\nindicators: [{code: nps, weight: 1}]\n",
		"version: x\nband_weight: -1\n",
		"indicators: []\n",
		"version: x\nextra: 1\n",
	} {
		if _, err := ParseWeights([]byte(bad)); err == nil || !strings.Contains(err.Error(), "priority weights") {
			t.Errorf("%q accepted (err %v)", bad, err)
		}
	}
}
