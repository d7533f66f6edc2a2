package source

import (
	"context"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"os"
)

// An Excel workbook is a zip archive, whose directory is at its end, and a
// Parquet file has its schema and row groups' places in a footer: both are
// read at random, not as a stream. A file is read where it is; a stream
// (stdin, a pipe) is copied whole to the spool first, which both passes
// then read.

// materialize is the first pass's random-access input: the file src
// opened, or a copy of its stream in the spool. h hashes all of it.
func (p *Pipeline) materialize(rc io.ReadCloser, h hash.Hash) (io.ReaderAt, int64, error) {
	if f, ok := rc.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			n, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size()))
			if err != nil {
				return nil, 0, fmt.Errorf("read %s: %w", p.Name, err)
			}
			return f, n, nil
		}
	}
	var err error
	if p.spool, err = createSpool(p.opts.TempDir); err != nil {
		return nil, 0, fmt.Errorf("keep a copy of %s to read it: %w", p.Name, err)
	}
	n, err := io.Copy(io.MultiWriter(h, p.spool.f), rc)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", p.Name, err)
	}
	p.spool.size = n
	return p.spool.f, n, nil
}

// randomInput is a later pass's random-access input: the spool, or the
// file opened again. done closes what it opened.
func (p *Pipeline) randomInput(ctx context.Context) (ra io.ReaderAt, size int64, done func(), err error) {
	if p.spool != nil {
		return p.spool.f, p.spool.size, func() {}, nil
	}
	if !p.src.Reopenable {
		return nil, 0, nil, fmt.Errorf("%s cannot be read a second time (the pipeline was closed)", p.Name)
	}
	rc, err := p.src.Open(ctx)
	if err != nil {
		return nil, 0, nil, err
	}
	f, ok := rc.(*os.File)
	if !ok {
		rc.Close()
		return nil, 0, nil, fmt.Errorf("%s cannot be read at random a second time", p.Name)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("read %s again: %w", p.Name, err)
	}
	return f, st.Size(), func() { f.Close() }, nil
}

// openRandom opens the reader of a workbook or Parquet file.
func (p *Pipeline) openRandom(ra io.ReaderAt, size int64) (rowReader, error) {
	switch p.src.Format {
	case XLSX:
		return newXLSXReader(ra, size, p.src.Name, p.src.Sheet, p.opts.TempDir, p.seed)
	case Parquet:
		return newParquetReader(ra, size, p.src.Name, p.seed)
	}
	return nil, fmt.Errorf("format %q is not read at random", p.src.Format)
}

// closeReader closes a reader that holds something open.
func closeReader(r rowReader) {
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
}

// names are the columns' names.
func (p *Pipeline) names() []string {
	n := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		n[i] = c.Name
	}
	return n
}

// Header is the column names a push would read from a workbook (its first
// sheet), a Parquet file or JSON Lines (the keys of the first object), by
// the file's extension, without reading the rest: what the doctor shows.
// ok is false for any other file (a CSV or TSV, which the caller reads).
func Header(path string) (names []string, f Format, ok bool, err error) {
	f = FormatOf(path)
	if f != XLSX && f != Parquet && f != JSONL {
		return nil, f, false, nil
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, f, true, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, f, true, err
	}
	var r rowReader
	seed := maphash.MakeSeed()
	switch f {
	case XLSX:
		r, err = newXLSXReader(file, st.Size(), path, "", "", seed)
	case Parquet:
		r, err = newParquetReader(file, st.Size(), path, seed)
	default:
		j := newJSONLReader(file, nil, seed)
		if err := j.Read(); err != nil {
			return nil, f, true, err
		}
		if err := j.Read(); err != nil && err != io.EOF {
			return nil, f, true, err
		}
		return j.Names(), f, true, nil
	}
	if err != nil {
		return nil, f, true, err
	}
	defer closeReader(r)
	if err := r.Read(); err != nil {
		return nil, f, true, err
	}
	for i := range r.NumFields() {
		names = append(names, string(r.Field(i)))
	}
	return names, f, true, nil
}
