package source

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// generate writes a CSV of n rows and 10 columns of every kind: integers,
// zip codes, prices, booleans, datetimes, strings with quotes and commas,
// and NULLs.
func generate(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("id,zip,price,qty,active,created,name,city,code,note\n")
	cities := []string{"Paris", "New York", "Zürich", "São Paulo", "Tokyo"}
	var line []byte
	for i := 0; i < n; i++ {
		line = strconv.AppendInt(line[:0], int64(i)+1, 10)
		line = fmt.Appendf(line, ",%05d,%d.%02d,%d,%t,", i%100000, i%1000, i%100, i%37, i%3 == 0)
		line = fmt.Appendf(line, "2024-%02d-%02dT%02d:%02d:%02d.%03dZ,", i%12+1, i%28+1, i%24, i%60, (i*7)%60, i%1000)
		if i%10 == 0 {
			line = fmt.Appendf(line, "\"Doe, \"\"J%d\"\"\",", i)
		} else {
			line = fmt.Appendf(line, "Customer %d,", i)
		}
		line = append(line, cities[i%len(cities)]...)
		line = fmt.Appendf(line, ",C-%x,", i*2654435761%1000003)
		if i%4 != 0 {
			line = append(line, "some free text note"...)
		}
		line = append(line, '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return st.Size()
}

var benchRows = 1_000_000

func benchFile(b *testing.B) (string, int64) {
	path := filepath.Join(b.TempDir(), "bench.csv")
	size := generate(b, path, benchRows)
	return path, size
}

// runPipeline is the local pipeline: first pass (read, infer, validate,
// fingerprint), second pass (read, convert, encode into batches).
func runPipeline(tb testing.TB, path string) (rows, batches int, bytes int64) {
	ctx := context.Background()
	p, err := Scan(ctx, File(path, nil), Options{Limits: schema.DocumentedLimits(), Table: "Bench"})
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close()
	for bt, err := range p.Batches(ctx, 0) {
		if err != nil {
			tb.Fatal(err)
		}
		rows += bt.Rows
		batches++
		bytes += int64(len(bt.Body))
		p.Recycle(bt.Body)
	}
	return rows, batches, bytes
}

func BenchmarkPipeline(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if rows, _, _ := runPipeline(b, path); rows != benchRows {
			b.Fatalf("%d rows", rows)
		}
	}
	reportRows(b, cpu)
}

// BenchmarkNaiveBaseline is what the pipeline is measured against: one pass
// of encoding/csv into map[string]any (each value tried as int, float,
// bool, else string) into encoding/json, 10,000 rows per body. It does less
// than the pipeline (no validation, no fingerprint, no second pass, NULL and
// "" confused) and is still slower.
func BenchmarkNaiveBaseline(b *testing.B) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if rows := naive(b, path); rows != benchRows {
			b.Fatalf("%d rows", rows)
		}
	}
	reportRows(b, cpu)
}

// reportRows reports rows per second of wall time, and per second of the
// process's CPU time (user + system, GC included), which stays comparable
// when the machine is shared and wall time is not.
func reportRows(b *testing.B, cpuStart time.Duration) {
	rows := float64(benchRows) * float64(b.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(rows/cpu.Seconds(), "rows/cpu-s")
	}
}

func naive(tb testing.TB, path string) int {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	rows, total := make([]map[string]any, 0, 10_000), 0
	flush := func() {
		body, err := json.Marshal(map[string]any{"rows": rows})
		if err != nil {
			tb.Fatal(err)
		}
		_ = body
		total += len(rows)
		rows = rows[:0]
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		row := make(map[string]any, len(header))
		for i, v := range rec {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				row[header[i]] = n
			} else if x, err := strconv.ParseFloat(v, 64); err == nil {
				row[header[i]] = x
			} else if t, err := strconv.ParseBool(v); err == nil {
				row[header[i]] = t
			} else {
				row[header[i]] = v
			}
		}
		rows = append(rows, row)
		if len(rows) == 10_000 {
			flush()
		}
	}
	if len(rows) > 0 {
		flush()
	}
	return total
}

// TestPeakMemory measures the pipeline's peak heap on a generated file of
// PBIWB_MEM_ROWS rows (skipped unless set): it must not grow with the file.
//
//	PBIWB_MEM_ROWS=1000000 go test ./connector/source -run PeakMemory -v
//	PBIWB_MEM_ROWS=5000000 go test ./connector/source -run PeakMemory -v
func TestPeakMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PBIWB_MEM_ROWS"))
	if n == 0 {
		t.Skip("set PBIWB_MEM_ROWS to measure")
	}
	path := filepath.Join(t.TempDir(), "mem.csv")
	size := generate(t, path, n)
	runtime.GC()
	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			if ms.Sys > peakSys.Load() {
				peakSys.Store(ms.Sys)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	rows, batches, bytes := runPipeline(t, path)
	el := time.Since(start)
	close(stop)
	<-done
	t.Logf("%d rows (%d MB CSV) → %d batches, %d MB JSON in %v (%.0f rows/s); peak HeapInuse %.1f MiB, peak Sys %.1f MiB",
		rows, size>>20, batches, bytes>>20, el.Round(time.Millisecond), float64(rows)/el.Seconds(),
		float64(peakHeap.Load())/(1<<20), float64(peakSys.Load())/(1<<20))
}
