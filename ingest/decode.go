package ingest

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// This file is a single-pass decoder for the flat JSON objects of the event contract. It replaces
// encoding/json's reflection (which held validation to ~160k events/s per core) and keeps its
// meaning exactly where the contract is silent:
//   - the whole input must be one valid JSON value (RFC 8259), else invalid_json;
//   - field names match exactly (case-sensitive, as the contract spells them);
//   - a repeated field: the last occurrence wins, and only it is type-checked;
//   - null is the same as an absent field; unknown fields of any type are skipped;
//   - invalid UTF-8 in strings becomes U+FFFD, as encoding/json does;
//   - a top-level null is an empty object (so "schema is required"), any other non-object is invalid_json.
// TestDecodeMatchesReference and FuzzDecode check these rules against an encoding/json-based reference.

// maxDepth bounds the nesting of skipped values (encoding/json's limit).
const maxDepth = 10000

// fieldIndex maps a key to its field number (contract.go), or -1: one probe of a perfect hash
// of the names (see init) and one comparison.
func fieldIndex(key []byte) int {
	if len(key) == 0 {
		return -1
	}
	f := nameSlots[nameHash(key, nameMul)&(nameSlotCount-1)]
	if f > 0 && string(key) == fieldNames[f-1] { // no allocation
		return int(f - 1)
	}
	return -1
}

// nameSlotCount is the size of the field-name hash table (a power of two).
const nameSlotCount = 256

var (
	nameSlots [nameSlotCount]uint8 // field number + 1, or 0
	nameMul   uint32               // the multiplier that makes nameHash collision-free on the names
)

// nameHash mixes a name's length and its first, middle and last bytes into a slot number
// (multiplicative hashing: the top bits of the product).
func nameHash[S string | []byte](key S, mul uint32) uint32 {
	x := uint32(len(key)) | uint32(key[0])<<8 | uint32(key[len(key)-1])<<16 | uint32(key[len(key)/2])<<24
	return (x * mul) >> 24
}

// indexNames finds a multiplier for which the field names fall into distinct slots.
func indexNames() {
	mul := uint32(0x9E3779B1)
	for range 1 << 20 {
		mul += 2 * 0x6A09E667
		var slots [nameSlotCount]uint8
		ok := true
		for f, name := range fieldNames {
			i := nameHash(name, mul) & (nameSlotCount - 1)
			if slots[i] != 0 {
				ok = false
				break
			}
			slots[i] = uint8(f + 1)
		}
		if ok {
			nameSlots, nameMul = slots, mul
			return
		}
		mul |= 1
	}
	panic("ingest: no collision-free hash of the field names")
}

// canonical returns the constant for a known value of enum field f, so that decoding it
// allocates nothing.
func canonical(f int, b []byte) (string, bool) {
	for _, s := range fieldEnums[f] {
		if string(b) == s {
			return s, true
		}
	}
	return "", false
}

// decoder walks one input.
type decoder struct {
	data []byte
	i    int
	// shared: the decoded strings are views of data instead of copies (see decodeShared).
	shared bool
	// badType is, per field, the first byte of its last occurrence when that had the wrong JSON
	// type ('0' for a number, '#' for a number that is not an integer of an integer field), or 0.
	badType [maxFields]byte
	badNum  [maxFields]int32 // where the rejected number of an integer field starts
}

// decodeWire fills w from data, or returns the rejection. w must be zeroed by the caller.
// With shared, w's strings are views of data where data holds them as they are (no escapes,
// valid UTF-8), not copies: data must then stay unchanged while they are used.
func decodeWire(data []byte, w *wire, shared bool) *Rejection {
	d := decoder{data: data, shared: shared}
	if r := d.parse(w); r != nil {
		return r
	}
	return d.typeError()
}

// parse reads the whole input into w, checking its syntax; fields of the wrong type are
// recorded in d.badType and left empty.
func (d *decoder) parse(w *wire) *Rejection {
	d.ws()
	if d.i >= len(d.data) {
		return reject(CodeInvalidJSON, "", "empty message: an event must be a JSON object")
	}
	switch c := d.data[d.i]; c {
	case '{':
		if r := d.object(w); r != nil {
			return r
		}
	case 'n':
		if !d.literal("null") {
			return d.syntax("invalid literal")
		}
	default:
		if err := d.skip(0); err != nil {
			return err
		}
		d.ws()
		if d.i != len(d.data) {
			return d.syntax("data after the top-level value")
		}
		return reject(CodeInvalidJSON, "", "an event must be a JSON object, got %s", jsonKind(c))
	}
	d.ws()
	if d.i != len(d.data) {
		return d.syntax("data after the top-level value")
	}
	return nil
}

// typeError returns the rejection of the first field (in field-number order) whose last
// occurrence had the wrong type, or nil.
func (d *decoder) typeError() *Rejection {
	for f, t := range d.badType[:len(fieldNames)] {
		switch t {
		case 0:
		case '#':
			d.i = int(d.badNum[f])
			_ = d.number()
			return reject(CodeBadType, fieldNames[f], "must be an integer, got number %s", clip(string(d.data[d.badNum[f]:d.i])))
		default:
			return reject(CodeBadType, fieldNames[f], "must be %s, got %s", wantType(fieldTypes[f]), jsonKind(t))
		}
	}
	return nil
}

func wantType(t jsonType) string {
	switch t {
	case jsonInt:
		return "an integer"
	case jsonBool:
		return "true or false"
	}
	return "a string"
}

func jsonKind(c byte) string {
	switch c {
	case '"', 's':
		return "a string"
	case '{', 'o':
		return "an object"
	case '[', 'a':
		return "an array"
	case 't', 'f', 'b':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (d *decoder) syntax(what string) *Rejection {
	return reject(CodeInvalidJSON, "", "malformed JSON at byte %d: %s", d.i, what)
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.i >= len(lit) && string(d.data[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// object decodes the top-level object; d.data[d.i] is '{'.
func (d *decoder) object(w *wire) *Rejection {
	return d.members(func(key []byte) *Rejection { return d.value(fieldIndex(key), w) })
}

// members walks an object's members; d.data[d.i] is '{'. For each member it reads the key and the
// colon and calls member with d.i on the first byte of the value, which member must consume.
func (d *decoder) members(member func(key []byte) *Rejection) *Rejection {
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return d.syntax("expected a field name")
		}
		key, _, r := d.str()
		if r != nil {
			return r
		}
		d.ws()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return d.syntax("expected ':' after a field name")
		}
		d.i++
		d.ws()
		if d.i >= len(d.data) {
			return d.syntax("unexpected end of input")
		}
		if r := member(key); r != nil {
			return r
		}
		d.ws()
		if d.i >= len(d.data) {
			return d.syntax("unexpected end of input")
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.syntax("expected ',' or '}'")
		}
	}
}

// value decodes the value of field f (-1: unknown, skipped).
func (d *decoder) value(f int, w *wire) *Rejection {
	c := d.data[d.i]
	if f < 0 {
		return d.skip(1)
	}
	d.badType[f] = 0
	t := fieldTypes[f]
	switch {
	case c == 'n':
		if !d.literal("null") {
			return d.syntax("invalid literal")
		}
		w.clear(f)
		return nil
	case c == '"' && t == jsonString:
		s, canon, r := d.str()
		if r != nil {
			return r
		}
		w.str[f] = d.toString(f, s, canon)
		return nil
	case (c == 't' || c == 'f') && t == jsonBool:
		b := c == 't'
		if !(b && d.literal("true") || !b && d.literal("false")) {
			return d.syntax("invalid literal")
		}
		w.flag[f] = b
		return nil
	case (c == '-' || (c >= '0' && c <= '9')) && t == jsonInt:
		start := d.i
		if r := d.number(); r != nil {
			return r
		}
		n, err := strconv.ParseInt(string(d.data[start:d.i]), 10, 64)
		if err != nil || n != int64(int(n)) {
			w.clear(f)
			d.badType[f], d.badNum[f] = '#', int32(start)
			return nil
		}
		w.num[f] = int(n)
		w.nums |= 1 << f
		return nil
	}
	// Wrong type: remember it (the last occurrence decides), check the syntax, go on.
	w.clear(f)
	switch c {
	case '"', '{', '[', 't', 'f':
		d.badType[f] = c
	default:
		d.badType[f] = '0'
	}
	return d.skip(1)
}

// toString converts a string's content; raw is true when it holds no escapes and is valid UTF-8.
func (d *decoder) toString(f int, s []byte, raw bool) string {
	if raw {
		if fieldEnums[f] != nil {
			if c, ok := canonical(f, s); ok {
				return c
			}
		}
		if d.shared && len(s) > 0 {
			return unsafe.String(&s[0], len(s))
		}
		return string(s)
	}
	// Rare: escapes or invalid UTF-8. encoding/json has the exact rules (surrogates, U+FFFD).
	var out string
	quoted := make([]byte, 0, len(s)+2)
	quoted = append(append(append(quoted, '"'), s...), '"')
	if err := json.Unmarshal(quoted, &out); err != nil {
		return string(s) // unreachable: d.str checked the syntax
	}
	return out
}

// str reads a string token; d.data[d.i] is '"'. It returns the bytes between the quotes and
// whether they can be used as they are (no escapes, valid UTF-8).
func (d *decoder) str() ([]byte, bool, *Rejection) {
	d.i++
	start := d.i
	raw, ascii := true, true
	var high uint64 // the top bits of the bytes skipped eight at a time: non-zero if any is not ASCII
	for d.i < len(d.data) {
		for d.i+8 <= len(d.data) {
			x := binary.LittleEndian.Uint64(d.data[d.i:])
			if m := stops(x); m != 0 {
				n := bits.TrailingZeros64(m) >> 3 // the plain bytes before the stop
				high |= x & (1<<(8*n) - 1)
				d.i += n
				break
			}
			high |= x
			d.i += 8
		}
		if d.i >= len(d.data) {
			break
		}
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			if high&(ones*0x80) != 0 {
				ascii = false
			}
			if raw && !ascii && !utf8.Valid(s) {
				raw = false
			}
			return s, raw, nil
		case c == '\\':
			raw = false
			d.i++
			if d.i >= len(d.data) {
				return nil, false, d.syntax("unterminated string")
			}
			switch d.data[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				if len(d.data)-d.i < 5 {
					return nil, false, d.syntax("short \\u escape")
				}
				for _, h := range d.data[d.i+1 : d.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, false, d.syntax("invalid \\u escape")
					}
				}
				d.i += 5
			default:
				return nil, false, d.syntax("invalid escape in string")
			}
		case c < 0x20:
			return nil, false, d.syntax("control character in string")
		case c >= 0x80:
			ascii = false
			d.i++
		default:
			d.i++
		}
	}
	return nil, false, d.syntax("unterminated string")
}

// ones has a 1 in each of a uint64's eight bytes: ones*b repeats byte b in all of them.
const ones = 0x0101010101010101

// stops marks (in the top bit of each byte) the bytes of x, eight bytes of a string read
// little-endian, where str must stop: '"', '\\' and control characters below 0x20. A mark above
// the lowest one may be false (a borrow from the byte below), so only the lowest is to be trusted;
// a word with no mark holds none of them. (v-ones)&^v marks the zero bytes of v.
func stops(x uint64) uint64 {
	q, b := x^(ones*'"'), x^(ones*'\\')
	return ((q-ones)&^q | (b-ones)&^b | (x-ones*0x20)&^x) & (ones * 0x80)
}

// number checks a number token's syntax.
func (d *decoder) number() *Rejection {
	if d.data[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return d.syntax("invalid number")
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	return nil
}

// skip checks and steps over any JSON value; depth is the number of containers around it.
func (d *decoder) skip(depth int) *Rejection {
	d.ws()
	if d.i >= len(d.data) {
		return d.syntax("unexpected end of input")
	}
	switch c := d.data[d.i]; {
	case c == '"':
		_, _, r := d.str()
		return r
	case c == 't':
		if !d.literal("true") {
			return d.syntax("invalid literal")
		}
	case c == 'f':
		if !d.literal("false") {
			return d.syntax("invalid literal")
		}
	case c == 'n':
		if !d.literal("null") {
			return d.syntax("invalid literal")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case (c == '[' || c == '{') && depth+1 > maxDepth:
		return d.syntax("nested too deep")
	case c == '[':
		d.i++
		d.ws()
		if d.i < len(d.data) && d.data[d.i] == ']' {
			d.i++
			return nil
		}
		for {
			if r := d.skip(depth + 1); r != nil {
				return r
			}
			d.ws()
			if d.i >= len(d.data) {
				return d.syntax("unexpected end of input")
			}
			if d.data[d.i] == ']' {
				d.i++
				return nil
			}
			if d.data[d.i] != ',' {
				return d.syntax("expected ',' or ']'")
			}
			d.i++
		}
	case c == '{':
		return d.members(func([]byte) *Rejection { return d.skip(depth + 1) })
	default:
		return d.syntax("invalid character")
	}
	return nil
}
