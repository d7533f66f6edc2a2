package keystore

import (
	"errors"
	"strings"
	"testing"
)

func TestTokenCache(t *testing.T) {
	b := newFault(WindowsMaxValue)
	s := Open(tempDirs(t), b)
	ctx := ctxT(t)
	_, err := s.Save(ctx, testAccount("demo"), Secrets{Password: "p"})
	must(t, err)
	tc := s.TokenCache("demo")

	got, err := tc.Load(ctx)
	if err != nil || got != nil {
		t.Fatalf("Load with nothing saved: %q, %v", got, err)
	}
	blob := []byte(testSecrets("tc")[TokenCache])
	must(t, tc.Save(ctx, blob))
	got, err = s.TokenCache("demo").Load(ctx) // a new process
	if err != nil || string(got) != string(blob) {
		t.Fatalf("Load: %d bytes, %v", len(got), err)
	}

	// MSAL exports the whole cache around every write: unchanged data is not
	// written again.
	sets := b.sets.Load()
	must(t, tc.Save(ctx, blob))
	if b.sets.Load() != sets {
		t.Fatal("unchanged cache written again")
	}

	// Loading an unchanged chunked cache reads the manifest only; a cache
	// changed by another process is read in full.
	gets := b.gets.Load()
	if got, err := tc.Load(ctx); err != nil || string(got) != string(blob) || b.gets.Load()-gets != 1 {
		t.Fatalf("unchanged Load: %d bytes, %v, %d keyring reads", len(got), err, b.gets.Load()-gets)
	}
	other := []byte(testSecrets("other-process")[TokenCache])
	must(t, s.TokenCache("demo").Save(ctx, other))
	if got, err := tc.Load(ctx); err != nil || string(got) != string(other) {
		t.Fatalf("Load after another process saved: %d bytes, %v", len(got), err)
	}

	// A torn cache reads as none (MSAL signs in again) rather than failing.
	must(t, b.MemoryBackend.Set(ctx, s.Service("demo"), "token-cache#1", "garbage"))
	got, err = s.TokenCache("demo").Load(ctx)
	if err != nil || got != nil {
		t.Fatalf("torn cache: %d bytes, %v", len(got), err)
	}

	must(t, tc.Save(ctx, nil))
	if _, err := s.Secret(ctx, "demo", TokenCache); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty Save should delete: %v", err)
	}
	for _, it := range b.Items() {
		if strings.HasPrefix(it.Key, "token-cache") {
			t.Fatalf("left %v", it)
		}
	}

	if _, err := s.TokenCache("ghost").Load(ctx); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("Load for a missing account: %v", err)
	}
}
