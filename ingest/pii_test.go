package ingest

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestCheckPseudonymMatchesReference compares checkPseudonym's ASCII fast path with
// checkPseudonymRunes, the rune-by-rune check it falls back to (the same verdict and reason), on
// 300,000 random client ids of ASCII digits, separators, letters, @ and white space, with
// non-ASCII letters, spaces and invalid bytes. The verdicts themselves are checked by hand in
// event_test.go.
func TestCheckPseudonymMatchesReference(t *testing.T) {
	fragments := []string{"0", "7", "a", "F", "z", "-", "(", ")", "+", ".", " ", "\t", "\r", "\x0b", "@", "_", "/", "~", "\x00", "\x7f",
		"я", "é", "\u00a0", "\u2003", "\u0085", "€", "中", "\xff", "\x80"}
	numeric := []string{"0", "1", "7", "9", "-", "(", ")", "+", "."}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300_000 {
		var b strings.Builder
		for range rng.IntN(16) {
			if rng.IntN(4) == 0 {
				b.WriteString(fragments[rng.IntN(len(fragments))])
			} else {
				b.WriteString(numeric[rng.IntN(len(numeric))]) // mostly digits and separators: the number rule
			}
		}
		s := b.String()
		if got, want := checkPseudonym(s), checkPseudonymRunes(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("checkPseudonym(%q) = %+v, want %+v", s, got, want)
		}
	}
}
