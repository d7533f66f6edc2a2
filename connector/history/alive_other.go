//go:build !unix

package history

import "os"

// processAlive: on Windows FindProcess opens the process, and fails when
// there is none.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
