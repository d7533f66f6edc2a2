package keystore

import (
	"fmt"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/names"
)

// Account is one saved account: everything but its secrets. Every field is
// written to accounts.json in plain text, so nothing secret may go in Extra.
type Account struct {
	Name         string `json:"name"`
	Cloud        string `json:"cloud,omitempty"`
	TenantID     string `json:"tenantId"`
	ClientID     string `json:"clientId"`
	Username     string `json:"username,omitempty"`
	Auth         string `json:"auth"` // AuthBrowser, AuthPassword, AuthDeviceCode or AuthServicePrincipal
	DomoClientID string `json:"domoClientId,omitempty"`
	// HomeAccountID is MSAL's id of the signed-in user, needed to find the
	// user's tokens in the cache on the next run.
	HomeAccountID string `json:"homeAccountId,omitempty"`
	// Extra holds other small non-secret values a caller needs to keep.
	Extra map[string]string `json:"extra,omitempty"`

	// Set by the Store.
	Storage string `json:"storage"` // where the secrets are: StorageKeyring, StorageFile, ...
	// Keyring is the keyring service the home keeps the secrets under; empty
	// for an account saved by an older pbiwb (see service.go) or kept in the
	// --insecure-storage file.
	Keyring  string    `json:"keyringService,omitempty"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed"`
}

// Insecure reports whether the account's secrets are in the plain-text
// --insecure-storage file, which the caller announces with InsecureWarning.
func (a Account) Insecure() bool { return a.Storage == StorageFile }

// Auth methods.
const (
	AuthPassword         = "password"
	AuthDeviceCode       = "device-code"
	AuthServicePrincipal = "service-principal"
	AuthBrowser          = "browser" // like device code: no secret, only the token cache
)

// Kind names one of an account's secrets.
type Kind string

// Secret kinds; each is one keyring item (or several chunks).
const (
	ClientSecret     Kind = "client-secret"      // Azure app client secret
	Password         Kind = "password"           // Azure AD user password
	DomoClientSecret Kind = "domo-client-secret" // Domo API client secret
	TokenCache       Kind = "token-cache"        // MSAL's serialized token cache
	// Certificate is a service principal's certificate and private key: the
	// PEM or PFX file's bytes in standard base64 (chunked, as the token cache
	// is, where it is larger than one keyring item takes).
	Certificate         Kind = "certificate"
	CertificatePassword Kind = "certificate-password" // the PFX's password
)

// Kinds lists every secret kind.
var Kinds = []Kind{ClientSecret, Password, DomoClientSecret, TokenCache, Certificate, CertificatePassword}

func (k Kind) valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// label is the kind in words, for messages.
func (k Kind) label() string { return strings.ReplaceAll(string(k), "-", " ") }

// ValidateName checks an account name: 1 to 64 letters, digits, '.', '_' or
// '-', starting with a letter or digit (so it never looks like a flag).
func ValidateName(name string) error {
	if names.IsAccountName(name) {
		return nil
	}
	return &NameError{Name: name}
}

// NameError is an account name that does not follow the rules.
type NameError struct{ Name string }

func (e *NameError) Error() string {
	return fmt.Sprintf("account name %q is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (for example demo or contoso-prod)", e.Name)
}

func validateAccount(a Account) error {
	if err := ValidateName(a.Name); err != nil {
		return err
	}
	switch a.Auth {
	case AuthPassword, AuthDeviceCode, AuthServicePrincipal, AuthBrowser:
	default:
		return fmt.Errorf("account %q: sign-in method %q is not one of %s, %s, %s or %s", a.Name, a.Auth, AuthBrowser, AuthPassword, AuthDeviceCode, AuthServicePrincipal)
	}
	return nil
}

// ErrAccountNotFound: no saved account of that name. It matches ErrNotFound.
var ErrAccountNotFound = fmt.Errorf("account %w", ErrNotFound)

// AccountNotFoundError names the missing account.
type AccountNotFoundError struct{ Name string }

func (e *AccountNotFoundError) Error() string {
	return fmt.Sprintf("no saved account named %q (pbiwb accounts list shows the saved ones)", e.Name)
}

func (e *AccountNotFoundError) Is(target error) bool {
	return target == ErrAccountNotFound || target == ErrNotFound
}

// SecretNotFoundError is a secret kind the account has none of.
type SecretNotFoundError struct {
	Account string
	Kind    Kind
	// Shared: the account was saved by an older pbiwb in the keyring entry
	// every home shared, which is now the default home's (see service.go).
	Shared bool
}

func (e *SecretNotFoundError) Error() string {
	msg := fmt.Sprintf("account %q has no %s saved", e.Account, e.Kind.label())
	if e.Shared {
		msg += fmt.Sprintf(" in this home: an older pbiwb kept it in the keyring entry every home shared, which belongs to the default home's account %q, "+
			"so it is not taken over here; add the account again in this home (pbiwb accounts add %s ... with this --home)", e.Account, e.Account)
	}
	return msg
}

func (e *SecretNotFoundError) Is(target error) bool { return target == ErrNotFound }

// RemoveError lists the secrets Remove could not delete. The account stays
// in accounts.json so that running Remove again, once the keyring answers,
// finishes the job.
type RemoveError struct {
	Account string
	Items   []Item // what is still stored
	Err     error  // the first failure
}

func (e *RemoveError) Error() string {
	keys := make([]string, len(e.Items))
	for i, it := range e.Items {
		keys[i] = it.Service + " " + it.Key
	}
	return fmt.Sprintf("account %q was not removed: could not delete %d secret item(s) (%s): %v; the account is kept so that removing it again finishes the job",
		e.Account, len(e.Items), strings.Join(keys, ", "), e.Err)
}

func (e *RemoveError) Unwrap() error { return e.Err }
