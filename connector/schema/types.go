package schema

import (
	"errors"
	"fmt"
	"strings"
)

// Type is a Power BI push-dataset column type.
type Type uint8

// The six column types of a push dataset (docs/sources.md, Power BI: types). Unknown is the zero
// value, so a forgotten assignment is caught rather than read as Int64.
const (
	Unknown Type = iota
	Int64
	Double
	Decimal
	Boolean
	Datetime
	String
)

var typeNames = [...]string{Unknown: "Unknown", Int64: "Int64", Double: "Double", Decimal: "Decimal",
	Boolean: "Boolean", Datetime: "Datetime", String: "String"}

// String is the name as the CLI and Power BI's documentation spell it
// ("Datetime", not "DateTime"); Power BI matches dataType case-insensitively.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// MarshalText makes Type a JSON string in plans and reports.
func (t Type) MarshalText() ([]byte, error) {
	if t == Unknown || int(t) >= len(typeNames) {
		return nil, fmt.Errorf("column type %d has no name", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText accepts what ParseType accepts.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// typeAliases are the spellings accepted for a type, lower-cased: the CLI
// names plus the aliases seen in Microsoft's examples and in GET tables
// answers ("bool", "int", "DateTime"; docs/sources.md, Power BI: types). "date" is accepted for
// Datetime because Power BI push tables have no separate date type.
var typeAliases = map[string]Type{
	"int64": Int64, "int": Int64, "integer": Int64, "long": Int64,
	"double": Double, "float": Double,
	"decimal": Decimal,
	"boolean": Boolean, "bool": Boolean,
	"datetime": Datetime, "date": Datetime,
	"string": String, "text": String,
}

// ParseType reads a column type name, case-insensitively.
func ParseType(s string) (Type, error) {
	if t, ok := typeAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return t, nil
	}
	return Unknown, fmt.Errorf("unknown column type %q: use Int64, Double, Decimal, Boolean, Datetime or String", s)
}

// ParseColumn reads one forced column type, NAME=TYPE. The split is at the
// last "=", so a column name may itself contain "=" (type names never do).
// Its errors say what is wrong with s without naming how it was given (the
// caller says that: a flag, a screen).
func ParseColumn(s string) (name string, t Type, err error) {
	i := strings.LastIndexByte(s, '=')
	if i < 0 {
		return "", Unknown, errors.New("want NAME=TYPE, e.g. zip=String")
	}
	name = s[:i]
	if name == "" {
		return "", Unknown, errors.New("the column name is empty")
	}
	t, err = ParseType(s[i+1:])
	if err != nil {
		return "", Unknown, err
	}
	return name, t, nil
}

// FromDomo maps a Domo column type (docs/sources.md, Domo: column types) to the Power BI
// type that holds it without loss. DECIMAL maps to Decimal, so values beyond
// its scale of 4 are reported rather than rounded (see the package doc).
func FromDomo(domoType string) (Type, error) {
	switch strings.ToUpper(strings.TrimSpace(domoType)) {
	case "STRING":
		return String, nil
	case "LONG":
		return Int64, nil
	case "DOUBLE":
		return Double, nil
	case "DECIMAL":
		return Decimal, nil
	case "DATE", "DATETIME":
		return Datetime, nil
	}
	return Unknown, fmt.Errorf("unknown Domo column type %q (Domo documents STRING, LONG, DOUBLE, DECIMAL, DATE, DATETIME)", domoType)
}

// Column is one column of a table.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"dataType"`
}
