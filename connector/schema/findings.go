package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// Rule names the check a Finding broke; scripts may match on it.
type Rule string

// The rules checked before anything is written.
const (
	RuleCSVSyntax       Rule = "csv-syntax"        // unterminated quote, text after a closing quote
	RuleEmptyInput      Rule = "empty-input"       // no header row
	RuleColumnCount     Rule = "column-count"      // more columns than Limits.MaxColumns
	RuleColumnNameEmpty Rule = "column-name-empty" // a header cell is empty
	RuleColumnNameDup   Rule = "column-name-duplicate"
	RuleColumnName      Rule = "column-name"   // invalid characters in a column name
	RuleRaggedRow       Rule = "ragged-row"    // a row with more or fewer fields than the header
	RuleInvalidUTF8     Rule = "invalid-utf8"  // bytes that are not UTF-8
	RuleNULByte         Rule = "nul-byte"      // a NUL byte in a value (how Power BI stores one is unknown)
	RuleStringLength    Rule = "string-length" // longer than Limits.MaxStringLength characters
	RuleType            Rule = "type"          // a value that does not convert to its column's type
	RuleTableName       Rule = "table-name"
	RuleRowCount        Rule = "row-count"       // more rows than the table's retention keeps
	RuleSchemaMismatch  Rule = "schema-mismatch" // the existing table cannot take these columns
	RuleUnknownColumn   Rule = "unknown-column"  // --column names a column the input lacks

	// The rules of the inputs that are not CSV (Excel, Parquet, JSON Lines).
	RuleUnreadable      Rule = "unreadable-file"  // truncated, damaged or encrypted workbook or Parquet file
	RuleNoSheet         Rule = "sheet"            // the workbook has no sheet of that name
	RuleMergedHeader    Rule = "merged-header"    // a header cell that is part of a merged range
	RuleCellError       Rule = "cell-error"       // a cell holding an error value (#DIV/0!) or a formula with no saved value
	RuleJSONSyntax      Rule = "json-syntax"      // a JSON Lines line that is not a JSON object
	RuleNested          Rule = "nested-value"     // a nested or repeated value (JSON object or array, Parquet group or list)
	RuleUnsupportedType Rule = "unsupported-type" // a Parquet column type no Power BI type holds
)

// Finding is one violation, located as precisely as the rule allows: Line is
// the physical line where the record starts (0 when not about a line), Column
// the 1-based field index (0 when not about a column).
type Finding struct {
	File string `json:"file,omitempty"`
	// Place, when set, is where the finding is as its input's format says
	// it, in place of File:Line: an Excel cell (book.xlsx[Sheet]!B12), a
	// Parquet row (data.parquet, row 12). The column is then named by its
	// name only.
	Place      string `json:"place,omitempty"`
	Line       int    `json:"line,omitempty"`
	Column     int    `json:"column,omitempty"`
	ColumnName string `json:"columnName,omitempty"`
	Rule       Rule   `json:"rule"`
	Message    string `json:"message"`
}

func (f Finding) String() string {
	var b strings.Builder
	switch {
	case f.Place != "":
		b.WriteString(f.Place)
	case f.File != "":
		b.WriteString(f.File)
	}
	if f.Line > 0 && f.Place == "" {
		fmt.Fprintf(&b, ":%d", f.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if f.Column > 0 && f.Place == "" {
		fmt.Fprintf(&b, "column %d", f.Column)
		if f.ColumnName != "" {
			fmt.Fprintf(&b, " (%q)", f.ColumnName)
		}
		b.WriteString(": ")
	} else if f.ColumnName != "" {
		fmt.Fprintf(&b, "column %q: ", f.ColumnName)
	} else if f.Column > 0 {
		fmt.Fprintf(&b, "column %d: ", f.Column)
	}
	b.WriteString(f.Message)
	fmt.Fprintf(&b, " [%s]", f.Rule)
	return b.String()
}

// DefaultMaxFindings caps how many findings are kept for the listing; the
// rest are only counted, so a bad 5M-row file does not print 5M lines.
const DefaultMaxFindings = 50

// Findings collects violations up to a cap, counting every one by rule.
// The zero value keeps DefaultMaxFindings.
type Findings struct {
	Max    int // 0 means DefaultMaxFindings
	list   []Finding
	total  int
	byRule map[Rule]int
}

// Add records f.
func (fs *Findings) Add(f Finding) {
	max := fs.Max
	if max <= 0 {
		max = DefaultMaxFindings
	}
	if len(fs.list) < max {
		fs.list = append(fs.list, f)
	}
	fs.total++
	if fs.byRule == nil {
		fs.byRule = map[Rule]int{}
	}
	fs.byRule[f.Rule]++
}

// Total is the number of findings added, listed or not.
func (fs *Findings) Total() int { return fs.total }

// Err is nil when nothing was found, else a *ValidationError.
func (fs *Findings) Err() error {
	if fs.total == 0 {
		return nil
	}
	counts := make(map[Rule]int, len(fs.byRule))
	for r, n := range fs.byRule {
		counts[r] = n
	}
	return &ValidationError{Findings: append([]Finding(nil), fs.list...), Total: fs.total, ByRule: counts}
}

// ValidationError is the input or target schema breaking Power BI's rules;
// the CLI maps it to exit 3 (nothing was written).
type ValidationError struct {
	Findings []Finding    `json:"findings"` // the first ones, up to the cap
	Total    int          `json:"total"`    // all of them
	ByRule   map[Rule]int `json:"byRule"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Total == 1 {
		b.WriteString("the input breaks a Power BI rule; nothing was written:")
	} else {
		fmt.Fprintf(&b, "the input breaks Power BI's rules in %s; nothing was written:", format.Count(e.Total, "place"))
	}
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	if more := e.Total - len(e.Findings); more > 0 {
		rules := make([]string, 0, len(e.ByRule))
		for r, n := range e.ByRule {
			rules = append(rules, fmt.Sprintf("%s: %d", r, n))
		}
		sort.Strings(rules)
		fmt.Fprintf(&b, "\n  ... and %d more (all findings by rule: %s)", more, strings.Join(rules, ", "))
	}
	return b.String()
}

// ExitCode: invalid input, nothing written (exit 3).
func (e *ValidationError) ExitCode() exitcode.Code { return exitcode.Invalid }
