package schema

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/names"
)

// CheckTableName applies Power BI's table-name rules (names.CheckTableName:
// the swagger pattern of Table.name, counted in UTF-16 code units) and says
// what is wrong as a finding.
func CheckTableName(name string) []Finding {
	var te *names.TableNameError
	if !errors.As(names.CheckTableName(name), &te) {
		return nil
	}
	var msg string
	switch te.Rule {
	case names.TableNameEmpty:
		msg = fmt.Sprintf("is empty: give a name of 1 to %d characters", names.MaxTableName)
	case names.TableNameInvalidUTF8:
		msg = "is not valid UTF-8"
	case names.TableNameTooLong:
		msg = fmt.Sprintf("has %d characters; Power BI allows at most %d", te.Length, names.MaxTableName)
	default:
		quoted := make([]string, len(te.Excluded))
		for i, r := range te.Excluded {
			quoted[i] = fmt.Sprintf("%q", r)
		}
		msg = fmt.Sprintf("contains %s, which Power BI does not allow in table names (allowed: letters, digits, space, # - @ ^ _ ~ and any non-ASCII character)",
			strings.Join(quoted, ", "))
	}
	return []Finding{{Rule: RuleTableName, Message: fmt.Sprintf("table name %q %s", name, msg)}}
}

// CheckColumnNames checks a header: the column count against
// Limits.MaxColumns, empty names, names with characters the swagger's
// Column.name pattern excludes (controls other than tab, CR, LF), invalid
// UTF-8, and duplicates. Duplicates are compared case-insensitively: Power
// BI's tabular model treats column names that way (UNCONFIRMED for push
// tables; the stricter choice). Findings carry Column, not File or Line.
func CheckColumnNames(names []string, l Limits) []Finding {
	var out []Finding
	if l.MaxColumns > 0 && len(names) > l.MaxColumns {
		out = append(out, Finding{Rule: RuleColumnCount,
			Message: fmt.Sprintf("the input has %s; a Power BI push table holds at most %s: drop or combine columns", format.Count(len(names), "column"), format.Thousands(l.MaxColumns))})
	}
	first := make(map[string]int, len(names))
	for i, n := range names {
		col := i + 1
		switch {
		case strings.TrimSpace(n) == "":
			out = append(out, Finding{Column: col, Rule: RuleColumnNameEmpty, Message: "the header cell is empty: every column needs a name"})
			continue
		case !utf8.ValidString(n):
			out = append(out, Finding{Column: col, Rule: RuleInvalidUTF8, Message: "the column name is not valid UTF-8: save the file as UTF-8"})
			continue
		case strings.IndexFunc(n, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }) >= 0:
			out = append(out, Finding{Column: col, ColumnName: n, Rule: RuleColumnName, Message: "the column name contains a control character"})
		}
		key := strings.ToLower(n)
		if j, dup := first[key]; dup {
			out = append(out, Finding{Column: col, ColumnName: n, Rule: RuleColumnNameDup,
				Message: fmt.Sprintf("duplicates the name of column %d (%q); Power BI column names are unique regardless of case", j, names[j-1])})
			continue
		}
		first[key] = col
	}
	return out
}

// UTF16Len counts the UTF-16 code units (.NET's string length) of bytes
// already known to be valid UTF-8.
func UTF16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case c < 0xE0:
			i += 2
		case c < 0xF0:
			i += 3
		default:
			i += 4
			n++ // a surrogate pair
		}
		n++
	}
	return n
}
