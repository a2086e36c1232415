package readability

import (
	"unicode"
	"unicode/utf8"
)

// Counts are what the readability formulas are computed from. Ingest stores them for every
// written reply (the text itself is never kept), and Score computes them for the check.
type Counts struct {
	Chars     uint32 `json:"letters"`   // letters and digits
	Words     uint32 `json:"words"`     // runs of letters or digits
	Sentences uint32 `json:"sentences"` // runs ending in . ! ? … (at least 1 when there are words)
	Syllables uint32 `json:"syllables"` // vowels of Russian and English words
}

// Count counts letters, words, sentences and syllables of a text in one pass:
//   - a word is a run of letters or digits (any script); a digit counts as a letter, so "2026" is
//     a word of 4 letters and no syllable;
//   - a sentence ends at . ! ? or … after at least one letter or digit; a text with words and no final
//     mark is one sentence more, so Sentences ≥ 1 whenever Words ≥ 1. A dot inside "gosuslugi.ru"
//     or "3.5" also ends a sentence;
//   - a syllable is a vowel: а е ё и о у ы э ю я in Russian (one vowel, one syllable), a e i o u y
//     in Latin words.
func Count(text string) Counts {
	var r Counts
	inWord, sentenceOpen := false, false
	for i := 0; i < len(text); {
		c, size := rune(text[i]), 1
		switch b := text[i]; {
		case b < 0x80:
		case b >= 0xc2 && b < 0xe0 && i+1 < len(text) && text[i+1]&0xc0 == 0x80: // two bytes (U+0080–U+07FF): Cyrillic and most Latin
			c, size = rune(b&0x1f)<<6|rune(text[i+1]&0x3f), 2
		default:
			c, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		var k uint8
		if c < rune(len(classes)) {
			k = classes[c]
		} else {
			k = classOf(c)
		}
		switch {
		case k != 0:
			r.Chars++
			if !inWord {
				r.Words++
				inWord = true
			}
			sentenceOpen = true
			if k&classVowel != 0 {
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

// The classes of the code points below U+0460 (ASCII, Latin, Greek, Cyrillic), from classify:
// classLetter for a letter or digit, classVowel added for a vowel.
const (
	classLetter uint8 = 1
	classVowel  uint8 = 2
)

var classes = func() (t [0x460]uint8) {
	for c := range t {
		t[c] = classOf(rune(c))
	}
	return t
}()

// classOf is the class of c: 0, classLetter, or classLetter|classVowel.
func classOf(c rune) uint8 {
	letter, vowel := classify(c)
	switch {
	case vowel:
		return classLetter | classVowel
	case letter:
		return classLetter
	}
	return 0
}

// classify says whether c is a letter or digit, and whether it is a vowel. ASCII and Cyrillic,
// nearly all of the replies, take a fast path without Unicode tables.
func classify(c rune) (letterOrDigit, vowel bool) {
	switch {
	case c < 0x80:
		switch c | 0x20 {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			return true, true
		}
		return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9', false
	case c >= 0x410 && c <= 0x44f || c == 0x401 || c == 0x451: // А–я, Ё, ё
		switch c {
		case 'а', 'е', 'ё', 'и', 'о', 'у', 'ы', 'э', 'ю', 'я', 'А', 'Е', 'Ё', 'И', 'О', 'У', 'Ы', 'Э', 'Ю', 'Я':
			return true, true
		}
		return true, false
	}
	if unicode.IsLetter(c) || unicode.IsDigit(c) {
		return true, isVowel(c)
	}
	return false, false
}

func isVowel(c rune) bool {
	switch unicode.ToLower(c) {
	case 'а', 'е', 'ё', 'и', 'о', 'у', 'ы', 'э', 'ю', 'я', 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}
