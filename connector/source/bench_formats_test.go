package source

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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
// The files are written in b.TempDir() before the clock starts: the
// workbook by excelize's stream writer (inline strings, as it writes
// them), the Parquet file by parquet-go (snappy, row groups of 100,000).
func BenchmarkFormats(b *testing.B) {
	n := benchRows
	if v, err := strconv.Atoi(os.Getenv("PBIWB_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	var csvRate, csvCPURate float64
	for _, f := range []struct {
		format Format
		write  func(testing.TB, string, int)
	}{
		{CSV, func(tb testing.TB, path string, n int) { generate(tb, path, n) }},
		{XLSX, writeBenchWorkbook},
		{Parquet, writeBenchParquet},
		{JSONL, writeBenchJSONL},
	} {
		if f.format == XLSX && n >= 1<<20 {
			b.Run(string(f.format), func(b *testing.B) {
				b.Skip("a sheet holds at most 1,048,576 rows: compare 300,000 with 1,000,000 for the workbook")
			})
			continue
		}
		path := filepath.Join(dir, "bench."+string(f.format))
		f.write(b, path, n)
		st, _ := os.Stat(path)
		b.Run(string(f.format), func(b *testing.B) {
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
