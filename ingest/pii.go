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
	digits, separators, at := 0, 0, -1
	allDigitsOrSep := true
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '+' || r == '.':
			separators++
		default:
			allDigitsOrSep = false
		}
		if r == '@' && at < 0 {
			at = i
		}
		if isSpace(r) {
			return reject(CodePersonalData, "client_id", "contains white space: looks like a name or a formatted number, not a pseudonym; send a hash (e.g. hex HMAC-SHA256) instead")
		}
		if r > unicode.MaxASCII && unicode.IsLetter(r) {
			return reject(CodePersonalData, "client_id", "contains non-Latin letters: looks like a name, not a pseudonym; send a hash (e.g. hex HMAC-SHA256) instead")
		}
	}
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
