package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The archives are the same bytes whenever they are built from the same
// files, and hold each file with its name and mode.
func TestArchivesAreReproducible(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin, readme := filepath.Join(dir, "pbiwb"), filepath.Join(dir, "README.md")
	if err := os.WriteFile(bin, []byte("\x7fELF binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(readme, []byte("# pbiwb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []archived{{"p/pbiwb", bin, 0o755}, {"p/README.md", readme, 0o644}}
	mtime := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	for _, w := range []struct {
		ext   string
		write func(string, []archived, time.Time) error
		list  func(*testing.T, string) map[string]os.FileMode
	}{{".tar.gz", writeTarGz, tarModes}, {".zip", writeZip, zipModes}} {
		a, b := filepath.Join(dir, "a"+w.ext), filepath.Join(dir, "b"+w.ext)
		if err := w.write(a, files, mtime); err != nil {
			t.Fatal(err)
		}
		// Another day on the clock and other modes on disk change nothing.
		if err := os.Chmod(bin, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := w.write(b, files, mtime); err != nil {
			t.Fatal(err)
		}
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ab, bb) {
			t.Errorf("%s: two builds of the same files differ", w.ext)
		}
		modes := w.list(t, a)
		if modes["p/pbiwb"] != 0o755 || modes["p/README.md"] != 0o644 || len(modes) != 2 {
			t.Errorf("%s holds %v", w.ext, modes)
		}
	}

	if err := writeSums(filepath.Join(dir, "SHA256SUMS"), []string{filepath.Join(dir, "b.zip"), filepath.Join(dir, "a.tar.gz")}); err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "  a.tar.gz") || !strings.HasSuffix(lines[1], "  b.zip") || len(lines[0]) != 64+2+len("a.tar.gz") {
		t.Errorf("SHA256SUMS:\n%s", sums)
	}
	if want, _ := sha256File(filepath.Join(dir, "a.tar.gz")); !strings.HasPrefix(lines[0], want) {
		t.Errorf("SHA256SUMS says %s, the file hashes to %s", lines[0], want)
	}
}

func tarModes(t *testing.T, path string) map[string]os.FileMode {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]os.FileMode{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return modes
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = os.FileMode(h.Mode)
	}
}

func zipModes(t *testing.T, path string) map[string]os.FileMode {
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	modes := map[string]os.FileMode{}
	for _, f := range r.File {
		modes[f.Name] = f.Mode().Perm()
	}
	return modes
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-version", "v1 2", "-commit", "c"}, "letters, digits"},
		{[]string{"-version", "v1", "-commit", "c", "-targets", "linux"}, `"linux" is not OS/ARCH`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		err := run(context.Background(), tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
}
