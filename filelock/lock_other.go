//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package filelock

import "os"

// Platforms without flock or LockFileEx (e.g. Solaris, Plan 9) go unlocked:
// TryLock always succeeds, and callers lose only the exclusion, never data
// they would otherwise keep (their writes are atomic renames or logs).
func TryLock(*os.File) (bool, error) { return false, nil }

// Unlock does nothing here.
func Unlock(*os.File) {}
