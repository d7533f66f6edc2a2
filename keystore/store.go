package keystore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/home"
)

// DefaultServicePrefix starts every account's keyring service name.
const DefaultServicePrefix = "pbiwb:"

// Store is the saved accounts of one pbiwb home. Its methods are safe for
// concurrent use, also across processes (see the package comment).
type Store struct {
	dirs    home.Dirs
	primary Backend
	prefix  string
	tag     string // "" for the default home, else its "home-<hex>:" (see service.go)
	// defaultConfig is the default home's config directory, "" when this is
	// it or when there is none.
	defaultConfig string
	now           func() time.Time
}

// Option adjusts a Store.
type Option func(*Store)

// WithServicePrefix replaces DefaultServicePrefix (tests use a unique one
// per run so that they never touch real accounts).
func WithServicePrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithClock sets the clock used for Created and LastUsed.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open returns the store for dirs. New and re-saved accounts keep their
// secrets in backend; accounts saved earlier elsewhere (the keyring, or the
// --insecure-storage file) are still read from where they were saved.
func Open(dirs home.Dirs, backend Backend, opts ...Option) *Store {
	s := &Store{dirs: dirs, primary: backend, prefix: DefaultServicePrefix, now: time.Now}
	if def, err := home.Resolve(""); err == nil {
		s.defaultConfig = def.Config
	}
	for _, o := range opts {
		o(s)
	}
	isDefault := s.defaultConfig != "" && canonicalDir(s.defaultConfig) == canonicalDir(dirs.Config)
	if isDefault {
		s.defaultConfig = ""
	}
	s.tag = homeTag(dirs.Config, isDefault)
	return s
}

// Secrets to write with Save: a kind present is set to its value, or deleted
// when the value is empty; a kind absent is left as it is — except for a new
// account, which starts with only the secrets given.
type Secrets map[Kind]string

// ConfigPath is the accounts file.
func (s *Store) ConfigPath() string { return filepath.Join(s.dirs.Config, AccountsFileName) }

// InsecurePath is the --insecure-storage file; accounts whose Storage is
// StorageFile keep their secrets there, and every use is to be announced
// with InsecureWarning.
func (s *Store) InsecurePath() string { return filepath.Join(s.dirs.Config, InsecureFileName) }

// Backend is where new secrets go.
func (s *Store) Backend() Backend { return s.primary }

// List returns the saved accounts, the one used last first.
func (s *Store) List() ([]Account, error) {
	cf, err := readConfig(s.ConfigPath())
	if err != nil {
		return nil, err
	}
	out := append([]Account(nil), cf.Accounts...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].LastUsed.Equal(out[j].LastUsed) {
			return out[i].LastUsed.After(out[j].LastUsed)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Get returns one account; names compare without regard to case.
func (s *Store) Get(name string) (Account, error) {
	if err := ValidateName(name); err != nil {
		return Account{}, err
	}
	cf, err := readConfig(s.ConfigPath())
	if err != nil {
		return Account{}, err
	}
	i := find(cf, name)
	if i < 0 {
		return Account{}, &AccountNotFoundError{Name: name}
	}
	return cf.Accounts[i], nil
}

// Save creates or updates an account and its secrets (see Secrets), and marks
// it used now. It fills in Storage, Created and LastUsed and returns the
// account as saved. When the sign-in identity (cloud, tenant, client ID,
// username or method) changes, the token cache is deleted unless given.
// If saving a new account's secrets fails, those already written are deleted.
func (s *Store) Save(ctx context.Context, a Account, secrets Secrets) (Account, error) {
	if err := validateAccount(a); err != nil {
		return Account{}, err
	}
	for k := range secrets {
		if !k.valid() {
			return Account{}, fmt.Errorf("save account %q: unknown secret kind %q", a.Name, k)
		}
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return Account{}, err
	}
	defer unlock()
	cf, err := readConfig(s.ConfigPath())
	if err != nil {
		return Account{}, err
	}
	idx := find(cf, a.Name)
	if idx >= 0 && cf.Accounts[idx].Storage == s.primary.Kind() {
		// The secrets this save keeps must be in the home's own entry.
		if _, _, err := s.adoptLocked(ctx, a.Name, s.primary); err != nil {
			return Account{}, fmt.Errorf("save account %q: %w", a.Name, err)
		}
		if cf, err = readConfig(s.ConfigPath()); err != nil {
			return Account{}, err
		}
	}
	now := s.now().UTC()
	a.Storage, a.Created, a.LastUsed = s.primary.Kind(), now, now

	writes := Secrets{}
	var previous *Account // a copy: cf.Accounts[idx] is overwritten below
	if idx >= 0 {
		p := cf.Accounts[idx]
		previous = &p
		a.Created = p.Created
	}
	moved := previous != nil && previous.Storage != a.Storage
	if previous == nil || moved {
		for _, k := range Kinds {
			writes[k] = "" // a fresh start: only the secrets given
		}
	} else if previous.identity() != a.identity() {
		writes[TokenCache] = ""
	}
	for k, v := range secrets {
		writes[k] = v
	}

	svc := s.serviceOf(a)
	if a.Storage != StorageFile {
		a.Keyring = svc
	}
	if err := s.apply(ctx, s.primary, svc, writes); err != nil {
		// Leave nothing of a failed new account — unless the keyring itself
		// failed: it would only time out again, once per kind. What is left
		// is cleared by the next Save of this name (a fresh start) or Remove.
		if previous == nil && !errors.Is(err, ErrNoKeyring) {
			s.deleteAll(ctx, s.primary, svc)
		}
		return Account{}, fmt.Errorf("save account %q: %w", a.Name, err)
	}
	if idx >= 0 {
		cf.Accounts[idx] = a
	} else {
		cf.Accounts = append(cf.Accounts, a)
	}
	if err := writeConfig(s.ConfigPath(), cf); err != nil {
		return Account{}, fmt.Errorf("save account %q: %w", a.Name, err)
	}
	if moved {
		// The secrets now live in the new storage; the old copies must go.
		old, err := s.backendFor(*previous)
		if err == nil {
			_, err = s.removeSecrets(ctx, old, *previous)
		}
		if err != nil {
			return a, fmt.Errorf("account %q is saved, but its secrets in the previous storage (%s) could not be deleted: %w", a.Name, previous.Storage, err)
		}
	}
	return a, nil
}

// Secret returns one secret of an account; an error matching ErrNotFound
// when none is saved.
func (s *Store) Secret(ctx context.Context, name string, kind Kind) (string, error) {
	return s.secret(ctx, name, kind, nil)
}

func (s *Store) secret(ctx context.Context, name string, kind Kind, known *knownValue) (string, error) {
	a, b, err := s.accountBackend(name, kind)
	if err != nil {
		return "", err
	}
	a, what, err := s.adopt(ctx, a, b)
	if err != nil {
		return "", err
	}
	svc := s.serviceOf(a)
	v, err := getValue(ctx, b, svc, string(kind), known)
	if errors.Is(err, ErrCorrupt) {
		// Perhaps a writer was half-way: read again once it has finished.
		unlock, lerr := s.lock(ctx)
		if lerr != nil {
			return "", lerr
		}
		v, err = getValue(ctx, b, svc, string(kind), known)
		unlock()
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return "", &SecretNotFoundError{Account: a.Name, Kind: kind, Shared: what == leftAlone}
	case errors.Is(err, ErrCorrupt):
		return "", fmt.Errorf("the saved %s of account %q is incomplete (an earlier save was interrupted); save it again: %w", kind.label(), a.Name, err)
	case err != nil:
		return "", fmt.Errorf("read the %s of account %q: %w", kind.label(), a.Name, err)
	}
	return v, nil
}

// SetSecret sets one secret of a saved account; an empty value deletes it.
func (s *Store) SetSecret(ctx context.Context, name string, kind Kind, value string) error {
	a, b, err := s.accountBackend(name, kind)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if a, _, err = s.adoptLocked(ctx, a.Name, b); err != nil {
		return err
	}
	if err := s.apply(ctx, b, s.serviceOf(a), Secrets{kind: value}); err != nil {
		return fmt.Errorf("save the %s of account %q: %w", kind.label(), a.Name, err)
	}
	return nil
}

// Remove deletes an account's secrets (every kind, every chunk, leftovers of
// interrupted writes included) and then its entry in accounts.json. It is
// idempotent; found reports whether there was anything to remove. When a
// secret cannot be deleted the entry is kept and the error is a *RemoveError
// listing what is left, so that running Remove again finishes the job.
func (s *Store) Remove(ctx context.Context, name string) (found bool, err error) {
	if err := ValidateName(name); err != nil {
		return false, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	cf, err := readConfig(s.ConfigPath())
	if err != nil {
		return false, err
	}
	idx := find(cf, name)
	a := Account{Name: name, Storage: s.primary.Kind()}
	if idx >= 0 {
		a = cf.Accounts[idx]
	}
	b, err := s.backendFor(a)
	if err != nil {
		return false, err
	}
	existed, err := s.removeSecrets(ctx, b, a)
	if err != nil {
		return idx >= 0 || existed, err
	}
	if idx < 0 {
		return existed, nil
	}
	cf.Accounts = append(cf.Accounts[:idx], cf.Accounts[idx+1:]...)
	if err := writeConfig(s.ConfigPath(), cf); err != nil {
		return true, fmt.Errorf("remove account %q: %w", name, err)
	}
	return true, nil
}

// Touch marks an account used now, so List puts it first.
func (s *Store) Touch(ctx context.Context, name string) error {
	return s.update(ctx, name, func(a *Account) { a.LastUsed = s.now().UTC() })
}

// Update changes an account's non-secret fields in place (e.g. to record
// HomeAccountID after the first sign-in), without touching its secrets.
func (s *Store) Update(ctx context.Context, name string, change func(*Account)) error {
	return s.update(ctx, name, func(a *Account) {
		keep := *a
		change(a)
		a.Name, a.Storage, a.Created, a.Keyring = keep.Name, keep.Storage, keep.Created, keep.Keyring
	})
}

func (s *Store) update(ctx context.Context, name string, change func(*Account)) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	cf, err := readConfig(s.ConfigPath())
	if err != nil {
		return err
	}
	i := find(cf, name)
	if i < 0 {
		return &AccountNotFoundError{Name: name}
	}
	change(&cf.Accounts[i])
	if err := validateAccount(cf.Accounts[i]); err != nil {
		return err
	}
	return writeConfig(s.ConfigPath(), cf)
}

// apply sets or deletes secrets, in the fixed order of Kinds.
func (s *Store) apply(ctx context.Context, b Backend, svc string, writes Secrets) error {
	for _, k := range Kinds {
		v, ok := writes[k]
		switch {
		case !ok:
		case v == "":
			if _, _, err := deleteValue(ctx, b, svc, string(k)); err != nil {
				return fmt.Errorf("delete the %s: %w", k.label(), err)
			}
		default:
			if err := setValue(ctx, b, svc, string(k), v); err != nil {
				return fmt.Errorf("save the %s: %w", k.label(), err)
			}
		}
	}
	return nil
}

// removeSecrets deletes every kind; a *RemoveError lists what is left.
// Only the home's own entry goes: an old account's shared one is left to
// the default home (see service.go).
func (s *Store) removeSecrets(ctx context.Context, b Backend, a Account) (existed bool, err error) {
	svc := s.serviceOf(a)
	var left []Item
	var first error
	for _, k := range Kinds {
		failed, ex, err := deleteValue(ctx, b, svc, string(k))
		existed = existed || ex
		for _, key := range failed {
			left = append(left, Item{Service: svc, Key: key})
		}
		if err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return existed, &RemoveError{Account: a.Name, Items: left, Err: first}
	}
	return existed, nil
}

func (s *Store) deleteAll(ctx context.Context, b Backend, svc string) {
	for _, k := range Kinds {
		_, _, _ = deleteValue(ctx, b, svc, string(k))
	}
}

func (s *Store) accountBackend(name string, kind Kind) (Account, Backend, error) {
	if !kind.valid() {
		return Account{}, nil, fmt.Errorf("unknown secret kind %q", kind)
	}
	a, err := s.Get(name)
	if err != nil {
		return Account{}, nil, err
	}
	b, err := s.backendFor(a)
	return a, b, err
}

// backendFor is where a's secrets were saved.
func (s *Store) backendFor(a Account) (Backend, error) {
	switch a.Storage {
	case s.primary.Kind():
		return s.primary, nil
	case StorageFile:
		return NewFileBackend(s.dirs), nil
	case StorageKeyring:
		return DefaultBackend(), nil
	}
	return nil, fmt.Errorf("account %q keeps its secrets in %q, which this pbiwb cannot open; remove the account and add it again", a.Name, a.Storage)
}

func (s *Store) lock(ctx context.Context) (func(), error) {
	return lockFile(ctx, filepath.Join(s.dirs.Config, "accounts.lock"))
}

func find(cf *configFile, name string) int {
	for i, a := range cf.Accounts {
		if strings.EqualFold(a.Name, name) {
			return i
		}
	}
	return -1
}

type identity struct{ cloud, tenant, client, user, auth string }

func (a Account) identity() identity {
	return identity{a.Cloud, a.TenantID, a.ClientID, strings.ToLower(a.Username), a.Auth}
}
