// Package sourcetest writes the inputs the tests and benchmarks read: an
// Excel workbook (with excelize), a Parquet file (with parquet-go) and a
// JSON Lines file, each with the values Power BI should store, so that a
// test can compare what lands value for value. Files are made by the
// tests, in their temporary directories; none is kept in the repository.
package sourcetest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/xuri/excelize/v2"
)

// Stored is a value as Power BI stores it and the sandbox gives it back:
// json.Number for numbers (compared exactly, Number), bool, string (a
// Datetime as 2024-03-31T14:05:00.250Z), nil for NULL.
type Stored = any

// Number is a stored number given as its exact decimal text.
type Number string

// Same reports whether a stored value is the wanted one: numbers are
// compared as exact rationals.
func Same(stored any, want Stored) bool {
	if n, ok := want.(Number); ok {
		got, ok := stored.(json.Number)
		if !ok {
			return false
		}
		a, ok1 := new(big.Rat).SetString(string(got))
		b, ok2 := new(big.Rat).SetString(string(n))
		return ok1 && ok2 && a.Cmp(b) == 0
	}
	return stored == want
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// SheetName is the workbook's sheet of data; it is not the first.
const SheetName = "Orders"

// WorkbookColumns are the columns of the Orders sheet.
var WorkbookColumns = []string{"id", "name", "amount", "day", "at", "ok", "total", "label"}

var day0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
var at0 = time.Date(2024, 3, 31, 14, 5, 0, 250e6, time.UTC)

// Workbook writes a workbook of three sheets, "Notes", "Orders" (n rows of
// WantWorkbook) and "Empty": numbers, text that reads as a number (it
// stays text), empty cells, dates and date-times by their number formats,
// booleans, a formula with a number as its saved value and one with text,
// and a trailing column that is formatted but empty.
func Workbook(tb testing.TB, path string, n int) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Notes"))
	must(f.SetCellValue("Notes", "A1", "Exported from the order system"))
	must(f.SetCellValue("Notes", "A2", 42))
	_, err := f.NewSheet(SheetName)
	must(err)
	_, err = f.NewSheet("Empty")
	must(err)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	custom := "yyyy-mm-dd hh:mm:ss.000"
	timeStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	must(err)
	fill, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Color: []string{"FFFF00"}, Pattern: 1}})
	must(err)
	s := SheetName
	for c, name := range WorkbookColumns {
		cell, _ := excelize.CoordinatesToCellName(c+1, 1)
		must(f.SetCellValue(s, cell, name))
	}
	for i := range n {
		r := i + 2
		at := func(col string) string { return col + strconv.Itoa(r) }
		must(f.SetCellValue(s, at("A"), i))
		switch i % 5 {
		case 1: // empty: NULL
		case 2:
			must(f.SetCellStr(s, at("B"), fmt.Sprintf("%05d", i))) // text that reads as a number
		default:
			must(f.SetCellStr(s, at("B"), fmt.Sprintf("Zoë ✓ %d", i)))
		}
		if i%7 != 3 {
			must(f.SetCellValue(s, at("C"), float64(i)*1.25))
		}
		must(f.SetCellValue(s, at("D"), day0.AddDate(0, 0, i)))
		must(f.SetCellStyle(s, at("D"), at("D"), dateStyle))
		must(f.SetCellValue(s, at("E"), at0.Add(time.Duration(i)*time.Hour)))
		must(f.SetCellStyle(s, at("E"), at("E"), timeStyle))
		must(f.SetCellBool(s, at("F"), i%3 == 0))
		must(f.SetCellValue(s, at("G"), i*2))
		must(f.SetCellFormula(s, at("G"), "A"+strconv.Itoa(r)+"*2"))
		must(f.SetCellValue(s, at("H"), "L"+strconv.Itoa(i)))
		must(f.SetCellFormula(s, at("H"), `"L"&A`+strconv.Itoa(r)))
		must(f.SetCellStyle(s, at("I"), at("I"), fill)) // formatted, no value
	}
	must(f.SetCellStyle(s, "I1", "I1", fill))
	must(f.SetCellValue("Empty", "A1", nil))
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	must(err)
	// excelize marks every formula's value as text (t="str"); Excel writes
	// a number's with no type, as the total column has here.
	// a number's with no type, as the total column has here; and it
	// keeps a text's shared-string index as its value, which the label
	// column's formulas get back as their text.
	numeric := regexp.MustCompile(`(<c r="G\d+"(?: s="\d+")?) t="str"`)
	text := regexp.MustCompile(`(<c r="H(\d+)"(?: s="\d+")? t="str"><f>[^<]*</f><v>)\d+(</v>)`)
	must(rewriteZip(path, buf.Bytes(), func(name string, b []byte) []byte {
		if name == "xl/worksheets/sheet2.xml" {
			b = numeric.ReplaceAll(b, []byte("$1"))
			return text.ReplaceAllFunc(b, func(m []byte) []byte {
				sub := text.FindSubmatch(m)
				r, _ := strconv.Atoi(string(sub[2]))
				return []byte(string(sub[1]) + "L" + strconv.Itoa(r-2) + string(sub[3]))
			})
		}
		return b
	}))
}

// WantWorkbook is row i of the Orders sheet as stored.
func WantWorkbook(i int) map[string]Stored {
	var name Stored = fmt.Sprintf("Zoë ✓ %d", i)
	switch i % 5 {
	case 1:
		name = nil
	case 2:
		name = fmt.Sprintf("%05d", i)
	}
	var amount Stored = Number(strconv.FormatFloat(float64(i)*1.25, 'f', -1, 64))
	if i%7 == 3 {
		amount = nil
	}
	return map[string]Stored{"id": Number(strconv.Itoa(i)), "name": name, "amount": amount,
		"day": stamp(day0.AddDate(0, 0, i)), "at": stamp(at0.Add(time.Duration(i) * time.Hour)),
		"ok": i%3 == 0, "total": Number(strconv.Itoa(2 * i)), "label": "L" + strconv.Itoa(i)}
}

// rewriteZip writes the zip archive b to path, each entry's content
// through edit.
func rewriteZip(path string, b []byte, edit func(name string, content []byte) []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(out)
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			return err
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		w, err := zw.Create(e.Name)
		if err != nil {
			return err
		}
		if _, err := w.Write(edit(e.Name, content)); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

// ParquetColumns are the Parquet file's columns, one per mapped type, in
// the file's order.
var ParquetColumns = []string{"a_int32", "b_int64", "c_float", "d_double", "e_dec32", "f_dec64", "g_decfixed",
	"h_decbytes", "i_bool", "j_string", "k_bytes", "l_date", "m_ts_millis", "n_ts_micros", "o_ts_nanos", "p_int96", "q_uint32"}

// ParquetSchema is the schema of Parquet: every type the reader maps.
func ParquetSchema() *parquet.Schema {
	return parquet.NewSchema("orders", parquet.Group{
		"a_int32":     parquet.Int(32),
		"b_int64":     parquet.Optional(parquet.Int(64)),
		"c_float":     parquet.Leaf(parquet.FloatType),
		"d_double":    parquet.Leaf(parquet.DoubleType),
		"e_dec32":     parquet.Decimal(2, 9, parquet.Int32Type),
		"f_dec64":     parquet.Decimal(4, 18, parquet.Int64Type),
		"g_decfixed":  parquet.Decimal(2, 20, parquet.FixedLenByteArrayType(9)),
		"h_decbytes":  parquet.Decimal(3, 30, parquet.ByteArrayType),
		"i_bool":      parquet.Leaf(parquet.BooleanType),
		"j_string":    parquet.Optional(parquet.String()),
		"k_bytes":     parquet.Leaf(parquet.ByteArrayType),
		"l_date":      parquet.Date(),
		"m_ts_millis": parquet.Timestamp(parquet.Millisecond),
		"n_ts_micros": parquet.TimestampAdjusted(parquet.Microsecond, false),
		"o_ts_nanos":  parquet.Timestamp(parquet.Nanosecond),
		"p_int96":     parquet.Leaf(parquet.Int96Type),
		"q_uint32":    parquet.Uint(32),
	})
}

// twos is v as n bytes of big-endian two's complement.
func twos(v int64, n int) []byte {
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// ParquetRow is row i of Parquet, in the schema's column order.
func ParquetRow(i int) parquet.Row {
	ts := day0.Add(time.Duration(i) * time.Hour)
	julian := ts.Unix()/86400 + 2440588
	nanos := uint64(ts.Unix()%86400)*1e9 + 123456789
	vals := []parquet.Value{
		parquet.Int32Value(int32(i - 50)),
		parquet.Int64Value(int64(i) * 1_000_000_007),
		parquet.FloatValue(float32(i) + 0.5),
		parquet.DoubleValue(float64(i) * 0.1),
		parquet.Int32Value(int32(i*101 - 500)),
		parquet.Int64Value(int64(i) * 12345),
		parquet.FixedLenByteArrayValue(twos(-(int64(i)*1000 + 7), 9)),
		parquet.ByteArrayValue(append([]byte{0}, big.NewInt(int64(i)*100000+1).Bytes()...)), // positive: a leading 0
		parquet.BooleanValue(i%2 == 0),
		parquet.ByteArrayValue([]byte(fmt.Sprintf("héllo %d", i))),
		parquet.ByteArrayValue([]byte(fmt.Sprintf("raw %d", i))),
		parquet.Int32Value(int32(19000 + i)),
		parquet.Int64Value(1_700_000_000_000 + int64(i)*1001),
		parquet.Int64Value(1_700_000_000_000_000 + int64(i)*1_000_001),
		parquet.Int64Value(1_700_000_000_000_000_000 + int64(i)*1_000_000_123),
		parquet.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(julian)}),
		parquet.Int32Value(int32(uint32(4_000_000_000 + i))),
	}
	row := make(parquet.Row, len(vals))
	for c, v := range vals {
		def := 0
		switch c {
		case 1: // b_int64: optional, NULL every fifth row
			if i%5 == 4 {
				v = parquet.NullValue()
			} else {
				def = 1
			}
		case 9: // j_string: optional, NULL or empty now and then
			switch i % 4 {
			case 1:
				v = parquet.NullValue()
			case 2:
				v, def = parquet.ByteArrayValue([]byte{}), 1
			default:
				def = 1
			}
		}
		row[c] = v.Level(0, def, c)
	}
	return row
}

// WantParquet is row i of Parquet as stored.
func WantParquet(i int) map[string]Stored {
	ts := day0.Add(time.Duration(i) * time.Hour).Add(123456789)
	var b Stored = Number(strconv.FormatInt(int64(i)*1_000_000_007, 10))
	if i%5 == 4 {
		b = nil
	}
	var s Stored = fmt.Sprintf("héllo %d", i)
	switch i % 4 {
	case 1:
		s = nil
	case 2:
		s = ""
	}
	dec := func(unscaled *big.Int, scale int) Number {
		return Number(new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale))
	}
	return map[string]Stored{
		"a_int32": Number(strconv.Itoa(i - 50)), "b_int64": b,
		"c_float": Number(strconv.FormatFloat(float64(float32(i)+0.5), 'f', -1, 32)), "d_double": Number(strconv.FormatFloat(float64(i)*0.1, 'g', -1, 64)),
		"e_dec32": dec(big.NewInt(int64(i*101-500)), 2), "f_dec64": dec(big.NewInt(int64(i)*12345), 4),
		"g_decfixed": dec(big.NewInt(-(int64(i)*1000 + 7)), 2), "h_decbytes": dec(big.NewInt(int64(i)*100000+1), 3),
		"i_bool": i%2 == 0, "j_string": s, "k_bytes": fmt.Sprintf("raw %d", i),
		"l_date":      stamp(time.Unix(int64(19000+i)*86400, 0)),
		"m_ts_millis": stamp(time.UnixMilli(1_700_000_000_000 + int64(i)*1001)),
		"n_ts_micros": stamp(time.UnixMicro(1_700_000_000_000_000 + int64(i)*1_000_001)),
		"o_ts_nanos":  stamp(time.Unix(0, 1_700_000_000_000_000_000+int64(i)*1_000_000_123)),
		"p_int96":     stamp(ts),
		"q_uint32":    Number(strconv.FormatUint(uint64(4_000_000_000+i), 10)),
	}
}

// Parquet writes n rows of ParquetRow in row groups of perGroup rows,
// compressed with codec (nil: uncompressed).
func Parquet(tb testing.TB, path string, n, perGroup int, opts ...parquet.WriterOption) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := parquet.NewWriter(f, append([]parquet.WriterOption{ParquetSchema(), parquet.MaxRowsPerRowGroup(int64(perGroup))}, opts...)...)
	rows := make([]parquet.Row, 0, 1024)
	for i := range n {
		rows = append(rows, ParquetRow(i))
		if len(rows) == cap(rows) || i == n-1 {
			if _, err := w.WriteRows(rows); err != nil {
				tb.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// JSONLColumns are the JSON Lines file's columns in first-seen order:
// "late" first appears on the third line, "tags" and "meta" are nested
// (a push keeps them as text with --column tags=String and meta=String).
var JSONLColumns = []string{"id", "name", "amount", "when", "ok", "tags", "meta", "late"}

// JSONLines writes n lines of JSONLine, with blank lines here and there.
func JSONLines(tb testing.TB, path string, n int) {
	tb.Helper()
	var b bytes.Buffer
	for i := range n {
		b.WriteString(JSONLine(i))
		b.WriteByte('\n')
		if i%10 == 9 {
			b.WriteString("\n")
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// JSONLine is line i: keys in varying order, some left out, some null.
func JSONLine(i int) string {
	when := at0.Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000Z07:00")
	switch i % 4 {
	case 0:
		return fmt.Sprintf(`{"id":%d,"name":"n\u00e9 \"%d\"","amount":%d.5,"when":%q,"ok":true,"tags":["a",%d],"meta":{"k":%d}}`, i, i, i, when, i, i)
	case 1:
		return fmt.Sprintf(`{"amount":%d,"id":%d,"name":null,"ok":false,"when":%q}`, i, i, when)
	case 2:
		return fmt.Sprintf(`{"id":%d,"late":"x%d","name":"","tags":[],"meta":null}`, i, i)
	}
	return fmt.Sprintf(` { "id" : %d , "name" : "line\nbreak %d" , "amount" : -%d.25e1 , "ok" : true } `, i, i, i)
}

// WantJSONLine is line i as stored, tags and meta as JSON text.
func WantJSONLine(i int) map[string]Stored {
	when := stamp(at0.Add(time.Duration(i) * time.Minute))
	switch i % 4 {
	case 0:
		return map[string]Stored{"id": Number(strconv.Itoa(i)), "name": fmt.Sprintf("né \"%d\"", i), "amount": Number(fmt.Sprintf("%d.5", i)),
			"when": when, "ok": true, "tags": fmt.Sprintf(`["a",%d]`, i), "meta": fmt.Sprintf(`{"k":%d}`, i), "late": nil}
	case 1:
		return map[string]Stored{"id": Number(strconv.Itoa(i)), "name": nil, "amount": Number(strconv.Itoa(i)),
			"when": when, "ok": false, "tags": nil, "meta": nil, "late": nil}
	case 2:
		return map[string]Stored{"id": Number(strconv.Itoa(i)), "name": "", "amount": nil,
			"when": nil, "ok": nil, "tags": "[]", "meta": nil, "late": fmt.Sprintf("x%d", i)}
	}
	return map[string]Stored{"id": Number(strconv.Itoa(i)), "name": fmt.Sprintf("line\nbreak %d", i), "amount": Number(fmt.Sprintf("-%d.25e1", i)),
		"when": nil, "ok": true, "tags": nil, "meta": nil, "late": nil}
}
