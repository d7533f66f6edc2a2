package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// flags names fields as the command line does, for the tests of advice.
type flags struct{}

func (flags) Name(f field.ID) string {
	return map[field.ID]string{field.Mode: "--mode", field.Retention: "--retention", field.Column: "--column", field.Sheet: "--sheet", field.Format: "--format"}[f]
}
func (fl flags) Setting(f field.ID, v string) string { return fl.Name(f) + " " + v }

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func scanString(t testing.TB, content string, opts Options) (*Pipeline, error) {
	t.Helper()
	if opts.Limits == (schema.Limits{}) {
		opts.Limits = schema.DocumentedLimits()
	}
	p, err := Scan(context.Background(), File(writeFile(t, "in.csv", content), nil), opts)
	if p != nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

// collect runs the second pass and decodes every row.
func collect(t testing.TB, p *Pipeline, from int) ([]Batch, []map[string]any) {
	t.Helper()
	var batches []Batch
	var rows []map[string]any
	for b, err := range p.Batches(context.Background(), from) {
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Rows []map[string]any }
		dec := json.NewDecoder(bytes.NewReader(b.Body))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			t.Fatalf("batch %d is not JSON: %v\n%s", b.Index, err, b.Body)
		}
		if len(body.Rows) != b.Rows {
			t.Fatalf("batch %d says %d rows, holds %d", b.Index, b.Rows, len(body.Rows))
		}
		rows = append(rows, body.Rows...)
		b.Body = append([]byte(nil), b.Body...)
		batches = append(batches, b)
	}
	return batches, rows
}

func TestScanInfersAndEncodes(t *testing.T) {
	in := "\xEF\xBB\xBFid,zip,price,ok,when,name,empty\r\n" +
		"1,00501,1.50,true,2024-03-31,\"Doe, \"\"J\"\"\",\r\n" +
		"9007199254740993,90210,,FALSE,2024-03-31T14:05:09.5+02:00,\"\",\r\n" +
		",12345,2,,,,\r\n"
	p, err := scanString(t, in, Options{Table: "Sales"})
	if err != nil {
		t.Fatal(err)
	}
	want := []schema.Column{col("id", schema.Int64), col("zip", schema.String), col("price", schema.Double), col("ok", schema.Boolean),
		col("when", schema.Datetime), col("name", schema.String), col("empty", schema.String)}
	if fmt.Sprint(p.Columns) != fmt.Sprint(want) || p.Rows != 3 || p.Delimiter != ',' {
		t.Fatalf("columns %v rows %d", p.Columns, p.Rows)
	}
	if !strings.HasPrefix(p.Fingerprint, "sha256:") || p.Bytes != int64(len(in)) {
		t.Fatalf("fingerprint %q bytes %d", p.Fingerprint, p.Bytes)
	}
	batches, _ := collect(t, p, 0)
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	wantBody := `{"rows":[` +
		`{"id":1,"zip":"00501","price":1.5,"ok":true,"when":"2024-03-31T00:00:00.000Z","name":"Doe, \"J\"","empty":null},` +
		`{"id":9007199254740993,"zip":"90210","price":null,"ok":false,"when":"2024-03-31T12:05:09.500Z","name":"","empty":null},` +
		`{"id":null,"zip":"12345","price":2,"ok":null,"when":null,"name":null,"empty":null}]}`
	if got := string(batches[0].Body); got != wantBody {
		t.Fatalf("body\n%s\nwant\n%s", got, wantBody)
	}
	if b := batches[0]; b.FirstRow != 0 || b.Rows != 3 || b.FirstLine != 2 || b.LastLine != 4 {
		t.Fatalf("batch %+v", b)
	}
}

// Every rule: each bad case names the file, the line, the column and the rule.
func TestScanFindings(t *testing.T) {
	wide := make([]string, 76)
	for i := range wide {
		wide[i] = fmt.Sprintf("c%d", i)
	}
	tests := []struct {
		name   string
		in     string
		opts   Options
		rule   schema.Rule
		line   int
		column int
		msg    string
	}{
		{"ragged short", "a,b,c\n1,2,3\n4,5\n", Options{}, schema.RuleRaggedRow, 3, 3, "2 fields but the header names 3"},
		{"ragged long", "a,b\n1,2\n\n4,5,6\n", Options{}, schema.RuleRaggedRow, 4, 3, "3 fields"},
		{"forced type", "id,n\n1,2\n2,x\n", Options{Columns: map[string]schema.Type{"n": schema.Int64}}, schema.RuleType, 3, 2, `"x" is not a valid Int64`},
		{"forced datetime", "id,when\n1,2024-01-01\n2,01/02/2024\n", Options{Columns: map[string]schema.Type{"when": schema.Datetime}}, schema.RuleType, 3, 2, "not a valid Datetime"},
		{"decimal scale", "d\n1.5\n1.23456\n", Options{Columns: map[string]schema.Type{"d": schema.Decimal}}, schema.RuleType, 3, 1, "4 decimal places"},
		{"existing table type", "id,n\n1,2\n2,abc\n", Options{Existing: []schema.Column{col("id", schema.Int64), col("n", schema.Int64)}}, schema.RuleType, 3, 2, `"abc" is not a valid Int64`},
		{"invalid utf8", "a,b\nx,ok\ny,caf\xe9\n", Options{}, schema.RuleInvalidUTF8, 3, 2, "UTF-8"},
		{"nul byte", "a,b\nx,ok\ny,\"a\x00b\"\n", Options{}, schema.RuleNULByte, 3, 2, "NUL byte"},
		{"nul byte unquoted typed", "a,b\n1,2\n3,4\x00\n", Options{Columns: map[string]schema.Type{"b": schema.Int64}}, schema.RuleNULByte, 3, 2, "NUL byte"},
		{"string length", "a,b\nx," + strings.Repeat("é", 4001) + "\n", Options{}, schema.RuleStringLength, 2, 2, "4,001 characters"},
		{"string length utf16", "a\n" + strings.Repeat("😀", 2001) + "\n", Options{}, schema.RuleStringLength, 2, 1, "4,002 characters"},
		{"empty column name", "a,,c\n1,2,3\n", Options{}, schema.RuleColumnNameEmpty, 1, 2, "empty"},
		{"duplicate column", "a,b,A\n1,2,3\n", Options{}, schema.RuleColumnNameDup, 1, 3, "duplicates the name of column 1"},
		{"column count", strings.Join(wide, ",") + "\n", Options{}, schema.RuleColumnCount, 1, 0, "76 columns"},
		{"unclosed quote", "a,b\n1,2\n3,\"four\n5,6\n", Options{}, schema.RuleCSVSyntax, 3, 2, "never closed"},
		{"text after quote", "a,b\n\"1\"x,2\n", Options{}, schema.RuleCSVSyntax, 2, 1, "after the closing quote"},
		{"empty input", "", Options{}, schema.RuleEmptyInput, 0, 0, "empty"},
		{"table name", "a\n1\n", Options{Table: "sales.orders"}, schema.RuleTableName, 0, 0, `'.'`},
		{"unknown --column", "Zip\n1\n", Options{Columns: map[string]schema.Type{"zip": schema.String}}, schema.RuleUnknownColumn, 1, 0, `did you mean "Zip"`},
		{"unknown --column named", "Zip\n1\n", Options{Columns: map[string]schema.Type{"zip": schema.String}, Fields: flags{}}, schema.RuleUnknownColumn, 1, 0, `--column names a column the input does not have (did you mean "Zip"?`},
		{"unknown column plain", "Zip\n1\n", Options{Columns: map[string]schema.Type{"zip": schema.String}}, schema.RuleUnknownColumn, 1, 0, `column type names a column the input does not have`},
		{"type named", "a\nx\n", Options{Columns: map[string]schema.Type{"a": schema.Int64}, Fields: flags{}}, schema.RuleType, 2, 1, "or force the column to String with --column NAME=String"},
		{"type plain", "a\nx\n", Options{Columns: map[string]schema.Type{"a": schema.Int64}}, schema.RuleType, 2, 1, "or force the column to String with column type NAME=String"},
		{"row count", "a\n1\n2\n3\n", Options{Retention: schema.RetentionNone, Limits: limitsWith(func(l *schema.Limits) { l.MaxRowsNoRetention = 2 })}, schema.RuleRowCount, 0, 0, "exceeds the 2 rows"},
		{"schema mismatch", "id\n1\n", Options{Columns: map[string]schema.Type{"id": schema.String}, Existing: []schema.Column{col("id", schema.Int64)}}, schema.RuleSchemaMismatch, 0, 1, "table's column is Int64"},
		{"schema mismatch named", "id\n1\n", Options{Columns: map[string]schema.Type{"id": schema.String}, Existing: []schema.Column{col("id", schema.Int64)}, Fields: flags{}}, schema.RuleSchemaMismatch, 0, 1, "force the input's type with --column id=Int64, or"},
		{"row count named", "a\n1\n2\n3\n", Options{Retention: schema.RetentionNone, Limits: limitsWith(func(l *schema.Limits) { l.MaxRowsNoRetention = 2 }), Fields: flags{}}, schema.RuleRowCount, 0, 0, "use --mode replace, or a basicFIFO dataset (--retention fifo)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanString(t, tt.in, tt.opts)
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			f := ve.Findings[0]
			if f.Rule != tt.rule || f.Line != tt.line || f.Column != tt.column || !strings.Contains(f.Message, tt.msg) ||
				(tt.rule != schema.RuleTableName && !strings.HasSuffix(f.File, "in.csv")) {
				t.Fatalf("finding %+v\nwant rule %s line %d column %d %q", f, tt.rule, tt.line, tt.column, tt.msg)
			}
			if tt.line > 0 && !strings.Contains(ve.Error(), fmt.Sprintf("in.csv:%d:", tt.line)) {
				t.Fatalf("message does not name line %d:\n%s", tt.line, ve.Error())
			}
			if tt.column > 0 && !strings.Contains(ve.Error(), fmt.Sprintf("column %d", tt.column)) {
				t.Fatalf("message does not name column %d:\n%s", tt.column, ve.Error())
			}
		})
	}
}

func limitsWith(f func(*schema.Limits)) schema.Limits {
	l := schema.DocumentedLimits()
	f(&l)
	return l
}

// All findings at once, the listing capped, every one counted.
func TestScanReportsAllFindingsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,n\n")
	for i := 1; i <= 5000; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&b, "%d,bad\n", i)
		} else {
			fmt.Fprintf(&b, "%d,%d\n", i, i)
		}
	}
	b.WriteString("1,2,3\n")
	_, err := scanString(t, b.String(), Options{Table: "a/b", Columns: map[string]schema.Type{"n": schema.Int64}})
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	if ve.Total != 2500+1+1 || len(ve.Findings) != schema.DefaultMaxFindings || ve.ByRule[schema.RuleType] != 2500 || ve.ByRule[schema.RuleRaggedRow] != 1 || ve.ByRule[schema.RuleTableName] != 1 {
		t.Fatalf("total %d listed %d by rule %v", ve.Total, len(ve.Findings), ve.ByRule)
	}
	if ve.Findings[1].Line != 3 || ve.Findings[1].Column != 2 {
		t.Fatalf("first type finding %+v", ve.Findings[1])
	}
}

// The scenario: a bad value on line 4,000 of a typed column.
func TestScanBadValueOnLine4000(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,amount\n")
	for i := 2; i <= 5000; i++ {
		v := fmt.Sprint(i * 3)
		if i == 4000 {
			v = "12,5"
		}
		fmt.Fprintf(&b, "%d,%q\n", i, v)
	}
	_, err := scanString(t, b.String(), Options{Existing: []schema.Column{col("id", schema.Int64), col("amount", schema.Double)}})
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || ve.Total != 1 || ve.Findings[0].Line != 4000 || ve.Findings[0].ColumnName != "amount" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(ve.Error(), `in.csv:4000: column 2 ("amount"): "12,5" is not a valid Double`) {
		t.Fatal(ve.Error())
	}
}

func TestBatchLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,text\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "%d,%s\n", i, strings.Repeat("x", i%50))
	}
	in := b.String()
	for _, lim := range []struct{ rows, bytes int }{{7, 16_000_000}, {10_000, 600}, {3, 100}, {1, 80}} {
		t.Run(fmt.Sprintf("%d rows %d bytes", lim.rows, lim.bytes), func(t *testing.T) {
			l := limitsWith(func(l *schema.Limits) { l.MaxRowsPerPost, l.MaxBytesPerPost = lim.rows, int64(lim.bytes) })
			p, err := scanString(t, in, Options{Limits: l})
			if err != nil {
				t.Fatal(err)
			}
			batches, rows := collect(t, p, 0)
			if len(rows) != 1000 {
				t.Fatalf("%d rows", len(rows))
			}
			next := 0
			for i, b := range batches {
				if b.Index != i || b.FirstRow != next || b.Rows > lim.rows || len(b.Body) > lim.bytes || b.Rows == 0 {
					t.Fatalf("batch %+v (body %d bytes), want index %d first row %d", b, len(b.Body), i, next)
				}
				if b.FirstLine != b.FirstRow+2 || b.LastLine != b.FirstRow+b.Rows+1 {
					t.Fatalf("batch %d lines %d-%d", i, b.FirstLine, b.LastLine)
				}
				next += b.Rows
			}
			for i, r := range rows {
				if r["id"].(json.Number).String() != fmt.Sprint(i) {
					t.Fatalf("row %d is %v", i, r)
				}
			}
			// Resuming at batch k yields exactly batches k.. of a full run.
			k := len(batches) / 2
			resumed, _ := collect(t, p, k)
			if len(resumed) != len(batches)-k {
				t.Fatalf("resumed %d batches, want %d", len(resumed), len(batches)-k)
			}
			for i, b := range resumed {
				if w := batches[k+i]; b.Index != w.Index || b.FirstRow != w.FirstRow || !bytes.Equal(b.Body, w.Body) {
					t.Fatalf("resumed batch %+v differs from %+v", b, w)
				}
			}
		})
	}
}

func TestBatchRowTooLarge(t *testing.T) {
	l := limitsWith(func(l *schema.Limits) { l.MaxBytesPerPost = 40 })
	p, err := scanString(t, "a\nshort\n"+strings.Repeat("y", 100)+"\n", Options{Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	var got error
	n := 0
	for _, err := range p.Batches(context.Background(), 0) {
		if err != nil {
			got = err
			break
		}
		n++
	}
	if n != 1 || got == nil || !strings.Contains(got.Error(), "in.csv:3: the row alone") {
		t.Fatalf("%d batches, err %v", n, got)
	}
}

func TestBatchesStopEarlyAndRecycle(t *testing.T) {
	l := limitsWith(func(l *schema.Limits) { l.MaxRowsPerPost = 1 })
	p, err := scanString(t, "a\n1\n2\n3\n", Options{Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for b, err := range p.Batches(context.Background(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		p.Recycle(b.Body)
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatal(n)
	}
}

func TestBatchesDetectChangedFile(t *testing.T) {
	path := writeFile(t, "in.csv", "a\n1\n2\n")
	p, err := Scan(context.Background(), File(path, nil), Options{Limits: schema.DocumentedLimits()})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("a\n1\n3\n"), 0o600)
	var got error
	for _, err := range p.Batches(context.Background(), 0) {
		got = err
	}
	if got == nil || !strings.Contains(got.Error(), "changed since it was checked") {
		t.Fatalf("err = %v", got)
	}
}

func TestStdinIsCopiedOnceAndRemoved(t *testing.T) {
	reads := 0
	stdin := &countReads{r: strings.NewReader("a\tb\n1\tx\n"), n: &reads}
	dir := filepath.Join(t.TempDir(), "spool")
	p, err := Scan(context.Background(), File("-", stdin), Options{Limits: schema.DocumentedLimits(), TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "stdin" || p.Delimiter != '\t' || p.spool == nil {
		t.Fatalf("%+v", p)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("spool directory: %v, %v", st, err)
	}
	if st, err := p.spool.f.Stat(); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("spool: %v, %v", st, err)
	}
	for range 2 { // the plan's pass and the writer's read the same copy
		_, rows := collect(t, p, 0)
		if len(rows) != 1 || rows[0]["b"] != "x" {
			t.Fatal(rows)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the copy of stdin is still there: %v", left)
	}
}

type countReads struct {
	r io.Reader
	n *int
}

func (c *countReads) Read(b []byte) (int, error) { *c.n++; return c.r.Read(b) }

func TestTSVByExtension(t *testing.T) {
	src := File(writeFile(t, "x.tsv", "a,b\tc\n1,2\t3\n"), nil)
	p, err := Scan(context.Background(), src, Options{Limits: schema.DocumentedLimits()})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Columns) != 2 || p.Columns[0].Name != "a,b" {
		t.Fatal(p.Columns)
	}
}

func TestScanCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	b.WriteString("a\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("1\n")
	}
	_, err := Scan(ctx, File(writeFile(t, "in.csv", b.String()), nil), Options{Limits: schema.DocumentedLimits()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Scan(context.Background(), File(filepath.Join(t.TempDir(), "nope.csv"), nil), Options{})
	if err == nil || !strings.Contains(err.Error(), "nope.csv") {
		t.Fatalf("err = %v", err)
	}
}

func col(name string, t schema.Type) schema.Column { return schema.Column{Name: name, Type: t} }

// Without a type to check against, a bad value makes its column a String;
// the plan says where that happened.
func TestScanWarnsWhereAColumnBecameString(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,amount\n")
	for i := 2; i <= 5000; i++ {
		v := fmt.Sprint(i * 3)
		if i == 4000 {
			v = "n/a"
		}
		fmt.Fprintf(&b, "%d,%s\n", i, v)
	}
	p, err := scanString(t, b.String(), Options{Fields: flags{}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Columns[1].Type != schema.String || !p.Inferred[1] || len(p.Warnings) != 1 ||
		!strings.Contains(p.Warnings[0], `in.csv:4000: column 2 ("amount") will be a String: its values read as Int64 until this "n/a"`) ||
		!strings.Contains(p.Warnings[0], "--column amount=Int64") {
		t.Fatalf("columns %v warnings %q", p.Columns, p.Warnings)
	}
}

// An input with findings cannot be encoded: nothing may be written.
func TestBatchesRefuseInvalidInput(t *testing.T) {
	p, err := scanString(t, "a,b\n1\n", Options{})
	if err == nil || p == nil {
		t.Fatalf("p %v err %v", p, err)
	}
	for b, err := range p.Batches(context.Background(), 0) {
		if err == nil || b.Body != nil || !strings.Contains(err.Error(), "cannot be written") {
			t.Fatalf("batch %+v err %v", b, err)
		}
	}
}

// A line break inside a quoted field reaches Power BI as the file holds it:
// CRLF stays CRLF (csv-spectrum's newlines_crlf), LF stays LF.
func TestQuotedLineBreaksKeepTheirBytes(t *testing.T) {
	p, err := scanString(t, "a,b,c\r\n1,2,3\r\n\"Once upon \r\na time\",5,6\r\n\"x\ny\",8,9\r\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, rows := collect(t, p, 0)
	if len(rows) != 3 || rows[1]["a"] != "Once upon \r\na time" || rows[2]["a"] != "x\ny" {
		t.Fatalf("rows %q", rows)
	}
}
