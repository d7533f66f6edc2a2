package source

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// changedFile is a 10,000-row file (about 1 MB, more than the reader
// buffers) in batches of 1,000 rows, scanned and through its first batch
// pass, which records the fingerprints.
func changedFile(t *testing.T) (path string, lines []string, p *Pipeline) {
	t.Helper()
	lines = []string{"id,text"}
	for i := range 10_000 {
		lines = append(lines, fmt.Sprintf("%d,%s", i, strings.Repeat(string(rune('a'+i%26)), 90)))
	}
	path = writeFile(t, "in.csv", strings.Join(lines, "\n")+"\n")
	lim := schema.DocumentedLimits()
	lim.MaxRowsPerPost = 1000
	p, err := Scan(context.Background(), File(path, nil), Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if b, _ := collect(t, p, 0); len(b) != 10 {
		t.Fatalf("%d batches", len(b))
	}
	return path, lines, p
}

// writePass runs a later pass as the writer does, calling edit once the
// first batch is out; it returns the batches yielded and the error.
func writePass(t *testing.T, p *Pipeline, from int, edit func()) ([]Batch, error) {
	t.Helper()
	var got []Batch
	for b, err := range p.Batches(context.Background(), from) {
		if err != nil {
			return got, err
		}
		got = append(got, b)
		if len(got) == 1 && edit != nil {
			edit()
		}
	}
	return got, nil
}

// An input edited during the push: the batch holding the change is never
// yielded (so never sent), and the message names the changed line. Before,
// the changed batch went out and the change showed only at the end.
func TestBatchesStopBeforeAChangedBatch(t *testing.T) {
	rewrite := func(path string, lines []string) {
		// In place, as an editor or a script that truncates and writes does.
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("one value", func(t *testing.T) {
		path, lines, p := changedFile(t)
		got, err := writePass(t, p, 0, func() {
			lines[7001] = "7000,edited"
			rewrite(path, lines)
		})
		var ce *ChangedError
		if !errors.As(err, &ce) || !ce.Exact || ce.Line != 7002 {
			t.Fatalf("err = %v, want line 7,002 named", err)
		}
		if len(got) != 7 || got[6].LastLine != 7001 {
			t.Fatalf("%d batches yielded, want the 7 before the change", len(got))
		}
		if !strings.Contains(err.Error(), "in.csv changed since it was checked: line 7,002 is not what it was") {
			t.Errorf("message: %v", err)
		}
	})
	t.Run("several rows", func(t *testing.T) {
		path, lines, p := changedFile(t)
		got, err := writePass(t, p, 0, func() {
			lines[5001], lines[5500] = "5000,x", "5499,y"
			rewrite(path, lines)
		})
		var ce *ChangedError
		if !errors.As(err, &ce) || ce.Exact || ce.Line != 5002 || ce.LastLine != 6001 || len(got) != 5 {
			t.Fatalf("err = %v after %d batches, want lines 5,002–6,001 named after 5", err, len(got))
		}
		if !strings.Contains(err.Error(), "a line between 5,002 and 6,001 is not what it was") {
			t.Errorf("message: %v", err)
		}
	})
	t.Run("a line inserted", func(t *testing.T) {
		path, lines, p := changedFile(t)
		got, err := writePass(t, p, 0, func() {
			rewrite(path, append(lines[:3001:3001], append([]string{"-1,new"}, lines[3001:]...)...))
		})
		var ce *ChangedError
		if !errors.As(err, &ce) || ce.Line != 3002 || len(got) != 3 {
			t.Fatalf("err = %v after %d batches", err, len(got))
		}
	})
	t.Run("rows appended", func(t *testing.T) {
		path, lines, p := changedFile(t)
		_, err := writePass(t, p, 0, func() { rewrite(path, append(lines, "10000,late")) })
		var ce *ChangedError
		if !errors.As(err, &ce) || !ce.Exact || ce.Line != 10_002 || !strings.Contains(err.Error(), "a row the input did not have") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("rows cut at a batch's end", func(t *testing.T) {
		path, lines, p := changedFile(t)
		got, err := writePass(t, p, 0, func() { rewrite(path, lines[:9001]) })
		var ce *ChangedError
		if !errors.As(err, &ce) || len(got) != 9 || !strings.Contains(err.Error(), "the input had 10,000 rows, it has 9,000") {
			t.Fatalf("err = %v after %d batches", err, len(got))
		}
	})
	t.Run("header", func(t *testing.T) {
		path, lines, p := changedFile(t)
		lines[0] = "id,label"
		rewrite(path, lines)
		got, err := writePass(t, p, 0, nil)
		var ce *ChangedError
		if !errors.As(err, &ce) || ce.Line != 1 || len(got) != 0 {
			t.Fatalf("err = %v after %d batches", err, len(got))
		}
	})
	t.Run("resumed: skipped batches are checked too", func(t *testing.T) {
		path, lines, p := changedFile(t)
		lines[10] = "9,edited"
		rewrite(path, lines)
		got, err := writePass(t, p, 4, nil)
		var ce *ChangedError
		if !errors.As(err, &ce) || ce.Line != 11 || len(got) != 0 {
			t.Fatalf("err = %v after %d batches", err, len(got))
		}
	})
	t.Run("unchanged", func(t *testing.T) {
		_, _, p := changedFile(t)
		if got, err := writePass(t, p, 3, nil); err != nil || len(got) != 7 {
			t.Fatalf("err = %v after %d batches", err, len(got))
		}
	})
}

// changedRow finds the one row whose hash changed, whatever the hashes;
// two changed rows are (all but never) taken for one.
func TestChangedRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + rng.IntN(10_000)
		hs := make([]uint64, n)
		var want batchPrint
		for i := range hs {
			hs[i] = rng.Uint64()
			want.add(hs[i])
		}
		one := rng.IntN(n)
		var got, got2 batchPrint
		two := (one + 1 + rng.IntN(max(n-1, 1))) % n
		for i, h := range hs {
			if i == one {
				h = rng.Uint64()
			}
			got.add(h)
			if i == two && n > 1 {
				h = rng.Uint64()
			}
			got2.add(h)
		}
		if i := changedRow(want, got); i != one {
			t.Fatalf("%d rows, row %d changed: found %d", n, one, i)
		}
		if n > 1 {
			if i := changedRow(want, got2); i != -1 {
				t.Fatalf("%d rows, rows %d and %d changed: found %d", n, one, two, i)
			}
		}
	}
}
