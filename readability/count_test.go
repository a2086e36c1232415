package readability

import (
	"testing"
	"unicode"
)

// TestClassifyMatchesUnicode checks the fast path of the readability counts against the
// Unicode tables for every code point.
func TestClassifyMatchesUnicode(t *testing.T) {
	for c := rune(0); c <= unicode.MaxRune; c++ {
		letter, vowel := classify(c)
		wantLetter := unicode.IsLetter(c) || unicode.IsDigit(c)
		if letter != wantLetter || vowel != (wantLetter && isVowel(c)) {
			t.Fatalf("classify(%U) = %v, %v; want %v, %v", c, letter, vowel, wantLetter, wantLetter && isVowel(c))
		}
	}
}
