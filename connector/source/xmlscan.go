package source

import (
	"bufio"
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
	br  *bufio.Reader
	tag []byte // the current tag, between < and >
	buf []byte // a tag or text longer than br's buffer
	txt []byte
}

type xmlToken uint8

const (
	xmlStart xmlToken = iota + 1 // tag: <name attrs> (self-closing: selfClose)
	xmlEnd                       // </name>
	xmlText                      // text, entities decoded
)

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{br: bufio.NewReaderSize(r, 256<<10)}
}

// next is the next token: its kind, the tag's local name (start, end) or
// the text, and for a start tag whether it closes itself. The name and text
// are valid until the next call; attr reads the current start tag's
// attributes.
func (x *xmlScanner) next() (xmlToken, []byte, bool, error) {
	for {
		c, err := x.br.ReadByte()
		if err != nil {
			return 0, nil, false, err
		}
		if c != '<' {
			x.br.UnreadByte()
			t, err := x.readUntil('<', false)
			if err != nil && err != io.EOF {
				return 0, nil, false, err
			}
			if err == nil {
				x.br.UnreadByte()
				t = t[:len(t)-1]
			}
			x.txt = appendUnescaped(x.txt[:0], t)
			return xmlText, x.txt, false, nil
		}
		t, err := x.readUntil('>', true)
		if err != nil {
			return 0, nil, false, unexpectedEOF(err)
		}
		t = t[:len(t)-1]
		switch {
		case len(t) == 0:
			return 0, nil, false, errors.New("an empty tag")
		case t[0] == '?':
			continue
		case t[0] == '!':
			if bytes.HasPrefix(t, []byte("![CDATA[")) {
				for !bytes.HasSuffix(t, []byte("]]")) {
					more, err := x.readUntil('>', false)
					if err != nil {
						return 0, nil, false, unexpectedEOF(err)
					}
					t = append(append(x.buf[:0:0], t...), '>')
					t = append(t, more[:len(more)-1]...)
				}
				x.txt = append(x.txt[:0], t[8:len(t)-2]...)
				return xmlText, x.txt, false, nil
			}
			if bytes.HasPrefix(t, []byte("!--")) {
				for !bytes.HasSuffix(t, []byte("--")) {
					more, err := x.readUntil('>', false)
					if err != nil {
						return 0, nil, false, unexpectedEOF(err)
					}
					t = more[:len(more)-1]
				}
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
		end := bytes.IndexAny(t, " \t\r\n")
		if end < 0 {
			end = len(t)
		}
		return xmlStart, localName(t[:end]), self, nil
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readUntil reads up to and including delim; in a tag (quotes true), a
// delim inside an attribute's quotes does not count.
func (x *xmlScanner) readUntil(delim byte, quotes bool) ([]byte, error) {
	l, err := x.br.ReadSlice(delim)
	if err == nil && (!quotes || balanced(l)) {
		return l, nil
	}
	if err != nil && err != bufio.ErrBufferFull {
		if len(l) > 0 && err == io.EOF && !quotes {
			return l, io.EOF
		}
		return nil, err
	}
	x.buf = append(x.buf[:0], l...)
	for {
		if err == nil && (!quotes || balanced(x.buf)) {
			return x.buf, nil
		}
		if len(x.buf) > MaxRecordBytes {
			return nil, errors.New("a tag or text longer than 8 MB")
		}
		l, err = x.br.ReadSlice(delim)
		x.buf = append(x.buf, l...)
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF && !quotes && len(x.buf) > 0 {
				return x.buf, io.EOF
			}
			return nil, err
		}
	}
}

// balanced: no attribute value is open at the end of b.
func balanced(b []byte) bool {
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

// attr is the value of the current start tag's attribute name (local
// name), entities left as they are; ok is false when it has none.
func (x *xmlScanner) attr(name string) ([]byte, bool) {
	t := x.tag
	i := bytes.IndexAny(t, " \t\r\n")
	if i < 0 {
		return nil, false
	}
	t = t[i:]
	for {
		t = bytes.TrimLeft(t, " \t\r\n")
		eq := bytes.IndexByte(t, '=')
		if eq < 0 {
			return nil, false
		}
		key := localName(bytes.TrimSpace(t[:eq]))
		t = bytes.TrimLeft(t[eq+1:], " \t\r\n")
		if len(t) == 0 || (t[0] != '"' && t[0] != '\'') {
			return nil, false
		}
		end := bytes.IndexByte(t[1:], t[0])
		if end < 0 {
			return nil, false
		}
		if string(key) == name {
			return t[1 : 1+end], true
		}
		t = t[end+2:]
	}
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
