package keystore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pbiwb/pbiwb/filelock"
)

// lockWait bounds the wait for another process's lock when ctx has no
// deadline. A holder keeps the lock for a few keyring calls at most.
const lockWait = 60 * time.Second

// lockFile takes an exclusive lock on path (created 0600, its directory
// 0700), waiting until another holder releases it or ctx is done. The OS
// releases the lock if the process dies, so a crash never leaves it stuck.
// On platforms without file locks (see filelock) two processes saving at the
// same instant may lose one change; the atomic rename still keeps
// accounts.json whole.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lockWait)
		defer cancel()
	}
	for {
		busy, err := filelock.TryLock(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !busy {
			return func() { filelock.Unlock(f); _ = f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("another pbiwb process is still saving accounts (it holds %s); try again when it has finished: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
