package ingest

import "unicode"

// checkPseudonym refuses a client_id that looks like raw personal data instead of a pseudonym:
// an e-mail address, a phone, SNILS, INN or passport number (10–12 digits, with or without the
// usual separators), or a name (letters outside ASCII, or words separated by spaces).
// A pseudonym such as a hex HMAC-SHA256 passes; so does any opaque ASCII token.
func checkPseudonym(s string) *Rejection {
	if s == "" {
		return nil
	}
	digits, at := 0, -1
	allDigitsOrSep := true
	// ASCII, nearly every pseudonym: byte by byte; at the first other byte, start again by runes.
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '(' || c == ')' || c == '+' || c == '.':
		case c == ' ' || c >= '\t' && c <= '\r':
			return rejectSpace()
		case c >= 0x80:
			return checkPseudonymRunes(s)
		default:
			allDigitsOrSep = false
			if c == '@' && at < 0 {
				at = i
			}
		}
	}
	return pseudonymVerdict(s, digits, at, allDigitsOrSep)
}

// checkPseudonymRunes is checkPseudonym for a client_id with a byte outside ASCII.
func checkPseudonymRunes(s string) *Rejection {
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
		if isSpace(r) {
			return rejectSpace()
		}
		if r > unicode.MaxASCII && unicode.IsLetter(r) {
			return reject(CodePersonalData, "client_id", "contains non-Latin letters: looks like a name, not a pseudonym; send a hash (e.g. hex HMAC-SHA256) instead")
		}
	}
	return pseudonymVerdict(s, digits, at, allDigitsOrSep)
}

// rejectSpace is the refusal of a client_id with white space in it.
func rejectSpace() *Rejection {
	return reject(CodePersonalData, "client_id", "contains white space: looks like a name or a formatted number, not a pseudonym; send a hash (e.g. hex HMAC-SHA256) instead")
}

// pseudonymVerdict refuses what the characters of s say it is: an e-mail address (an @ with
// text on both sides) or a number of 10–12 digits with at most separators beside them.
func pseudonymVerdict(s string, digits, at int, allDigitsOrSep bool) *Rejection {
	if at > 0 && at < len(s)-1 {
		return reject(CodePersonalData, "client_id", "looks like an e-mail address; send a hash (e.g. hex HMAC-SHA256) instead")
	}
	if allDigitsOrSep && digits >= 10 && digits <= 12 {
		return reject(CodePersonalData, "client_id", "is %d digits: looks like a phone, SNILS, INN or passport number; send a hash (e.g. hex HMAC-SHA256) instead", digits)
	}
	return nil
}

// isSpace is unicode.IsSpace with an ASCII fast path (client ids are almost always ASCII).
func isSpace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || r >= '\t' && r <= '\r'
	}
	return unicode.IsSpace(r)
}
