package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MetaClickHouseType is the Arrow field metadata key holding the column's original ClickHouse
// type (for example "LowCardinality(String)" or "Enum8('person' = 1, 'business' = 2)").
const MetaClickHouseType = "clickhouse.type"

// chType is a parsed ClickHouse column type.
type chType struct {
	raw      string
	base     string   // String, UInt8, DateTime, Enum8, …
	nullable bool     // Nullable(…)
	lowCard  bool     // LowCardinality(…)
	enum     []string // enum names in ascending value order
}

// parseCHType understands the scalar types the cxstar tables use. Arrays, maps, tuples and
// decimals are refused with an error naming the column type.
func parseCHType(raw string) (chType, error) {
	t := chType{raw: raw}
	s := strings.TrimSpace(raw)
	for {
		switch {
		case strings.HasPrefix(s, "LowCardinality(") && strings.HasSuffix(s, ")"):
			t.lowCard = true
			s = s[len("LowCardinality(") : len(s)-1]
			continue
		case strings.HasPrefix(s, "Nullable(") && strings.HasSuffix(s, ")"):
			t.nullable = true
			s = s[len("Nullable(") : len(s)-1]
			continue
		}
		break
	}
	switch {
	case s == "String" || strings.HasPrefix(s, "FixedString("):
		t.base = "String"
	case s == "DateTime" || strings.HasPrefix(s, "DateTime("):
		t.base = "DateTime"
	case s == "Date":
		t.base = "Date"
	case strings.HasPrefix(s, "Enum8(") || strings.HasPrefix(s, "Enum16("):
		names, err := parseEnum(s)
		if err != nil {
			return t, fmt.Errorf("column type %s: %w", raw, err)
		}
		t.base, t.enum = "Enum", names
	default:
		if _, ok := numeric[s]; !ok {
			return t, fmt.Errorf("column type %s is not supported by the Arrow export (scalar String, Enum, Date, DateTime, integers and floats only)", raw)
		}
		t.base = s
	}
	return t, nil
}

// parseEnum returns the names of Enum8('a' = 1, 'b' = 2) ordered by value.
func parseEnum(s string) ([]string, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("malformed enum")
	}
	body := s[open+1 : len(s)-1]
	type pair struct {
		name string
		v    int
	}
	var pairs []pair
	for i := 0; i < len(body); {
		for i < len(body) && (body[i] == ' ' || body[i] == ',') {
			i++
		}
		if i >= len(body) {
			break
		}
		if body[i] != '\'' {
			return nil, fmt.Errorf("malformed enum near %q", body[i:])
		}
		i++
		var name strings.Builder
		for i < len(body) && body[i] != '\'' {
			if body[i] == '\\' && i+1 < len(body) {
				i++
			}
			name.WriteByte(body[i])
			i++
		}
		i++ // closing quote
		eq := strings.IndexByte(body[i:], '=')
		if eq < 0 {
			return nil, fmt.Errorf("malformed enum: no value for %q", name.String())
		}
		i += eq + 1
		j := i
		for j < len(body) && body[j] != ',' {
			j++
		}
		v, err := strconv.Atoi(strings.TrimSpace(body[i:j]))
		if err != nil {
			return nil, fmt.Errorf("malformed enum value for %q: %w", name.String(), err)
		}
		pairs = append(pairs, pair{name.String(), v})
		i = j
	}
	// Insertion sort by value: enums are short.
	for a := 1; a < len(pairs); a++ {
		for b := a; b > 0 && pairs[b].v < pairs[b-1].v; b-- {
			pairs[b], pairs[b-1] = pairs[b-1], pairs[b]
		}
	}
	names := make([]string, len(pairs))
	for i, p := range pairs {
		names[i] = p.name
	}
	return names, nil
}

// arrowType maps a ClickHouse type to its Arrow type: String and LowCardinality(String) → utf8,
// Enum8/16 → dictionary<int8|int16, utf8> whose dictionary is every enum name in value order (the
// same in every batch), DateTime → timestamp[s, UTC], Date → date32, integers and floats → the
// same width and signedness.
func (t chType) arrowType() arrow.DataType {
	switch t.base {
	case "String":
		return arrow.BinaryTypes.String
	case "DateTime":
		return &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}
	case "Date":
		return arrow.FixedWidthTypes.Date32
	case "Enum":
		idx := arrow.DataType(arrow.PrimitiveTypes.Int8)
		if len(t.enum) > 127 {
			idx = arrow.PrimitiveTypes.Int16
		}
		return &arrow.DictionaryType{IndexType: idx, ValueType: arrow.BinaryTypes.String}
	}
	if n, ok := numeric[t.base]; ok {
		return n.arrow
	}
	panic("export: unmapped type " + t.raw)
}

// column scans one ClickHouse column and appends its current value to an Arrow builder.
type column struct {
	name   string
	typ    chType
	dest   any    // pointer handed to rows.Scan
	append func() // appends *dest to the bound builder
	bind   func(b array.Builder) error
	dict   *array.String // enum dictionary, re-inserted at the start of every batch
}

func newColumn(name string, t chType, mem memory.Allocator) (*column, error) {
	c := &column{name: name, typ: t}
	switch t.base {
	case "String", "Enum":
		setupScalar(c, func(b array.Builder) func(string) {
			switch bb := b.(type) {
			case *array.StringBuilder:
				return func(v string) { bb.Append(v) }
			case *array.BinaryDictionaryBuilder:
				return func(v string) {
					if err := bb.AppendString(v); err != nil {
						bb.AppendNull() // unreachable: every enum name is in the dictionary
					}
				}
			}
			return nil
		})
		if t.base == "Enum" {
			sb := array.NewStringBuilder(mem)
			sb.AppendValues(t.enum, nil)
			c.dict = sb.NewStringArray()
			sb.Release()
		}
	case "DateTime":
		setupScalar(c, func(b array.Builder) func(time.Time) {
			bb := b.(*array.TimestampBuilder)
			return func(v time.Time) { bb.Append(arrow.Timestamp(v.Unix())) }
		})
	case "Date":
		setupScalar(c, func(b array.Builder) func(time.Time) {
			bb := b.(*array.Date32Builder)
			return func(v time.Time) {
				y, m, d := v.Date()
				bb.Append(arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))
			}
		})
	default:
		n, ok := numeric[t.base]
		if !ok {
			return nil, fmt.Errorf("column %s: type %s is not supported", name, t.raw)
		}
		n.setup(c)
	}
	return c, nil
}

// numeric maps each ClickHouse integer and float type to the Arrow type of the same width and
// signedness and to the set-up of its column.
var numeric = map[string]struct {
	arrow arrow.DataType
	setup func(*column)
}{
	"UInt8":   {arrow.PrimitiveTypes.Uint8, setupNumber[uint8, *array.Uint8Builder]},
	"UInt16":  {arrow.PrimitiveTypes.Uint16, setupNumber[uint16, *array.Uint16Builder]},
	"UInt32":  {arrow.PrimitiveTypes.Uint32, setupNumber[uint32, *array.Uint32Builder]},
	"UInt64":  {arrow.PrimitiveTypes.Uint64, setupNumber[uint64, *array.Uint64Builder]},
	"Int8":    {arrow.PrimitiveTypes.Int8, setupNumber[int8, *array.Int8Builder]},
	"Int16":   {arrow.PrimitiveTypes.Int16, setupNumber[int16, *array.Int16Builder]},
	"Int32":   {arrow.PrimitiveTypes.Int32, setupNumber[int32, *array.Int32Builder]},
	"Int64":   {arrow.PrimitiveTypes.Int64, setupNumber[int64, *array.Int64Builder]},
	"Float32": {arrow.PrimitiveTypes.Float32, setupNumber[float32, *array.Float32Builder]},
	"Float64": {arrow.PrimitiveTypes.Float64, setupNumber[float64, *array.Float64Builder]},
}

// setupNumber wires a numeric column whose Go scan type is T and whose Arrow builder is B.
func setupNumber[T any, B interface{ Append(T) }](c *column) {
	setupScalar(c, func(b array.Builder) func(T) { return b.(B).Append })
}

// setupScalar wires dest/append/bind for a column of Go scan type T, nullable or not.
func setupScalar[T any](c *column, appender func(b array.Builder) func(T)) {
	if c.typ.nullable {
		var v *T
		c.dest = &v
		c.bind = func(b array.Builder) error {
			app := appender(b)
			if app == nil {
				return fmt.Errorf("column %s: unexpected builder %T", c.name, b)
			}
			c.append = func() {
				if v == nil {
					b.AppendNull()
				} else {
					app(*v)
				}
			}
			return nil
		}
		return
	}
	var v T
	c.dest = &v
	c.bind = func(b array.Builder) error {
		app := appender(b)
		if app == nil {
			return fmt.Errorf("column %s: unexpected builder %T", c.name, b)
		}
		c.append = func() { app(v) }
		return nil
	}
}

// field is the Arrow field of the column, with the ClickHouse type in its metadata.
func (c *column) field() arrow.Field {
	return arrow.Field{
		Name:     c.name,
		Type:     c.typ.arrowType(),
		Nullable: c.typ.nullable,
		Metadata: arrow.NewMetadata([]string{MetaClickHouseType}, []string{c.typ.raw}),
	}
}

// startBatch prepares the column's builder for a new batch (enum dictionaries are re-seeded so
// that every batch carries the identical dictionary, which the Arrow IPC file format requires).
func (c *column) startBatch(b array.Builder) error {
	if c.dict == nil {
		return nil
	}
	db, ok := b.(*array.BinaryDictionaryBuilder)
	if !ok {
		return fmt.Errorf("column %s: unexpected builder %T for an enum", c.name, b)
	}
	return db.InsertStringDictValues(c.dict)
}
