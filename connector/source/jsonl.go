package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// jsonlReader reads JSON Lines: one JSON object per line, blank lines
// skipped, a UTF-8 byte-order mark at the start skipped. Its columns are
// the union of the objects' keys in first-seen order, so its header is
// empty and its columns grow as the first pass reads (growing); a later
// pass is given them (names) and finds no new key. A key a line lacks is
// NULL there, as is a JSON null. A string's value is its text, inferred as
// a CSV value is; a number is its literal; true and false are Booleans;
// an object or array is kept as its JSON text (kindNested), which only a
// String column takes. A line that is not one JSON object is a finding
// (json-syntax), and the scan goes on with the next line.
type jsonlReader struct {
	br    *bufio.Reader
	fixed bool // names were given: a new key is a change, not a column
	names []string
	index map[string]int

	line    int // physical lines read
	recLine int
	started bool
	header  bool // the header was read

	rec   []byte   // the current record's values, back to back
	spans [][2]int // per column: value i is rec[spans[i][0]:spans[i][1]]
	set   []bool   // per column: the line has the key (and it is not null)
	str   []bool   // per column: the value was a JSON string
	kinds []kind
	key   []byte
	long  []byte // a line longer than br's buffer

	seed maphash.Seed
	sum  uint64
}

func newJSONLReader(r io.Reader, names []string, seed maphash.Seed) *jsonlReader {
	j := &jsonlReader{br: bufio.NewReaderSize(r, 256<<10), index: map[string]int{}, seed: seed}
	if names != nil {
		j.fixed = true
		for _, n := range names {
			j.addColumn(n)
		}
	}
	return j
}

func (j *jsonlReader) addColumn(name string) {
	j.index[name] = len(j.names)
	j.names = append(j.names, name)
	j.spans = append(j.spans, [2]int{})
	j.set = append(j.set, false)
	j.str = append(j.str, false)
	j.kinds = append(j.kinds, kindInfer)
}

// Names are the columns found so far (growing).
func (j *jsonlReader) Names() []string { return j.names }

func (j *jsonlReader) Line() int         { return j.recLine }
func (j *jsonlReader) RecordSum() uint64 { return j.sum }

func (j *jsonlReader) NumFields() int {
	if !j.header {
		return 0
	}
	return len(j.names)
}

func (j *jsonlReader) Field(i int) []byte {
	if !j.header {
		return nil
	}
	if !j.set[i] {
		return nil
	}
	return j.rec[j.spans[i][0]:j.spans[i][1]]
}

func (j *jsonlReader) Quoted(i int) bool { return j.set[i] && j.str[i] }

func (j *jsonlReader) Kind(i int) kind {
	if !j.set[i] {
		return kindInfer
	}
	return j.kinds[i]
}

// Read reads the next object. The first Read is the header: the columns
// given (a later pass), or none (the first pass, which learns them).
func (j *jsonlReader) Read() error {
	if !j.started {
		j.started = true
		if b, err := j.br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
			j.br.Discard(3)
		}
		var h uint64
		for _, n := range j.names {
			h = h*31 ^ maphash.String(j.seed, n)
		}
		j.sum = h
		return nil
	}
	j.header = true
	for {
		l, err := j.readLine()
		if err != nil {
			return err
		}
		j.line++
		l = bytes.TrimRight(l, "\r\n")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		j.recLine = j.line
		j.sum = maphash.Bytes(j.seed, l)
		if err := j.parse(l); err != nil {
			return &recordError{Line: j.line, Rule: schema.RuleJSONSyntax, Msg: err.Error()}
		}
		return nil
	}
}

// readLine is the next line with its end, io.EOF after the last. A line
// longer than MaxRecordBytes is read to its end and refused.
func (j *jsonlReader) readLine() ([]byte, error) {
	l, err := j.br.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(l) > 0) {
		return l, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, err
	}
	j.long = append(j.long[:0], l...)
	for {
		l, err = j.br.ReadSlice('\n')
		if len(j.long) <= MaxRecordBytes {
			j.long = append(j.long, l...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		break
	}
	if len(j.long) > MaxRecordBytes {
		j.line++
		return nil, &recordError{Line: j.line, Rule: schema.RuleJSONSyntax,
			Msg: fmt.Sprintf("the line is longer than %d MB: a JSON Lines file holds one object per line", MaxRecordBytes>>20)}
	}
	return j.long, nil
}

// parse reads one line's object into the record.
func (j *jsonlReader) parse(l []byte) error {
	j.rec = j.rec[:0]
	for i := range j.set {
		j.set[i], j.spans[i] = false, [2]int{}
	}
	p := &jsonParser{b: l}
	p.ws()
	if p.i >= len(l) || l[p.i] != '{' {
		return fmt.Errorf("the line is %s, not a JSON object: each line must be one object, {\"column\": value, ...}", p.what())
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return p.end()
	}
	for {
		p.ws()
		if p.peek() != '"' {
			return p.errorf("a key in double quotes")
		}
		var err error
		if j.key, err = p.str(j.key[:0]); err != nil {
			return err
		}
		p.ws()
		if p.peek() != ':' {
			return p.errorf("a colon after the key")
		}
		p.i++
		p.ws()
		col, ok := j.index[string(j.key)]
		if !ok {
			if j.fixed {
				return fmt.Errorf("the key %q is new: the file changed since it was read", j.key)
			}
			j.addColumn(string(j.key))
			col = len(j.names) - 1
		} else if j.set[col] || j.spans[col][1] < 0 {
			return fmt.Errorf("the key %q appears twice in the object: keep one", j.key)
		}
		start := len(j.rec)
		k, isStr, null := kindInfer, false, false
		switch c := p.peek(); {
		case c == '"':
			if j.rec, err = p.str(j.rec); err != nil {
				return err
			}
			isStr = true
		case c == '{' || c == '[':
			v, err := p.nested()
			if err != nil {
				return err
			}
			j.rec = append(j.rec, v...)
			k = kindNested
		case c == 't' && bytes.HasPrefix(l[p.i:], []byte("true")):
			j.rec = append(j.rec, "true"...)
			p.i += 4
		case c == 'f' && bytes.HasPrefix(l[p.i:], []byte("false")):
			j.rec = append(j.rec, "false"...)
			p.i += 5
		case c == 'n' && bytes.HasPrefix(l[p.i:], []byte("null")):
			p.i += 4
			null = true
		case c == '-' || c >= '0' && c <= '9':
			n, err := p.number()
			if err != nil {
				return err
			}
			j.rec = append(j.rec, n...)
		default:
			return p.errorf("a value")
		}
		j.spans[col] = [2]int{start, len(j.rec)}
		if null {
			j.spans[col][1] = -1 // seen: a second null would be a duplicate too
		} else {
			j.set[col], j.str[col], j.kinds[col] = true, isStr, k
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			continue
		case '}':
			p.i++
			return p.end()
		}
		return p.errorf("a comma or the object's closing brace")
	}
}

// jsonParser reads JSON from one line.
type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\r' || p.b[p.i] == '\n') {
		p.i++
	}
}

func (p *jsonParser) end() error {
	p.ws()
	if p.i < len(p.b) {
		return fmt.Errorf("the line goes on after its object (at character %d): a JSON Lines file holds one object per line", p.i+1)
	}
	return nil
}

// what names the JSON value a line starts with.
func (p *jsonParser) what() string {
	switch c := p.peek(); {
	case c == '[':
		return "a JSON array"
	case c == '"':
		return "a JSON string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return "not JSON"
}

func (p *jsonParser) errorf(want string) error {
	if p.i >= len(p.b) {
		return fmt.Errorf("the line is not valid JSON: it ends where %s was expected", want)
	}
	r, _ := utf8.DecodeRune(p.b[p.i:])
	return fmt.Errorf("the line is not valid JSON: %s was expected at character %d, not %q", want, p.i+1, r)
}

// str appends the string at p.i, unescaped, to dst.
func (p *jsonParser) str(dst []byte) ([]byte, error) {
	p.i++ // the opening quote
	for {
		start := p.i
		for p.i < len(p.b) && p.b[p.i] != '"' && p.b[p.i] != '\\' && p.b[p.i] >= 0x20 {
			p.i++
		}
		dst = append(dst, p.b[start:p.i]...)
		if p.i >= len(p.b) {
			return dst, errors.New("the line is not valid JSON: a string is not closed")
		}
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return dst, nil
		case c < 0x20:
			return dst, fmt.Errorf("the line is not valid JSON: a control character (0x%02x) in a string at character %d must be escaped", c, p.i+1)
		}
		// a backslash
		if p.i+1 >= len(p.b) {
			return dst, errors.New("the line is not valid JSON: a string is not closed")
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return dst, fmt.Errorf("the line is not valid JSON: a \\u escape at character %d needs four hex digits", p.i-1)
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if lo, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
						} else {
							p.i = save
						}
					} else {
						p.i = save
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, fmt.Errorf("the line is not valid JSON: an unknown escape \\%c at character %d", e, p.i-1)
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
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

// number reads a JSON number literal.
func (p *jsonParser) number() ([]byte, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	switch {
	case p.peek() == '0':
		p.i++
	case digits() == 0:
		return nil, p.errorf("a digit")
	}
	if p.peek() == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errorf("a digit after the decimal point")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errorf("a digit in the exponent")
		}
	}
	return p.b[start:p.i], nil
}

// nested reads an object or array whole, checked as JSON.
func (p *jsonParser) nested() ([]byte, error) {
	start, depth, inStr := p.i, 0, false
	for ; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		if inStr {
			switch c {
			case '\\':
				p.i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				p.i++
				v := p.b[start:p.i]
				if !json.Valid(v) {
					return nil, fmt.Errorf("the line is not valid JSON: the value at character %d is not a valid JSON object or array", start+1)
				}
				return v, nil
			}
		}
	}
	return nil, errors.New("the line is not valid JSON: an object or array is not closed")
}
