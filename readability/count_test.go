package readability

import (
	"math/rand/v2"
	"strings"
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

// countRef is Count as first written: range over the runes and classify each, the reference
// for the byte-level decoding and the class table of Count.
func countRef(text string) Counts {
	var r Counts
	inWord, sentenceOpen := false, false
	for _, c := range text {
		letter, vowel := classify(c)
		switch {
		case letter:
			r.Chars++
			if !inWord {
				r.Words++
				inWord = true
			}
			sentenceOpen = true
			if vowel {
				r.Syllables++
			}
		default:
			inWord = false
			if (c == '.' || c == '!' || c == '?' || c == '…') && sentenceOpen {
				r.Sentences++
				sentenceOpen = false
			}
		}
	}
	if sentenceOpen {
		r.Sentences++
	}
	return r
}

// TestCountMatchesReference compares Count with countRef on the test texts and on 200,000
// random texts built from fragments that exercise each decoding path: ASCII, two-byte letters
// (Cyrillic, Latin, Greek) and marks, three- and four-byte characters (…, CJK, emoji), and
// invalid UTF-8 (lone continuation bytes, overlong forms, cut characters).
func TestCountMatchesReference(t *testing.T) {
	fragments := []string{"a", "Z", "7", " ", ".", "!", "?", "…", ",", "д", "Ё", "ы", "é", "ß", "α", "Ω", "\u0300", "\u05d0",
		"中", "😀", "\x80", "\xc0\xae", "\xc1\x81", "\xc1\xbf", "\xc2", "\xd0", "\xe2\x80", "\xf0\x9f\x98", "\xff", "\xdf\xbf", "\xc2\x80"}
	texts := append([]string{"", simple}, benchTexts...)
	for _, h := range handScored {
		texts = append(texts, h.text)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(fragments[rng.IntN(len(fragments))])
		}
		texts = append(texts, b.String())
	}
	for _, text := range texts {
		if got, want := Count(text), countRef(text); got != want {
			t.Fatalf("Count(%q) = %+v, want %+v", text, got, want)
		}
	}
}
