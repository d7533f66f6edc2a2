//go:build unix

package history

import (
	"errors"
	"syscall"
)

// processAlive: signal 0 checks for a process without touching it. EPERM
// means it exists but belongs to someone else.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
