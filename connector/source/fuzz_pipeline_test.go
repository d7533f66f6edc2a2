package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// FuzzPipeline: whatever the input, Scan either reports findings or passes
// an input whose every row then encodes, within the limits, as valid JSON —
// the two passes never disagree.
func FuzzPipeline(f *testing.F) {
	for _, s := range []string{"a,b\n1,x\n2,\n", "n\n00501\n1\n", "t\tv\n2024-01-01\t1.5\n\"\"\t-0\n", "a\n\"x\ny\"\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	l := schema.DocumentedLimits()
	l.MaxRowsPerPost, l.MaxBytesPerPost = 2, 200
	f.Fuzz(func(t *testing.T, in string) {
		path := filepath.Join(dir, "in.txt")
		if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := Scan(context.Background(), File(path, nil), Options{Limits: l})
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		rows := 0
		for b, err := range p.Batches(context.Background(), 0) {
			if err != nil {
				if bytes.Contains([]byte(err.Error()), []byte("the row alone")) {
					return // a row wider than the tiny byte limit
				}
				t.Fatalf("second pass: %v", err)
			}
			var body struct{ Rows []map[string]any }
			if err := json.Unmarshal(b.Body, &body); err != nil || len(body.Rows) != b.Rows || b.Rows > l.MaxRowsPerPost || len(b.Body) > int(l.MaxBytesPerPost) {
				t.Fatalf("batch %d (%d rows): %v\n%s", b.Index, b.Rows, err, b.Body)
			}
			rows += b.Rows
		}
		if rows != p.Rows {
			t.Fatalf("encoded %d rows, scanned %d", rows, p.Rows)
		}
	})
}
