package keystore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/home"
)

// faultBackend wraps a MemoryBackend to count calls and inject failures.
type faultBackend struct {
	*MemoryBackend
	sets, gets, dels atomic.Int64
	mu               sync.Mutex
	failSet          func(key string) error
	failDelete       func(key string) error
}

func newFault(max int) *faultBackend { return &faultBackend{MemoryBackend: NewMemoryBackend(max)} }

func (f *faultBackend) Set(ctx context.Context, s, k, v string) error {
	f.sets.Add(1)
	f.mu.Lock()
	fail := f.failSet
	f.mu.Unlock()
	if fail != nil {
		if err := fail(k); err != nil {
			return err
		}
	}
	return f.MemoryBackend.Set(ctx, s, k, v)
}

func (f *faultBackend) Get(ctx context.Context, s, k string) (string, error) {
	f.gets.Add(1)
	return f.MemoryBackend.Get(ctx, s, k)
}

func (f *faultBackend) Delete(ctx context.Context, s, k string) error {
	f.dels.Add(1)
	f.mu.Lock()
	fail := f.failDelete
	f.mu.Unlock()
	if fail != nil {
		if err := fail(k); err != nil {
			return err
		}
	}
	return f.MemoryBackend.Delete(ctx, s, k)
}

var errLocked = &KeyringError{Op: "deleting a secret from", Cause: errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'")}

// testSecrets returns realistic secrets; the token cache is 9 KB of JSON-ish
// text with a multi-byte character or two, so chunk cuts meet UTF-8.
func testSecrets(tag string) Secrets {
	var cache strings.Builder
	cache.WriteString(`{"AccessToken":{"` + tag + `-é-`)
	for cache.Len() < 9*1024 {
		cache.WriteString("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.ü." + tag)
	}
	cache.WriteString(`"}}`)
	return Secrets{
		ClientSecret:     "cs~" + tag + "~Q8Q~abcdefghijklmnopqrstuvwxyz012345",
		Password:         "pw-" + tag + "-Correct horse battery staple!",
		DomoClientSecret: "domo-" + tag + "-0123456789abcdef0123456789abcdef0123456789abcdef",
		TokenCache:       cache.String(),
		// A PFX's bytes in base64, over one keyring item: chunked too.
		Certificate:         strings.Repeat("MIIKPAIBAzCCCfYGCSqGSIb3DQEHAaCCCecEggnj"+tag, 100),
		CertificatePassword: "pfx-" + tag + "-password",
	}
}

func testAccount(name string) Account {
	return Account{
		Name: name, Cloud: "public", Auth: AuthPassword,
		TenantID: "00000000-0000-4000-8000-00000000a001", ClientID: "00000000-0000-4000-8000-0000000a0001",
		Username: "megan@contoso.example", DomoClientID: "sandbox-domo-client",
	}
}

func tempDirs(t *testing.T) home.Dirs {
	d := t.TempDir()
	return home.Dirs{Config: d + "/config", State: d + "/state"}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// assertNoSecret fails when text shows any of the secrets (or a long
// enough piece of one to matter).
func assertNoSecret(t *testing.T, what, text string, secrets Secrets) {
	t.Helper()
	for k, v := range secrets {
		probe := v
		if len(probe) > 24 {
			probe = probe[:24]
		}
		if probe != "" && strings.Contains(text, probe) {
			t.Fatalf("%s shows the %s", what, k)
		}
	}
}
