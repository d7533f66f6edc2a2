package source

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/source/sourcetest"
)

// withSSTMemMax makes tables spill past max bytes of text, for one test.
func withSSTMemMax(t *testing.T, max int) {
	old := sstMemMax
	sstMemMax = max
	t.Cleanup(func() { sstMemMax = old })
}

// emptyDir fails when dir holds a file: a spool left behind.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		t.Errorf("%s left in the spool directory", n.Name())
	}
}

// TestWorkbookSpilledStrings reads the test workbook (whose text is in
// shared strings) with a table that spills at once: the same rows, and
// nothing left in the spool directory.
func TestWorkbookSpilledStrings(t *testing.T) {
	withSSTMemMax(t, 8)
	dir := t.TempDir()
	path := filepath.Join(dir, "book.xlsx")
	const n = 300
	sourcetest.Workbook(t, path, n)
	spoolDir := filepath.Join(dir, "spool")
	p, err := scanAs(t, path, "", sourcetest.SheetName, Options{TempDir: spoolDir})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, p, n, sourcetest.WantWorkbook)
	p.Close()
	emptyDir(t, spoolDir)
}

// sstZip is a zip holding xl/sharedStrings.xml with texts (rich text runs
// and phonetic runs now and then), and, when cut, only its first part.
func sstZip(t *testing.T, texts []string, cut bool) *zip.File {
	t.Helper()
	var x strings.Builder
	fmt.Fprintf(&x, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(texts), len(texts))
	for i, s := range texts {
		switch {
		case s == "":
			x.WriteString("<si/>")
		case i%7 == 3 && len(s) > 2:
			fmt.Fprintf(&x, `<si><r><t>%s</t></r><r><rPr><b/></rPr><t xml:space="preserve">%s</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></si>`, s[:1], s[1:])
		default:
			fmt.Fprintf(&x, "<si><t>%s</t></si>", s)
		}
	}
	x.WriteString("</sst>")
	content := x.String()
	if cut {
		content = content[:len(content)*2/3]
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("xl/sharedStrings.xml")
	w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr.File[0]
}

// TestSharedStringsSpill reads a table kept in memory and the same table
// spilled, texts crossing the cache's blocks and longer than one, in
// order and at random (more blocks than the cache holds): the same texts.
func TestSharedStringsSpill(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	texts := make([]string, 5000)
	for i := range texts {
		switch {
		case i%1000 == 17:
			texts[i] = strings.Repeat(fmt.Sprintf("long %d ", i), 20000) // > 64 KiB: several blocks
		case i%50 == 0:
			texts[i] = ""
		default:
			texts[i] = fmt.Sprintf("Zoë ✓ %d %s", i, strings.Repeat("x", rng.IntN(300)))
		}
	}
	f := sstZip(t, texts, false)
	withSSTMemMax(t, 64<<20)
	mem, err := readSharedStrings(f, "")
	if err != nil {
		t.Fatal(err)
	}
	if mem.textFile != nil {
		t.Fatal("a small table spilled")
	}
	withSSTMemMax(t, 1000)
	dir := t.TempDir()
	spilled, err := readSharedStrings(f, dir)
	if err != nil {
		t.Fatal(err)
	}
	if spilled.textFile == nil {
		t.Fatal("the table did not spill")
	}
	order := rng.Perm(len(texts))
	for i := range texts {
		order = append(order, i)
	}
	order = append(order, -1, len(texts))
	for _, i := range order {
		for name, s := range map[string]*sharedStrings{"in memory": mem, "spilled": spilled} {
			got, ok := s.appendText([]byte("prefix:"), i)
			if i < 0 || i >= len(texts) {
				if ok {
					t.Fatalf("%s: entry %d of %d found", name, i, len(texts))
				}
				continue
			}
			if !ok || string(got) != "prefix:"+texts[i] {
				t.Fatalf("%s: entry %d: %q, %v; want %.40q", name, i, got, ok, texts[i])
			}
		}
	}
	if err := spilled.close(); err != nil {
		t.Fatal(err)
	}
	emptyDir(t, dir)
}

// TestSharedStringsSpillDamaged: a table that ends in the middle, after
// it spilled, is an error, and its spool files are gone.
func TestSharedStringsSpillDamaged(t *testing.T) {
	withSSTMemMax(t, 100)
	texts := make([]string, 2000)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i)
	}
	dir := t.TempDir()
	if _, err := readSharedStrings(sstZip(t, texts, true), dir); err == nil {
		t.Fatal("a cut table read")
	}
	emptyDir(t, dir)
}
