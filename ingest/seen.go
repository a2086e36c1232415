package ingest

import (
	"hash/maphash"
	"math/bits"
)

// Seen remembers event ids to count (and skip) duplicates delivered within one run. It keeps
// 128-bit hashes, not the ids: 16 bytes an id in a table at most half full. With a limit it
// forgets the oldest half when full, so memory stays bounded on a long-running consumer; a
// duplicate it has forgotten is still stored once, because the raw tables collapse rows with
// the same event_id.
//
// The ids of the current and of the previous half are each in an open-addressing table of
// hashes (linear probing), sized once for a bounded Seen and reused when the halves rotate: a
// check allocates nothing. Each table of a bounded Seen also has a one-bit-per-hash filter, 8
// bits an id (small enough to stay in the CPU's cache), so that an id is looked up in the old
// half's table, a cache miss, only when its bit is set there (about one id in nine). A Seen is
// not safe for concurrent use.
type Seen struct {
	s1, s2   maphash.Seed
	cur, old hashSet
	limit    int
}

// NewSeen returns a Seen that holds at most limit ids (0: no limit).
func NewSeen(limit int) *Seen {
	s := &Seen{s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), limit: limit}
	size := 1 << 10 // unbounded: grows by doubling
	if limit > 0 {
		size = tableSize(limit / 2)
		s.old = newHashSet(size, true)
	}
	s.cur = newHashSet(size, limit > 0)
	return s
}

// Add records id and reports whether it was already recorded.
func (s *Seen) Add(id string) (dup bool) { return s.add(s.key(id)) }

// key is id's 128-bit hash, as the tables hold it.
func (s *Seen) key(id string) [2]uint64 {
	return [2]uint64{maphash.String(s.s1, id), maphash.String(s.s2, id) | 1} // never the empty slot's 0
}

// touch reads the slot where add(k) starts looking in the current half and returns its second
// word, so that an add(k) soon after finds the slot in the CPU's cache. The table is larger than
// the caches, and touches of several keys in a row wait for their cache misses at once, where
// the adds one after the other would wait for each in turn.
func (s *Seen) touch(k [2]uint64) uint64 {
	return s.cur.slots[int(k[0])&(len(s.cur.slots)-1)][1]
}

// add is Add of the id whose key is k.
func (s *Seen) add(k [2]uint64) (dup bool) {
	i, found := s.cur.find(k)
	if found {
		return true
	}
	if s.old.n > 0 && s.old.maybe(k) {
		if _, found := s.old.find(k); found {
			return true
		}
	}
	switch {
	case s.limit > 0 && s.cur.n >= s.limit/2:
		// The current half is full: it becomes the old one, and the old one's table, emptied,
		// the current one.
		s.old, s.cur = s.cur, s.old
		s.cur.clear()
		i, _ = s.cur.find(k)
	case s.limit <= 0 && 2*(s.cur.n+1) > len(s.cur.slots):
		s.cur.grow()
		i, _ = s.cur.find(k)
	}
	s.cur.insert(i, k)
	return false
}

// tableSize is the slot count that keeps n hashes at most half a table: a power of two.
func tableSize(n int) int {
	return 1 << max(3, bits.Len(uint(2*max(n, 1)-1)))
}

// hashSet is an open-addressing set of 128-bit hashes with linear probing; a slot whose second
// word is 0 is empty (every stored hash has its lowest bit set).
type hashSet struct {
	slots  [][2]uint64 // len is a power of two
	n      int
	filter []uint64 // nil, or 4 bits per slot: bit filterBit(k) is set for every k stored
}

func newHashSet(size int, filtered bool) hashSet {
	h := hashSet{slots: make([][2]uint64, size)}
	if filtered {
		h.filter = make([]uint64, max(1, size/16))
	}
	return h
}

// filterBit is k's bit in the filter: bits of the second word, independent of the slot
// number (which comes from the first).
func (h *hashSet) filterBit(k [2]uint64) (word int, mask uint64) {
	b := int(k[1]>>32) & (len(h.filter)*64 - 1)
	return b >> 6, 1 << (b & 63)
}

// maybe is false when k is certainly not in the set.
func (h *hashSet) maybe(k [2]uint64) bool {
	if h.filter == nil {
		return true
	}
	w, m := h.filterBit(k)
	return h.filter[w]&m != 0
}

// insert stores k in slot i, which find returned for it.
func (h *hashSet) insert(i int, k [2]uint64) {
	h.slots[i] = k
	h.n++
	if h.filter != nil {
		w, m := h.filterBit(k)
		h.filter[w] |= m
	}
}

// find returns the slot holding k, or the empty slot where it belongs. The table must have an
// empty slot.
func (h *hashSet) find(k [2]uint64) (slot int, found bool) {
	mask := len(h.slots) - 1
	for i := int(k[0]) & mask; ; i = (i + 1) & mask {
		switch h.slots[i] {
		case k:
			return i, true
		case [2]uint64{}:
			return i, false
		}
	}
}

func (h *hashSet) clear() {
	clear(h.slots)
	clear(h.filter)
	h.n = 0
}

// grow doubles the table.
func (h *hashSet) grow() {
	old := h.slots
	h.slots = make([][2]uint64, 2*len(old))
	for _, k := range old {
		if k[1] != 0 {
			i, _ := h.find(k)
			h.slots[i] = k
		}
	}
}
