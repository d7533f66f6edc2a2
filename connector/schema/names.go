package schema

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/format"
)

// MaxTableNameLength is the swagger's {1,100} on Table.name (docs/sources.md, Power BI: creating a push dataset).
const MaxTableNameLength = 100

// CheckTableName applies the swagger pattern of Table.name (docs/sources.md, Power BI: creating a push dataset):
// 1–100 characters; of ASCII only tab, LF, CR, space, # - 0-9 @ A-Z ^ _ a-z ~
// and DEL; any non-ASCII character except U+FFFE and U+FFFF. Characters are
// counted as UTF-16 code units, as .NET does (UNCONFIRMED; it is the stricter
// count, so it never lets through a name the service would refuse for length).
func CheckTableName(name string) []Finding {
	bad := func(msg string, args ...any) []Finding {
		return []Finding{{Rule: RuleTableName, Message: fmt.Sprintf("table name %q ", name) + fmt.Sprintf(msg, args...)}}
	}
	if name == "" {
		return bad("is empty: give a name of 1 to %d characters", MaxTableNameLength)
	}
	if !utf8.ValidString(name) {
		return bad("is not valid UTF-8")
	}
	if n := utf16Len(name); n > MaxTableNameLength {
		return bad("has %d characters; Power BI allows at most %d", n, MaxTableNameLength)
	}
	var excluded []string
	seen := map[rune]bool{}
	for _, r := range name {
		if !tableNameRune(r) && !seen[r] {
			seen[r] = true
			excluded = append(excluded, fmt.Sprintf("%q", r))
		}
	}
	if len(excluded) > 0 {
		return bad("contains %s, which Power BI does not allow in table names (allowed: letters, digits, space, # - @ ^ _ ~ and any non-ASCII character)",
			strings.Join(excluded, ", "))
	}
	return nil
}

func tableNameRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == ' ' || r == '#' || r == '-' || r == '@' || r == '^' || r == '_':
		return true
	case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return true
	case r >= '~' && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
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

// utf16Len counts UTF-16 code units, .NET's string length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// UTF16Len is utf16Len for bytes already known to be valid UTF-8.
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
