package ingest

import "hash/maphash"

// Seen remembers event ids to count (and skip) duplicates delivered within one run. It keeps
// 128-bit hashes, not the ids: ~40 bytes an id. With a limit it forgets the oldest half when
// full, so memory stays bounded on a long-running consumer; a duplicate it has forgotten is
// still stored once, because the raw tables collapse rows with the same event_id.
type Seen struct {
	s1, s2   maphash.Seed
	cur, old map[[2]uint64]struct{}
	limit    int
}

// NewSeen returns a Seen that holds at most limit ids (0: no limit).
func NewSeen(limit int) *Seen {
	return &Seen{s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), cur: map[[2]uint64]struct{}{}, limit: limit}
}

// Add records id and reports whether it was already recorded.
func (s *Seen) Add(id string) (dup bool) {
	k := [2]uint64{maphash.String(s.s1, id), maphash.String(s.s2, id)}
	if _, ok := s.cur[k]; ok {
		return true
	}
	if _, ok := s.old[k]; ok {
		return true
	}
	if s.limit > 0 && len(s.cur) >= s.limit/2 {
		s.old, s.cur = s.cur, make(map[[2]uint64]struct{}, s.limit/2)
	}
	s.cur[k] = struct{}{}
	return false
}
