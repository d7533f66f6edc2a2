package keystore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// Keyring service names per home.
//
// The OS keyring is one per user, shared by every pbiwb home (--home,
// PBIWB_HOME), while accounts.json is one per home: the service name must say
// which home an account belongs to, or `accounts remove demo` in a scratch
// home deletes the secrets of the default home's demo.
//
//   - The default home's accounts use "pbiwb:<name>", the name every account
//     had before homes were told apart, so they need no migration at all.
//   - Any other home's use "pbiwb:home-<12 hex digits>:<name>", the digits
//     from the SHA-256 of the home's absolute, cleaned config directory. An
//     account name cannot contain ':', so no home's name is another's.
//   - Accounts kept in the --insecure-storage file keep "pbiwb:<name>": that
//     file lives in the home, so it is never shared.
//
// Each account records its service in accounts.json (Account.Keyring) when
// it is saved. An account of another home saved by an older pbiwb (no record)
// had its secrets in the shared "pbiwb:<name>" entry, which belongs to
// whichever home wrote it last. On first use it is adopted: the secrets are
// copied into the home's own entry and the record is written — unless the
// default home has a keyring account of that name too, in which case the
// shared entry is taken to be the default home's (it is the one place whose
// name never changed) and nothing is copied; the account then reads as having
// no secrets, with a message saying to add it again in this home. The shared
// entry is never deleted from another home: it may still be the default
// home's, or another old home may still have to adopt it. The default home's
// `pbiwb accounts remove <name>` deletes it.
//
// A recorded service that is not the home's own (the home was moved, copied,
// or reached through another spelling of its path) is adopted the same way,
// copied and never deleted, so a copy of a home never removes the original's
// secrets.

const homeTagPrefix = "home-"

// homeTag is "" for the default home, else "home-<12 hex>:" for config.
func homeTag(config string, isDefault bool) string {
	if isDefault {
		return ""
	}
	sum := sha256.Sum256([]byte(canonicalDir(config)))
	return homeTagPrefix + hex.EncodeToString(sum[:6]) + ":"
}

// canonicalDir is dir absolute and cleaned; in lower case on Windows, whose
// paths compare without regard to case. Symbolic links are not resolved: the
// directory may not exist yet, and resolving it only once it does would
// change the name between the first run and the next.
func canonicalDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	dir = filepath.Clean(dir)
	if runtime.GOOS == "windows" {
		dir = strings.ToLower(dir)
	}
	return dir
}

// Service is the keyring service holding the secrets of this home's account
// name (for accounts kept in the OS keyring).
func (s *Store) Service(name string) string { return s.prefix + s.tag + strings.ToLower(name) }

// sharedService is the name every home used before homes were told apart.
func (s *Store) sharedService(name string) string { return s.prefix + strings.ToLower(name) }

// serviceOf is where a's secrets are, once adopted.
func (s *Store) serviceOf(a Account) string {
	if a.Storage == StorageFile {
		return s.sharedService(a.Name)
	}
	return s.Service(a.Name)
}

// adoption says what adopt would do with an account.
type adoption int

const (
	adopted   adoption = iota // the secrets are in the home's own entry
	toCopy                    // copy them from another entry first
	leftAlone                 // the shared entry is the default home's: nothing to copy
)

// adoptionOf decides, without touching the keyring, for an account as read
// from accounts.json; src is the entry to copy from when toCopy.
func (s *Store) adoptionOf(a Account) (adoption, string) {
	own := s.serviceOf(a)
	src := a.Keyring
	if src == "" {
		src = s.sharedService(a.Name)
	}
	switch {
	case a.Storage == StorageFile || src == own:
		return adopted, ""
	case a.Keyring == "" && s.defaultHomeHas(a):
		return leftAlone, ""
	}
	return toCopy, src
}

// defaultHomeHas reports whether the default home has an account of a's name
// in a's storage — then the shared entry is its own. When the default home's
// accounts cannot be read, it answers yes: copying would risk taking another
// account's secrets.
func (s *Store) defaultHomeHas(a Account) bool {
	if s.defaultConfig == "" {
		return false
	}
	cf, err := readConfig(filepath.Join(s.defaultConfig, AccountsFileName))
	if err != nil {
		return true
	}
	i := find(cf, a.Name)
	return i >= 0 && cf.Accounts[i].Storage == a.Storage
}

// adopt makes sure the secrets of a (as read without the lock) are in the
// home's own entry, copying them when needed, and returns the account as it
// now is. leftAlone reports an old account whose secrets stay in the default
// home's entry.
func (s *Store) adopt(ctx context.Context, a Account, b Backend) (Account, adoption, error) {
	if what, _ := s.adoptionOf(a); what != toCopy {
		return a, what, nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return a, adopted, err
	}
	defer unlock()
	return s.adoptLocked(ctx, a.Name, b)
}

// adoptLocked is adopt with the lock held: it re-reads the account, since
// another process may have adopted it meanwhile.
func (s *Store) adoptLocked(ctx context.Context, name string, b Backend) (Account, adoption, error) {
	cf, err := readConfig(s.ConfigPath())
	if err != nil {
		return Account{}, adopted, err
	}
	i := find(cf, name)
	if i < 0 {
		return Account{}, adopted, &AccountNotFoundError{Name: name}
	}
	a := cf.Accounts[i]
	what, src := s.adoptionOf(a)
	if what != toCopy {
		return a, what, nil
	}
	own := s.serviceOf(a)
	for _, k := range Kinds {
		v, err := getValue(ctx, b, src, string(k), nil)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			continue // nothing (usable) to copy
		}
		if err == nil {
			err = setValue(ctx, b, own, string(k), v)
		}
		if err != nil {
			return a, adopted, fmt.Errorf("account %q: copy its %s into this home's own keyring entry: %w", a.Name, k.label(), err)
		}
	}
	cf.Accounts[i].Keyring = own
	if err := writeConfig(s.ConfigPath(), cf); err != nil {
		return a, adopted, fmt.Errorf("account %q: %w", a.Name, err)
	}
	return cf.Accounts[i], adopted, nil
}
