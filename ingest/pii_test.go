package ingest

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// pseudonymRef is checkPseudonym as first written, rune by rune: the reference for its ASCII
// fast path.
func pseudonymRef(s string) *Rejection {
	if s == "" {
		return nil
	}
	digits, at := 0, -1
	allDigitsOrSep := true
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '+' || r == '.':
		default:
			allDigitsOrSep = false
		}
		if r == '@' && at < 0 {
			at = i
		}
		if unicode.IsSpace(r) {
			return reject(CodePersonalData, "client_id", "white space")
		}
		if r > unicode.MaxASCII && unicode.IsLetter(r) {
			return reject(CodePersonalData, "client_id", "non-Latin letters")
		}
	}
	if at > 0 && at < len(s)-1 {
		return reject(CodePersonalData, "client_id", "e-mail")
	}
	if allDigitsOrSep && digits >= 10 && digits <= 12 {
		return reject(CodePersonalData, "client_id", "digits")
	}
	return nil
}

// TestCheckPseudonymMatchesReference compares checkPseudonym with pseudonymRef (the same
// verdict, and the same reason word) on 300,000 random client ids of ASCII digits,
// separators, letters, @ and white space, with non-ASCII letters, spaces and invalid bytes.
func TestCheckPseudonymMatchesReference(t *testing.T) {
	fragments := []string{"0", "7", "a", "F", "z", "-", "(", ")", "+", ".", " ", "\t", "\r", "\x0b", "@", "_", "/", "~", "\x00", "\x7f",
		"я", "é", "\u00a0", "\u2003", "\u0085", "€", "中", "\xff", "\x80"}
	numeric := []string{"0", "1", "7", "9", "-", "(", ")", "+", "."}
	word := func(r *Rejection) string {
		if r == nil {
			return ""
		}
		for _, w := range []string{"white space", "non-Latin letters", "e-mail", "digits"} {
			if strings.Contains(r.Reason, w) {
				return w
			}
		}
		return r.Reason
	}
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
		if got, want := word(checkPseudonym(s)), word(pseudonymRef(s)); got != want {
			t.Fatalf("checkPseudonym(%q): %q, want %q", s, got, want)
		}
	}
}
