package keystore

import (
	"context"
	"errors"
	"sync"
)

// TokenCacheStore persists one account's MSAL token cache (an opaque blob
// of 6–9 KB per user) in the account's TokenCache secret. The entra package
// adapts it to MSAL's cache.ExportReplace: Replace → Load, Export → Save.
// MSAL calls Replace before every cache read and Export after every token
// write, so the store remembers what it last read or wrote: an unchanged
// cache costs one keyring call to Load and none to Save.
type TokenCacheStore struct {
	s    *Store
	name string

	mu    sync.Mutex
	known *knownValue // what the keyring holds, as far as we know; nil: unknown
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
	t.mu.Lock()
	known := t.known
	t.mu.Unlock()
	v, err := t.s.secret(ctx, t.name, TokenCache, known)
	if errors.Is(err, ErrCorrupt) || (errors.Is(err, ErrNotFound) && !errors.Is(err, ErrAccountNotFound)) {
		t.remember(&knownValue{sum: checksum("")})
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t.remember(&knownValue{sum: checksum(v), value: v})
	return []byte(v), nil
}

// Save stores data (deletes the cache when data is empty), unless the
// keyring already holds exactly data.
func (t *TokenCacheStore) Save(ctx context.Context, data []byte) error {
	v := string(data)
	sum := checksum(v)
	t.mu.Lock()
	unchanged := t.known != nil && t.known.sum == sum
	t.mu.Unlock()
	if unchanged {
		return nil
	}
	if err := t.s.SetSecret(ctx, t.name, TokenCache, v); err != nil {
		t.remember(nil) // the keyring may hold either version now
		return err
	}
	t.remember(&knownValue{sum: sum, value: v})
	return nil
}

func (t *TokenCacheStore) remember(k *knownValue) {
	t.mu.Lock()
	t.known = k
	t.mu.Unlock()
}
