//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package keystore

import "os"

// Platforms without flock or LockFileEx (e.g. Solaris, Plan 9) go unlocked:
// the atomic rename still keeps accounts.json whole, but two processes saving
// at the same instant may lose one change.
func tryLock(*os.File) (bool, error) { return false, nil }

func unlockFile(*os.File) {}
