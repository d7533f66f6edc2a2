package keystore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each keyring call made for a command. It is long
// enough for a desktop keyring to show its unlock prompt and short enough
// that a stalled D-Bus activation (25–120 s) does not look like a hang.
const DefaultTimeout = 10 * time.Second

// KeyringBackend is the OS keyring through go-keyring (Secret Service on
// Linux and the BSDs, Keychain on macOS, Credential Manager on Windows), with
// every call under a timeout.
type KeyringBackend struct {
	timeout time.Duration
	kr      provider
}

// provider is go-keyring's call surface; tests substitute one that blocks.
type provider interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// NewKeyring returns the OS keyring backend; each call gives up after timeout
// (DefaultTimeout when timeout <= 0) or when its context is done.
func NewKeyring(timeout time.Duration) *KeyringBackend {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &KeyringBackend{timeout: timeout, kr: goKeyring{}}
}

// DefaultBackend is the OS keyring with DefaultTimeout.
func DefaultBackend() Backend { return NewKeyring(DefaultTimeout) }

// Kind reports StorageKeyring.
func (k *KeyringBackend) Kind() string { return StorageKeyring }

// Set stores value.
func (k *KeyringBackend) Set(ctx context.Context, service, key, value string) error {
	_, err := k.call(ctx, "saving a secret to", func() (string, error) {
		return "", k.kr.Set(service, key, value)
	})
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return &TooBigError{Size: len(value)}
	}
	return err
}

// Get reads a value.
func (k *KeyringBackend) Get(ctx context.Context, service, key string) (string, error) {
	return k.call(ctx, "reading a secret from", func() (string, error) {
		return k.kr.Get(service, key)
	})
}

// Delete removes a value.
func (k *KeyringBackend) Delete(ctx context.Context, service, key string) error {
	_, err := k.call(ctx, "deleting a secret from", func() (string, error) {
		return "", k.kr.Delete(service, key)
	})
	return err
}

// call runs fn in a goroutine and waits for it, the timeout or ctx, whichever
// comes first. On timeout the goroutine is left to finish on its own (the
// buffered channel lets it): go-keyring offers no way to cancel a D-Bus call,
// and a CLI process is short-lived.
func (k *KeyringBackend) call(ctx context.Context, op string, fn func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s the OS keyring: %w", op, err)
	}
	wait := k.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = time.Until(dl)
		if wait <= 0 {
			return "", fmt.Errorf("%s the OS keyring: %w", op, context.DeadlineExceeded)
		}
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.v, classify(op, r.err)
	case <-timer.C:
		return "", &KeyringError{Op: op, Timeout: roundUp(wait)}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", &KeyringError{Op: op, Timeout: roundUp(wait)}
		}
		return "", fmt.Errorf("%s the OS keyring: %w", op, ctx.Err())
	}
}

// classify maps go-keyring's results onto the package's errors. Every
// failure other than "not found" and "too big" means the keyring itself is
// unusable: no session bus or dbus-launch, no Secret Service provider, a
// locked collection, Keychain or Credential Manager refusing access.
func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return err
	}
	return &KeyringError{Op: op, Cause: err}
}

func roundUp(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// KeyringError is an OS keyring that is unreachable, locked, or silent. It
// matches ErrNoKeyring and its message names the fix for the running OS.
type KeyringError struct {
	Op      string        // e.g. "saving a secret to"
	Timeout time.Duration // > 0 when the keyring did not answer in time
	Cause   error         // the keyring's own error, when it answered
}

func (e *KeyringError) Error() string {
	var what string
	if e.Timeout > 0 {
		what = fmt.Sprintf("the OS keyring did not answer within %s (%s it)", e.Timeout, e.Op)
	} else {
		what = fmt.Sprintf("the OS keyring is not usable (%s it: %v)", e.Op, e.Cause)
	}
	return what + ": " + KeyringFix(runtime.GOOS) + InsecureAlternative
}

func (e *KeyringError) Unwrap() error { return e.Cause }

func (e *KeyringError) Is(target error) bool { return target == ErrNoKeyring }

// InsecureAlternative ends every keyring error: the explicit way round it.
const InsecureAlternative = ". Or, to keep secrets in a plain-text file that only your user can read, re-run with --insecure-storage"

// KeyringFix says how to get a working keyring on goos.
func KeyringFix(goos string) string {
	switch goos {
	case "darwin":
		return "unlock your login keychain (Keychain Access, or `security unlock-keychain`) and choose Allow when macOS asks whether pbiwb may use it"
	case "windows":
		return "make sure Windows Credential Manager is available to your user (it is not in some service-account and remote sessions)"
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return "a Secret Service such as gnome-keyring (or KeePassXC with Secret Service integration) must be running on your D-Bus session bus and unlocked; " +
			"on a machine without a desktop, run pbiwb inside one: dbus-run-session -- bash -c 'read -rsp \"keyring password: \" pw; echo \"$pw\" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; pbiwb ...'"
	}
	return "this system has no keyring pbiwb can use"
}
