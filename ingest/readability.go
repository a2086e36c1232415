package ingest

import "unicode"

// Readability holds the counts of a written reply from which readability formulas
// (Flesch–Kincaid and its Russian adaptations, Coleman–Liau, ARI) are computed. Only these
// counts are stored; the reply text itself is never kept (docs/events.md).
type Readability struct {
	Chars     uint32 // letters and digits
	Words     uint32 // runs of letters or digits
	Sentences uint32 // runs ending in . ! ? … (at least 1 when there are words)
	Syllables uint32 // vowels of Russian and English words
}

// MeasureReadability counts letters, words, sentences and syllables of a reply.
func MeasureReadability(text string) Readability {
	var r Readability
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
