package domoapi

import "strings"

// appendRecord appends one CSV record in Domo's export dialect: RFC 4180 with
// LF row ends, a field quoted only when it must be (comma, quote, CR, LF) or
// when it is the empty string, quotes doubled inside, and NULL as an empty
// unquoted field.
func appendRecord(buf []byte, row []Value) []byte {
	for i, v := range row {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendField(buf, v)
	}
	return append(buf, '\n')
}

func appendField(buf []byte, v Value) []byte {
	switch {
	case v.Null:
		return buf
	case v.Text == "":
		return append(buf, '"', '"')
	case !strings.ContainsAny(v.Text, ",\"\r\n"):
		return append(buf, v.Text...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(v.Text); i++ {
		if v.Text[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, v.Text[i])
	}
	return append(buf, '"')
}

// headerRow is the column names as a row of non-NULL values.
func headerRow(cols []Column) []Value {
	row := make([]Value, len(cols))
	for i, c := range cols {
		row[i] = Value{Text: c.Name}
	}
	return row
}
