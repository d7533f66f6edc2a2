package schema

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/pbiwb/pbiwb/connector/field"
)

// IsNull reports whether a field is NULL for a column of type t: an empty
// unquoted field always is; an empty quoted field ("") is an empty string in
// a String column and NULL in any other (an empty string is no number or
// date, and tools that quote every field write missing numbers as "").
func IsNull(t Type, raw []byte, quoted bool) bool {
	return len(raw) == 0 && (!quoted || t != String)
}

// AppendJSON converts raw, a non-NULL field, to type t and appends its JSON
// encoding as Power BI expects it (see the package doc). It is the one place
// a value is converted: validation calls it into a scratch buffer, encoding
// into the batch. The error says why the value does not convert and what to
// do; it does not repeat the value's location, which the caller knows.
func AppendJSON(dst []byte, t Type, raw []byte) ([]byte, error) {
	switch t {
	case String:
		if !utf8.Valid(raw) {
			return dst, errors.New("the value is not valid UTF-8: save the file as UTF-8")
		}
		return appendJSONString(dst, raw), nil
	case Int64:
		v, ok := parseInt(raw, false)
		if !ok {
			return dst, typeError(raw, Int64, "write a whole number such as 42 or -7, without decimals or thousands separators")
		}
		if v == math.MaxInt64 || v == math.MinInt64 {
			return dst, typeError(raw, Int64, "Power BI does not allow Int64's largest and smallest values")
		}
		return strconv.AppendInt(dst, v, 10), nil
	case Double:
		f, ok := parseDouble(raw, false)
		if !ok {
			return dst, typeError(raw, Double, "write a number such as 3.14, -0.5 or 1.2e-7 (finite, no thousands separators)")
		}
		return appendDouble(dst, f), nil
	case Decimal:
		return appendDecimal(dst, raw)
	case Boolean:
		switch {
		case isWord(raw, "true"), len(raw) == 1 && raw[0] == '1':
			return append(dst, "true"...), nil
		case isWord(raw, "false"), len(raw) == 1 && raw[0] == '0':
			return append(dst, "false"...), nil
		}
		return dst, typeError(raw, Boolean, "write true or false (or 1 or 0)")
	case Datetime:
		c, ok := parseDatetime(raw)
		if !ok {
			return dst, typeError(raw, Datetime, "write a date as 2024-03-31, or a date and time as 2024-03-31T14:05:00, 2024-03-31 14:05 or 2024-03-31T14:05:00.250+02:00")
		}
		return appendDatetime(dst, c), nil
	}
	return dst, fmt.Errorf("column type %v cannot be encoded", t)
}

func typeError(raw []byte, t Type, advice string) error {
	return &ValueError{Value: quoteValue(raw), Type: t, advice: advice}
}

// ValueError is a value that does not convert to its column's type, with
// what to do: write it differently, or force the column to another type.
// Error names that setting plainly; In as a face does.
type ValueError struct {
	Value  string // quoted, and cut when long
	Type   Type
	advice string // a field.Render template
}

func (e *ValueError) Error() string { return e.In(field.Plain{}) }

// In is the error with the column-type setting named by n: "--column
// NAME=String" on the command line.
func (e *ValueError) In(n field.Namer) string {
	if n == nil {
		n = field.Plain{}
	}
	return fmt.Sprintf("%s is not a valid %v: %s; or force the column to String with %s", e.Value, e.Type,
		field.Render(e.advice, n), n.Setting(field.Column, "NAME=String"))
}

// quoteValue quotes a value for a message, shortened so a 4,000-character
// cell does not flood the terminal.
func quoteValue(raw []byte) string {
	const max = 40
	if len(raw) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		return strconv.Quote(string(raw[:cut])) + "…"
	}
	return strconv.Quote(string(raw))
}

func isWord(raw []byte, lower string) bool {
	if len(raw) != len(lower) {
		return false
	}
	for i := range raw {
		if raw[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// parseInt reads an integer literal. Strict (inference) allows only
// -?(0|[1-9][0-9]*): no "+", no leading zeros, so 00501 stays a String.
// Lenient (a forced or declared Int64) also takes "+" and leading zeros.
func parseInt(b []byte, strict bool) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || (b[0] == '+' && !strict)) {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || (strict && b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseDouble reads a decimal floating-point literal. Strict (inference):
// -?(0|[1-9][0-9]*)\.[0-9]+([eE][+-]?[0-9]+)? — integers are left to
// parseInt, and an exponent comes only after a point (1E5 stays a String).
// Lenient: [+-]?digits[.digits][e[+-]digits] with digits on at least one side
// of the point. Both refuse NaN, infinities, overflow, hex and ±MaxFloat64.
func parseDouble(b []byte, strict bool) (float64, bool) {
	i := 0
	if i < len(b) && (b[i] == '-' || (b[i] == '+' && !strict)) {
		i++
	}
	intStart := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intDigits := i - intStart
	if strict && (intDigits == 0 || (intDigits > 1 && b[intStart] == '0')) {
		return 0, false
	}
	fracDigits, point := 0, false
	if i < len(b) && b[i] == '.' {
		point = true
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			fracDigits++
		}
		if strict && fracDigits == 0 {
			return 0, false
		}
	}
	if intDigits+fracDigits == 0 || (strict && !point) {
		return 0, false // strict: integers are parseInt's (and ±2^53 for a Double)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if strict && !point {
			return 0, false
		}
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		expStart := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == expStart {
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	// The grammar above admits nothing ParseFloat would misread (no hex, no
	// underscores, no "inf"), and the string does not outlive the call.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f == math.MaxFloat64 || f == -math.MaxFloat64 {
		return 0, false
	}
	return f, true
}

// AppendDouble appends f as AppendJSON writes a Double (f must be finite),
// for a reader that has the number already and need not parse it.
func AppendDouble(dst []byte, f float64) []byte { return appendDouble(dst, f) }

// appendDouble writes the shortest text that reads back as f, in
// encoding/json's style (exponent only outside 1e-6 ≤ |f| < 1e21).
func appendDouble(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-07 → e-7, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// Decimal's documented precision and scale (docs/sources.md, Power BI: types).
const (
	DecimalPrecision = 28
	DecimalScale     = 4
)

// appendDecimal checks raw against precision 28, scale 4 and writes it as a
// JSON number with its digits intact (leading zeros of the integer part and
// trailing zeros of the fraction dropped). A value with more than 4
// significant fractional digits is refused, not rounded: rounding would
// change the data silently, and forcing the column to Double (--column
// NAME=Double on the command line) is the way to accept it.
func appendDecimal(dst []byte, raw []byte) ([]byte, error) {
	b := raw
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intPart, frac := b[:i], []byte(nil)
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		frac = b[i+1 : j]
		i = j
	}
	if i != len(b) || len(intPart)+len(frac) == 0 {
		return dst, typeError(raw, Decimal, "write a plain decimal number such as 1234.5678 (no exponent, no thousands separators)")
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > DecimalScale {
		return dst, typeError(raw, Decimal, fmt.Sprintf("Power BI's Decimal keeps %d decimal places and this value has %d; round it in the source, or use {column type=NAME=Double}", DecimalScale, len(frac)))
	}
	if len(intPart) > DecimalPrecision-DecimalScale {
		return dst, typeError(raw, Decimal, fmt.Sprintf("Power BI's Decimal holds at most %d digits before the point (precision %d, scale %d)", DecimalPrecision-DecimalScale, DecimalPrecision, DecimalScale))
	}
	if neg && (len(intPart) > 0 || len(frac) > 0) {
		dst = append(dst, '-')
	}
	if len(intPart) == 0 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, intPart...)
	}
	if len(frac) > 0 {
		dst = append(dst, '.')
		dst = append(dst, frac...)
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes valid UTF-8 as a JSON string: quote, backslash and
// control characters escaped; everything else verbatim.
func appendJSONString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendJSONString writes s as a JSON string (s must be valid UTF-8); the
// pipeline uses it for column names.
func AppendJSONString(dst []byte, s string) []byte {
	return appendJSONString(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
}
