package source

import "github.com/pbiwb/pbiwb/connector/schema"

// appendValid appends a value a reader wrote in its type's canonical form
// (kindValid) as schema.AppendJSON would, without parsing it again: an
// Int64, Boolean or Double is its own JSON; a Datetime (2024-03-31, or
// 2024-03-31T14:05:00.250 with or without Z) is quoted with its time and
// Z. ok is false for any other type, which AppendJSON then converts.
func appendValid(dst []byte, t schema.Type, raw []byte) ([]byte, bool) {
	switch t {
	case schema.Int64, schema.Boolean, schema.Double:
		return append(dst, raw...), true
	case schema.Datetime:
		switch len(raw) {
		case 10, 23, 24:
		default:
			return dst, false
		}
		dst = append(append(dst, '"'), raw...)
		if len(raw) == 10 {
			dst = append(dst, "T00:00:00.000"...)
		}
		if raw[len(raw)-1] != 'Z' {
			dst = append(dst, 'Z')
		}
		return append(dst, '"'), true
	}
	return dst, false
}
