package keystore

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestFileBackend(t *testing.T) {
	dirs := tempDirs(t)
	f := NewFileBackend(dirs)
	ctx := ctxT(t)
	if _, err := f.Get(ctx, "s", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before any Set: %v", err)
	}
	must(t, f.Set(ctx, "s", "k", "v1"))
	must(t, f.Set(ctx, "s", "k2", "v2"))
	if v, err := f.Get(ctx, "s", "k"); err != nil || v != "v1" {
		t.Fatalf("Get: %q %v", v, err)
	}
	must(t, f.Delete(ctx, "s", "k"))
	if err := f.Delete(ctx, "s", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, f.Path(), 0o600)
	}
	if got := fmt.Sprintf(InsecureWarning, f.Path()); !strings.HasPrefix(got, "! Secrets saved in plain text at "+f.Path()) {
		t.Fatalf("warning: %s", got)
	}

	// A damaged file: the message names the file but quotes none of it.
	must(t, os.WriteFile(f.Path(), []byte(`{"version":1,"items":{"s":{"k":"hunter2"`), 0o600))
	_, err := f.Get(ctx, "s", "k")
	if err == nil || !strings.Contains(err.Error(), f.Path()) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("damaged file: %v", err)
	}
}

// --insecure-storage: an account saved to the file is read from the file
// later, whatever backend the Store was opened with, and moving it back to
// the keyring deletes the plain-text copies.
func TestAccountsRememberWhereTheirSecretsAre(t *testing.T) {
	dirs := tempDirs(t)
	ctx := ctxT(t)
	file := NewFileBackend(dirs)
	insecure := Open(dirs, file)
	secrets := testSecrets("f")
	a, err := insecure.Save(ctx, testAccount("demo"), secrets)
	must(t, err)
	if a.Storage != StorageFile {
		t.Fatalf("storage %q", a.Storage)
	}

	mem := NewMemoryBackend(WindowsMaxValue)
	s := Open(dirs, mem)
	expectSecret(t, s, "demo", TokenCache, secrets[TokenCache])
	if len(mem.Items()) != 0 {
		t.Fatal("secrets of a file account were looked for in the primary backend")
	}

	// Re-saving with the primary backend moves the account.
	_, err = s.Save(ctx, testAccount("demo"), secrets)
	must(t, err)
	b, err := os.ReadFile(file.Path())
	must(t, err)
	if strings.Contains(string(b), secrets[Password]) || strings.Contains(string(b), "pbiwb:demo") {
		t.Fatalf("plain-text copies survived the move (%d bytes left)", len(b))
	}
	expectSecret(t, s, "demo", Password, secrets[Password])
	_, err = s.Remove(ctx, "demo")
	must(t, err)
	if len(mem.Items()) != 0 {
		t.Fatalf("left %v", mem.Items())
	}
}
