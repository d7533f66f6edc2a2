package source

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// The copy of stdin never shows in its directory on Unix, not even while
// the pipeline is open: a kill -9 leaves nothing behind.
func TestSpoolHasNoNameWhileInUse(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot remove an open file: Close and RemoveStaleSpools do")
	}
	dir := t.TempDir()
	p, err := Scan(context.Background(), File("-", strings.NewReader("a\n1\n")), Options{Limits: schema.DocumentedLimits(), TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("while the pipeline is open, %s holds %v", dir, left)
	}
	if _, rows := collect(t, p, 0); len(rows) != 1 {
		t.Fatal(rows)
	}
}

// A copy older than SpoolMaxAge is the leftover of a dead run: removed. A
// recent one, and files that are not copies, stay.
func TestRemoveStaleSpools(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, age time.Duration) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("secret,rows\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		if err := os.Chtimes(path, when, when); err != nil {
			t.Fatal(err)
		}
		return path
	}
	old := write("pbiwb-input-123.csv", SpoolMaxAge+time.Hour)
	recent := write("pbiwb-input-456.csv", time.Hour)
	other := write("notes.csv", 48*time.Hour)
	if err := RemoveStaleSpools(dir, SpoolMaxAge); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the day-old copy is still there: %v", err)
	}
	for _, keep := range []string{recent, other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	if err := RemoveStaleSpools(filepath.Join(dir, "missing"), SpoolMaxAge); err != nil {
		t.Errorf("a missing directory: %v", err)
	}
}
