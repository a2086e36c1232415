package ingest

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// refSeen is Seen's rule written with two maps of ids: the current half and the previous one;
// when the current half holds limit/2 ids, it becomes the previous one.
type refSeen struct {
	cur, old map[string]bool
	limit    int
}

func (r *refSeen) add(id string) bool {
	if r.cur[id] || r.old[id] {
		return true
	}
	if r.limit > 0 && len(r.cur) >= r.limit/2 {
		r.old, r.cur = r.cur, map[string]bool{}
	}
	r.cur[id] = true
	return false
}

// TestSeenMatchesReference adds random ids, many of them repeated at every distance, to a
// Seen and to the reference, and compares every answer: unbounded (the table grows), bounded
// with small and larger windows (the halves rotate many times).
func TestSeenMatchesReference(t *testing.T) {
	for _, c := range []struct {
		limit, ids, distinct int
	}{
		{limit: 0, ids: 200_000, distinct: 150_000},
		{limit: 1, ids: 2_000, distinct: 3},
		{limit: 2, ids: 2_000, distinct: 3},
		{limit: 7, ids: 5_000, distinct: 40},
		{limit: 64, ids: 50_000, distinct: 80},
		{limit: 1000, ids: 200_000, distinct: 5_000},
		{limit: 250_000, ids: 600_000, distinct: 400_000},
	} {
		rng := rand.New(rand.NewPCG(uint64(c.limit), uint64(c.ids)))
		s, ref := NewSeen(c.limit), &refSeen{cur: map[string]bool{}, limit: c.limit}
		dups := 0
		for i := range c.ids {
			id := "ev-" + strconv.Itoa(rng.IntN(c.distinct))
			got, want := s.Add(id), ref.add(id)
			if got != want {
				t.Fatalf("limit %d, add %d (%s): Seen says duplicate=%v, the reference %v", c.limit, i, id, got, want)
			}
			if got {
				dups++
			}
		}
		// The ids repeat often enough that both answers occur many times.
		if dups < c.ids/10 || dups > c.ids*9/10 {
			t.Errorf("limit %d: %d duplicates of %d adds: the case does not test both answers", c.limit, dups, c.ids)
		}
	}
}
