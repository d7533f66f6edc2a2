package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/maphash"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzJSONLReader feeds the JSON Lines reader any bytes and checks each
// line against encoding/json: a line it reads is one valid JSON object
// without a repeated key, and each value is what encoding/json reads
// (strings unescaped, numbers as written, nested values as their JSON
// text, null as NULL); a line it refuses is one encoding/json refuses too,
// or is not an object, or repeats a key.
func FuzzJSONLReader(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":"x"}` + "\n" + `{"b":null,"c":[1,{"d":2}]}`,
		`{"s":"\u00e9\ud83d\ude00\n\t\"\\\/","n":-0.5e+10,"t":true,"f":false}`,
		"\ufeff{\"bom\":1}\r\n\n  \n{}",
		`[1]` + "\n" + `"x"` + "\n" + `{"a":1,"a":2}` + "\n" + `{"a":1} x` + "\n" + `{"a":01}`,
		`{"a":"\ud800"}` + "\n" + `{"a":"` + "\x01" + `"}` + "\n" + `{"a":{"b":[}}`,
		`{"a":1,}`, `{"":""}`, `{"a":"\xff"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lines := strings.Split(string(in), "\n")
		if len(lines) > 0 {
			lines[0] = strings.TrimPrefix(lines[0], "\ufeff")
		}
		r := newJSONLReader(bytes.NewReader(in), nil, maphash.MakeSeed())
		if err := r.Read(); err != nil || r.NumFields() != 0 {
			t.Fatalf("header: %v, %d fields", err, r.NumFields())
		}
		for {
			err := r.Read()
			if err == io.EOF {
				break
			}
			var re *recordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("not a finding: %v", err)
			}
			n := r.Line()
			if re != nil {
				n = re.Line
			}
			if n < 1 || n > len(lines) {
				t.Fatalf("line %d of %d", n, len(lines))
			}
			line := strings.TrimRight(lines[n-1], "\r\n")
			var obj map[string]json.RawMessage
			valid := json.Unmarshal([]byte(line), &obj) == nil && obj != nil
			if re != nil {
				if valid && !repeatsKey(line) && len(line) <= MaxRecordBytes {
					t.Fatalf("line %d %q refused (%v), but encoding/json reads it", n, line, re.Msg)
				}
				continue
			}
			if !valid {
				t.Fatalf("line %d %q read, but encoding/json refuses it", n, line)
			}
			names := r.Names()
			if r.NumFields() != len(names) {
				t.Fatalf("%d fields, %d names", r.NumFields(), len(names))
			}
			if !utf8.ValidString(line) {
				continue // encoding/json replaces bad bytes, in keys too: no oracle
			}
			for i, name := range names {
				raw, has := obj[name]
				got, quoted := r.Field(i), r.Quoted(i)
				switch {
				case !has || string(raw) == "null":
					if got != nil || quoted {
						t.Fatalf("line %d, %q: %q, want NULL", n, name, got)
					}
				case raw[0] == '"':
					var s string
					json.Unmarshal(raw, &s)
					if !quoted || string(got) != s {
						t.Fatalf("line %d, %q: %q, want %q", n, name, got, s)
					}
				default:
					if quoted || string(got) != string(raw) {
						t.Fatalf("line %d, %q: %q, want %s", n, name, got, raw)
					}
					if k := r.Kind(i); (k == kindNested) != (raw[0] == '{' || raw[0] == '[') {
						t.Fatalf("line %d, %q: kind %d for %s", n, name, k, raw)
					}
				}
			}
		}
	})
}

// repeatsKey reports whether a JSON object has a key twice at its top.
func repeatsKey(line string) bool {
	dec := json.NewDecoder(strings.NewReader(line))
	if _, err := dec.Token(); err != nil {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := k.(string)
		if seen[key] {
			return true
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
	}
	return false
}
