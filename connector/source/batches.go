package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/format"
)

// Batch is one POST rows body: rows [FirstRow, FirstRow+Rows) of the input
// (0-based, header excluded), from input lines FirstLine..LastLine.
type Batch struct {
	Index     int
	FirstRow  int
	Rows      int
	FirstLine int
	LastLine  int
	// Body is `{"rows":[...]}`, within Limits.MaxRowsPerPost rows and
	// Limits.MaxBytesPerPost bytes. It belongs to the caller; give it back
	// with Recycle once sent to spare an allocation.
	Body []byte
}

const (
	bodyPrefix = `{"rows":[`
	bodySuffix = `]}`
)

// Batches is the second pass: it reads the input again and yields its
// batches in order, converting and encoding each value once. Batch
// boundaries depend only on the input and the limits, so they are the same
// on every run: from skips batches [0, from) (encoded but not yielded) for
// a resumed push. An error ends the sequence; it is also an error if the
// input's bytes differ from the first pass's (the file changed): a pass
// after the first complete one checks each batch before yielding it, and
// a changed one ends the sequence with a *ChangedError instead.
func (p *Pipeline) Batches(ctx context.Context, from int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if err := p.batches(ctx, from, yield); err != nil {
			yield(Batch{}, err)
		}
	}
}

// Recycle gives a Body back for reuse by a later batch.
func (p *Pipeline) Recycle(body []byte) {
	if cap(body) == 0 {
		return
	}
	p.freeMu <- struct{}{}
	if len(p.free) < 8 {
		p.free = append(p.free, body[:0])
	}
	<-p.freeMu
}

func (p *Pipeline) newBody() []byte {
	p.freeMu <- struct{}{}
	defer func() { <-p.freeMu }()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return make([]byte, 0, 1<<20)
}

func (p *Pipeline) batches(ctx context.Context, from int, yield func(Batch, error) bool) error {
	if p.invalid != nil {
		return fmt.Errorf("%s breaks Power BI's rules and cannot be written: %w", p.Name, p.invalid)
	}
	if len(p.Columns) == 0 {
		return errors.New("the input has no columns to write")
	}
	maxRows, maxBytes := p.opts.Limits.MaxRowsPerPost, int(p.opts.Limits.MaxBytesPerPost)
	if maxRows <= 0 || maxBytes <= 0 {
		return fmt.Errorf("limits allow no rows per POST (rows %d, bytes %d)", maxRows, maxBytes)
	}
	// The first complete pass records the batches' fingerprints (having
	// checked the whole input against the scan's); later ones check them.
	p.printsMu.Lock()
	known := p.prints
	p.printsMu.Unlock()
	h := sha256.New()
	var r rowReader
	var rehash func() error // the first complete pass's check of a file read at random
	if p.src.Format.random() {
		ra, size, done, err := p.randomInput(ctx)
		if err != nil {
			return err
		}
		defer done()
		if r, err = p.openRandom(ra, size); err != nil {
			return fmt.Errorf("read %s again: %w", p.Name, err)
		}
		defer closeReader(r)
		if known == nil {
			rehash = func() error {
				_, err := io.Copy(h, io.NewSectionReader(ra, 0, size))
				return err
			}
		}
	} else {
		rc, err := p.reopen(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		in := io.Reader(rc)
		if known == nil {
			in = &hashingReader{r: rc, h: h}
		}
		if p.src.Format == JSONL {
			r = newJSONLReader(in, p.names(), p.seed)
		} else {
			cr := NewReader(in, p.Delimiter)
			cr.HashRecords(p.seed)
			r = cr
		}
	}
	if err := r.Read(); err != nil {
		return fmt.Errorf("read %s again: %w", p.Name, err)
	}
	rec := &fingerprints{header: r.RecordSum()}
	if known != nil && rec.header != known.header {
		return &ChangedError{Name: p.Name, Line: r.Line(), Exact: true, What: "(the header) is not what it was"}
	}

	// A value the reader wrote in its declared type's form, when the
	// column has that type, is JSON already (valid.go).
	kinds, _ := r.(kinded)
	fast := make([]bool, len(p.Columns))
	if d, ok := r.(declaring); ok && kinds != nil {
		for i, c := range d.Declared() {
			fast[i] = i < len(p.Columns) && p.Columns[i].Type == c.Type
		}
	}

	// `"name":` for each column, escaped once.
	keys := make([][]byte, len(p.Columns))
	for i, c := range p.Columns {
		k := []byte{}
		if i > 0 {
			k = append(k, ',')
		}
		k = schema.AppendJSONString(k, c.Name)
		keys[i] = append(k, ':')
	}

	b := Batch{Body: append(p.newBody(), bodyPrefix...)}
	var carry []byte // a row moved to the next batch
	row, skipping := 0, from > 0
	var fp batchPrint // the fingerprint of b's rows
	var lines []int   // the lines of b's rows, to name a changed one (checking passes)
	var changed error // why flush stopped, when it was not the consumer
	flush := func() bool {
		if known == nil {
			rec.batches = append(rec.batches, fp)
		} else if b.Index >= len(known.batches) || known.batches[b.Index] != fp {
			changed = p.batchChanged(b, known, fp, lines)
			return false
		}
		fp, lines = batchPrint{}, lines[:0]
		b.Body = append(b.Body, bodySuffix...)
		if skipping {
			b.Body = b.Body[:0]
		} else if !yield(b, nil) {
			return false
		} else {
			b.Body = p.newBody()
		}
		b = Batch{Index: b.Index + 1, FirstRow: row, Body: append(b.Body, bodyPrefix...)}
		skipping = b.Index < from
		return true
	}
	lastLine := r.Line()
	for {
		err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s again: %w", p.Name, err)
		}
		if row&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if known != nil && row >= p.Rows {
			return &ChangedError{Name: p.Name, Line: r.Line(), Exact: true, What: "is a row the input did not have"}
		}
		if r.NumFields() != len(p.Columns) {
			return &ChangedError{Name: p.Name, Line: r.Line(), Exact: true,
				What: fmt.Sprintf("has %d fields, not %d", r.NumFields(), len(p.Columns))}
		}
		mark := len(b.Body)
		if b.Rows > 0 {
			b.Body = append(b.Body, ',')
		}
		b.Body = append(b.Body, '{')
		for i, c := range p.Columns {
			b.Body = append(b.Body, keys[i]...)
			raw := r.Field(i)
			if schema.IsNull(c.Type, raw, r.Quoted(i)) {
				b.Body = append(b.Body, "null"...)
				continue
			}
			if fast[i] && kinds.Kind(i) == kindValid {
				if out, ok := appendValid(b.Body, c.Type, raw); ok {
					b.Body = out
					continue
				}
			}
			if b.Body, err = schema.AppendJSON(b.Body, c.Type, raw); err != nil {
				return &ChangedError{Name: p.Name, Line: r.Line(), Exact: true,
					What: fmt.Sprintf("is not what it was: column %d (%q): %v", i+1, c.Name, err)}
			}
		}
		b.Body = append(b.Body, '}')
		if len(b.Body)+len(bodySuffix) > maxBytes {
			if b.Rows == 0 {
				return fmt.Errorf("%s:%d: the row alone encodes to %d bytes, more than the %d a POST may carry", p.Name, r.Line(), len(b.Body)-mark+len(bodyPrefix)+len(bodySuffix), maxBytes)
			}
			// The row does not fit: send the batch without it, start the
			// next with it.
			carry = append(carry[:0], b.Body[mark+1:]...)
			rowJSON := carry
			b.Body = b.Body[:mark]
			if !flush() {
				return changed
			}
			b.Body = append(b.Body, rowJSON...)
			if len(b.Body)+len(bodySuffix) > maxBytes {
				return fmt.Errorf("%s:%d: the row alone encodes to %d bytes, more than the %d a POST may carry", p.Name, r.Line(), len(rowJSON)+len(bodyPrefix)+len(bodySuffix), maxBytes)
			}
		}
		if b.Rows == 0 {
			b.FirstLine = r.Line()
		}
		b.Rows++
		b.LastLine = r.Line()
		lastLine = r.Line()
		fp.add(r.RecordSum())
		if known != nil {
			lines = append(lines, r.Line())
		}
		row++
		if b.Rows >= p.batchRows(b.Index, b.FirstRow, maxRows) {
			if !flush() {
				return changed
			}
		}
	}
	if b.Rows > 0 && !flush() {
		return changed
	}
	if known != nil {
		if b.Index < len(known.batches) || row != p.Rows {
			return &ChangedError{Name: p.Name, Line: lastLine, Exact: true,
				What: fmt.Sprintf("is now the last: the input had %s rows, it has %s", format.Thousands(int64(p.Rows)), format.Thousands(int64(row)))}
		}
		return nil
	}
	if rehash != nil {
		if err := rehash(); err != nil {
			return fmt.Errorf("read %s again: %w", p.Name, err)
		}
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)) + p.readAs(); got != p.Fingerprint {
		return fmt.Errorf("%s changed since it was checked (fingerprint %s, now %s): run again", p.Name, p.Fingerprint, got)
	}
	if row != p.Rows {
		return fmt.Errorf("%s changed since it was checked (%d rows, now %d): run again", p.Name, p.Rows, row)
	}
	p.printsMu.Lock()
	if p.prints == nil {
		p.prints = rec
	}
	p.printsMu.Unlock()
	return nil
}

// batchChanged is the error of a batch whose fingerprint is not the one
// recorded: it names the changed line when a single row changed.
func (p *Pipeline) batchChanged(b Batch, known *fingerprints, got batchPrint, lines []int) error {
	e := &ChangedError{Name: p.Name, Line: b.FirstLine, LastLine: b.LastLine, What: "is not what it was"}
	if b.Index < len(known.batches) {
		if i := changedRow(known.batches[b.Index], got); i >= 0 && i < len(lines) {
			e.Line, e.Exact = lines[i], true
		}
	}
	return e
}

// fingerprints are what the first complete pass recorded (batchprint.go).
type fingerprints struct {
	header  uint64
	batches []batchPrint
}

// batchRows is the row count batch index, starting at row firstRow, closes
// at: Options.BatchRows, bounded to [1, maxRows].
func (p *Pipeline) batchRows(index, firstRow, maxRows int) int {
	if p.opts.BatchRows == nil {
		return maxRows
	}
	return min(max(p.opts.BatchRows(index, firstRow), 1), maxRows)
}

// reopen gives the second pass the same bytes as the first.
func (p *Pipeline) reopen(ctx context.Context) (io.ReadCloser, error) {
	if p.spool != nil {
		return p.spool.reader(), nil
	}
	if !p.src.Reopenable {
		return nil, fmt.Errorf("%s cannot be read a second time (the pipeline was closed)", p.Name)
	}
	return p.src.Open(ctx)
}
