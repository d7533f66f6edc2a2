package schema

import "testing"

func TestInfer(t *testing.T) {
	tests := []struct {
		name   string
		values []string // "" is NULL
		want   Type
	}{
		{"integers", []string{"1", "-2", "0", "", "42"}, Int64},
		{"zip codes stay strings", []string{"90210", "00501"}, String},
		{"leading plus is a string", []string{"+15551234567"}, String},
		{"thousands separators", []string{"1,234"}, String},
		{"doubles", []string{"1", "2.5", "-0.25"}, Double},
		{"double with exponent after a point", []string{"1.5e-7", "2.0E10"}, Double},
		{"exponent without a point is a code", []string{"1E5"}, String},
		{"leading zero before the point", []string{"00.5"}, String},
		{"huge integer", []string{"9223372036854775808"}, String},
		{"int64 max is forbidden", []string{"9223372036854775807"}, String},
		{"big ints and doubles", []string{"9007199254740993", "1.5"}, String},
		{"big int alone", []string{"9007199254740993"}, Int64},
		{"booleans", []string{"true", "FALSE", "True"}, Boolean},
		{"0/1 is not boolean", []string{"0", "1"}, Int64},
		{"yes/no", []string{"yes", "no"}, String},
		{"dates", []string{"2024-01-02", "2024-01-03T04:05:06Z", "2024-01-03 04:05"}, Datetime},
		{"US dates", []string{"01/02/2024"}, String},
		{"mixed", []string{"1", "true"}, String},
		{"mixed date", []string{"2024-01-02", "x"}, String},
		{"all null", []string{"", ""}, String},
		{"nothing", nil, String},
		{"nan", []string{"NaN"}, String},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := make([][]byte, len(tt.values))
			for i, v := range tt.values {
				vals[i] = []byte(v)
			}
			if got := Infer(vals); got != tt.want {
				t.Errorf("Infer(%q) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}

// FuzzInfer: whatever a column holds, the inferred type converts every one
// of its values, and the encoding is valid JSON.
func FuzzInfer(f *testing.F) {
	for _, s := range []string{"1\n2", "00501", "1.5\n2", "true\nFalse", "2024-01-02\n2024-01-02T03:04:05.6+01:00", "1e5", "x\n\n3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, column string) {
		var vals [][]byte
		start := 0
		for i := 0; i <= len(column); i++ {
			if i == len(column) || column[i] == '\n' {
				vals = append(vals, []byte(column[start:i]))
				start = i + 1
			}
		}
		typ := Infer(vals)
		for _, v := range vals {
			if len(v) == 0 {
				continue
			}
			out, err := AppendJSON(nil, typ, v)
			if typ == String && err != nil {
				continue // invalid UTF-8 is reported by validation
			}
			if err != nil {
				t.Fatalf("inferred %v but %q does not convert: %v", typ, v, err)
			}
			if !jsonValid(out) {
				t.Fatalf("%v %q encodes as invalid JSON %s", typ, v, out)
			}
		}
	})
}
