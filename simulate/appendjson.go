package simulate

import "strconv"

// The generator writes JSON by appending bytes: every value it writes is either a number,
// a boolean, or a string known to need no escaping (ids made of [a-z0-9._-], enum values,
// timestamps, and reply texts that are escaped once when the package loads).

// appendField appends `,"name":"value"` (or without the comma when first).
func appendStr(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b = append(b, value...)
	return append(b, '"')
}

func appendUint(b []byte, name string, v uint64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendUint(b, v, 10)
}

func appendBool(b []byte, name string, v bool) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendBool(b, v)
}

// appendTS appends `,"occurred_at":"…"` for unix seconds, in Moscow time or in UTC (Z).
func appendTS(b []byte, unix int64, utc bool) []byte {
	b = append(b, `,"occurred_at":"`...)
	b = appendRFC3339(b, unix, utc)
	return append(b, '"')
}

// appendRFC3339 formats unix seconds as 2026-07-01T10:00:00+03:00 (or …Z) without the time
// package's general formatter.
func appendRFC3339(b []byte, unix int64, utc bool) []byte {
	off := int64(3 * 3600)
	if utc {
		off = 0
	}
	t := unix + off
	days := t / 86400
	secs := t - days*86400
	if secs < 0 {
		secs += 86400
		days--
	}
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(secs/3600))
	b = append(b, ':')
	b = append2(b, int(secs/60%60))
	b = append(b, ':')
	b = append2(b, int(secs%60))
	if utc {
		return append(b, 'Z')
	}
	return append(b, "+03:00"...)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
func civil(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

const hexDigits = "0123456789abcdef"

// appendHex64 appends v as 16 lower-case hex digits.
func appendHex64(b []byte, v uint64) []byte {
	for s := 60; s >= 0; s -= 4 {
		b = append(b, hexDigits[v>>uint(s)&0xf])
	}
	return b
}

// mix64 is SplitMix64's finaliser: a fast, well-spread hash of a 64-bit value.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// jsonEscape escapes s as the inside of a JSON string (used once per constant text at start-up).
func jsonEscape(s string) string {
	q := strconv.Quote(s) // Go escapes are JSON-compatible for the characters used here
	return q[1 : len(q)-1]
}
