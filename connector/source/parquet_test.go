package source

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source/sourcetest"
)

// parquetNull says whether column c of row i is NULL in TestParquetPages'
// files: every column has some, at places that differ from column to
// column and fall on both sides of page and batch boundaries.
func parquetNull(i, c int) bool { return (i+3*c)%11 == 0 }

// writeNullableParquet writes n rows of sourcetest.ParquetRow with every
// column optional (NULL where parquetNull says), in row groups of perGroup
// rows, each column's pages as small as page bytes, the encoding of
// every column enc (nil: parquet-go's default, PLAIN).
func writeNullableParquet(t *testing.T, path string, n, perGroup, page, version int, enc func(parquet.Node) parquet.Node, opts ...parquet.WriterOption) {
	t.Helper()
	group := parquet.Group{}
	for _, f := range sourcetest.ParquetSchema().Fields() {
		node := parquet.Node(f)
		if enc != nil {
			node = enc(node)
		}
		group[f.Name()] = parquet.Optional(node)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(out, append([]parquet.WriterOption{parquet.NewSchema("orders", group),
		parquet.MaxRowsPerRowGroup(int64(perGroup)), parquet.PageBufferSize(page), parquet.DataPageVersion(version)}, opts...)...)
	for i := range n {
		row := sourcetest.ParquetRow(i)
		for c, v := range row {
			def := 1
			if v.IsNull() || parquetNull(i, c) {
				v, def = parquet.NullValue(), 0
			}
			row[c] = v.Level(0, def, c)
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestParquetPages reads every mapped type, NULLs in each, over several
// row groups whose column chunks hold many pages (more rows than the
// reader takes at a time), in data pages of both versions, plain and
// dictionary-encoded, compressed or not: value for value what Power BI
// should store.
func TestParquetPages(t *testing.T) {
	const n, perGroup = 2600, 1500 // groups of 1,500 and 1,100 rows: more than parquetBatch
	dict := func(node parquet.Node) parquet.Node {
		if node.Type().Kind() == parquet.Boolean {
			return node // no dictionary for booleans
		}
		return parquet.Encoded(node, &parquet.RLEDictionary)
	}
	delta := func(node parquet.Node) parquet.Node {
		switch node.Type().Kind() {
		case parquet.Int32, parquet.Int64:
			return parquet.Encoded(node, &parquet.DeltaBinaryPacked)
		case parquet.ByteArray:
			return parquet.Encoded(node, &parquet.DeltaLengthByteArray)
		}
		return node
	}
	for _, tc := range []struct {
		name    string
		version int
		enc     func(parquet.Node) parquet.Node
		opts    []parquet.WriterOption
	}{
		{"v2 plain", 2, nil, nil},
		{"v1 plain", 1, nil, nil},
		{"v2 dictionary", 2, dict, []parquet.WriterOption{parquet.Compression(&parquet.Snappy)}},
		{"v1 dictionary", 1, dict, []parquet.WriterOption{parquet.Compression(&parquet.Gzip)}},
		{"v2 delta", 2, delta, []parquet.WriterOption{parquet.Compression(&parquet.Zstd)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pages.parquet")
			writeNullableParquet(t, path, n, perGroup, 512, tc.version, tc.enc, tc.opts...)
			f, size := mustOpen(t, path)
			pf, err := parquet.OpenFile(f, size)
			if err != nil {
				t.Fatal(err)
			}
			if g := len(pf.RowGroups()); g != 2 {
				t.Fatalf("%d row groups, want 2", g)
			}
			for c, chunk := range pf.RowGroups()[0].ColumnChunks() {
				if pages := countPages(t, chunk); pages < 3 {
					t.Fatalf("column %d: %d pages, want several", c, pages)
				}
			}
			p, err := scanAs(t, path, "", "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, p, n, func(i int) map[string]sourcetest.Stored {
				want := sourcetest.WantParquet(i)
				for c, name := range sourcetest.ParquetColumns {
					if parquetNull(i, c) {
						want[name] = nil
					}
				}
				return want
			})
		})
	}
}

func countPages(t *testing.T, c parquet.ColumnChunk) int {
	t.Helper()
	pages := c.Pages()
	defer pages.Close()
	n := 0
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		parquet.Release(p)
	}
}

// TestParquetDamagedPage: a page that cannot be decoded is a finding at
// the row where reading stops, not a panic.
func TestParquetDamagedPage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeNullableParquet(t, good, 300, 300, 512, 2, nil)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite the middle of the first column chunk's pages, past the
	// first page, leaving the footer whole.
	for i := 4 + 600; i < 4+1200 && i < len(b); i++ {
		b[i] = 0xff
	}
	bad := filepath.Join(dir, "bad.parquet")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = scanAs(t, bad, "", "", Options{})
	fs := findings(t, err)
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	hasFinding(t, fs, schema.RuleUnreadable, "bad.parquet, row ", "cannot be read past this row")
}
