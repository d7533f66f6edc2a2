package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	"github.com/pbiwb/pbiwb/connector/redact"
)

// Cache persists a Session's tokens between runs (the keystore keeps it in the
// OS keyring). The blob is opaque: MSAL's serialized cache plus what pbiwb
// needs to find its account again. nil means memory only.
type Cache interface {
	Load(ctx context.Context) ([]byte, error) // nil, nil when nothing is saved
	Save(ctx context.Context, data []byte) error
}

// blob is the saved form. MSAL's confidential client has no Accounts(), so the
// home account ID of a user signed in through it must be kept beside the MSAL
// cache (docs/sources.md, MSAL: the token cache); it is kept for every method for simplicity.
type blob struct {
	Version       int             `json:"pbiwb_token_cache"`
	HomeAccountID string          `json:"home_account_id,omitempty"`
	UserClient    string          `json:"user_client,omitempty"` // "public" or "confidential": which MSAL client holds the user's tokens
	MSAL          json.RawMessage `json:"msal,omitempty"`
}

const (
	clientPublic       = "public"
	clientConfidential = "confidential"
)

// store is the one copy of the cache shared by a Session's MSAL clients. It is
// loaded from Cache once; afterwards MSAL's own in-memory copies are current,
// so Replace only reloads a client when another client exported since.
type store struct {
	cache Cache

	mu      sync.Mutex
	loaded  bool
	msal    []byte
	version int
	meta    blob
}

func (st *store) load(ctx context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.loadLocked(ctx)
}

func (st *store) loadLocked(ctx context.Context) error {
	if st.loaded || st.cache == nil {
		st.loaded = true
		return nil
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	data, err := st.cache.Load(ctx)
	if err != nil {
		return fmt.Errorf("load the saved sign-in: %w", err)
	}
	st.loaded = true
	var b blob
	if len(data) == 0 || json.Unmarshal(data, &b) != nil || b.Version != 1 {
		return nil // nothing usable saved: sign in afresh, overwrite on the next save
	}
	st.meta, st.msal = b, b.MSAL
	registerTokens(st.msal)
	if len(st.msal) > 0 {
		st.version++
	}
	return nil
}

// setAccount records whose tokens the cache holds and saves.
func (st *store) setAccount(ctx context.Context, homeAccountID, userClient string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.meta.HomeAccountID, st.meta.UserClient = homeAccountID, userClient
	return st.saveLocked(ctx)
}

func (st *store) account() (homeAccountID, userClient string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.meta.HomeAccountID, st.meta.UserClient
}

func (st *store) saveLocked(ctx context.Context) error {
	if st.cache == nil {
		return nil
	}
	b := st.meta
	b.Version, b.MSAL = 1, st.msal
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if err := st.cache.Save(ctx, data); err != nil {
		return fmt.Errorf("save the sign-in: %w", err)
	}
	return nil
}

// accessor adapts the store to one MSAL client's cache.ExportReplace.
type accessor struct {
	st   *store
	seen int // store version this client's in-memory cache reflects
}

func (a *accessor) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	a.st.mu.Lock()
	defer a.st.mu.Unlock()
	if err := a.st.loadLocked(ctx); err != nil {
		return err
	}
	if a.seen == a.st.version || len(a.st.msal) == 0 {
		// Unmarshal of nothing would wipe MSAL's cache (A.4): skip it.
		a.seen = a.st.version
		return nil
	}
	if err := u.Unmarshal(a.st.msal); err != nil {
		return fmt.Errorf("read the saved sign-in: %w", err)
	}
	a.seen = a.st.version
	return nil
}

func (a *accessor) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	registerTokens(data)
	a.st.mu.Lock()
	defer a.st.mu.Unlock()
	a.st.msal = data
	a.st.version++
	a.seen = a.st.version
	return a.st.saveLocked(ctx)
}

// registerTokens adds the tokens of a serialized MSAL cache (each entry of its
// AccessToken, RefreshToken and IdToken sections keeps one as "secret") to
// the secrets redact masks: refresh tokens pass nowhere else.
func registerTokens(msal []byte) {
	var sections map[string]json.RawMessage
	if json.Unmarshal(msal, &sections) != nil {
		return
	}
	for _, raw := range sections {
		var entries map[string]struct {
			Secret string `json:"secret"`
		}
		if json.Unmarshal(raw, &entries) == nil {
			for _, e := range entries {
				redact.Secret(e.Secret)
			}
		}
	}
}

// withDefaultTimeout bounds Cache calls without a deadline, as MSAL's
// ExportReplace contract asks of implementors.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok && ctx.Value(capLiftedKey{}) == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, 90*time.Second)
}
