package keystore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// These tests use the real OS keyring. Where none is usable they skip —
// unless PBIWB_REQUIRE_KEYRING=1 (CI), where that is a failure.
const runKeyringTests = `dbus-run-session -- sh -c 'echo pw | gnome-keyring-daemon --unlock --components=secrets; go test ./keystore/...'`

var (
	probeOnce sync.Once
	probeErr  error
)

func realKeyring(t *testing.T) *Store {
	t.Helper()
	b, prefix := realKeyringBackend(t)
	return Open(tempDirs(t), b, WithServicePrefix(prefix))
}

// realKeyringBackend is the OS keyring and a service prefix of its own for
// this test, so that it never touches real accounts; it skips the test where
// no keyring is usable.
func realKeyringBackend(t *testing.T) (Backend, string) {
	t.Helper()
	probeOnce.Do(func() { probeErr = Probe(context.Background(), NewKeyring(ProbeTimeout)) })
	if probeErr != nil {
		if os.Getenv("PBIWB_REQUIRE_KEYRING") == "1" {
			t.Fatalf("PBIWB_REQUIRE_KEYRING=1 but the OS keyring is not usable: %v", probeErr)
		}
		t.Skipf("skipping: no usable OS keyring here (%v).\nTo run the keyring tests on Linux: %s", probeErr, runKeyringTests)
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	// A service prefix of its own per run: never touches real accounts,
	// and what a failed run leaves is easy to find.
	return NewKeyring(DefaultTimeout), "pbiwb-test-" + hex.EncodeToString(r[:]) + ":"
}

func TestRealKeyringAccountLifecycle(t *testing.T) {
	s := realKeyring(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() { _, _ = s.Remove(context.Background(), "demo") })

	secrets := testSecrets("real")
	start := time.Now()
	if _, err := s.Save(ctx, testAccount("demo"), secrets); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved 4 secrets (token cache %d bytes) in %v", len(secrets[TokenCache]), time.Since(start))

	again := Open(s.dirs, NewKeyring(DefaultTimeout), WithServicePrefix(s.prefix)) // as a new process
	for k, v := range secrets {
		got, err := again.Secret(ctx, "demo", k)
		if err != nil || got != v {
			t.Fatalf("%s: %d bytes, %v", k, len(got), err)
		}
	}
	// The token cache really is chunked in the keyring.
	raw := NewKeyring(DefaultTimeout)
	svc := s.Service("demo")
	if _, err := raw.Get(ctx, svc, "token-cache#3"); err != nil {
		t.Fatalf("chunk #3 of the 9 KB token cache: %v", err)
	}

	tc := again.TokenCache("demo")
	newCache := []byte(testSecrets("refreshed")[TokenCache][:5000])
	if err := tc.Save(ctx, newCache); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if got, err := s.TokenCache("demo").Load(ctx); err != nil || string(got) != string(newCache) {
		t.Fatalf("token cache after refresh: %d bytes, %v", len(got), err)
	}
	full := time.Since(start)
	start = time.Now()
	if _, err := tc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("token cache Load: %v in full (%d bytes, chunked), %v unchanged (manifest only)", full, len(newCache), time.Since(start))

	found, err := s.Remove(ctx, "demo")
	if !found || err != nil {
		t.Fatalf("Remove: found=%v err=%v", found, err)
	}
	for _, k := range Kinds {
		for _, key := range []string{string(k), chunkKey(string(k), 0), chunkKey(string(k), 1), chunkKey(string(k), 3)} {
			if _, err := raw.Get(ctx, svc, key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after Remove, %s %s: %v", svc, key, err)
			}
		}
	}
}

func TestRealKeyringBackend(t *testing.T) {
	s := realKeyring(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, svc := s.primary, s.prefix+"backend"
	t.Cleanup(func() { _ = b.Delete(context.Background(), svc, "k") })
	if _, err := b.Get(ctx, svc, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing item: %v", err)
	}
	if err := b.Delete(ctx, svc, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a missing item: %v", err)
	}
	for _, v := range []string{"plain", "multi\nline ünïcødé", string(make([]byte, ChunkSize))} {
		if err := b.Set(ctx, svc, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Get(ctx, svc, "k"); err != nil || got != v {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(v), len(got), err)
		}
	}
	if err := Probe(ctx, b); err != nil {
		t.Fatalf("Probe: %v", err)
	}
}
