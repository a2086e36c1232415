package metrics

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultDecimals is the number of decimal places of R-ROUND (docs/indicators.md): the standards'
// tables write every threshold with one decimal. A band file may set another value
// (parameters.decimals); the BandSet methods use the configured one.
const DefaultDecimals = 1

// maxScale bounds the number of decimal places a Decimal can hold, so that 10^scale fits an int64.
const maxScale = 18

// Decimal is an exact decimal number: Units()·10^(−Scale()). Indicator values, thresholds and
// limits are Decimals so that classification never meets binary floating-point error
// (docs/indicators.md A1: decimal arithmetic, no binary floats). The zero value is 0.
type Decimal struct {
	units int64
	scale uint8
}

// NewDecimal returns units·10^(−scale), e.g. NewDecimal(667, 1) = 66.7. It panics if scale is not
// in 0..18, which is a programming error.
func NewDecimal(units int64, scale int) Decimal {
	if scale < 0 || scale > maxScale {
		panic(fmt.Sprintf("metrics.NewDecimal: scale %d outside 0..%d", scale, maxScale))
	}
	return Decimal{units: units, scale: uint8(scale)}
}

// Units is the integer mantissa: the value times 10^Scale().
func (d Decimal) Units() int64 { return d.units }

// Scale is the number of decimal places.
func (d Decimal) Scale() int { return int(d.scale) }

// Sign returns −1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.units < 0:
		return -1
	case d.units > 0:
		return 1
	}
	return 0
}

// Float64 returns the nearest float64 (exact decimal → correctly rounded binary). Use it to store
// or display the value, never to compare it with a threshold.
func (d Decimal) Float64() float64 {
	// Both operands are exact in float64 for |units| < 2^53 and scale ≤ 22, so the IEEE division is
	// correctly rounded: 667/10 gives the same double as the literal 66.7.
	if d.scale == 0 {
		return float64(d.units)
	}
	return float64(d.units) / math.Pow10(int(d.scale))
}

// NullFloat64 is Float64 for a Nullable(Float64) column or a JSON null: nil when d is nil.
func (d *Decimal) NullFloat64() *float64 {
	if d == nil {
		return nil
	}
	f := d.Float64()
	return &f
}

// String formats the value with exactly Scale() decimal places and '.' as separator: "66.7", "-5.0", "12".
func (d Decimal) String() string {
	neg := d.units < 0
	u := d.units
	var digits string
	if neg {
		// −math.MinInt64 overflows; big handles it.
		digits = new(big.Int).Neg(big.NewInt(u)).String()
	} else {
		digits = strconv.FormatInt(u, 10)
	}
	s := int(d.scale)
	if s > 0 {
		if len(digits) <= s {
			digits = strings.Repeat("0", s-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-s] + "." + digits[len(digits)-s:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// rat returns the exact rational value.
func (d Decimal) rat() *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(d.units), pow10Big(int(d.scale)))
}

// Cmp compares exactly: −1 if d < e, 0 if equal (whatever the scales: 50.1 = 50.10), +1 if d > e.
func (d Decimal) Cmp(e Decimal) int { return d.rat().Cmp(e.rat()) }

// Equal reports whether d and e are the same number (scales may differ).
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// Round returns d rounded to the given number of decimal places, half away from zero (the R-ROUND
// "half-up", A1: 35.05 → 35.1, −4.95 → −5.0). If d already has no more places, its value is kept and
// only the scale is widened.
func (d Decimal) Round(decimals int) Decimal {
	if decimals < 0 || decimals > maxScale {
		panic(fmt.Sprintf("metrics.Decimal.Round: decimals %d outside 0..%d", decimals, maxScale))
	}
	r, err := roundRat(big.NewInt(d.units), pow10Big(int(d.scale)), decimals)
	if err != nil {
		// Widening the scale of a huge value can overflow int64; rounding can only shrink it.
		panic(fmt.Sprintf("metrics.Decimal.Round(%s, %d): %v", d, decimals, err))
	}
	return r
}

// ParseDecimal parses a plain decimal number: optional sign, digits, optional '.' or ',' (the
// Russian decimal comma of the standards, «35,1») and fraction digits. Exponents are refused.
func ParseDecimal(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Decimal{}, errors.New("empty number")
	}
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "−"): // U+2212 MINUS SIGN, as in typeset tables
		neg, t = true, strings.TrimPrefix(t, "−")
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	intPart, frac := t, ""
	if i := strings.IndexAny(t, ".,"); i >= 0 {
		intPart, frac = t[:i], t[i+1:]
	}
	if intPart == "" && frac == "" {
		return Decimal{}, fmt.Errorf("%q is not a decimal number", s)
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return Decimal{}, fmt.Errorf("%q is not a plain decimal number (digits, one '.' or ',', no exponent)", s)
		}
	}
	if len(frac) > maxScale {
		return Decimal{}, fmt.Errorf("%q has more than %d decimal places", s, maxScale)
	}
	u, err := strconv.ParseInt(intPart+frac, 10, 64)
	if intPart+frac == "" {
		u, err = 0, nil
	}
	if err != nil {
		return Decimal{}, fmt.Errorf("%q is out of range: %w", s, err)
	}
	if neg {
		u = -u
	}
	return Decimal{units: u, scale: uint8(len(frac))}, nil
}

// MustParseDecimal is ParseDecimal for constants in code and tests; it panics on error.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromFloat converts x through its shortest decimal representation (the digits
// strconv.FormatFloat(x, 'f', -1, 64) prints), so 50.05 becomes exactly 50.05 and then rounds to
// 50.1 — the number the caller wrote, not the binary approximation 50.04999… . Prefer the exact
// integer paths (SharePct, NPS, Round) for computed indicators.
func DecimalFromFloat(x float64) (Decimal, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Decimal{}, fmt.Errorf("cannot use %v as an indicator value: pass a finite number", x)
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > maxScale {
		// Tiny fractions beyond 18 places: round the exact value to 18 places.
		r := new(big.Rat)
		r.SetFloat64(x)
		return roundRat(r.Num(), r.Denom(), maxScale)
	}
	return ParseDecimal(s)
}

// UnmarshalYAML reads a YAML scalar (35.1, "35,1", 100) exactly from its text, never through float64.
func (d *Decimal) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a number, got a YAML %s", n.Line, kindName(n.Kind))
	}
	v, err := ParseDecimal(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the decimal as a YAML number with its scale kept (e.g. 90.0).
func (d Decimal) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: d.String()}, nil
}

// MarshalJSON writes the decimal as a JSON number with its scale kept.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a JSON number (or a quoted number) exactly.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	v, err := ParseDecimal(strings.Trim(string(b), `"`))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "scalar"
}

var pow10Cache = func() []*big.Int {
	out := make([]*big.Int, 2*maxScale+3)
	for i := range out {
		out[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
	return out
}()

func pow10Big(n int) *big.Int {
	if n < len(pow10Cache) {
		return pow10Cache[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// roundRat returns num/den rounded half away from zero to the given number of decimal places,
// computed exactly in integers: q = floor(|num|·10^decimals / |den|), remainder r; q+1 if 2r ≥ |den|.
func roundRat(num, den *big.Int, decimals int) (Decimal, error) {
	if den.Sign() == 0 {
		return Decimal{}, errors.New("division by zero")
	}
	if decimals < 0 || decimals > maxScale {
		return Decimal{}, fmt.Errorf("decimals %d outside 0..%d", decimals, maxScale)
	}
	neg := (num.Sign() < 0) != (den.Sign() < 0)
	a := new(big.Int).Abs(num)
	a.Mul(a, pow10Big(decimals))
	b := new(big.Int).Abs(den)
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	r.Lsh(r, 1)
	if r.Cmp(b) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return Decimal{}, fmt.Errorf("result does not fit in %d decimal places of an int64", decimals)
	}
	u := q.Int64()
	if neg && u != 0 {
		u = -u
	}
	return Decimal{units: u, scale: uint8(decimals)}, nil
}

// Round returns num/den rounded half-up (half away from zero) to the given number of decimal places,
// exactly: Round(1, 8, 3) = 0.125, Round(2, 3, 1) = 0.7. It fails if den is 0 or decimals is outside
// 0..18. For percentages use SharePct / NPS, which multiply by 100 before rounding.
func Round(num, den int64, decimals int) (Decimal, error) {
	d, err := roundRat(big.NewInt(num), big.NewInt(den), decimals)
	if err != nil {
		return Decimal{}, fmt.Errorf("round %d/%d: %w", num, den, err)
	}
	return d, nil
}

// RoundPct returns 100·num/den rounded half-up to the given number of decimal places (R-ROUND),
// computed exactly in integers. It does not restrict num to 0..den: a relative change such as the
// cost reduction of B-T2-7 may be negative. It fails if den is 0.
func RoundPct(num, den int64, decimals int) (Decimal, error) {
	n := new(big.Int).Mul(big.NewInt(num), big.NewInt(100))
	d, err := roundRat(n, big.NewInt(den), decimals)
	if err != nil {
		return Decimal{}, fmt.Errorf("percentage 100·%d/%d: %w", num, den, err)
	}
	return d, nil
}

// SharePct returns the share num/den in percent, rounded half-up to one decimal (R-ROUND):
// 1/8 → 12.5, 2/3 → 66.7, 5/6 → 83.3, 1/3 → 33.3, 1/16 → 6.3 (6.25 rounds up). It requires
// 0 ≤ num ≤ den and den > 0; check den > 0 first and report "no data" otherwise (R-NULL).
func SharePct(num, den int64) (Decimal, error) { return sharePct(num, den, DefaultDecimals) }

func sharePct(num, den int64, decimals int) (Decimal, error) {
	if den <= 0 {
		return Decimal{}, fmt.Errorf("share %d/%d: denominator must be > 0 (a zero denominator means no data: the level is NULL, R-NULL)", num, den)
	}
	if num < 0 || num > den {
		return Decimal{}, fmt.Errorf("share %d/%d: numerator must be between 0 and the denominator; check the counting query", num, den)
	}
	return RoundPct(num, den, decimals)
}

// NPS returns the Net Promoter Score 100·(promoters − detractors)/n in percentage points, rounded to
// one decimal half away from zero (A1: −4.95 → −5.0, +4.95 → +5.0, so NPS(d, p) = −NPS(p, d)).
// promoters answered 9–10, detractors 0–6 and n counts every valid answer 0–10 (passives 7–8 are in n
// only). It requires promoters, detractors ≥ 0, promoters + detractors ≤ n and n > 0.
func NPS(promoters, detractors, n int64) (Decimal, error) {
	return npsValue(promoters, detractors, n, DefaultDecimals)
}

func npsValue(promoters, detractors, n int64, decimals int) (Decimal, error) {
	if err := checkNPSCounts(promoters, detractors, n); err != nil {
		return Decimal{}, err
	}
	if n == 0 {
		return Decimal{}, errors.New("NPS with n = 0: no answers means no data (the level is NULL, R-NULL)")
	}
	return RoundPct(promoters-detractors, n, decimals)
}

func checkNPSCounts(promoters, detractors, n int64) error {
	if promoters < 0 || detractors < 0 || n < 0 {
		return fmt.Errorf("NPS counts promoters=%d detractors=%d n=%d: counts cannot be negative", promoters, detractors, n)
	}
	if promoters > n || detractors > n || promoters+detractors > n {
		return fmt.Errorf("NPS counts promoters=%d detractors=%d n=%d: promoters + detractors exceed n; n must count every valid 0–10 answer", promoters, detractors, n)
	}
	return nil
}
