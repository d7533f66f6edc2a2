package home

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestResolveExplicit(t *testing.T) {
	d, err := Resolve("rel/dir")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(d.Config) || d.Config != d.State {
		t.Fatalf("explicit home: %+v", d)
	}
	if d.History() != filepath.Join(d.State, "history") || d.Checkpoints() != filepath.Join(d.State, "checkpoints") {
		t.Fatalf("subdirs: %s %s", d.History(), d.Checkpoints())
	}
	if d.Spool() != filepath.Join(d.State, "spool") {
		t.Fatalf("spool: %s", d.Spool())
	}
}

func TestResolveDefaults(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG layout is Linux's")
	}
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	d, err := Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if d.Config != "/home/u/.config/pbiwb" || d.State != "/home/u/.local/state/pbiwb" {
		t.Fatalf("defaults: %+v", d)
	}
	t.Setenv("XDG_STATE_HOME", "/s")
	if d, _ := Resolve(""); d.State != "/s/pbiwb" {
		t.Fatalf("XDG_STATE_HOME: %+v", d)
	}
}

// A home that cannot take files is found, and named, by CheckWritable: a
// read-only directory (when the test's user is bound by permissions: root is
// not) and a path under a regular file (which stops root too).
func TestCheckWritable(t *testing.T) {
	ok := Dirs{State: filepath.Join(t.TempDir(), "state")}
	if err := ok.CheckWritable(); err != nil {
		t.Fatalf("a fresh home: %v", err)
	}
	if fi, err := os.Stat(ok.Checkpoints()); err != nil || !fi.IsDir() {
		t.Fatalf("the checkpoint directory was not created: %v", err)
	}
	if left, _ := os.ReadDir(ok.History()); len(left) != 0 {
		t.Errorf("the probe left files behind: %v", left)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	homes := map[string]string{"under a regular file": filepath.Join(file, "home")}
	ro := t.TempDir()
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	if f, err := os.CreateTemp(ro, "x"); err == nil {
		f.Close()
		t.Log("permissions do not stop this user (root): the read-only case is not checked")
	} else {
		homes["read-only"] = ro
	}
	for name, dir := range homes {
		err := Dirs{State: dir}.CheckWritable()
		var ue *UnwritableError
		if !errors.As(err, &ue) || !strings.HasSuffix(err.Error(), "make it a directory you can write to, or choose another home") {
			t.Errorf("%s: %v, want an UnwritableError naming the fix", name, err)
			continue
		}
		if got := ue.Phrase("--home DIR"); !strings.HasSuffix(got, "or choose another home with --home DIR") {
			t.Errorf("%s: Phrase = %q", name, got)
		}
		if !strings.HasPrefix(dir, ue.Dir) && !strings.HasPrefix(ue.Dir, dir) {
			t.Errorf("%s: the error names %s, not the home %s", name, ue.Dir, dir)
		}
		t.Logf("%s: %v", name, err)
	}
}

// A missing default directory says to choose a home; the face says how.
func TestNoDirError(t *testing.T) {
	e := &NoDirError{What: "config directory"}
	if got := e.Error(); got != "cannot find your config directory (set $HOME, or choose pbiwb's home explicitly)" {
		t.Errorf("Error() = %q", got)
	}
	if got := e.Phrase("--home DIR"); got != "cannot find your config directory (set $HOME, or use --home DIR)" {
		t.Errorf("Phrase = %q", got)
	}
}
