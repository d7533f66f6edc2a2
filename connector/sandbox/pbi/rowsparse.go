package pbi

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// rowParser decodes a POST rows body straight into typed column slices (no
// map per row, no intermediate tree) and checks every value against its
// column, so an ingest of 10,000 rows costs a few milliseconds.
type rowParser struct {
	b     []byte
	i     int
	cols  []*column // the batch, one per table column
	index map[string]int
	seen  []int // row number + 1 in which each column was last set
	lim   schema.Limits
	n     int
}

// rowsError is a request problem to answer with 400 BadRequest.
type rowsError struct{ msg string }

func (e *rowsError) Error() string { return e.msg }

func newRowParser(body []byte, schemaCols []*column, lim schema.Limits) *rowParser {
	p := &rowParser{b: body, index: make(map[string]int, len(schemaCols)), seen: make([]int, len(schemaCols)), lim: lim}
	for i, c := range schemaCols {
		p.cols = append(p.cols, &column{Name: c.Name, DataType: c.DataType})
		p.index[c.Name] = i
	}
	return p
}

func (p *rowParser) fail(format string, args ...any) error {
	return &rowsError{fmt.Sprintf(format, args...)}
}

// parse reads {"rows":[...]} (or a bare array of rows, which a real capture
// shows the service accepting) into p.cols.
func (p *rowParser) parse() error {
	p.ws()
	if p.i >= len(p.b) {
		return p.fail(`The request body is empty; send {"rows":[{"column":value,...}]}.`)
	}
	switch p.b[p.i] {
	case '[':
		if err := p.rows(); err != nil {
			return err
		}
	case '{':
		p.i++
		sawRows := false
		for first := true; ; first = false {
			p.ws()
			if p.peek('}') {
				p.i++
				break
			}
			if !first {
				if err := p.expect(','); err != nil {
					return err
				}
				p.ws()
			}
			key, err := p.str()
			if err != nil {
				return err
			}
			p.ws()
			if err := p.expect(':'); err != nil {
				return err
			}
			p.ws()
			if key != "rows" {
				return p.fail("The property '%s' does not exist on type 'Microsoft.PowerBI.ServiceContracts.Api.PostRowsRequest'. Make sure to only use property names that are defined by the type.", key)
			}
			if sawRows {
				return p.fail("The property 'rows' appears twice.")
			}
			sawRows = true
			if !p.peek('[') {
				return p.fail("Did not encounter start array token or start object token for rowset: 'rows' must be an array of row objects.")
			}
			if err := p.rows(); err != nil {
				return err
			}
		}
		if !sawRows {
			return p.fail("The property 'rows' is required on type 'Microsoft.PowerBI.ServiceContracts.Api.PostRowsRequest' but is missing.")
		}
	default:
		return p.fail(`Did not encounter start array token or start object token for rowset: send {"rows":[{"column":value,...}]}.`)
	}
	p.ws()
	if p.i != len(p.b) {
		return p.fail("The request body has data after the JSON value (byte %d).", p.i)
	}
	return nil
}

func (p *rowParser) rows() error {
	p.i++ // [
	for first := true; ; first = false {
		p.ws()
		if p.peek(']') {
			p.i++
			return nil
		}
		if !first {
			if err := p.expect(','); err != nil {
				return err
			}
			p.ws()
		}
		if p.n >= p.lim.MaxRowsPerPost {
			return p.fail("The request has more than %d rows; Power BI accepts at most %d rows per POST rows request. Send smaller batches.", p.lim.MaxRowsPerPost, p.lim.MaxRowsPerPost)
		}
		if !p.peek('{') {
			return p.fail("rows[%d] must be a JSON object of column name to value.", p.n)
		}
		if err := p.row(); err != nil {
			return err
		}
		p.n++
	}
}

func (p *rowParser) row() error {
	p.i++ // {
	for first := true; ; first = false {
		p.ws()
		if p.peek('}') {
			p.i++
			break
		}
		if !first {
			if err := p.expect(','); err != nil {
				return err
			}
			p.ws()
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		ci, ok := p.index[key]
		if !ok {
			return p.fail("rows[%d]: the table has no column %q (column names are case-sensitive).", p.n, key)
		}
		if p.seen[ci] == p.n+1 {
			return p.fail("rows[%d]: column %q appears twice.", p.n, key)
		}
		p.seen[ci] = p.n + 1
		p.ws()
		if err := p.expect(':'); err != nil {
			return err
		}
		p.ws()
		if err := p.value(p.cols[ci]); err != nil {
			return err
		}
	}
	// A column missing from a row is stored as null (UNCONFIRMED; our choice).
	for ci, c := range p.cols {
		if p.seen[ci] != p.n+1 {
			c.appendNulls(1)
		}
	}
	return nil
}

func (p *rowParser) value(c *column) error {
	if p.i >= len(p.b) {
		return p.fail("rows[%d]: the body ends inside column %q.", p.n, c.Name)
	}
	bad := func(what string) error {
		return p.fail("rows[%d]: column %q is %s, so the value must be %s.", p.n, c.Name, c.DataType, what)
	}
	switch ch := p.b[p.i]; {
	case ch == 'n':
		if err := p.lit("null"); err != nil {
			return err
		}
		c.appendNulls(1)
		return nil
	case ch == 't' || ch == 'f':
		if c.DataType != typeBoolean {
			return bad(expectation(c.DataType))
		}
		v := ch == 't'
		if err := p.lit(map[bool]string{true: "true", false: "false"}[v]); err != nil {
			return err
		}
		c.bools = append(c.bools, v)
	case ch == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		switch c.DataType {
		case typeString:
			if n := utf8.RuneCountInString(s); n > p.lim.MaxStringLength {
				return p.fail("rows[%d]: column %q holds a string of %d characters; Power BI accepts at most %d characters per value.", p.n, c.Name, n, p.lim.MaxStringLength)
			}
		case typeDatetime:
			if !validDatetime(s) {
				return p.fail("rows[%d]: column %q is Datetime and %q is not a date: use ISO 8601 such as 2026-01-31T13:45:00.000Z, 2026-01-31, or 01/31/2026.", p.n, c.Name, truncate(s))
			}
		default:
			return p.fail("rows[%d]: column %q is %s, so the value must be %s, not the string %q.", p.n, c.Name, c.DataType, expectation(c.DataType), truncate(s))
		}
		c.strs = append(c.strs, s)
	case ch == '-' || (ch >= '0' && ch <= '9'):
		num, err := p.number()
		if err != nil {
			return err
		}
		switch c.DataType {
		case typeInt64:
			v, err := strconv.ParseInt(num, 10, 64)
			if err != nil || v == math.MaxInt64 || v == math.MinInt64 {
				return p.fail("rows[%d]: column %q is Int64 and %s is not a whole number between -9223372036854775807 and 9223372036854775806.", p.n, c.Name, num)
			}
			c.ints = append(c.ints, v)
		case typeDouble:
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || math.IsInf(v, 0) || v == math.MaxFloat64 || v == -math.MaxFloat64 {
				return p.fail("rows[%d]: column %q is Double and %s is out of range.", p.n, c.Name, num)
			}
			c.floats = append(c.floats, v)
		case typeDecimal:
			if v, err := strconv.ParseFloat(num, 64); err != nil || math.IsInf(v, 0) {
				return p.fail("rows[%d]: column %q is Decimal and %s is out of range.", p.n, c.Name, num)
			}
			c.strs = append(c.strs, num)
		default:
			return bad(expectation(c.DataType))
		}
	case ch == '{' || ch == '[':
		return p.fail("rows[%d]: column %q is %s; objects and arrays are not values.", p.n, c.Name, c.DataType)
	default:
		return p.fail("rows[%d]: invalid JSON at byte %d in column %q.", p.n, p.i, c.Name)
	}
	c.nulls = append(c.nulls, false)
	return nil
}

func expectation(dt string) string {
	switch dt {
	case typeInt64:
		return "a whole JSON number"
	case typeDouble, typeDecimal:
		return "a JSON number"
	case typeBoolean:
		return "true or false"
	case typeDatetime:
		return "a date string"
	}
	return "a JSON string"
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// datetimeLayouts are the forms seen working (docs/sources.md, Power BI: types): ISO 8601 /
// RFC 3339 with or without zone and fraction, date only, and the US
// MM/dd/yyyy of Microsoft's own example. The full grammar is UNCONFIRMED.
var datetimeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02",
	"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05Z07:00",
	"01/02/2006", "01/02/2006 15:04:05", "1/2/2006", "1/2/2006 15:04:05",
}

func validDatetime(s string) bool {
	for _, l := range datetimeLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

// JSON lexing.

func (p *rowParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *rowParser) peek(ch byte) bool { return p.i < len(p.b) && p.b[p.i] == ch }

func (p *rowParser) expect(ch byte) error {
	if !p.peek(ch) {
		if p.i >= len(p.b) {
			return p.fail("The request body is not valid JSON: it ends where %q was expected.", ch)
		}
		return p.fail("The request body is not valid JSON: %q expected at byte %d, found %q.", ch, p.i, p.b[p.i])
	}
	p.i++
	return nil
}

func (p *rowParser) lit(word string) error {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return p.fail("The request body is not valid JSON at byte %d.", p.i)
	}
	p.i += len(word)
	return nil
}

func (p *rowParser) number() (string, error) {
	start := p.i
	if p.peek('-') {
		p.i++
	}
	digits := func() int {
		s := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		return p.i - s
	}
	intStart := p.i
	if n := digits(); n == 0 || (n > 1 && p.b[intStart] == '0') {
		return "", p.fail("The request body is not valid JSON: bad number at byte %d.", start)
	}
	if p.peek('.') {
		p.i++
		if digits() == 0 {
			return "", p.fail("The request body is not valid JSON: bad number at byte %d.", start)
		}
	}
	if p.peek('e') || p.peek('E') {
		p.i++
		if p.peek('+') || p.peek('-') {
			p.i++
		}
		if digits() == 0 {
			return "", p.fail("The request body is not valid JSON: bad number at byte %d.", start)
		}
	}
	return string(p.b[start:p.i]), nil
}

func (p *rowParser) str() (string, error) {
	if !p.peek('"') {
		return "", p.fail("The request body is not valid JSON: a string was expected at byte %d.", p.i)
	}
	p.i++
	start := p.i
	for p.i < len(p.b) { // fast path: no escapes
		ch := p.b[p.i]
		if ch == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		}
		if ch == '\\' {
			break
		}
		if ch < 0x20 {
			return "", p.fail("The request body is not valid JSON: control character in a string at byte %d.", p.i)
		}
		p.i++
	}
	buf := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		ch := p.b[p.i]
		switch {
		case ch == '"':
			p.i++
			return string(buf), nil
		case ch < 0x20:
			return "", p.fail("The request body is not valid JSON: control character in a string at byte %d.", p.i)
		case ch != '\\':
			buf = append(buf, ch)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			break
		}
		esc := p.b[p.i+1]
		p.i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("The request body is not valid JSON: bad \\u escape at byte %d.", p.i)
			}
			if utf16.IsSurrogate(r) && p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
				p.i += 2
				r2, ok := p.hex4()
				if !ok {
					return "", p.fail("The request body is not valid JSON: bad \\u escape at byte %d.", p.i)
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail("The request body is not valid JSON: bad escape \\%c at byte %d.", esc, p.i-1)
		}
	}
	return "", p.fail("The request body is not valid JSON: unterminated string.")
}

func (p *rowParser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}
