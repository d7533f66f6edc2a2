package source

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// Options.BatchRows sets each batch's row count (bounded to the limits);
// a byte limit still ends a batch early; from skips the same batches.
func TestBatchRowsOption(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,text\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%d,row %d\n", i, i)
	}
	lim := schema.DocumentedLimits()
	lim.MaxRowsPerPost = 100
	tests := []struct {
		name  string
		rows  func(index, firstRow int) int
		bytes int64
		want  []int // the first batches' rows
	}{
		{"nil takes the maximum", nil, 0, []int{100, 100, 100}},
		{"distinct sizes", func(i, _ int) int { return 100 - 1<<(i%3) }, 0, []int{99, 98, 96, 99, 98, 96}},
		// firstRow is the batch's first row: here each 250-row block is
		// closed by a short batch (99+98+... up to 250).
		{"cut at multiples of 250", func(i, first int) int { return min(100-1<<(i%3), 250-first%250) }, 0, []int{99, 98, 53, 99, 98, 53}},
		{"above the maximum is the maximum", func(int, int) int { return 1000 }, 0, []int{100, 100}},
		{"zero or less is one row", func(int, int) int { return 0 }, 0, []int{1, 1, 1}},
		{"bytes end a batch early", func(int, int) int { return 99 }, 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lim
			if tt.bytes > 0 {
				l.MaxBytesPerPost = tt.bytes
			}
			p, err := scanString(t, b.String(), Options{Limits: l, BatchRows: tt.rows})
			if err != nil {
				t.Fatal(err)
			}
			batches, rows := collect(t, p, 0)
			if len(rows) != 1000 {
				t.Fatalf("%d rows, want 1000", len(rows))
			}
			for i, w := range tt.want {
				if batches[i].Rows != w {
					t.Errorf("batch %d: %d rows, want %d", i, batches[i].Rows, w)
				}
			}
			for _, bt := range batches {
				if int64(len(bt.Body)) > l.MaxBytesPerPost || bt.Rows > l.MaxRowsPerPost {
					t.Fatalf("batch %d: %d rows, %d bytes, over the limits", bt.Index, bt.Rows, len(bt.Body))
				}
			}
			for i := 1; i < len(batches); i++ {
				if batches[i].FirstRow != batches[i-1].FirstRow+batches[i-1].Rows {
					t.Fatalf("batch %d starts at row %d, not after batch %d", i, batches[i].FirstRow, i-1)
				}
			}
			// A resume from batch 2 gets the same batches.
			again, _ := collect(t, p, 2)
			if len(again) != len(batches)-2 || again[0].FirstRow != batches[2].FirstRow || again[0].Rows != batches[2].Rows {
				t.Errorf("from 2: first batch %+v, want rows %d from %d", again[0].Rows, batches[2].Rows, batches[2].FirstRow)
			}
		})
	}
}
