package home

import (
	"path/filepath"
	"runtime"
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
