package ingest

import "unicode"

// Readability holds the counts of a written reply from which readability formulas
// (Flesch–Kincaid and its Russian adaptations, Coleman–Liau, ARI) are computed. Only these
// counts are stored; the reply text itself is never kept (EVENTS.md).
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
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			r.Chars++
			if !inWord {
				r.Words++
				inWord = true
			}
			sentenceOpen = true
			if isVowel(c) {
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

func isVowel(c rune) bool {
	switch unicode.ToLower(c) {
	case 'а', 'е', 'ё', 'и', 'о', 'у', 'ы', 'э', 'ю', 'я', 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}
