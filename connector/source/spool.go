package source

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A spool is the copy of an input that cannot be read twice (stdin, a pipe,
// a Domo export), kept for the second pass. It holds the data in plaintext,
// so it lives only as long as its pipeline: it is created 0600 in a 0700
// directory (under the home, Options.TempDir) and its name is removed at
// once — on Unix the open file stays readable and the system frees it when
// the process ends, however it ends (kill -9 included). Where a file that is
// open cannot be removed (Windows), the name is removed by Pipeline.Close,
// and a copy left by a process that died is removed by a later run
// (RemoveStaleSpools).

const spoolPattern = "pbiwb-input-*.csv"

// SpoolMaxAge is how old a spool may be before a later run takes it for the
// leftover of a dead process and removes it.
const SpoolMaxAge = 24 * time.Hour

type spool struct {
	f    *os.File
	name string // "" once removed
	size int64
}

// createSpool creates the copy in dir ("" is os.TempDir()).
func createSpool(dir string) (*spool, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	f, err := os.CreateTemp(dir, spoolPattern) // 0600
	if err != nil {
		return nil, err
	}
	s := &spool{f: f, name: f.Name()}
	if os.Remove(s.name) == nil {
		s.name = ""
	}
	return s, nil
}

// reader reads the copy from its start; readers do not share an offset.
func (s *spool) reader() io.ReadCloser {
	return io.NopCloser(io.NewSectionReader(s.f, 0, s.size))
}

func (s *spool) close() error {
	err := s.f.Close()
	if s.name != "" {
		if rerr := os.Remove(s.name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		s.name = ""
	}
	return err
}

// RemoveStaleSpools removes the copies in dir last written more than
// maxAge ago: those of runs that died without removing them. A copy in use
// is written during its run's first pass and, where it could not be
// removed at once, is still open, which keeps it on Windows.
func RemoveStaleSpools(dir string, maxAge time.Duration) error {
	names, err := filepath.Glob(filepath.Join(dir, spoolPattern))
	if err != nil {
		return err
	}
	var errs []error
	cutoff := time.Now().Add(-maxAge)
	for _, name := range names {
		st, err := os.Lstat(name)
		if err != nil || !st.Mode().IsRegular() || st.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove old copies of inputs in %s: %w", dir, errors.Join(errs...))
	}
	return nil
}
