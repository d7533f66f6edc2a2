package keystore

import (
	"context"
	"errors"
	"sync"
)

// TokenCacheStore persists one account's MSAL token cache (an opaque blob
// of 6–9 KB per user) in the account's TokenCache secret. The entra package
// adapts it to MSAL's cache.ExportReplace: Replace → Load, Export → Save.
type TokenCacheStore struct {
	s    *Store
	name string

	mu   sync.Mutex
	last string // checksum of what the keyring holds, as far as we know
}

// TokenCache returns the token-cache store of the named account.
func (s *Store) TokenCache(name string) *TokenCacheStore {
	return &TokenCacheStore{s: s, name: name}
}

// Load returns the saved cache, or nil when there is none. A cache left
// incomplete by an interrupted save also reads as nil: MSAL then signs in
// again, which is better than failing. (MSAL resets its in-memory cache when
// asked to unmarshal nothing, so a caller should skip that on nil.)
func (t *TokenCacheStore) Load(ctx context.Context) ([]byte, error) {
	v, err := t.s.Secret(ctx, t.name, TokenCache)
	if errors.Is(err, ErrCorrupt) || (errors.Is(err, ErrNotFound) && !errors.Is(err, ErrAccountNotFound)) {
		t.remember("")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t.remember(v)
	return []byte(v), nil
}

// Save stores data (deletes the cache when data is empty). MSAL exports the
// whole cache around every token write; unchanged data is not written again,
// which spares the keyring a few round trips per chunk.
func (t *TokenCacheStore) Save(ctx context.Context, data []byte) error {
	v := string(data)
	t.mu.Lock()
	unchanged := t.last != "" && t.last == checksumOrEmpty(v)
	t.mu.Unlock()
	if unchanged {
		return nil
	}
	if err := t.s.SetSecret(ctx, t.name, TokenCache, v); err != nil {
		t.remember("\x00unknown") // the keyring may hold either version now
		return err
	}
	t.remember(v)
	return nil
}

func (t *TokenCacheStore) remember(v string) {
	t.mu.Lock()
	t.last = checksumOrEmpty(v)
	t.mu.Unlock()
}

func checksumOrEmpty(v string) string {
	if v == "" {
		return "empty"
	}
	return checksum(v)
}
