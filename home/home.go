// Package home says where pbiwb keeps its files (CONTRACT.md, --home): config
// (accounts) under the OS user config dir, history and checkpoints under the
// user state dir; with --home DIR (or PBIWB_HOME) everything goes under DIR.
package home

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Dirs are pbiwb's directories. They are created on first write, not here.
type Dirs struct {
	Config string // accounts.json and the insecure-storage file
	State  string // history and checkpoints
}

// History is where run records live.
func (d Dirs) History() string { return filepath.Join(d.State, "history") }

// Checkpoints is where push checkpoints live.
func (d Dirs) Checkpoints() string { return filepath.Join(d.State, "checkpoints") }

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
		return Dirs{}, errors.New("cannot find your config directory (set $HOME, or use --home DIR)")
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
		return "", errors.New("cannot find your home directory (set $HOME, or use --home DIR)")
	}
	return filepath.Join(h, ".local", "state"), nil
}
