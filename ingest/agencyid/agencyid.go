// Package agencyid holds the event contract's rule for agency ids, shared by ingestion (which
// refuses events with a bad agency_id) and by everything that names per-agency objects
// (dashboards, ClickHouse users and databases).
package agencyid

// Pattern is the form of an agency id, as a regular expression without anchors.
const Pattern = `[a-z0-9][a-z0-9._-]{0,63}`

// MaxLen is the longest agency id, in bytes.
const MaxLen = 64

// Valid reports whether id matches Pattern: 1 to 64 bytes, lower-case Latin letters and digits,
// and after the first byte also '.', '_' and '-'.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}
