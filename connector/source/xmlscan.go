package source

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner reads the XML of a worksheet or of a workbook's shared
// strings as a stream of tags and text, without building a tree: a
// 1,000,000-row sheet is hundreds of megabytes of XML, and encoding/xml's
// tokens cost more than the rest of the pipeline together. It reads
// well-formed XML as Office writes it; names are compared without their
// namespace prefix. Comments, processing instructions and the DOCTYPE are
// skipped; CDATA is text.
type xmlScanner struct {
	r   io.Reader
	buf []byte // the window: buf[pos:end] is read and not yet scanned
	pos int
	end int
	eof error // the reader's error once it ended

	tag []byte // the current start tag, between < and > (and a closing /)
	txt []byte
}

type xmlToken uint8

const (
	xmlStart xmlToken = iota + 1 // tag: <name attrs> (self-closing: selfClose)
	xmlEnd                       // </name>
	xmlText                      // text, entities decoded
)

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 256<<10)}
}

// more reads into the window, keeping buf[keep:end] (moved to the
// start); it grows the window when it is full, up to MaxRecordBytes.
func (x *xmlScanner) more(keep int) error {
	if x.eof != nil {
		return x.eof
	}
	n := copy(x.buf, x.buf[keep:x.end])
	x.pos -= keep
	x.end = n
	if x.end == len(x.buf) {
		if len(x.buf) >= MaxRecordBytes {
			return errors.New("a tag or text longer than 8 MB")
		}
		x.buf = append(x.buf, make([]byte, len(x.buf))...)
	}
	m, err := io.ReadAtLeast(x.r, x.buf[x.end:], 1)
	x.end += m
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if m == 0 {
			x.eof = err
			return err
		}
		x.eof = err
	}
	return nil
}

// next is the next token: its kind, the tag's local name (start, end) or
// the text, and for a start tag whether it closes itself. The name and
// text are valid until the next call; attr reads the current start tag's
// attributes.
func (x *xmlScanner) next() (xmlToken, []byte, bool, error) {
	for {
		if x.pos >= x.end {
			if err := x.more(x.pos); err != nil {
				return 0, nil, false, err
			}
			continue
		}
		if x.buf[x.pos] != '<' {
			start := x.pos
			i := bytes.IndexByte(x.buf[start:x.end], '<')
			for i < 0 {
				if err := x.more(start); err != nil {
					if err != io.EOF {
						return 0, nil, false, err
					}
					x.txt = appendUnescaped(x.txt[:0], x.buf[0:x.end])
					x.pos = x.end
					return xmlText, x.txt, false, nil
				}
				start = 0
				i = bytes.IndexByte(x.buf[:x.end], '<')
			}
			x.txt = appendUnescaped(x.txt[:0], x.buf[start:start+i])
			x.pos = start + i
			return xmlText, x.txt, false, nil
		}
		// a tag: find its end, a '>' outside quotes
		start := x.pos
		from := start + 1
		var t []byte
		for {
			j := bytes.IndexByte(x.buf[from:x.end], '>')
			if j >= 0 {
				t = x.buf[start+1 : from+j]
				if t[0] == '/' || balanced(t) {
					x.pos = from + j + 1
					break
				}
				from += j + 1
				continue
			}
			off := from - start
			if err := x.more(start); err != nil {
				return 0, nil, false, unexpectedEOF(err)
			}
			start, from = 0, off
		}
		switch {
		case len(t) == 0:
			return 0, nil, false, errors.New("an empty tag")
		case t[0] == '?':
			continue
		case t[0] == '!':
			if bytes.HasPrefix(t, []byte("![CDATA[")) && !bytes.HasSuffix(t, []byte("]]")) ||
				bytes.HasPrefix(t, []byte("!--")) && !bytes.HasSuffix(t, []byte("--")) {
				// a > inside a comment or CDATA: go on to its real end
				x.pos = start + 1 + len(t)
				closing := []byte("-->")
				if t[1] == '[' {
					closing = []byte("]]>")
				}
				cs := start
				for {
					k := bytes.Index(x.buf[x.pos:x.end], closing)
					if k >= 0 {
						t = x.buf[cs+1 : x.pos+k+2]
						x.pos += k + 3
						break
					}
					keep := x.pos - cs
					if err := x.more(cs); err != nil {
						return 0, nil, false, unexpectedEOF(err)
					}
					cs, x.pos = 0, keep
				}
			}
			if bytes.HasPrefix(t, []byte("![CDATA[")) {
				x.txt = append(x.txt[:0], t[8:len(t)-2]...)
				return xmlText, x.txt, false, nil
			}
			continue
		case t[0] == '/':
			return xmlEnd, localName(bytes.TrimSpace(t[1:])), false, nil
		}
		self := t[len(t)-1] == '/'
		if self {
			t = t[:len(t)-1]
		}
		x.tag = t
		end := 0
		for end < len(t) && t[end] != ' ' && t[end] != '\t' && t[end] != '\r' && t[end] != '\n' {
			end++
		}
		return xmlStart, localName(t[:end]), self, nil
	}
}

// The common shapes of a cell's content, which fastCell reads without
// going tag by tag: <v>42</v></c> and <is><t>text</t></is></c>.
var (
	openV, closeV   = []byte("<v>"), []byte("</v></c>")
	openIS, closeIS = []byte("<is><t>"), []byte("</t></is></c>")
)

// fastCell reads the rest of a cell whose start tag was just read when it
// has one of the common shapes, appending its value (entities decoded) to
// dst: isText tells <is> from <v>. ok is false, and nothing is read, for
// any other shape, or when the window does not hold the whole cell.
func (x *xmlScanner) fastCell(dst []byte) (out []byte, isText, ok bool) {
	b := x.buf[x.pos:x.end]
	open, closing := openV, closeV
	switch {
	case bytes.HasPrefix(b, openV):
	case bytes.HasPrefix(b, openIS):
		open, closing, isText = openIS, closeIS, true
	default:
		return dst, false, false
	}
	i := bytes.IndexByte(b[len(open):], '<')
	if i < 0 || !bytes.HasPrefix(b[len(open)+i:], closing) {
		return dst, false, false
	}
	v := b[len(open) : len(open)+i]
	if bytes.IndexByte(v, '&') >= 0 {
		dst = appendUnescaped(dst, v)
	} else {
		dst = append(dst, v...)
	}
	x.pos += len(open) + i + len(closing)
	return dst, isText, true
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// balanced: no attribute value is open at the end of b.
func balanced(b []byte) bool {
	if bytes.IndexByte(b, '"') < 0 && bytes.IndexByte(b, '\'') < 0 {
		return true
	}
	if bytes.IndexByte(b, '\'') < 0 {
		return bytes.Count(b, []byte{'"'})%2 == 0
	}
	var q byte
	for _, c := range b {
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		}
	}
	return q == 0
}

func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// attrs calls f with each attribute of the current start tag (local
// name, value with entities left as they are), until f returns false.
func (x *xmlScanner) attrs(f func(name, value []byte) bool) {
	t := x.tag
	i := 0
	for i < len(t) && t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n' {
		i++
	}
	for i < len(t) {
		for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n') {
			i++
		}
		eq := bytes.IndexByte(t[i:], '=')
		if eq < 0 {
			return
		}
		key := localName(bytes.TrimSpace(t[i : i+eq]))
		i += eq + 1
		for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n') {
			i++
		}
		if i >= len(t) || (t[i] != '"' && t[i] != '\'') {
			return
		}
		e := bytes.IndexByte(t[i+1:], t[i])
		if e < 0 {
			return
		}
		if !f(key, t[i+1:i+1+e]) {
			return
		}
		i += e + 2
	}
}

// attr is the value of the current start tag's attribute name (local
// name); ok is false when it has none.
func (x *xmlScanner) attr(name string) (v []byte, ok bool) {
	x.attrs(func(k, val []byte) bool {
		if string(k) == name {
			v, ok = val, true
			return false
		}
		return true
	})
	return v, ok
}

// appendUnescaped appends t with XML's entities and character references
// decoded.
func appendUnescaped(dst, t []byte) []byte {
	for {
		i := bytes.IndexByte(t, '&')
		if i < 0 {
			return append(dst, t...)
		}
		dst = append(dst, t[:i]...)
		t = t[i:]
		end := bytes.IndexByte(t, ';')
		if end < 0 {
			return append(dst, t...)
		}
		ent := t[1:end]
		switch string(ent) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			var n uint64
			var err error
			switch {
			case len(ent) > 2 && ent[0] == '#' && (ent[1] == 'x' || ent[1] == 'X'):
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			case len(ent) > 1 && ent[0] == '#':
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			default:
				err = errors.New("unknown entity")
			}
			if err != nil || !utf8.ValidRune(rune(n)) {
				dst = append(dst, t[:end+1]...)
			} else {
				dst = utf8.AppendRune(dst, rune(n))
			}
		}
		t = t[end+1:]
	}
}
