package source

import (
	"archive/zip"
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
)

// BenchmarkFormats runs both passes over the same 10 columns of values
// (the CSV benchmark's: integers, zip codes as text, prices, quantities,
// booleans, date-times, names, cities, codes, notes with NULLs) in each
// format, PBIWB_BENCH_ROWS rows (default 1,000,000), and reports rows/s
// (of wall time, and of the process's CPU time, which a shared machine
// disturbs less), the peak heap in use while it ran, and, for each format
// after csv, its time against csv's in the same run (x-csv, x-csv-cpu: 2
// is twice as slow). Compare
// PBIWB_BENCH_ROWS=1000000 with 3000000 to see that memory does not grow:
//
//	go test -run '^$' -bench BenchmarkFormats -benchtime 1x ./connector/source
//
// The files are written in b.TempDir() before the clock starts (only
// those of the formats -bench selects): the workbook by
// excelize's stream writer (inline strings, as it writes them), and again
// with its text in shared strings, as Excel saves it (xlsx-shared: the
// text is mostly distinct, so the table is as large as the text), the
// Parquet file by parquet-go (snappy, row groups of 100,000).
func BenchmarkFormats(b *testing.B) {
	n := benchRows
	if v, err := strconv.Atoi(os.Getenv("PBIWB_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	var csvRate, csvCPURate float64
	for _, f := range []struct {
		name   string
		format Format
		write  func(testing.TB, string, int)
	}{
		{"csv", CSV, func(tb testing.TB, path string, n int) { generate(tb, path, n) }},
		{"xlsx", XLSX, writeBenchWorkbook},
		{"xlsx-shared", XLSX, writeBenchSharedWorkbook},
		{"parquet", Parquet, writeBenchParquet},
		{"jsonl", JSONL, writeBenchJSONL},
	} {
		if f.format == XLSX && n >= 1<<20 {
			b.Run(f.name, func(b *testing.B) {
				b.Skip("a sheet holds at most 1,048,576 rows: compare 300,000 with 1,000,000 for the workbook")
			})
			continue
		}
		if !benchSelected(f.name) {
			continue // not written when not run
		}
		path := filepath.Join(dir, f.name+"."+string(f.format))
		f.write(b, path, n)
		st, _ := os.Stat(path)
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(st.Size())
			b.ReportAllocs()
			runtime.GC()
			stop := watchHeap()
			cpu := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				if rows, _, _ := runPipeline(b, path); rows != n {
					b.Fatalf("%d rows, want %d", rows, n)
				}
			}
			b.StopTimer()
			rate := float64(n) * float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "rows/s")
			var cpuRate float64
			if used := cpuTime() - cpu; used > 0 {
				cpuRate = float64(n) * float64(b.N) / used.Seconds()
				b.ReportMetric(cpuRate, "rows/cpu-s")
			}
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
			if f.format == CSV {
				csvRate, csvCPURate = rate, cpuRate
			} else if csvRate > 0 {
				b.ReportMetric(csvRate/rate, "x-csv")
				if cpuRate > 0 {
					b.ReportMetric(csvCPURate/cpuRate, "x-csv-cpu")
				}
			}
		})
	}
}

// benchSelected reports whether -test.bench may select
// BenchmarkFormats/name (select csv too to compare with it).
func benchSelected(name string) bool {
	pat := flag.Lookup("test.bench").Value.String()
	_, sub, ok := strings.Cut(pat, "/")
	if !ok {
		return true
	}
	re, err := regexp.Compile(sub)
	return err != nil || re.MatchString(name)
}

// watchHeap samples HeapInuse every 5 ms until stop, which returns the
// peak.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

var benchCities = []string{"Paris", "New York", "Zürich", "São Paulo", "Tokyo"}

// benchValues are row i's values, as the CSV benchmark writes them.
func benchValues(i int) (id int64, zip string, price float64, qty int64, active bool, created time.Time, name, city, code, note string) {
	name = fmt.Sprintf("Customer %d", i)
	if i%10 == 0 {
		name = fmt.Sprintf("Doe, \"J%d\"", i)
	}
	if i%4 != 0 {
		note = "some free text note"
	}
	return int64(i) + 1, fmt.Sprintf("%05d", i%100000), float64(i%1000) + float64(i%100)/100, int64(i % 37), i%3 == 0,
		time.Date(2024, time.Month(i%12+1), i%28+1, i%24, i%60, (i*7)%60, (i%1000)*1e6, time.UTC),
		name, benchCities[i%len(benchCities)], fmt.Sprintf("C-%x", i*2654435761%1000003), note
}

func writeBenchWorkbook(tb testing.TB, path string, n int) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	dt, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	sw.SetRow("A1", []any{"id", "zip", "price", "qty", "active", "created", "name", "city", "code", "note"})
	row := make([]any, 10)
	for i := range n {
		id, zip, price, qty, active, created, name, city, code, note := benchValues(i)
		row[0], row[1], row[2], row[3], row[4] = id, zip, price, qty, active
		row[5] = excelize.Cell{StyleID: dt, Value: created}
		row[6], row[7], row[8], row[9] = name, city, code, nil
		if note != "" {
			row[9] = note
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
}

type benchRow struct {
	ID      int64     `parquet:"id"`
	Zip     string    `parquet:"zip"`
	Price   float64   `parquet:"price"`
	Qty     int64     `parquet:"qty"`
	Active  bool      `parquet:"active"`
	Created time.Time `parquet:"created,timestamp(millisecond)"`
	Name    string    `parquet:"name"`
	City    string    `parquet:"city"`
	Code    string    `parquet:"code"`
	Note    *string   `parquet:"note,optional"`
}

func writeBenchParquet(tb testing.TB, path string, n int) {
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := parquet.NewGenericWriter[benchRow](out, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(100_000))
	rows := make([]benchRow, 0, 4096)
	for i := range n {
		var r benchRow
		var note string
		r.ID, r.Zip, r.Price, r.Qty, r.Active, r.Created, r.Name, r.City, r.Code, note = benchValues(i)
		if note != "" {
			r.Note = &note
		}
		rows = append(rows, r)
		if len(rows) == cap(rows) || i == n-1 {
			if _, err := w.Write(rows); err != nil {
				tb.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

func writeBenchJSONL(tb testing.TB, path string, n int) {
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var line []byte
	for i := range n {
		id, zip, price, qty, active, created, name, city, code, note := benchValues(i)
		line = fmt.Appendf(line[:0], `{"id":%d,"zip":%q,"price":%s,"qty":%d,"active":%t,"created":%q,"name":%q,"city":%q,"code":%q`,
			id, zip, strconv.FormatFloat(price, 'f', -1, 64), qty, active, created.Format("2006-01-02T15:04:05.000Z"), name, city, code)
		if note != "" {
			line = fmt.Appendf(line, `,"note":%q`, note)
		}
		line = append(line, "}\n"...)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// writeBenchSharedWorkbook writes the benchmark's workbook with its text
// in shared strings, as Excel saves a workbook: each distinct text once in
// xl/sharedStrings.xml, in the order the sheet first uses it, each cell
// naming its text by number.
func writeBenchSharedWorkbook(tb testing.TB, path string, n int) {
	inline := path + ".inline.xlsx"
	writeBenchWorkbook(tb, inline, n)
	defer os.Remove(inline)
	zr, err := zip.OpenReader(inline)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(out)
	var sst bytes.Buffer
	count, index := 0, map[string]int{}
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		switch e.Name {
		case "xl/worksheets/sheet1.xml":
			const open, shut = ` t="inlineStr"><is><t`, `</t></is>`
			var sheet bytes.Buffer
			for {
				i := bytes.Index(b, []byte(open))
				if i < 0 {
					sheet.Write(b)
					break
				}
				j := i + len(open) + bytes.IndexByte(b[i+len(open):], '>') + 1
				k := j + bytes.Index(b[j:], []byte(shut))
				attrs, text := string(b[i+len(open):j-1]), string(b[j:k])
				id, ok := index[text]
				if !ok {
					id = len(index)
					index[text] = id
					fmt.Fprintf(&sst, "<si><t%s>%s</t></si>", attrs, text)
				}
				count++
				sheet.Write(b[:i])
				fmt.Fprintf(&sheet, ` t="s"><v>%d</v>`, id)
				b = b[k+len(shut):]
			}
			b = sheet.Bytes()
		case "[Content_Types].xml":
			b = bytes.Replace(b, []byte("</Types>"), []byte(`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`), 1)
		case "xl/_rels/workbook.xml.rels":
			b = bytes.Replace(b, []byte("</Relationships>"), []byte(`<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>`), 1)
		}
		w, err := zw.Create(e.Name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(b)
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, count, len(index))
	w.Write(sst.Bytes())
	io.WriteString(w, "</sst>")
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}
