package push

import "github.com/pbiwb/pbiwb/connector/source"

// spoolDir is where the scan keeps the copy of an input it cannot read
// twice: Services.TempDir when set, else the home's spool directory, where
// the copies that runs killed before removing them left, older than a day,
// are removed first (source.RemoveStaleSpools). "" (no home): os.TempDir().
func spoolDir(svc Services) string {
	dir := svc.TempDir
	if dir == "" && svc.Dirs.State != "" {
		dir = svc.Dirs.Spool()
	}
	if dir != "" {
		// Best effort: a copy that cannot be removed now is tried again by
		// the next run, and does not stop this one.
		_ = source.RemoveStaleSpools(dir, source.SpoolMaxAge)
	}
	return dir
}
