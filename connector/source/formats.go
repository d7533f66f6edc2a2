package source

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// Format is how an input's bytes are read.
type Format string

// The formats an input may have (--format).
const (
	CSV     Format = "csv"     // comma-separated (RFC 4180)
	TSV     Format = "tsv"     // tab-separated, CSV's quoting rules
	XLSX    Format = "xlsx"    // an Excel workbook (Office Open XML), one sheet
	Parquet Format = "parquet" // an Apache Parquet file, flat columns
	JSONL   Format = "jsonl"   // JSON Lines: one JSON object per line
)

// Formats are the formats in the order help texts list them.
var Formats = []Format{CSV, TSV, XLSX, Parquet, JSONL}

// ParseFormat reads a format name, case-insensitively ("ndjson" is JSONL).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, TSV, XLSX, Parquet, JSONL:
		return f, nil
	case "ndjson", "json-lines":
		return JSONL, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown input format %q: use %s", s, strings.Join(names, ", "))
}

// FormatOf is the format a file's extension names, "" when it names none
// (a CSV or TSV, told apart from its first line).
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV
	case ".tsv", ".tab":
		return TSV
	case ".xlsx", ".xlsm":
		return XLSX
	case ".parquet", ".parq", ".pq":
		return Parquet
	case ".jsonl", ".ndjson":
		return JSONL
	}
	return ""
}

// Describe names a format for people: "CSV file", "Excel workbook".
func (f Format) Describe() string {
	switch f {
	case TSV:
		return "TSV file"
	case XLSX:
		return "Excel workbook"
	case Parquet:
		return "Parquet file"
	case JSONL:
		return "JSON Lines file"
	}
	return "CSV file"
}

// random reports whether the format is read at random (a zip archive, a
// Parquet footer): from a file, or from a copy of a stream.
func (f Format) random() bool { return f == XLSX || f == Parquet }

// FileFormat is File read as format f ("" picks it by extension, as File
// does) and, for a workbook, its sheet ("" is the first). A sheet for any
// other format is an error, as is an unknown format.
func FileFormat(path string, stdin io.Reader, f Format, sheet string) (*Source, error) {
	if f != "" {
		var err error
		if f, err = ParseFormat(string(f)); err != nil {
			return nil, err
		}
	}
	src := File(path, stdin)
	if f == "" {
		f = src.Format
	}
	if sheet != "" && f != XLSX {
		return nil, fmt.Errorf("a sheet is chosen only in an Excel workbook, and %s is read as %s", src.Name, f.orCSV().Describe())
	}
	src.Format, src.Sheet = f, sheet
	switch f {
	case CSV:
		src.Delimiter = ','
	case TSV:
		src.Delimiter = '\t'
	}
	return src, nil
}

func (f Format) orCSV() Format {
	if f == "" {
		return CSV
	}
	return f
}

// rowReader is one pass over an input's records, the header (its column
// names) first. The CSV Reader is one; so are the readers of workbooks,
// Parquet files and JSON Lines, which write each value as the text a CSV
// would hold, so that one scan and one encoder serve every format.
type rowReader interface {
	// Read moves to the next record: io.EOF at the end, a *recordError
	// for a record it cannot read (a finding), any other error for I/O.
	Read() error
	NumFields() int
	// Field is value i as text, valid until the next Read: what
	// schema.AppendJSON converts.
	Field(i int) []byte
	// Quoted tells an empty string (true) from NULL (false).
	Quoted(i int) bool
	// Line is where the record is: its line, or its row.
	Line() int
	// RecordSum is a hash of the record, for the batches' fingerprints.
	RecordSum() uint64
}

// kind is what a reader knows of a value beyond its text.
type kind uint8

const (
	kindInfer  kind = iota // text to infer a type from, as a CSV value
	kindText               // stored as text: its column is a String
	kindNested             // a JSON object or array (or a Parquet group), as JSON text
	kindError              // a value that cannot be read; Field is why, for a finding
	kindValid              // written by the reader in its declared type's form, known to convert to it
)

// kinded readers say each value's kind; the others' are all kindInfer.
type kinded interface{ Kind(i int) kind }

// placed readers name places their own way (an Excel cell).
type placed interface{ Place(line, col int) string }

// declaring readers know their columns' types (a Parquet schema): a
// column's type is Unknown when no Power BI type holds it (a finding the
// reader made already).
type declaring interface{ Declared() []schema.Column }

// growing readers learn their columns as they read (JSON Lines: the union
// of the keys, in first-seen order); the header is empty and NumFields
// grows, earlier records lacking the later columns.
type growing interface{ Names() []string }

// flawed readers found what makes the input unwritable before its first
// record (a Parquet schema's nested column): findings, and no record.
type flawed interface{ Flaws() []*recordError }

// origins readers say where each column's type came from (Pipeline.Origins).
type origins interface{ Origins() []string }

// recordError is a record, or the whole input, a reader cannot read: a
// finding at its place. The scan goes on with the next record unless Fatal.
type recordError struct {
	Line, Column int
	Rule         schema.Rule
	Msg          string
	Fatal        bool
	// FormatHint: the file may not be in the format it is read as; the
	// finding says how to name another.
	FormatHint bool
}

func (e *recordError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}
