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
	// TempDir holds the copy of a source that cannot be read twice, and a
	// large workbook's shared strings while it is read (sst.go) (created
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
	// Format is how the input was read; Sheet, a workbook's sheet read.
	Format Format
	Sheet  string
	Sheets []string // a workbook's sheets, in its order
	// Origins, when the input states its types (a workbook's cells, a
	// Parquet schema), say per column where its type came from in the
	// input's terms ("Excel date", "Parquet DECIMAL(18,2)"); nil for a CSV.
	Origins []string
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
	p := &Pipeline{Name: src.Name, Format: src.Format.orCSV(), src: src, opts: opts, freeMu: make(chan struct{}, 1), seed: maphash.MakeSeed()}
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
	var r rowReader
	if src.Format.random() {
		// A workbook or a Parquet file is read at random: fingerprint the
		// file (or a copy of the stream) whole, then read it.
		ra, size, err := p.materialize(rc, h)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.Bytes = size
		r, err = p.openRandom(ra, size)
		if err != nil {
			var re *recordError
			if !errors.As(err, &re) {
				p.Close()
				return nil, err
			}
			msg := re.Msg
			switch {
			case re.FormatHint:
				msg += fmt.Sprintf("; or, if it is not %s, name its format with %s", a(src.Format.Describe()), p.opts.Fields.Setting(field.Format, "FORMAT"))
			case re.Rule == schema.RuleNoSheet:
				msg += "; choose one with " + p.opts.Fields.Setting(field.Sheet, "NAME")
			}
			fs.Add(p.finding(nil, re.Line, re.Column, re.Rule, msg))
		} else {
			defer closeReader(r)
			if x, ok := r.(*xlsxReader); ok {
				p.Sheet, p.Sheets = x.sheet, x.sheets
			}
			if err := p.scan(ctx, r, fs); err != nil {
				p.Close()
				return nil, err
			}
		}
	} else {
		sink := io.Writer(h)
		if !src.Reopenable {
			if p.spool, err = createSpool(opts.TempDir); err != nil {
				return nil, fmt.Errorf("keep a copy of %s for the second pass: %w", src.Name, err)
			}
			sink = io.MultiWriter(h, p.spool.f)
		}
		cr := &countingReader{r: io.TeeReader(rc, sink)}
		if src.Format == JSONL {
			r = newJSONLReader(cr, nil, p.seed)
		} else {
			r = NewReader(cr, src.Delimiter)
		}
		err = p.scan(ctx, r, fs)
		if err != nil {
			p.Close()
			return nil, err
		}
		if p.spool != nil {
			p.spool.size = cr.n
		}
		p.Bytes = cr.n
	}
	p.Fingerprint = "sha256:" + hex.EncodeToString(h.Sum(nil)) + p.readAs()
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

func (p *Pipeline) scan(ctx context.Context, r rowReader, fs *schema.Findings) error {
	file := p.src.Name
	readErr := func(err error) error {
		var se *SyntaxError
		if errors.As(err, &se) {
			fs.Add(p.finding(r, se.Line, se.Column, schema.RuleCSVSyntax, se.Msg+" (reading stopped here)"))
			return nil
		}
		var re *recordError
		if errors.As(err, &re) {
			fs.Add(p.finding(r, re.Line, re.Column, re.Rule, re.Msg))
			return nil
		}
		return fmt.Errorf("read %s: %w", file, err)
	}
	if err := r.Read(); err != nil {
		if err == io.EOF {
			msg := "the input is empty: the first line must name the columns"
			switch p.src.Format {
			case XLSX:
				msg = fmt.Sprintf("the sheet %q has no values: choose another sheet with %s, or name the columns in its first row", p.Sheet, p.opts.Fields.Name(field.Sheet))
			}
			fs.Add(schema.Finding{File: file, Rule: schema.RuleEmptyInput, Message: msg})
			return nil
		}
		return readErr(err)
	}
	if cr, ok := r.(*Reader); ok {
		p.Delimiter = cr.Comma()
	}
	grow, _ := r.(growing)
	kinds, _ := r.(kinded)
	var declared []schema.Column
	if d, ok := r.(declaring); ok {
		declared = d.Declared()
	}
	headerLine := r.Line()
	names := make([]string, r.NumFields())
	for i := range names {
		names[i] = string(r.Field(i))
	}
	if grow == nil {
		for _, f := range schema.CheckColumnNames(names, p.opts.Limits) {
			fs.Add(p.finding(r, headerLine, f.Column, f.Rule, f.Message, f.ColumnName))
		}
	}
	cols := p.resolveTypes(names, declared, headerLine, fs, grow == nil)
	p.Columns = make([]schema.Column, len(cols))
	for i, c := range cols {
		p.Columns[i] = schema.Column{Name: c.name}
	}
	if fl, ok := r.(flawed); ok {
		for _, e := range fl.Flaws() {
			fs.Add(p.finding(r, e.Line, e.Column, e.Rule, e.Msg))
		}
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
			if e := readErr(err); e != nil {
				return e
			}
			var re *recordError
			if errors.As(err, &re) && !re.Fatal {
				continue
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
		if grow != nil {
			for _, n := range grow.Names()[len(cols):] {
				cols = append(cols, p.columnCheck(n))
				p.Columns = append(p.Columns, schema.Column{Name: n})
			}
		}
		if n := r.NumFields(); n != len(cols) {
			f := p.finding(r, line, min(n, len(cols))+1, schema.RuleRaggedRow,
				fmt.Sprintf("the row has %s but the header names %s: a missing or extra delimiter, or an unquoted comma in a value?", format.Count(n, "field"), format.Count(len(cols), "column")))
			if n >= len(cols) {
				f.ColumnName = ""
			}
			fs.Add(f)
			continue
		}
		nul := true
		if cr, ok := r.(*Reader); ok {
			nul = bytes.IndexByte(cr.rec, 0) >= 0 // once per record: rare, and looked for field by field only then
		}
		for i := range cols {
			c := &cols[i]
			k := kindInfer
			if kinds != nil {
				k = kinds.Kind(i)
				if k == kindValid && !c.string && i < len(declared) && declared[i].Type == c.typ {
					continue // known to convert (valid.go): nothing to check, so not even written as text
				}
			}
			raw := r.Field(i)
			switch k {
			case kindError:
				fs.Add(p.finding(r, line, i+1, schema.RuleCellError, string(raw)))
				continue
			case kindNested:
				if c.typ != schema.String {
					fs.Add(p.finding(r, line, i+1, schema.RuleNested, fmt.Sprintf("the value is %s, and Power BI's columns hold no nested values: to keep it as JSON text, force the column to String with %s",
						nestedWhat(raw), p.opts.Fields.Setting(field.Column, c.name+"=String"))))
					continue
				}
			}
			if len(raw) == 0 {
				continue // NULL or "", valid in every type; votes for none
			}
			if nul && bytes.IndexByte(raw, 0) >= 0 {
				fs.Add(p.finding(r, line, i+1, schema.RuleNULByte,
					"the value contains a NUL byte (0x00), and how Power BI would store it is unknown: remove it from the file (tr -d '\\000' does)"))
				continue
			}
			if !utf8.Valid(raw) {
				fs.Add(p.finding(r, line, i+1, schema.RuleInvalidUTF8, "the value is not valid UTF-8: save the file as UTF-8"))
				continue
			}
			if c.string && maxLen > 0 && len(raw) > maxLen {
				if n := schema.UTF16Len(raw); n > maxLen {
					fs.Add(p.finding(r, line, i+1, schema.RuleStringLength,
						fmt.Sprintf("the value has %s; Power BI takes at most %s per value", format.Count(n, "character"), format.Thousands(maxLen))))
					continue
				}
			}
			if c.typ == schema.Unknown {
				before := c.votes.Type()
				if k == kindText {
					c.votes.AddText()
				} else {
					c.votes.Add(raw)
				}
				if before != schema.String && c.votes.Type() == schema.String {
					why := fmt.Sprintf("its values read as %v until this %s", before, quoteShort(raw))
					if k == kindText {
						why = fmt.Sprintf("its values read as %v until this text %s", before, quoteShort(raw))
					}
					p.Warnings = append(p.Warnings, fmt.Sprintf("%s will be a String: %s; to have such values reported instead, force the type with %s",
						p.where(r, line, i+1), why, p.opts.Fields.Setting(field.Column, fmt.Sprintf("%s=%v", c.name, before))))
				}
				continue
			}
			if c.typ == schema.String {
				continue
			}
			var err error
			if scratch, err = schema.AppendJSON(scratch[:0], c.typ, raw); err != nil {
				msg := err.Error()
				if ve, ok := err.(*schema.ValueError); ok {
					msg = ve.In(p.opts.Fields)
				}
				fs.Add(p.finding(r, line, i+1, schema.RuleType, msg))
			}
		}
	}
	if grow != nil && len(cols) == 0 {
		fs.Add(schema.Finding{File: file, Rule: schema.RuleEmptyInput, Message: "the input has no JSON object with a key: it must hold one JSON object per line, {\"column\": value, ...}"})
	}
	if grow != nil {
		names = make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		for _, f := range schema.CheckColumnNames(names, p.opts.Limits) {
			fs.Add(p.finding(r, 0, f.Column, f.Rule, f.Message, f.ColumnName))
		}
		p.resolveTypes(names, nil, 0, fs, true) // for its findings: --column names a column no line has
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
	if o, ok := r.(origins); ok {
		p.Origins = o.Origins()
	}
	p.checkTarget(fs)
	return nil
}

// readAs is what the fingerprint adds to the bytes' hash: how they were
// read, when not as a CSV, since one workbook holds several sheets.
func (p *Pipeline) readAs() string {
	switch p.Format {
	case CSV, TSV:
		return ""
	case XLSX:
		return "+xlsx[" + p.Sheet + "]"
	}
	return "+" + string(p.Format)
}

// a is "a NOUN" or "an NOUN".
func a(noun string) string {
	if strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// nestedWhat names a nested value for a finding.
func nestedWhat(raw []byte) string {
	if len(raw) > 0 && raw[0] == '[' {
		return "a JSON array"
	}
	if len(raw) > 0 && raw[0] == '{' {
		return "a JSON object"
	}
	return "nested"
}

// finding is a finding at line (or row) and column col of the input,
// placed as r names places. name, if given, is the column's name (else the
// scan's name for col).
func (p *Pipeline) finding(r rowReader, line, col int, rule schema.Rule, msg string, name ...string) schema.Finding {
	f := schema.Finding{File: p.src.Name, Line: line, Column: col, ColumnName: p.columnName(col), Rule: rule, Message: msg}
	if len(name) > 0 {
		f.ColumnName = name[0]
	}
	if pl, ok := r.(placed); ok && line > 0 {
		f.Place = pl.Place(line, col)
	}
	return f
}

// where is a value's place in a warning: "file:12: column 3 ("name")", or
// the reader's own ("book.xlsx[Sheet]!C12: column "name"").
func (p *Pipeline) where(r rowReader, line, col int) string {
	if pl, ok := r.(placed); ok {
		return fmt.Sprintf("%s: column %q", pl.Place(line, col), p.columnName(col))
	}
	return fmt.Sprintf("%s:%d: column %d (%q)", p.src.Name, line, col, p.columnName(col))
}

// resolveTypes decides which columns have a known type and which are
// inferred. Precedence: --column, then the existing table's column of the
// same name, then the source's declared schema (a Domo DataSet's) or the
// reader's (a Parquet file's), then inference. complete is false when
// names are not all the input's columns yet (JSON Lines, before its first
// line): --column's names are then checked at the end.
func (p *Pipeline) resolveTypes(names []string, declared []schema.Column, headerLine int, fs *schema.Findings, complete bool) []columnCheck {
	file := p.src.Name
	cols := make([]columnCheck, len(names))
	index := make(map[string]int, len(names))
	for i, n := range names {
		cols[i] = columnCheck{name: n}
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	for i, d := range declared {
		if i < len(cols) {
			cols[i].typ = d.Type
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
		if !complete {
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

// columnCheck is the check of a column found part-way (JSON Lines): its
// type forced, or the existing table's, or inferred.
func (p *Pipeline) columnCheck(name string) columnCheck {
	c := columnCheck{name: name}
	for _, e := range p.opts.Existing {
		if e.Name == name && e.Type != schema.Unknown {
			c.typ = e.Type
		}
	}
	if t, ok := p.opts.Columns[name]; ok {
		c.typ = t
	}
	c.string = c.typ == schema.Unknown || c.typ == schema.String
	return c
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
