package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source/sourcetest"
)

// scanAs scans path as format f (sheet for a workbook).
func scanAs(t *testing.T, path string, f Format, sheet string, opts Options) (*Pipeline, error) {
	t.Helper()
	src, err := FileFormat(path, nil, f, sheet)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Limits == (schema.Limits{}) {
		opts.Limits = schema.DocumentedLimits()
	}
	opts.Fields = flags{}
	p, err := Scan(context.Background(), src, opts)
	if p != nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

// checkRows compares the second pass's rows with want(i), value for value.
func checkRows(t *testing.T, p *Pipeline, n int, want func(int) map[string]sourcetest.Stored) {
	t.Helper()
	_, rows := collect(t, p, 0)
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, got := range rows {
		w := want(i)
		if len(got) != len(w) {
			t.Fatalf("row %d: %d columns %v, want %d", i, len(got), got, len(w))
		}
		for k, wv := range w {
			if !sourcetest.Same(got[k], wv) {
				t.Fatalf("row %d, %s: got %#v, want %#v", i, k, got[k], wv)
			}
		}
	}
}

func columnTypes(p *Pipeline) map[string]schema.Type {
	m := map[string]schema.Type{}
	for _, c := range p.Columns {
		m[c.Name] = c.Type
	}
	return m
}

func checkTypes(t *testing.T, p *Pipeline, names []string, want map[string]schema.Type) {
	t.Helper()
	var got []string
	for _, c := range p.Columns {
		got = append(got, c.Name)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("columns %v, want %v", got, names)
	}
	types := columnTypes(p)
	for n, w := range want {
		if types[n] != w {
			t.Errorf("column %s: %v, want %v", n, types[n], w)
		}
	}
}

// findings is the scan's findings, which must be there.
func findings(t *testing.T, err error) []schema.Finding {
	t.Helper()
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want findings, got %v", err)
	}
	return ve.Findings
}

// hasFinding checks a finding's text (place, column, message) and rule.
func hasFinding(t *testing.T, fs []schema.Finding, rule schema.Rule, text ...string) {
	t.Helper()
	for _, f := range fs {
		if f.Rule != rule {
			continue
		}
		s := f.String()
		ok := true
		for _, w := range text {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
	}
	var all []string
	for _, f := range fs {
		all = append(all, f.String())
	}
	t.Errorf("no %s finding with %q among:\n%s", rule, text, strings.Join(all, "\n"))
}

func TestJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	sourcetest.JSONLines(t, path, 41)
	_, err := scanAs(t, path, "", "", Options{})
	fs := findings(t, err)
	hasFinding(t, fs, schema.RuleNested, `events.jsonl:1: column 6 ("tags")`, "a JSON array", "--column tags=String")
	hasFinding(t, fs, schema.RuleNested, `events.jsonl:1: column 7 ("meta")`, "a JSON object")

	p, err := scanAs(t, path, "", "", Options{Columns: map[string]schema.Type{"tags": schema.String, "meta": schema.String}})
	if err != nil {
		t.Fatal(err)
	}
	checkTypes(t, p, sourcetest.JSONLColumns, map[string]schema.Type{"id": schema.Int64, "name": schema.String, "amount": schema.Double,
		"when": schema.Datetime, "ok": schema.Boolean, "tags": schema.String, "meta": schema.String, "late": schema.String})
	if p.Format != JSONL {
		t.Errorf("format %q", p.Format)
	}
	checkRows(t, p, 41, sourcetest.WantJSONLine)
}

func TestEmptyInputs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "book.xlsx")
	sourcetest.Workbook(t, path, 1)
	_, err := scanAs(t, path, "", "Empty", Options{})
	hasFinding(t, findings(t, err), schema.RuleEmptyInput, `the sheet "Empty" has no values: choose another sheet with --sheet`)
	_, err = scanAs(t, writeFile(t, "e.jsonl", "\n\n{}\n"), "", "", Options{})
	hasFinding(t, findings(t, err), schema.RuleEmptyInput, "no JSON object with a key")
}

func TestJSONLinesBadInput(t *testing.T) {
	long := strings.Repeat("x", 4001)
	path := writeFile(t, "bad.jsonl", strings.Join([]string{
		`{"id":1,"note":"ok"}`,
		`[1,2]`,
		`{"id":`,
		`{"id":4,"note":"` + long + `"}`,
		`{"id":"five","note":"x"}`,
		`{"id":6,"id":7}`,
		`"just a string"`,
	}, "\n"))
	_, err := scanAs(t, path, "", "", Options{Columns: map[string]schema.Type{"id": schema.Int64}})
	fs := findings(t, err)
	hasFinding(t, fs, schema.RuleJSONSyntax, "bad.jsonl:2:", "a JSON array, not a JSON object")
	hasFinding(t, fs, schema.RuleJSONSyntax, "bad.jsonl:3:", "not valid JSON")
	hasFinding(t, fs, schema.RuleStringLength, `bad.jsonl:4: column 2 ("note")`, "4,001 characters")
	hasFinding(t, fs, schema.RuleType, `bad.jsonl:5: column 1 ("id")`, `"five" is not a valid Int64`)
	hasFinding(t, fs, schema.RuleJSONSyntax, "bad.jsonl:6:", `"id" appears twice`)
	hasFinding(t, fs, schema.RuleJSONSyntax, "bad.jsonl:7:", "a JSON string, not a JSON object")
	if len(fs) != 6 {
		t.Errorf("%d findings, want 6: %v", len(fs), fs)
	}
}

func TestParquetTypes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.parquet")
	const n = 250
	sourcetest.Parquet(t, path, n, 64, parquet.Compression(&parquet.Zstd))
	p, err := scanAs(t, path, "", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := parquet.OpenFile(mustOpen(t, path)); len(f.RowGroups()) < 4 {
		t.Fatalf("%d row groups, want several", len(f.RowGroups()))
	}
	checkTypes(t, p, sourcetest.ParquetColumns, map[string]schema.Type{"a_int32": schema.Int64, "b_int64": schema.Int64,
		"c_float": schema.Double, "d_double": schema.Double, "e_dec32": schema.Decimal, "f_dec64": schema.Decimal,
		"g_decfixed": schema.Decimal, "h_decbytes": schema.Decimal, "i_bool": schema.Boolean, "j_string": schema.String,
		"k_bytes": schema.String, "l_date": schema.Datetime, "m_ts_millis": schema.Datetime, "n_ts_micros": schema.Datetime,
		"o_ts_nanos": schema.Datetime, "p_int96": schema.Datetime, "q_uint32": schema.Int64})
	if got := strings.Join(p.Origins, "|"); !strings.Contains(got, "Parquet DECIMAL(18,4)") || !strings.Contains(got, "Parquet TIMESTAMP(MICROS, local)") {
		t.Errorf("origins: %s", got)
	}
	checkRows(t, p, n, sourcetest.WantParquet)
	// A resumed push reads the same batches from any index.
	p2, err := scanAs(t, path, "", "", Options{Limits: limitsWith(func(l *schema.Limits) { l.MaxRowsPerPost = 40 })})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := collect(t, p2, 0)
	from, _ := collect(t, p2, 3)
	if len(from) != len(all)-3 || string(from[0].Body) != string(all[3].Body) || from[0].FirstRow != 120 {
		t.Errorf("batches from 3: %d of %d, first row %d", len(from), len(all), from[0].FirstRow)
	}
}

func mustOpen(t *testing.T, path string) (*os.File, int64) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	return f, st.Size()
}

func TestParquetBadInput(t *testing.T) {
	dir := t.TempDir()
	// A nested column and a repeated one.
	nested := filepath.Join(dir, "nested.parquet")
	type Addr struct {
		City string `parquet:"city"`
	}
	type Row struct {
		ID   int64    `parquet:"id"`
		Addr Addr     `parquet:"addr"`
		Tags []string `parquet:"tags,list"`
	}
	if err := parquet.WriteFile(nested, []Row{{ID: 1, Addr: Addr{City: "Paris"}, Tags: []string{"a"}}}); err != nil {
		t.Fatal(err)
	}
	_, err := scanAs(t, nested, "", "", Options{})
	fs := findings(t, err)
	hasFinding(t, fs, schema.RuleNested, `nested.parquet: column 2 ("addr")`, "nested (a group of fields)")
	hasFinding(t, fs, schema.RuleNested, `column 3 ("tags")`, "a LIST")

	// Truncated.
	good := filepath.Join(dir, "good.parquet")
	sourcetest.Parquet(t, good, 100, 50)
	b, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.parquet")
	os.WriteFile(cut, b[:len(b)/2], 0o600)
	_, err = scanAs(t, cut, "", "", Options{})
	hasFinding(t, findings(t, err), schema.RuleUnreadable, "cut.parquet:", "not a readable Parquet file", "truncated")

	// A value over 4,000 characters, and one that does not convert.
	type Flat struct {
		ID   int64  `parquet:"id"`
		Note string `parquet:"note"`
		Amt  int64  `parquet:"amt,decimal(6:18)"`
	}
	flat := filepath.Join(dir, "flat.parquet")
	if err := parquet.WriteFile(flat, []Flat{{1, "ok", 1_500_000}, {2, strings.Repeat("é", 4001), 2_000_000}, {3, "x", 1_234_567}}); err != nil {
		t.Fatal(err)
	}
	_, err = scanAs(t, flat, "", "", Options{})
	fs = findings(t, err)
	hasFinding(t, fs, schema.RuleStringLength, `flat.parquet, row 2: column "note"`, "4,001 characters")
	hasFinding(t, fs, schema.RuleType, `flat.parquet, row 3: column "amt"`, `"1.234567" is not a valid Decimal`)
	if len(fs) != 2 {
		t.Errorf("findings: %v", fs)
	}
}

func TestWorkbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "book.xlsx")
	const n = 120
	sourcetest.Workbook(t, path, n)
	p, err := scanAs(t, path, "", sourcetest.SheetName, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkTypes(t, p, sourcetest.WorkbookColumns, map[string]schema.Type{"id": schema.Int64, "name": schema.String,
		"amount": schema.Double, "day": schema.Datetime, "at": schema.Datetime, "ok": schema.Boolean, "total": schema.Int64, "label": schema.String})
	if got := strings.Join(p.Origins, "|"); got != "Excel number|Excel text|Excel number|Excel date|Excel date and time|Excel boolean|Excel number|Excel text" {
		t.Errorf("origins: %s", got)
	}
	checkRows(t, p, n, sourcetest.WantWorkbook)

	// The first sheet by default.
	p, err = scanAs(t, path, XLSX, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Columns) != 1 || p.Columns[0].Name != "Exported from the order system" || p.Rows != 1 {
		t.Errorf("first sheet: %v, %d rows", p.Columns, p.Rows)
	}
}

func TestWorkbookBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "book.xlsx")
	sourcetest.Workbook(t, path, 10)

	_, err := scanAs(t, path, "", "Sales", Options{})
	hasFinding(t, findings(t, err), schema.RuleNoSheet, `book.xlsx: the workbook has no sheet "Sales": its sheets are "Notes", "Orders", "Empty"`)
	_, err = scanAs(t, path, "", "orders", Options{})
	hasFinding(t, findings(t, err), schema.RuleNoSheet, `did you mean "Orders"?`)

	b, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.xlsx")
	os.WriteFile(cut, b[:len(b)*2/3], 0o600)
	_, err = scanAs(t, cut, "", "", Options{})
	hasFinding(t, findings(t, err), schema.RuleUnreadable, "cut.xlsx:", "not a readable Excel workbook", "truncated")

	// Password-protected.
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.xlsx")
	if err := f.SaveAs(locked, excelize.Options{Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = scanAs(t, locked, "", "", Options{})
	hasFinding(t, findings(t, err), schema.RuleUnreadable, "locked.xlsx:", "password-protected")

	// Merged header cells, an error value, a formula never calculated, a
	// long text, a value that does not convert, a value with no header.
	g := excelize.NewFile()
	s := "Sheet1"
	for cell, v := range map[string]any{"A1": "id", "B1": "name", "D1": "amount", "A2": 1, "B2": "x", "D2": 1.5,
		"A3": 2, "B3": strings.Repeat("y", 4001), "D3": "n/a", "A4": 3, "F4": "stray"} {
		g.SetCellValue(s, cell, v)
	}
	g.MergeCell(s, "B1", "C1")
	g.SetCellFormula(s, "D4", "1/0")
	bad := filepath.Join(dir, "bad.xlsx")
	if err := g.SaveAs(bad); err != nil {
		t.Fatal(err)
	}
	_, err = scanAs(t, bad, "", "", Options{})
	hasFinding(t, findings(t, err), schema.RuleMergedHeader, "bad.xlsx[Sheet1]!C1:", "merged cells B1:C1")

	g.UnmergeCell(s, "B1", "C1")
	g.SetCellValue(s, "C1", "code")
	g.SaveAs(bad)
	_, err = scanAs(t, bad, "", "", Options{Columns: map[string]schema.Type{"amount": schema.Double}})
	fs := findings(t, err)
	hasFinding(t, fs, schema.RuleStringLength, `bad.xlsx[Sheet1]!B3: column "name"`, "4,001 characters")
	hasFinding(t, fs, schema.RuleType, `bad.xlsx[Sheet1]!D3: column "amount"`, `"n/a" is not a valid Double`)
	hasFinding(t, fs, schema.RuleRaggedRow, `bad.xlsx[Sheet1]!F4:`, "no name in the header row (F1)")
	g.SetCellValue(s, "F4", nil)
	g.SaveAs(bad)
	_, err = scanAs(t, bad, "", "", Options{})
	hasFinding(t, findings(t, err), schema.RuleCellError, `bad.xlsx[Sheet1]!D4: column "amount"`, "no saved value")
}

func TestAppendStamp(t *testing.T) {
	for _, sec := range []int64{0, -1, -86400, -86401, 951782400, 4102444799, -62135596800, 253402300799, 1709210096} {
		want := time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendStamp(nil, sec, 0, true)); got != want {
			t.Errorf("%d: %s, want %s", sec, got, want)
		}
	}
}

func TestHeader(t *testing.T) {
	dir := t.TempDir()
	book, pq, jl := filepath.Join(dir, "b.xlsx"), filepath.Join(dir, "p.parquet"), filepath.Join(dir, "j.jsonl")
	sourcetest.Workbook(t, book, 2)
	sourcetest.Parquet(t, pq, 3, 2)
	sourcetest.JSONLines(t, jl, 3)
	for path, want := range map[string]string{book: "Exported from the order system",
		pq: strings.Join(sourcetest.ParquetColumns, ","), jl: "id,name,amount,when,ok,tags,meta"} {
		names, _, ok, err := Header(path)
		if !ok || err != nil || strings.Join(names, ",") != want {
			t.Errorf("%s: %v %v %v, want %s", path, names, ok, err, want)
		}
	}
	if _, _, ok, _ := Header(filepath.Join(dir, "x.csv")); ok {
		t.Error("a CSV is the caller's")
	}
}

// appendValid writes what AppendJSON writes, for the forms readers use.
func TestAppendValid(t *testing.T) {
	for _, c := range []struct {
		t   schema.Type
		raw string
	}{{schema.Int64, "-42"}, {schema.Boolean, "true"}, {schema.Double, "1e-7"}, {schema.Double, "0.30000000000000004"},
		{schema.Datetime, "2024-03-31"}, {schema.Datetime, "2024-03-31T14:05:00.250"}, {schema.Datetime, "0001-01-02T00:00:00.000Z"}} {
		want, err := schema.AppendJSON(nil, c.t, []byte(c.raw))
		got, ok := appendValid(nil, c.t, []byte(c.raw))
		if err != nil || !ok || string(got) != string(want) {
			t.Errorf("%v %s: %s, want %s (%v)", c.t, c.raw, got, want, err)
		}
	}
}
