package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/format"
)

// Options are what the first pass checks the input against.
type Options struct {
	// Limits are the limits in force (the sandbox's, or the documented
	// ones); the zero value means schema.DocumentedLimits().
	Limits schema.Limits
	// Table is the target table's name, checked against Power BI's rules
	// when not empty.
	Table string
	// Columns forces column types by name (--column NAME=TYPE); they win
	// over inference and over a source's declared types.
	Columns map[string]schema.Type
	// Retention, when set, checks the row count against what the table
	// keeps; ExistingRows are the rows already there (append mode).
	Retention    schema.Retention
	ExistingRows int
	// Existing are the columns of the target table when it exists: their
	// types are the types of the input's columns of the same name (unless
	// --column says otherwise), and the columns are compared
	// (schema.Compare).
	Existing []schema.Column
	// MaxFindings caps the findings listed (the rest are counted);
	// 0 means schema.DefaultMaxFindings.
	MaxFindings int
	// TempDir holds the copy of a source that cannot be read twice (created
	// 0700 if missing; the push engine passes one under the home); "" means
	// os.TempDir(). See spool.go for how long a copy lives.
	TempDir string
	// Fields names the settings that findings and warnings advise (forcing
	// a column's type, the mode, the retention) as the face showing them
	// does; nil is field.Plain{}.
	Fields field.Namer
	// BatchRows, if set, is the row count of batch index, which starts at
	// row firstRow (0-based, header excluded): at most Limits.MaxRowsPerPost,
	// and a batch may still end early to stay within MaxBytesPerPost. It
	// must depend only on its arguments, so that a resumed push finds the
	// same batches. The push engine passes its hourlyBatchRows: sizes a
	// killed run's batches in flight can be told apart by, cut so that each
	// hour's row quota is used whole. nil: every batch takes
	// Limits.MaxRowsPerPost rows.
	BatchRows func(index, firstRow int) int
}

// Pipeline is an input read once through (Scan): its columns and types
// known, every value checked. Batches reads it a second time and encodes.
type Pipeline struct {
	Name        string          // the source's name
	Columns     []schema.Column // in input order, with their final types
	Inferred    []bool          // Inferred[i]: Columns[i].Type came from inference
	Rows        int             // data rows (header excluded)
	Bytes       int64           // input bytes
	Fingerprint string          // "sha256:" + hex of the input bytes, for checkpoints
	Delimiter   byte
	// Compat is how the input fits Options.Existing (zero when none).
	Compat schema.Compatibility
	// Warnings are what the plan should show but do not stop the write
	// (a basicFIFO table dropping old rows, table columns left empty).
	Warnings []string

	src     *Source
	opts    Options
	spool   *spool // the copy of a non-reopenable source
	invalid error  // the first pass's findings: nothing may be written

	freeMu chan struct{}
	free   [][]byte // bodies given back with Recycle

	seed     maphash.Seed // of the rows' hashes in the batch fingerprints
	printsMu sync.Mutex
	prints   *fingerprints // recorded by the first complete Batches pass
}

// Scan is the first pass: it reads the whole input once in constant memory,
// infers the types of undeclared columns, checks every rule of Power BI's
// that can be checked without writing, and fingerprints the bytes. Findings
// come back all at once as a *schema.ValidationError (capped listing, full
// count). The Pipeline is returned whenever the input could be read (also
// with a ValidationError, so a dry run can still describe it); Close it.
func Scan(ctx context.Context, src *Source, opts Options) (*Pipeline, error) {
	if opts.Limits == (schema.Limits{}) {
		opts.Limits = schema.DocumentedLimits()
	}
	if opts.Fields == nil {
		opts.Fields = field.Plain{}
	}
	p := &Pipeline{Name: src.Name, src: src, opts: opts, freeMu: make(chan struct{}, 1), seed: maphash.MakeSeed()}
	fs := &schema.Findings{Max: opts.MaxFindings}
	if opts.Table != "" {
		for _, f := range schema.CheckTableName(opts.Table) {
			fs.Add(f)
		}
	}
	rc, err := src.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	sink := io.Writer(h)
	if !src.Reopenable {
		if p.spool, err = createSpool(opts.TempDir); err != nil {
			return nil, fmt.Errorf("keep a copy of %s for the second pass: %w", src.Name, err)
		}
		sink = io.MultiWriter(h, p.spool.f)
	}
	cr := &countingReader{r: io.TeeReader(rc, sink)}
	err = p.scan(ctx, NewReader(cr, src.Delimiter), fs)
	if err != nil {
		p.Close()
		return nil, err
	}
	if p.spool != nil {
		p.spool.size = cr.n
	}
	p.Bytes = cr.n
	p.Fingerprint = "sha256:" + hex.EncodeToString(h.Sum(nil))
	p.invalid = fs.Err()
	return p, p.invalid
}

// Close removes the copy of a non-reopenable source.
func (p *Pipeline) Close() error {
	if p.spool == nil {
		return nil
	}
	err := p.spool.close()
	p.spool = nil
	return err
}

// columnCheck is the first pass's state for one column.
type columnCheck struct {
	name   string
	typ    schema.Type // Unknown while inferring
	votes  schema.Votes
	string bool // String, or inferring (long values are findings either way)
}

func (p *Pipeline) scan(ctx context.Context, r *Reader, fs *schema.Findings) error {
	file := p.src.Name
	syntax := func(err error) error {
		var se *SyntaxError
		if errors.As(err, &se) {
			fs.Add(schema.Finding{File: file, Line: se.Line, Column: se.Column, ColumnName: p.columnName(se.Column), Rule: schema.RuleCSVSyntax, Message: se.Msg + " (reading stopped here)"})
			return nil
		}
		return fmt.Errorf("read %s: %w", file, err)
	}
	if err := r.Read(); err != nil {
		if err == io.EOF {
			fs.Add(schema.Finding{File: file, Rule: schema.RuleEmptyInput, Message: "the input is empty: the first line must name the columns"})
			return nil
		}
		return syntax(err)
	}
	p.Delimiter = r.Comma()
	headerLine := r.Line()
	names := make([]string, r.NumFields())
	for i := range names {
		names[i] = string(r.Field(i))
	}
	for _, f := range schema.CheckColumnNames(names, p.opts.Limits) {
		f.File, f.Line = file, headerLine
		fs.Add(f)
	}
	cols := p.resolveTypes(names, headerLine, fs)
	p.Columns = make([]schema.Column, len(cols))
	for i, c := range cols {
		p.Columns[i] = schema.Column{Name: c.name}
	}

	maxLen := p.opts.Limits.MaxStringLength
	var scratch []byte
	rows := 0
	for {
		err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if e := syntax(err); e != nil {
				return e
			}
			break
		}
		rows++
		if rows&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := r.Line()
		if n := r.NumFields(); n != len(cols) {
			f := schema.Finding{File: file, Line: line, Column: min(n, len(cols)) + 1, Rule: schema.RuleRaggedRow,
				Message: fmt.Sprintf("the row has %s but the header names %s: a missing or extra delimiter, or an unquoted comma in a value?", format.Count(n, "field"), format.Count(len(cols), "column"))}
			if n < len(cols) {
				f.ColumnName = cols[n].name // the first column with no field
			}
			fs.Add(f)
			continue
		}
		nul := bytes.IndexByte(r.rec, 0) >= 0 // once per record: rare, and looked for field by field only then
		for i := range cols {
			raw := r.Field(i)
			if len(raw) == 0 {
				continue // NULL or "", valid in every type; votes for none
			}
			c := &cols[i]
			if nul && bytes.IndexByte(raw, 0) >= 0 {
				fs.Add(schema.Finding{File: file, Line: line, Column: i + 1, ColumnName: c.name, Rule: schema.RuleNULByte,
					Message: "the value contains a NUL byte (0x00), and how Power BI would store it is unknown: remove it from the file (tr -d '\\000' does)"})
				continue
			}
			if !utf8.Valid(raw) {
				fs.Add(schema.Finding{File: file, Line: line, Column: i + 1, ColumnName: c.name, Rule: schema.RuleInvalidUTF8,
					Message: "the value is not valid UTF-8: save the file as UTF-8"})
				continue
			}
			if c.string && maxLen > 0 && len(raw) > maxLen {
				if n := schema.UTF16Len(raw); n > maxLen {
					fs.Add(schema.Finding{File: file, Line: line, Column: i + 1, ColumnName: c.name, Rule: schema.RuleStringLength,
						Message: fmt.Sprintf("the value has %s; Power BI takes at most %s per value", format.Count(n, "character"), format.Thousands(maxLen))})
					continue
				}
			}
			if c.typ == schema.Unknown {
				before := c.votes.Type()
				c.votes.Add(raw)
				if before != schema.String && c.votes.Type() == schema.String {
					p.Warnings = append(p.Warnings, fmt.Sprintf("%s:%d: column %d (%q) will be a String: its values read as %v until this %s; to have such values reported instead, force the type with %s",
						file, line, i+1, c.name, before, quoteShort(raw), p.opts.Fields.Setting(field.Column, fmt.Sprintf("%s=%v", c.name, before))))
				}
				continue
			}
			if c.typ == schema.String {
				continue
			}
			if _, err := schema.AppendJSON(scratch[:0], c.typ, raw); err != nil {
				msg := err.Error()
				if ve, ok := err.(*schema.ValueError); ok {
					msg = ve.In(p.opts.Fields)
				}
				fs.Add(schema.Finding{File: file, Line: line, Column: i + 1, ColumnName: c.name, Rule: schema.RuleType, Message: msg})
			}
		}
	}
	p.Rows = rows
	p.Inferred = make([]bool, len(cols))
	for i, c := range cols {
		if c.typ == schema.Unknown {
			p.Columns[i].Type = c.votes.Type()
			p.Inferred[i] = true
		} else {
			p.Columns[i].Type = c.typ
		}
	}
	p.checkTarget(fs)
	return nil
}

// resolveTypes decides which columns have a known type and which are
// inferred. Precedence: --column, then the existing table's column of the
// same name, then the source's declared schema, then inference.
func (p *Pipeline) resolveTypes(names []string, headerLine int, fs *schema.Findings) []columnCheck {
	file := p.src.Name
	cols := make([]columnCheck, len(names))
	index := make(map[string]int, len(names))
	for i, n := range names {
		cols[i] = columnCheck{name: n}
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	if p.src.Declared != nil {
		declared := make(map[string]bool, len(p.src.Declared))
		for _, d := range p.src.Declared {
			declared[d.Name] = true
			if i, ok := index[d.Name]; ok {
				cols[i].typ = d.Type
			} else {
				fs.Add(schema.Finding{File: file, Line: headerLine, ColumnName: d.Name, Rule: schema.RuleSchemaMismatch,
					Message: "the source's schema declares this column but the data has no such column in its header"})
			}
		}
		for i, n := range names {
			if !declared[n] {
				fs.Add(schema.Finding{File: file, Line: headerLine, Column: i + 1, ColumnName: n, Rule: schema.RuleSchemaMismatch,
					Message: "the data has this column but the source's schema does not declare it"})
			}
		}
	}
	// An existing table's types win over the source's and over inference:
	// they are what the values must convert to, and a value that does not
	// is then reported at its line rather than as a type mismatch.
	for _, e := range p.opts.Existing {
		if i, ok := index[e.Name]; ok && e.Type != schema.Unknown {
			cols[i].typ = e.Type
		}
	}
	forced := make([]string, 0, len(p.opts.Columns))
	for n := range p.opts.Columns {
		forced = append(forced, n)
	}
	sort.Strings(forced)
	for _, n := range forced {
		if i, ok := index[n]; ok {
			cols[i].typ = p.opts.Columns[n]
			continue
		}
		msg := p.opts.Fields.Name(field.Column) + " names a column the input does not have"
		for _, have := range names {
			if strings.EqualFold(have, n) {
				msg += fmt.Sprintf(" (did you mean %q? names are case-sensitive)", have)
				break
			}
		}
		fs.Add(schema.Finding{File: file, Line: headerLine, ColumnName: n, Rule: schema.RuleUnknownColumn, Message: msg})
	}
	for i := range cols {
		cols[i].string = cols[i].typ == schema.Unknown || cols[i].typ == schema.String
	}
	return cols
}

// checkTarget checks the row count against retention and the columns
// against the existing table.
func (p *Pipeline) checkTarget(fs *schema.Findings) {
	if p.opts.Retention != "" {
		found, warning := schema.CheckRowCount(p.opts.Limits, p.opts.Retention, p.opts.ExistingRows, p.Rows, p.opts.Fields)
		for _, f := range found {
			f.File = p.src.Name
			fs.Add(f)
		}
		if warning != "" {
			p.Warnings = append(p.Warnings, warning)
		}
	}
	if p.opts.Existing != nil {
		p.Compat = schema.Compare(p.opts.Existing, p.Columns, p.opts.Limits, p.opts.Fields)
		for _, f := range p.Compat.Findings {
			f.File = p.src.Name
			fs.Add(f)
		}
		for _, m := range p.Compat.Missing {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the table's column %q is not in the input: new rows leave it empty", m.Name))
		}
	}
}

// quoteShort quotes a value for a message, cut at 40 bytes.
func quoteShort(raw []byte) string {
	if len(raw) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", raw[:cut])
	}
	return fmt.Sprintf("%q", raw)
}

func (p *Pipeline) columnName(col int) string {
	if col >= 1 && col <= len(p.Columns) {
		return p.Columns[col-1].Name
	}
	return ""
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// hashingReader hashes what passes through.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(b []byte) (int, error) {
	n, err := hr.r.Read(b)
	hr.h.Write(b[:n])
	return n, err
}
