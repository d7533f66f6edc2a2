// Package filelock takes advisory, exclusive locks on open files (flock on
// Unix, LockFileEx on Windows). The OS releases such a lock when its holder
// dies, so a crash or kill -9 never leaves one stuck. The locks are per open
// file, not per process: two opens of one path in the same process exclude
// each other too.
package filelock
