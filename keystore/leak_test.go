package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// No secret reaches an error message or a file other than the secrets'
// own storage, along the failure paths a user can meet.
func TestSecretsNeverLeak(t *testing.T) {
	dirs := tempDirs(t)
	b := newFault(WindowsMaxValue)
	s := Open(dirs, b)
	ctx := ctxT(t)
	secrets := testSecrets("leak")
	_, err := s.Save(ctx, testAccount("demo"), secrets)
	must(t, err)

	var msgs []string
	// Refused values, silent and locked keyrings while saving.
	for _, fail := range []error{
		&TooBigError{Size: 9000, Max: 2560},
		&KeyringError{Op: "saving a secret to", Timeout: DefaultTimeout},
		errLocked,
	} {
		b.failSet = func(string) error { return fail }
		_, err := s.Save(ctx, testAccount("demo"), secrets)
		msgs = append(msgs, err.Error())
		err = s.SetSecret(ctx, "demo", Password, secrets[Password])
		msgs = append(msgs, err.Error())
		err = s.TokenCache("demo").Save(ctx, []byte(secrets[TokenCache]+"x"))
		msgs = append(msgs, err.Error())
	}
	b.failSet = nil
	// A keyring failing half-way through Remove.
	b.failDelete = func(string) error { return errLocked }
	_, err = s.Remove(ctx, "demo")
	msgs = append(msgs, err.Error())
	b.failDelete = nil
	// A torn chunked value.
	must(t, b.MemoryBackend.Set(ctx, s.Service("demo"), "token-cache#0", "x"))
	_, err = s.Secret(ctx, "demo", TokenCache)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("torn value: %v", err)
	}
	msgs = append(msgs, err.Error())
	// A keyring timing out through the real backend wrapper.
	k := stuckKeyring(t, 50*time.Millisecond)
	err = k.Set(ctx, "pbiwb:demo", "password", secrets[Password])
	msgs = append(msgs, err.Error())

	for _, m := range msgs {
		assertNoSecret(t, "error "+m[:min(len(m), 60)], m, secrets)
	}

	// Files: only accounts.json and the lock are written next to it.
	entries, err := os.ReadDir(dirs.Config)
	must(t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dirs.Config, e.Name()))
		must(t, err)
		assertNoSecret(t, e.Name(), string(data), secrets)
		if !strings.HasPrefix(e.Name(), "accounts.") {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
}
