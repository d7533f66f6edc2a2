// Package home says where pbiwb keeps its files (docs/cli.md, "Files"): config
// (accounts) under the OS user config dir, history and checkpoints under the
// user state dir; with an explicit home (docs/cli.md: --home DIR, or
// PBIWB_HOME) everything goes under it.
//
// Its errors advise choosing another home without saying how: each face
// words that (Phrase), the command line with its flag and variable.
package home

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pbiwb/pbiwb/exitcode"
)

// Dirs are pbiwb's directories. They are created on first write, not here.
type Dirs struct {
	Config string // accounts.json and the insecure-storage file
	State  string // history, checkpoints and the copies of streamed inputs
}

// History is where run records live.
func (d Dirs) History() string { return filepath.Join(d.State, "history") }

// Checkpoints is where push checkpoints live.
func (d Dirs) Checkpoints() string { return filepath.Join(d.State, "checkpoints") }

// Datasets is where pbiwb remembers what it knows of the push datasets it
// created and Power BI does not tell: their retention.
func (d Dirs) Datasets() string { return filepath.Join(d.State, "datasets") }

// Spool is where a run keeps the copy of an input it cannot read twice
// (stdin, a pipe, a Domo export) while it runs: 0700, each copy 0600.
func (d Dirs) Spool() string { return filepath.Join(d.State, "spool") }

// Resolve returns the directories for an explicit home ("" for the defaults).
func Resolve(explicit string) (Dirs, error) {
	if explicit != "" {
		abs, err := filepath.Abs(explicit)
		if err != nil {
			return Dirs{}, err
		}
		return Dirs{Config: abs, State: abs}, nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return Dirs{}, &NoDirError{What: "config directory"}
	}
	state, err := stateDir()
	if err != nil {
		return Dirs{}, err
	}
	return Dirs{Config: filepath.Join(cfg, "pbiwb"), State: filepath.Join(state, "pbiwb")}, nil
}

// stateDir is XDG_STATE_HOME or ~/.local/state on Unix; on Windows and macOS,
// which have no such convention, the local app data / config dir.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return d, nil
		}
		return os.UserConfigDir()
	case "darwin":
		return os.UserConfigDir()
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", &NoDirError{What: "home directory"}
	}
	return filepath.Join(h, ".local", "state"), nil
}

// NoDirError is a default directory the OS cannot tell (no $HOME): pbiwb
// then needs an explicit home.
type NoDirError struct {
	What string // "config directory", "home directory"
}

func (e *NoDirError) Error() string { return e.Phrase("") }

// Phrase is the error with how to give an explicit home ("--home DIR" on
// the command line); "" says only to choose one.
func (e *NoDirError) Phrase(how string) string {
	if how == "" {
		return "cannot find your " + e.What + " (set $HOME, or choose pbiwb's home explicitly)"
	}
	return "cannot find your " + e.What + " (set $HOME, or use " + how + ")"
}

// UnwritableError is a home whose state directory cannot take the files a
// push writes (history, checkpoints).
type UnwritableError struct {
	Dir string
	Err error
}

func (e *UnwritableError) Error() string { return e.Phrase("") }

// Phrase is the error with how to choose another home ("--home DIR (or
// PBIWB_HOME)" on the command line); "" says only to choose one.
func (e *UnwritableError) Phrase(how string) string {
	s := fmt.Sprintf("pbiwb cannot write its history and checkpoints under %s (%v), so a push could neither "+
		"resume nor write every row exactly once: make it a directory you can write to, "+
		"or choose another home", e.Dir, cause(e.Err))
	if how != "" {
		s += " with " + how
	}
	return s
}

// cause is a path error's reason alone ("permission denied"): the message
// names the directory already.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (e *UnwritableError) Unwrap() error { return e.Err }

// ExitCode: nothing ran and the fix is a setting (another home), so exit 2
// (docs/cli.md).
func (e *UnwritableError) ExitCode() exitcode.Code { return exitcode.Usage }

// CheckWritable creates the history and checkpoint directories (0700) and
// proves that a file can be created in each, so that a push finds a home it
// cannot write before it changes anything in Power BI rather than after.
func (d Dirs) CheckWritable() error {
	for _, dir := range []string{d.History(), d.Checkpoints()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return &UnwritableError{Dir: existingParent(dir), Err: err}
		}
		f, err := os.CreateTemp(dir, ".probe-*")
		if err != nil {
			return &UnwritableError{Dir: dir, Err: err}
		}
		name := f.Name()
		f.Close()
		if err := os.Remove(name); err != nil {
			return &UnwritableError{Dir: dir, Err: err}
		}
	}
	return nil
}

// existingParent is the nearest directory of path that exists: the one that
// refused the new directory, which is the one to name.
func existingParent(path string) string {
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || filepath.Dir(p) == p {
			return p
		}
	}
}
