package source

import (
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// field is a field as read: its text, and N for NULL (empty and unquoted).
type rec struct {
	line   int
	fields []string // "\x00" marks NULL
}

const null = "\x00"

func readAll(t testing.TB, in string, comma byte) ([]rec, byte, error) {
	r := NewReader(strings.NewReader(in), comma)
	var out []rec
	for {
		err := r.Read()
		if err == io.EOF {
			return out, r.Comma(), nil
		}
		if err != nil {
			return out, r.Comma(), err
		}
		rc := rec{line: r.Line()}
		for i := 0; i < r.NumFields(); i++ {
			f := string(r.Field(i))
			if f == "" && !r.Quoted(i) {
				f = null
			}
			rc.fields = append(rc.fields, f)
		}
		out = append(out, rc)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		comma byte
		want  []rec
		delim byte
	}{
		{"simple", "a,b\n1,2\n", ',', []rec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}, ','},
		{"no final newline", "a,b\n1,2", ',', []rec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}, ','},
		{"crlf", "a,b\r\n1,2\r\n", ',', []rec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}, ','},
		{"null and empty", "a,b,c\n,\"\",x\n", ',', []rec{{1, []string{"a", "b", "c"}}, {2, []string{null, "", "x"}}}, ','},
		{"trailing nulls", "Qui-Gon Jinn,,,\n", ',', []rec{{1, []string{"Qui-Gon Jinn", null, null, null}}}, ','},
		{"quoted comma and quote", "\"a,b\",\"say \"\"hi\"\"\"\n", ',', []rec{{1, []string{"a,b", `say "hi"`}}}, ','},
		{"quoted newline", "h1,h2\n\"line1\nline2\",x\nnext,y\n", ',', []rec{{1, []string{"h1", "h2"}}, {2, []string{"line1\nline2", "x"}}, {4, []string{"next", "y"}}}, ','},
		{"quoted crlf kept", "\"a\r\nb\"\r\nc\r\n", ',', []rec{{1, []string{"a\r\nb"}}, {3, []string{"c"}}}, ','},
		// csv-spectrum's newlines_crlf: the value is what the file holds.
		{"csv-spectrum newlines_crlf", "a,b,c\r\n1,2,3\r\n\"Once upon \r\na time\",5,6\r\n7,8,9\r\n", ',',
			[]rec{{1, []string{"a", "b", "c"}}, {2, []string{"1", "2", "3"}}, {3, []string{"Once upon \r\na time", "5", "6"}}, {5, []string{"7", "8", "9"}}}, ','},
		{"quoted field then crlf", "\"a\",\"b\"\r\n\"c\",\r\n", ',', []rec{{1, []string{"a", "b"}}, {2, []string{"c", null}}}, ','},
		{"cr before crlf in unquoted field kept", "a\r\r\nb\n", ',', []rec{{1, []string{"a\r"}}, {2, []string{"b"}}}, ','},
		{"bom", "\xEF\xBB\xBFid,name\n1,x\n", 0, []rec{{1, []string{"id", "name"}}, {2, []string{"1", "x"}}}, ','},
		{"blank lines skipped", "a\n\n1\n\r\n2\n", ',', []rec{{1, []string{"a"}}, {3, []string{"1"}}, {5, []string{"2"}}}, ','},
		{"bare quote kept", "a\"b,c\n", ',', []rec{{1, []string{"a\"b", "c"}}}, ','},
		{"quoted then trailing delimiter", "\"a\",\n", ',', []rec{{1, []string{"a", null}}}, ','},
		{"final cr", "a,b\r", ',', []rec{{1, []string{"a", "b"}}}, ','},
		{"cr then final cr", "\r\r", ',', []rec{{1, []string{"\r"}}}, ','},
		{"tsv given", "a\tb,c\n1\t2\n", '\t', []rec{{1, []string{"a", "b,c"}}, {2, []string{"1", "2"}}}, '\t'},
		{"tsv detected", "a\tb\tc,d\n1\t2\t3\n", 0, []rec{{1, []string{"a", "b", "c,d"}}, {2, []string{"1", "2", "3"}}}, '\t'},
		{"csv detected despite quoted tabs", "\"a\tb\",c\n", 0, []rec{{1, []string{"a\tb", "c"}}}, ','},
		{"empty input", "", ',', nil, ','},
		{"unicode", "名前,😀\n", ',', []rec{{1, []string{"名前", "😀"}}}, ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, delim, err := readAll(t, tt.in, tt.comma)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || delim != tt.delim {
				t.Fatalf("got %+v (delimiter %q), want %+v (%q)", got, delim, tt.want, tt.delim)
			}
		})
	}
}

func TestReaderSyntaxErrors(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		line, column int
		msg          string
	}{
		{"unclosed quote", "a,b\n1,\"open\n2,3\n", 2, 2, "never closed"},
		{"text after quote", "a,b\n1,2\n\"x\"y,3\n", 3, 1, "after the closing quote"},
		{"text after quote later field", "a,b,c\n1,\"q\" ,3\n", 2, 2, "after the closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.in, ',')
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tt.line || se.Column != tt.column || !strings.Contains(se.Msg, tt.msg) {
				t.Fatalf("err = %v, want line %d column %d %q", err, tt.line, tt.column, tt.msg)
			}
		})
	}
}

// Lines longer than the reader's buffer are read whole.
func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 700_000)
	in := "a,b\n" + long + ",\"" + long + "\n" + long + "\"\n1,2\n"
	got, _, err := readAll(t, in, ',')
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].fields[0] != long || got[1].fields[1] != long+"\n"+long || got[2].line != 4 {
		t.Fatalf("long lines misread: %d records", len(got))
	}
}

// FuzzCSVReader: on any input the reader does not panic, and on input that
// encoding/csv also reads, both agree on every field and its line. (They
// differ where we are more lenient: a quote inside an unquoted field. And
// deliberately where encoding/csv rewrites: it turns a CRLF inside a quoted
// field into LF, where we keep the file's bytes; so our fields are compared
// with their CRLFs as LF, and that every CRLF we return is in the input.)
func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"a\"\"b\",\"c\nd\"\r\n,\"\"\n", "x\n\n\"y", "\xEF\xBB\xBFa\tb\n1\t2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in), ',')
		var got [][]string
		var lines []int
		for {
			err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			var fields []string
			for i := 0; i < r.NumFields(); i++ {
				f := string(r.Field(i))
				if strings.Contains(f, "\r\n") && !strings.Contains(in, "\r\n") {
					t.Fatalf("field %q holds a CRLF the input does not have", f)
				}
				fields = append(fields, strings.ReplaceAll(f, "\r\n", "\n"))
			}
			got = append(got, fields)
			lines = append(lines, r.Line())
		}
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(in, "\xEF\xBB\xBF")))
		cr.FieldsPerRecord = -1
		var want [][]string
		var wantLines []int
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // encoding/csv refuses what we accept (bare quotes)
			}
			want = append(want, rec)
			line, _ := cr.FieldPos(0)
			wantLines = append(wantLines, line)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("records %q, encoding/csv reads %q", got, want)
		}
		if !reflect.DeepEqual(lines, wantLines) {
			t.Fatalf("lines %v, encoding/csv says %v", lines, wantLines)
		}
	})
}
