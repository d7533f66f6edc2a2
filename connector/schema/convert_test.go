package schema

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		typ  Type
		in   string
		want string // "" with wantErr
		err  string // substring of the error
	}{
		{Int64, "42", "42", ""},
		{Int64, "-7", "-7", ""},
		{Int64, "+7", "7", ""},
		{Int64, "00501", "501", ""},
		{Int64, "9007199254740993", "9007199254740993", ""},
		{Int64, "9223372036854775806", "9223372036854775806", ""},
		{Int64, "9223372036854775807", "", "largest and smallest"},
		{Int64, "-9223372036854775808", "", "largest and smallest"},
		{Int64, "9223372036854775808", "", "whole number"},
		{Int64, "1.0", "", "whole number"},
		{Int64, "1,234", "", "thousands"},
		{Int64, " 1", "", "not a valid Int64"},
		{Int64, "-", "", "not a valid Int64"},
		{Double, "3.14", "3.14", ""},
		{Double, "1.50", "1.5", ""},
		{Double, "-0.5", "-0.5", ""},
		{Double, "1e5", "100000", ""},
		{Double, "+.5", "0.5", ""},
		{Double, "1.2e-7", "1.2e-7", ""},
		{Double, "1e21", "1e+21", ""},
		{Double, "0.1", "0.1", ""},
		{Double, "NaN", "", "not a valid Double"},
		{Double, "Inf", "", "not a valid Double"},
		{Double, "1e400", "", "finite"},
		{Double, "0x1p3", "", "not a valid Double"},
		{Double, "1_000.5", "", "not a valid Double"},
		{Double, strconv.FormatFloat(math.MaxFloat64, 'g', -1, 64), "", "not a valid Double"},
		{Decimal, "1234.5678", "1234.5678", ""},
		{Decimal, "-0001.5000", "-1.5", ""},
		{Decimal, "-0.0", "0", ""},
		{Decimal, ".25", "0.25", ""},
		{Decimal, "123456789012345678901234.1234", "123456789012345678901234.1234", ""},
		{Decimal, "1234567890123456789012345", "", "at most 24 digits"},
		{Decimal, "1.23456", "", "4 decimal places"},
		{Decimal, "1e5", "", "no exponent"},
		{Decimal, "1,5", "", "not a valid Decimal"},
		{Boolean, "true", "true", ""},
		{Boolean, "FALSE", "false", ""},
		{Boolean, "1", "true", ""},
		{Boolean, "0", "false", ""},
		{Boolean, "yes", "", "true or false"},
		{Datetime, "2024-03-31", `"2024-03-31T00:00:00.000Z"`, ""},
		{Datetime, "2024-03-31T14:05", `"2024-03-31T14:05:00.000Z"`, ""},
		{Datetime, "2024-03-31 14:05:09", `"2024-03-31T14:05:09.000Z"`, ""},
		{Datetime, "2024-03-31T14:05:09.123456789", `"2024-03-31T14:05:09.123Z"`, ""},
		{Datetime, "2024-03-31T14:05:09.9Z", `"2024-03-31T14:05:09.900Z"`, ""},
		{Datetime, "2024-03-31T01:05:09+02:00", `"2024-03-30T23:05:09.000Z"`, ""},
		{Datetime, "2024-12-31T23:30:00-0100", `"2025-01-01T00:30:00.000Z"`, ""},
		{Datetime, "2024-03-31T14:05:09+05", `"2024-03-31T09:05:09.000Z"`, ""},
		{Datetime, "2024-02-29", `"2024-02-29T00:00:00.000Z"`, ""},
		{Datetime, "2023-02-29", "", "not a valid Datetime"},
		{Datetime, "2024-13-01", "", "not a valid Datetime"},
		{Datetime, "2024-03-31T24:00", "", "not a valid Datetime"},
		{Datetime, "07/30/2014", "", "not a valid Datetime"},
		{Datetime, "2024-03-31Z", "", "not a valid Datetime"},
		{Datetime, "0001-01-01T00:30+01:00", "", "not a valid Datetime"},
		{String, "plain", `"plain"`, ""},
		{String, "a\"b\\c\nd\te\x01", `"a\"b\\c\nd\te\u0001"`, ""},
		{String, "héllo 😀", `"héllo 😀"`, ""},
		{String, "bad \xff", "", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+"/"+tt.in, func(t *testing.T) {
			got, err := AppendJSON(nil, tt.typ, []byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("AppendJSON(%v, %q) = %s, %v; want an error containing %q", tt.typ, tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("AppendJSON(%v, %q) = %s, %v; want %s", tt.typ, tt.in, got, err, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("%s is not valid JSON", got)
			}
		})
	}
}

// Strings round-trip through encoding/json exactly.
// A value error names the column-type setting as the face does; its plain
// text names it by its ID.
func TestValueErrorIn(t *testing.T) {
	_, err := AppendJSON(nil, Decimal, []byte("1.23456"))
	ve, ok := err.(*ValueError)
	if !ok {
		t.Fatalf("AppendJSON = %v (%T), want a *ValueError", err, err)
	}
	want := `"1.23456" is not a valid Decimal: Power BI's Decimal keeps 4 decimal places and this value has 5; round it in the source, or use --column NAME=Double; or force the column to String with --column NAME=String`
	if got := ve.In(flags{}); got != want {
		t.Errorf("In(flags) = %q\nwant        %q", got, want)
	}
	if got := err.Error(); strings.Contains(got, "--") || !strings.Contains(got, "or use column type NAME=Double; or force the column to String with column type NAME=String") {
		t.Errorf("Error() = %q", got)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "x", "\x00\x1f\u007f", "<&>", "\u2028", strings.Repeat("é\"", 50)} {
		got := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("AppendJSONString(%q) = %s, reads back as %q, %v", s, got, back, err)
		}
	}
}

// Doubles read back bit for bit.
func TestDoubleRoundTrip(t *testing.T) {
	for _, f := range []float64{0.1, 1.0 / 3, 1e-300, 123456789.123456789, -2.5e-10, 5e-324, 1.7976931348623155e308} {
		in := strconv.FormatFloat(f, 'g', -1, 64)
		got, err := AppendJSON(nil, Double, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		back, err := strconv.ParseFloat(string(got), 64)
		if err != nil || back != f {
			t.Errorf("%v encoded as %s reads back as %v", f, got, back)
		}
	}
}

func TestIsNull(t *testing.T) {
	tests := []struct {
		typ    Type
		raw    string
		quoted bool
		want   bool
	}{
		{String, "", false, true},
		{String, "", true, false}, // "" is an empty string
		{Int64, "", true, true},   // "" in a number column is NULL
		{Int64, "", false, true},
		{String, "x", false, false},
	}
	for _, tt := range tests {
		if got := IsNull(tt.typ, []byte(tt.raw), tt.quoted); got != tt.want {
			t.Errorf("IsNull(%v, %q, quoted=%v) = %v", tt.typ, tt.raw, tt.quoted, got)
		}
	}
}
