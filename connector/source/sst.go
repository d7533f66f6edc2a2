package source

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"slices"
)

// A workbook Excel saves keeps the text of its cells in one table,
// xl/sharedStrings.xml, which the sheet's cells name by number; a sheet
// of mostly distinct text has a table as large as its text. Held whole in
// memory, it would make memory grow with the workbook. A small table is
// held in memory; past sstMemMax bytes of text (1 MiB), the table goes to two
// spool files (spool.go: 0600, under Options.TempDir, removed at once or
// when the reader closes, also on error): the texts back to back, and the
// end of each as 8 bytes. A cell's text is read back through a few cached
// blocks of each file. Excel numbers the table's entries in the order the
// sheet first uses them, so a sheet read from top to bottom reads both
// files nearly in order, and a handful of blocks serve nearly every cell;
// a text used again far down the sheet (a city, a status) costs a read of
// one block. Reading the table lazily from the zip instead would mean
// inflating it again from its start for each text used out of order.

// sstMemMax is the text a table may hold in memory before it goes to the
// spool (a variable for the tests).
var sstMemMax = 1 << 20

// sharedStrings is the workbook's table of cell texts: in memory (data,
// ends), or spilled to the spool (texts, index).
type sharedStrings struct {
	data []byte
	ends []uint32

	dir          string // where to spill
	n            int    // entries spilled
	textFile     *spool
	indexFile    *spool
	textW, idxW  *bufio.Writer
	written      int64   // bytes of text spilled
	num          [8]byte // an end being written (a local would escape)
	texts, index blockCache
}

// readSharedStrings reads each <si>'s text: its <t>, or its runs' <t>s,
// phonetic runs (<rPh>) left out. dir is where a large table spills.
func readSharedStrings(f *zip.File, dir string) (s *sharedStrings, err error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s = &sharedStrings{dir: dir}
	table := s
	defer func() {
		if err != nil {
			table.close() // its spool files
			s = nil
		}
	}()
	x := newXMLScanner(rc)
	inSI, inT, inPh := false, false, 0
	start := 0 // of the current entry's text in data
	for {
		tok, name, self, err := x.next()
		if err == io.EOF {
			return s, s.finish()
		}
		if err != nil {
			return nil, err
		}
		switch tok {
		case xmlStart:
			switch string(name) {
			case "si":
				inSI, start = true, len(s.data)
				if self {
					if err := s.end(start); err != nil {
						return nil, err
					}
					inSI = false
				}
			case "t":
				inT = !self
			case "rPh":
				if !self {
					inPh++
				}
			}
		case xmlEnd:
			switch string(name) {
			case "si":
				if inSI {
					if err := s.end(start); err != nil {
						return nil, err
					}
				}
				inSI = false
			case "t":
				inT = false
			case "rPh":
				inPh--
			}
		case xmlText:
			if inSI && inT && inPh == 0 {
				s.data = append(s.data, name...)
			}
		}
	}
}

// end closes the entry whose text starts at start in data: kept in memory,
// or written to the spool with the ones before it.
func (s *sharedStrings) end(start int) error {
	if s.textW == nil && len(s.data) <= sstMemMax {
		s.ends = append(s.ends, uint32(len(s.data)))
		return nil
	}
	if s.textW == nil {
		if err := s.spill(start); err != nil {
			return err
		}
		start = 0 // spill kept only this entry's text
	}
	if _, err := s.textW.Write(s.data[start:]); err != nil {
		return err
	}
	s.written += int64(len(s.data) - start)
	s.n++
	s.data = s.data[:0]
	_, err := s.idxW.Write(binary.LittleEndian.AppendUint64(s.num[:0], uint64(s.written)))
	return err
}

// spill moves the entries held so far (data up to start) to the spool.
func (s *sharedStrings) spill(start int) error {
	var err error
	if s.textFile, err = createSpool(s.dir); err != nil {
		return err
	}
	if s.indexFile, err = createSpool(s.dir); err != nil {
		return err
	}
	s.textW, s.idxW = bufio.NewWriterSize(s.textFile.f, 1<<16), bufio.NewWriterSize(s.indexFile.f, 1<<16)
	if _, err := s.textW.Write(s.data[:start]); err != nil {
		return err
	}
	for _, e := range s.ends {
		if _, err := s.idxW.Write(binary.LittleEndian.AppendUint64(s.num[:0], uint64(e))); err != nil {
			return err
		}
	}
	s.written, s.n = int64(start), len(s.ends)
	s.data = append(s.data[:0], s.data[start:]...)
	s.ends = nil
	return nil
}

// finish flushes a spilled table and lets go of what memory held.
func (s *sharedStrings) finish() error {
	if s.textW == nil {
		return nil
	}
	if err := errors.Join(s.textW.Flush(), s.idxW.Flush()); err != nil {
		return err
	}
	s.textW, s.idxW, s.data = nil, nil, nil
	s.texts = blockCache{f: s.textFile, size: s.written}
	s.index = blockCache{f: s.indexFile, size: int64(s.n) * 8}
	return nil
}

// appendText appends entry i's text to dst; ok is false when the table
// has no entry i (or it cannot be read back).
func (s *sharedStrings) appendText(dst []byte, i int) (_ []byte, ok bool) {
	if s.textFile == nil {
		if i < 0 || i >= len(s.ends) {
			return dst, false
		}
		start := uint32(0)
		if i > 0 {
			start = s.ends[i-1]
		}
		return append(dst, s.data[start:s.ends[i]]...), true
	}
	if i < 0 || i >= s.n {
		return dst, false
	}
	var b [16]byte
	var start, end uint64
	if i == 0 {
		if !s.index.read(b[8:], 0) {
			return dst, false
		}
	} else if !s.index.read(b[:], int64(i-1)*8) {
		return dst, false
	} else {
		start = binary.LittleEndian.Uint64(b[:8])
	}
	end = binary.LittleEndian.Uint64(b[8:])
	if end < start || end > uint64(s.written) {
		return dst, false
	}
	n := len(dst)
	dst = slices.Grow(dst, int(end-start))[:n+int(end-start)]
	if !s.texts.read(dst[n:], int64(start)) {
		return dst[:n], false
	}
	return dst, true
}

// close removes the spool files, if the table was spilled.
func (s *sharedStrings) close() error {
	var errs []error
	for _, f := range []*spool{s.textFile, s.indexFile} {
		if f != nil {
			errs = append(errs, f.close())
		}
	}
	s.textFile, s.indexFile = nil, nil
	return errors.Join(errs...)
}

// blockCache reads a file through a few cached blocks.
type blockCache struct {
	f      *spool
	size   int64
	blocks [sstCacheBlocks]cachedBlock
	clock  uint64
}

const (
	sstBlock       = 64 << 10
	sstCacheBlocks = 8
)

type cachedBlock struct {
	off  int64 // -1: empty
	data []byte
	used uint64
}

// read fills dst from off; false when the file is shorter.
func (c *blockCache) read(dst []byte, off int64) bool {
	for len(dst) > 0 {
		b := c.block(off / sstBlock * sstBlock)
		if b == nil {
			return false
		}
		at := int(off % sstBlock)
		if at >= len(b) {
			return false
		}
		n := copy(dst, b[at:])
		dst, off = dst[n:], off+int64(n)
	}
	return true
}

// block is the block at off, read from the file when no cached one is.
func (c *blockCache) block(off int64) []byte {
	c.clock++
	victim := 0
	for i := range c.blocks {
		b := &c.blocks[i]
		if len(b.data) > 0 && b.off == off {
			b.used = c.clock
			return b.data
		}
		if b.used < c.blocks[victim].used {
			victim = i
		}
	}
	if off >= c.size {
		return nil
	}
	b := &c.blocks[victim]
	if b.data == nil {
		b.data = make([]byte, sstBlock)
	}
	n, err := c.f.f.ReadAt(b.data[:cap(b.data)][:min(sstBlock, c.size-off)], off)
	if err != nil && !errors.Is(err, io.EOF) {
		b.data = b.data[:0]
		b.used = 0
		return nil
	}
	b.data, b.off, b.used = b.data[:n], off, c.clock
	return b.data
}
