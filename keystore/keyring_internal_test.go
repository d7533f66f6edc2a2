package keystore

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zalando/go-keyring"
)

// stuckProvider never answers, like go-keyring waiting on D-Bus activation
// or on an unlock prompt nobody sees.
type stuckProvider struct{ release chan struct{} }

func (p stuckProvider) Set(string, string, string) error   { <-p.release; return nil }
func (p stuckProvider) Get(string, string) (string, error) { <-p.release; return "", nil }
func (p stuckProvider) Delete(string, string) error        { <-p.release; return nil }

// errProvider answers every call with err.
type errProvider struct{ err error }

func (p errProvider) Set(string, string, string) error   { return p.err }
func (p errProvider) Get(string, string) (string, error) { return "", p.err }
func (p errProvider) Delete(string, string) error        { return p.err }

// stuckKeyring never answers until the test ends. Tests of the timeouts run
// it inside a synctest bubble, whose clock moves only when every goroutine
// is blocked: a timeout then fires at exactly its due time however loaded
// the machine is, so the tests assert exact durations and never wait.
func stuckKeyring(t *testing.T, timeout time.Duration) *KeyringBackend {
	p := stuckProvider{release: make(chan struct{})}
	t.Cleanup(func() { close(p.release) }) // let the abandoned goroutines end
	return &KeyringBackend{timeout: timeout, kr: p}
}

func TestKeyringTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := stuckKeyring(t, 200*time.Millisecond)
		for _, op := range []struct {
			name string
			call func() error
		}{
			{"set", func() error { return k.Set(context.Background(), "s", "k", "v") }},
			{"get", func() error { _, err := k.Get(context.Background(), "s", "k"); return err }},
			{"delete", func() error { return k.Delete(context.Background(), "s", "k") }},
		} {
			start := time.Now()
			err := op.call()
			if elapsed := time.Since(start); elapsed != 200*time.Millisecond {
				t.Fatalf("%s gave up after %v with a 200ms timeout", op.name, elapsed)
			}
			var ke *KeyringError
			if !errors.As(err, &ke) || !errors.Is(err, ErrNoKeyring) {
				t.Fatalf("%s: err = %v, want a *KeyringError", op.name, err)
			}
			msg := err.Error()
			for _, want := range []string{"did not answer within 200ms", KeyringFix(runtime.GOOS), "--insecure-storage"} {
				if !strings.Contains(msg, want) {
					t.Fatalf("%s: message lacks %q: %s", op.name, want, msg)
				}
			}
		}
	})
}

func TestKeyringContextDeadlineIsTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := stuckKeyring(t, DefaultTimeout)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := k.Get(ctx, "s", "k")
		if d := time.Since(start); d != 150*time.Millisecond || !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), "did not answer within 150ms") {
			t.Fatalf("after %v: %v", d, err)
		}

		// A cancelled context (Ctrl-C) is not the keyring's fault.
		ctx, cancel = context.WithCancel(context.Background())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		start = time.Now()
		_, err = k.Get(ctx, "s", "k")
		if d := time.Since(start); d != 50*time.Millisecond || !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoKeyring) {
			t.Fatalf("cancelled after %v: %v", d, err)
		}
	})
}

func TestProbeGivesUpQuickly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := stuckKeyring(t, DefaultTimeout)
		start := time.Now()
		err := Probe(context.Background(), k)
		if d := time.Since(start); d != ProbeTimeout || !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("Probe after %v: %v", d, err)
		}
		if !strings.Contains(err.Error(), "did not answer within 3s") {
			t.Fatalf("message: %v", err)
		}
	})
}

func TestKeyringErrorsAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cause     error
		noKeyring bool
		target    error
	}{
		{"not found", keyring.ErrNotFound, false, ErrNotFound},
		{"too big", keyring.ErrSetDataTooBig, false, ErrValueTooBig},
		{"no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, true, ErrNoKeyring},
		{"no provider", errors.New("The name org.freedesktop.secrets was not provided by any .service files"), true, ErrNoKeyring},
		{"locked", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'"), true, ErrNoKeyring},
		{"activation timeout", errors.New("Failed to activate service 'org.freedesktop.secrets': timed out (service_start_timeout=25000ms)"), true, ErrNoKeyring},
		{"unsupported platform", keyring.ErrUnsupportedPlatform, true, ErrNoKeyring},
	} {
		// In a bubble, so that the timeout cannot beat an answer that a
		// loaded machine is slow to schedule.
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := &KeyringBackend{timeout: time.Second, kr: errProvider{tc.cause}}
				err := k.Set(context.Background(), "s", "k", strings.Repeat("v", 3000))
				if !errors.Is(err, tc.target) {
					t.Fatalf("err = %v, want %v", err, tc.target)
				}
				if errors.Is(err, ErrNoKeyring) != tc.noKeyring {
					t.Fatalf("ErrNoKeyring = %v, want %v", !tc.noKeyring, tc.noKeyring)
				}
				if tc.noKeyring {
					msg := err.Error()
					if !strings.Contains(msg, tc.cause.Error()) || !strings.Contains(msg, "--insecure-storage") || strings.Contains(msg, "vvvv") {
						t.Fatalf("message: %s", msg)
					}
					if !errors.Is(err, tc.cause) {
						t.Fatal("the cause is not wrapped")
					}
				}
			})
		})
	}
}

func TestKeyringFixNamesTheWayOnEveryOS(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   "gnome-keyring-daemon --unlock --components=secrets",
		"freebsd": "Secret Service",
		"darwin":  "login keychain",
		"windows": "Credential Manager",
		"plan9":   "no keyring",
	} {
		if got := KeyringFix(goos); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", goos, got, want)
		}
	}
}

// A timed-out keyring behind a Store: the caller gets the same clear error.
func TestStoreWithSilentKeyring(t *testing.T) {
	dirs := tempDirs(t) // outside the bubble: its removal is not the bubble's
	synctest.Test(t, func(t *testing.T) {
		k := stuckKeyring(t, 100*time.Millisecond)
		s := Open(dirs, k)
		start := time.Now()
		_, err := s.Save(context.Background(), testAccount("demo"), Secrets{Password: "p"})
		// One timeout, not one per call: the Store gives up on the first and
		// does not try to roll back through a keyring that does not answer.
		if d := time.Since(start); d != 100*time.Millisecond || !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("after %v: %v", d, err)
		}
		if strings.Contains(err.Error(), `"p"`) {
			t.Fatalf("secret in the message: %v", err)
		}
	})
}
