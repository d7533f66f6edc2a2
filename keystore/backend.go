package keystore

import (
	"context"
	"errors"
	"fmt"
)

// Backend stores secret strings by service and key. Get and Delete return an
// error matching ErrNotFound when the item does not exist. Implementations
// honour ctx: a call that cannot finish before ctx is done returns an error.
type Backend interface {
	Set(ctx context.Context, service, key, value string) error
	Get(ctx context.Context, service, key string) (string, error)
	Delete(ctx context.Context, service, key string) error
	// Kind names the storage; it is recorded with each account so that the
	// account's secrets are looked up where they were saved.
	Kind() string
}

// Storage kinds (Backend.Kind, Account.Storage).
const (
	StorageKeyring = "keyring"       // the OS keyring through go-keyring
	StorageFile    = "insecure-file" // --insecure-storage: a 0600 plain-text file
	StorageMemory  = "memory"        // in-memory, for tests
)

var (
	// ErrNotFound: no such secret (or account, for ErrAccountNotFound).
	ErrNotFound = errors.New("not found")
	// ErrValueTooBig: the backend refused a value as too large.
	ErrValueTooBig = errors.New("value too big for the keyring")
	// ErrNoKeyring: the OS keyring is not reachable, is locked, or did not
	// answer in time. The error carrying it (*KeyringError) names the fix.
	ErrNoKeyring = errors.New("OS keyring unavailable")
)

// TooBigError says how large a refused value was.
type TooBigError struct {
	Size, Max int // Max is 0 when the backend does not say
}

func (e *TooBigError) Error() string {
	if e.Max > 0 {
		return fmt.Sprintf("the keyring refused a value of %d bytes (at most %d bytes fit in one item)", e.Size, e.Max)
	}
	return fmt.Sprintf("the keyring refused a value of %d bytes as too big", e.Size)
}

func (e *TooBigError) Is(target error) bool { return target == ErrValueTooBig }
