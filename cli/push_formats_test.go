package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/source/sourcetest"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/ui"
)

// checkStored compares the table's rows with want(i) value for value,
// each row found by its index (idOf), every index once.
func checkStored(t *testing.T, rows []map[string]any, n int, idOf func(map[string]any) int, want func(int) map[string]sourcetest.Stored) {
	t.Helper()
	if len(rows) != n {
		t.Fatalf("%d rows stored, want %d", len(rows), n)
	}
	seen := make([]bool, n)
	for _, got := range rows {
		i := idOf(got)
		if i < 0 || i >= n || seen[i] {
			t.Fatalf("row %d stored twice or out of range: %v", i, got)
		}
		seen[i] = true
		w := want(i)
		if len(got) != len(w) {
			t.Fatalf("row %d: %v, want the columns of %v", i, got, w)
		}
		for k, wv := range w {
			if !sourcetest.Same(got[k], wv) {
				t.Fatalf("row %d, %s: stored %#v, want %#v", i, k, got[k], wv)
			}
		}
	}
}

func idColumn(name string, offset int) func(map[string]any) int {
	return func(r map[string]any) int {
		i, err := strconv.Atoi(fmt.Sprint(r[name]))
		if err != nil {
			return -1
		}
		return i + offset
	}
}

func TestPushWorkbookLandsValueForValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "orders.xlsx")
	const n = 1500
	sourcetest.Workbook(t, path, n)
	_, stderr := f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Orders", "--table", "Orders", "--input", path, "--sheet", sourcetest.SheetName)
	if !strings.Contains(stderr, "Done: 1,500 rows") {
		t.Errorf("no summary:\n%s", stderr)
	}
	checkStored(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Orders"), "Orders"), n, idColumn("id", 0), sourcetest.WantWorkbook)
	if recs := f.history(); len(recs) != 1 || recs[0].Request == nil || recs[0].Request.Sheet != sourcetest.SheetName {
		t.Errorf("the history does not keep the sheet: %+v", recs)
	}
}

func TestPushParquetLandsValueForValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "orders.parquet")
	const n = 2500
	sourcetest.Parquet(t, path, n, 400, parquet.Compression(&parquet.Snappy))
	plan, _ := f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Lake", "--table", "Orders", "--input", path, "--dry-run")
	for _, w := range []string{"f_dec64                  Decimal (Parquet DECIMAL(18,4))", "p_int96                  Datetime (Parquet INT96 timestamp)"} {
		if !strings.Contains(plan, w) {
			t.Errorf("the plan lacks %q:\n%s", w, plan)
		}
	}
	f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Lake", "--table", "Orders", "--input", path)
	checkStored(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Lake"), "Orders"), n, idColumn("a_int32", 50), sourcetest.WantParquet)
}

func TestPushJSONLinesLandsValueForValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// No extension that names the format: --format does.
	path := filepath.Join(t.TempDir(), "events.log")
	const n = 1001
	sourcetest.JSONLines(t, path, n)
	f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Events", "--table", "Events", "--input", path, "--format", "jsonl",
		"--column", "tags=String", "--column", "meta=String")
	checkStored(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Events"), "Events"), n, idColumn("id", 0), sourcetest.WantJSONLine)
}

// TestPushBadInputFormats: every bad input of the new formats is a finding
// with its place, exit 3, and nothing written.
func TestPushBadInputFormats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	book := filepath.Join(dir, "book.xlsx")
	sourcetest.Workbook(t, book, 20)
	b, _ := os.ReadFile(book)
	cut := filepath.Join(dir, "cut.xlsx")
	os.WriteFile(cut, b[:len(b)/2], 0o600)
	wb, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.xlsx")
	if err := wb.SaveAs(locked, excelize.Options{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	wb.Close()
	pq := filepath.Join(dir, "orders.parquet")
	sourcetest.Parquet(t, pq, 100, 50)
	b, _ = os.ReadFile(pq)
	cutPQ := filepath.Join(dir, "cut.parquet")
	os.WriteFile(cutPQ, b[:len(b)-100], 0o600)
	type addr struct {
		City string `parquet:"city"`
	}
	nested := filepath.Join(dir, "nested.parquet")
	if err := parquet.WriteFile(nested, []struct {
		ID   int64 `parquet:"id"`
		Addr addr  `parquet:"addr"`
	}{{1, addr{"Paris"}}}); err != nil {
		t.Fatal(err)
	}
	jl := filepath.Join(dir, "events.jsonl")
	os.WriteFile(jl, []byte(`{"id":1,"note":"a"}`+"\n"+`[2,"b"]`+"\n"+`{"id":3,"note":"`+strings.Repeat("z", 4001)+`"}`+"\n"+`{"id":"four"}`+"\n"), 0o600)

	for _, c := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"truncated workbook", []string{"--input", cut}, []string{"cut.xlsx: the file is not a readable Excel workbook", "--format FORMAT [unreadable-file]"}},
		{"password-protected workbook", []string{"--input", locked}, []string{"locked.xlsx: the workbook is password-protected", "[unreadable-file]"}},
		{"no such sheet", []string{"--input", book, "--sheet", "Sales"}, []string{`book.xlsx: the workbook has no sheet "Sales": its sheets are "Notes", "Orders", "Empty"; choose one with --sheet NAME [sheet]`}},
		{"a type that does not convert (workbook)", []string{"--input", book, "--sheet", "Orders", "--column", "label=Int64"}, []string{`book.xlsx[Orders]!H2: column "label": "L0" is not a valid Int64`, "[type]"}},
		{"truncated Parquet", []string{"--input", cutPQ}, []string{"cut.parquet: the file is not a readable Parquet file", "[unreadable-file]"}},
		{"nested Parquet column", []string{"--input", nested}, []string{`nested.parquet: column 2 ("addr"): the column is nested`, "[nested-value]"}},
		{"JSON line not an object", []string{"--input", jl}, []string{"events.jsonl:2: the line is a JSON array, not a JSON object", "[json-syntax]"}},
		{"a value over 4,000 characters", []string{"--input", jl}, []string{`events.jsonl:3: column 2 ("note"): the value has 4,001 characters`, "[string-length]"}},
		{"a type that does not convert (JSON Lines)", []string{"--input", jl, "--column", "id=Int64"}, []string{`events.jsonl:4: column 1 ("id"): "four" is not a valid Int64`, "[type]"}},
	} {
		args := append([]string{"--group", demo.WorkspaceSales, "--dataset", "Bad", "--table", "T"}, c.flags...)
		code, stdout, stderr := f.run(demoPasswordEnv, pushArgs(args...)...)
		if code != exitcode.Invalid {
			t.Errorf("%s: exit %d, want 3\n%s%s", c.name, code, stdout, stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stdout+stderr, w) {
				t.Errorf("%s: the output lacks %q:\n%s%s", c.name, w, stdout, stderr)
			}
		}
	}
	if ids := f.datasetIDs(demo.WorkspaceSales, "Bad"); len(ids) != 0 {
		t.Errorf("the sandbox was written to: %v", ids)
	}
}

func TestPushFormatUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--input", "x.csv", "--format", "xls"}, `--format xls: unknown input format "xls": use csv, tsv, xlsx, parquet, jsonl`},
		{[]string{"--input", "x.csv", "--sheet", "A"}, "--sheet A: only an Excel workbook has sheets"},
	} {
		args := append([]string{"--group", demo.WorkspaceSales, "--dataset", "D", "--table", "T"}, c.flags...)
		code, _, stderr := f.run(demoPasswordEnv, pushArgs(args...)...)
		if code != exitcode.Usage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", c.flags, code, c.want, stderr)
		}
	}
}

// The Input screen says what a workbook and a Parquet file are, and where
// each column's type came from in their own terms.
func TestWizardInspectFormats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.wizard()
	if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pq := filepath.Join(dir, "orders.parquet")
	sourcetest.Parquet(t, pq, 10, 5)
	rep, err := b.InspectInput(testCtx(t), "sandbox", pq, "", nil)
	if err != nil || len(rep.Findings) != 0 {
		t.Fatalf("InspectInput: %+v, %v", rep, err)
	}
	origins := map[string]string{}
	for _, c := range rep.Columns {
		origins[c.Name] = c.Type + " from " + c.Origin
	}
	if rep.Kind != "Parquet file" || origins["f_dec64"] != "Decimal from Parquet DECIMAL(18,4)" || origins["p_int96"] != "Datetime from Parquet INT96 timestamp" {
		t.Errorf("kind %q, columns %v", rep.Kind, origins)
	}
	book := filepath.Join(dir, "book.xlsx")
	sourcetest.Workbook(t, book, 3)
	rep, err = b.InspectInput(testCtx(t), "sandbox", book, "", map[string]string{"Exported from the order system": "String"})
	if err != nil || rep.Kind != "Excel workbook" || rep.Sheet != "Notes" || strings.Join(rep.Sheets, ",") != "Notes,Orders,Empty" ||
		len(rep.Columns) != 1 || rep.Columns[0].Origin != "set by you" {
		t.Errorf("workbook: %+v, %v", rep, err)
	}
	// The second sheet, chosen on the Input screen.
	rep, err = b.InspectInput(testCtx(t), "sandbox", book, sourcetest.SheetName, nil)
	if err != nil || rep.Sheet != sourcetest.SheetName || len(rep.Columns) != len(sourcetest.WorkbookColumns) || rep.Columns[3].Origin != "Excel date" || len(rep.Findings) != 0 {
		t.Errorf("sheet Orders: %+v, %v", rep, err)
	}
	if req := pushRequest(ui.Request{Input: book, Sheet: sourcetest.SheetName, WorkspaceID: "w", Dataset: "d", Table: "t"}); req.Sheet != sourcetest.SheetName {
		t.Errorf("the push request loses the sheet: %+v", req)
	}
}
