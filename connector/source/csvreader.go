package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"

	"github.com/pbiwb/pbiwb/exitcode"
)

// MaxRecordBytes bounds one record in memory. A valid record is far smaller
// (75 columns × 4,000 characters); a longer one is nearly always a quote
// that was never closed, and the bound keeps memory constant regardless.
const MaxRecordBytes = 8 << 20

// SyntaxError is a CSV the reader cannot continue past. Line is the physical
// line where the record (or the unclosed quoted field) starts; Column the
// 1-based field.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ExitCode: invalid input, nothing written (exit 3).
func (e *SyntaxError) ExitCode() exitcode.Code { return exitcode.Invalid }

// Reader reads RFC 4180 CSV (or TSV) without losing what encoding/csv
// loses: whether a field was quoted, so an empty unquoted field (NULL) and
// "" (an empty string) stay apart. Dialect:
//
//   - records end in LF or CRLF; a line break inside a quoted field is data
//     and keeps its bytes (CRLF stays CRLF: the value is what the file holds);
//   - a field starting with a quote is quoted: "" inside is one quote, and
//     commas and line breaks are data; text between the closing quote and
//     the next delimiter is a syntax error;
//   - a quote inside an unquoted field is kept as data (lenient, as most
//     tools are; the field is unambiguous);
//   - a UTF-8 byte-order mark at the start is skipped;
//   - blank lines between records are skipped, as encoding/csv does;
//   - the delimiter is ',' or tab, given or detected (DetectDelimiter).
//
// Fields returned by Field are valid until the next Read.
type Reader struct {
	br    *bufio.Reader
	comma byte

	line    int // physical lines consumed
	recLine int // line where the current record starts

	rec     []byte // the current record's fields, unescaped, back to back
	ends    []int  // end offset of each field in rec
	quoted  []bool
	lineBuf []byte // a line longer than br's buffer
	started bool

	// With hashing on (HashRecords), sum is a hash of the current record's
	// bytes as the input holds them (blank lines before it excluded).
	hashing bool
	seed    maphash.Seed
	sum     uint64
}

// HashRecords makes RecordSum a hash (with seed) of each record's bytes.
func (r *Reader) HashRecords(seed maphash.Seed) { r.hashing, r.seed = true, seed }

// RecordSum is the hash of the current record's bytes (HashRecords).
func (r *Reader) RecordSum() uint64 { return r.sum }

// hashLine adds a physical line of the record to its hash.
func (r *Reader) hashLine(l []byte) {
	if r.hashing {
		r.sum = bits.RotateLeft64(r.sum, 27) ^ maphash.Bytes(r.seed, l)
	}
}

// NewReader reads from r with the delimiter comma (',' or '\t'); comma 0
// detects it from the first line (DetectDelimiter).
func NewReader(r io.Reader, comma byte) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 256<<10), comma: comma}
}

// Comma is the delimiter in use (known after the first Read).
func (r *Reader) Comma() byte { return r.comma }

// Line is the physical line where the current record starts.
func (r *Reader) Line() int { return r.recLine }

// NumFields is the number of fields of the current record.
func (r *Reader) NumFields() int { return len(r.ends) }

// Field is field i of the current record, unescaped.
func (r *Reader) Field(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.rec[start:r.ends[i]]
}

// Quoted reports whether field i was written in quotes.
func (r *Reader) Quoted(i int) bool { return r.quoted[i] }

// start skips a byte-order mark and detects the delimiter.
func (r *Reader) start() {
	r.started = true
	if b, err := r.br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		r.br.Discard(3)
	}
	if r.comma == 0 {
		b, _ := r.br.Peek(r.br.Size())
		if len(b) == 0 {
			b, _ = r.br.Peek(r.br.Buffered())
		}
		r.comma = DetectDelimiter(b)
	}
}

// DetectDelimiter picks tab when the first line (quoted parts aside) holds
// more tabs than commas, else comma.
func DetectDelimiter(head []byte) byte {
	commas, tabs, inQuote := 0, 0, false
	for i, c := range head {
		switch {
		case c == '"' && (inQuote || i == 0 || head[i-1] == ',' || head[i-1] == '\t'):
			inQuote = !inQuote
		case inQuote:
		case c == ',':
			commas++
		case c == '\t':
			tabs++
		case c == '\n':
			if tabs > commas {
				return '\t'
			}
			return ','
		}
	}
	if tabs > commas {
		return '\t'
	}
	return ','
}

// Read advances to the next record; io.EOF after the last.
func (r *Reader) Read() error {
	if !r.started {
		r.start()
	}
	r.rec, r.ends, r.quoted = r.rec[:0], r.ends[:0], r.quoted[:0]
	var line []byte
	for {
		l, err := r.readLine()
		if err != nil {
			return err
		}
		if lineEnds(l) {
			continue // blank line
		}
		line = l
		break
	}
	r.recLine = r.line
	r.sum = 0
	r.hashLine(line)
	pos := 0
	for {
		if pos < len(line) && line[pos] == '"' {
			// A quoted field, possibly over several lines.
			fieldLine := r.line
			pos++
			for {
				i := bytes.IndexByte(line[pos:], '"')
				if i < 0 {
					r.rec = append(r.rec, line[pos:]...)
					if len(r.rec) > MaxRecordBytes {
						return &SyntaxError{Line: fieldLine, Column: len(r.ends) + 1,
							Msg: fmt.Sprintf("a quoted field runs past %d MiB: is a closing quote missing?", MaxRecordBytes>>20)}
					}
					l, err := r.readLine()
					if err == io.EOF {
						return &SyntaxError{Line: fieldLine, Column: len(r.ends) + 1,
							Msg: "the quoted field is never closed: a closing quote is missing"}
					}
					if err != nil {
						return err
					}
					r.hashLine(l)
					line, pos = l, 0
					continue
				}
				r.rec = append(r.rec, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == '"' {
					r.rec = append(r.rec, '"')
					pos++
					continue
				}
				break
			}
			r.ends = append(r.ends, len(r.rec))
			r.quoted = append(r.quoted, true)
			switch {
			case lineEnds(line[pos:]):
				return nil
			case line[pos] == r.comma:
				pos++
				if lineEnds(line[pos:]) {
					// A delimiter ends the line: one more, empty, field.
					r.ends = append(r.ends, len(r.rec))
					r.quoted = append(r.quoted, false)
					return nil
				}
				continue
			default:
				return &SyntaxError{Line: r.line, Column: len(r.ends),
					Msg: fmt.Sprintf("text after the closing quote of a quoted field (%q): double a quote inside a quoted field (\"\")", line[pos])}
			}
		}
		// An unquoted field.
		i := bytes.IndexByte(line[pos:], r.comma)
		if i >= 0 {
			r.rec = append(r.rec, line[pos:pos+i]...)
			r.ends = append(r.ends, len(r.rec))
			r.quoted = append(r.quoted, false)
			pos += i + 1
			continue
		}
		end := len(line)
		if end > pos && line[end-1] == '\n' {
			end--
			if end > pos && line[end-1] == '\r' {
				end--
			}
		}
		r.rec = append(r.rec, line[pos:end]...)
		r.ends = append(r.ends, len(r.rec))
		r.quoted = append(r.quoted, false)
		if len(r.rec) > MaxRecordBytes {
			return &SyntaxError{Line: r.recLine, Column: len(r.ends),
				Msg: fmt.Sprintf("the record is longer than %d MiB", MaxRecordBytes>>20)}
		}
		return nil
	}
}

// lineEnds says whether rest is only a line break (LF or CRLF), or nothing.
func lineEnds(rest []byte) bool {
	switch len(rest) {
	case 0:
		return true
	case 1:
		return rest[0] == '\n'
	case 2:
		return rest[0] == '\r' && rest[1] == '\n'
	}
	return false
}

// readLine returns the next physical line with its line break as in the
// input (LF or CRLF; none at the end of input without one, and a CR that
// ends the input is dropped): a quoted field keeps its line breaks' bytes, and the
// record's end is found by lineEnds. io.EOF when nothing is left.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.lineBuf = append(r.lineBuf[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.lineBuf) > MaxRecordBytes {
				return nil, &SyntaxError{Line: r.line + 1, Column: 1,
					Msg: fmt.Sprintf("the line is longer than %d MiB", MaxRecordBytes>>20)}
			}
			line, err = r.br.ReadSlice('\n')
			r.lineBuf = append(r.lineBuf, line...)
		}
		line = r.lineBuf
	}
	if len(line) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	r.line++
	if n := len(line); line[n-1] == '\r' && err != nil {
		line = line[:n-1] // a final CR without LF ends the input, as no line break would
	}
	return line, nil
}
