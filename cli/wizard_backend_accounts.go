package cli

// Accounts and sign-in: saved accounts through keystore, new ones through entra.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// Accounts lists the saved accounts, and those signed in during this run
// without being saved.
func (b *wizardBackend) Accounts(ctx context.Context) ([]ui.AccountSummary, error) {
	list, err := b.deps.openStore(b.dirs, false).List() // accounts.json only: no keyring call
	if err != nil {
		return nil, err
	}
	out := make([]ui.AccountSummary, 0, len(list))
	seen := map[string]bool{}
	for _, a := range list {
		out = append(out, summaryOf(a))
		seen[strings.ToLower(a.Name)] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, s := range b.sessions {
		if !seen[key] {
			out = append(out, s.summary)
		}
	}
	return out, ctx.Err()
}

func summaryOf(a keystore.Account) ui.AccountSummary {
	return ui.AccountSummary{Name: a.Name, Method: a.Auth, Cloud: cloudOrDefault(a.Cloud), TenantID: a.TenantID,
		ClientID: a.ClientID, Username: a.Username, LastUsed: a.LastUsed, HasDomo: a.DomoClientID != ""}
}

// OpenAccount signs in with a saved account: silently from its token cache
// when it can, else with the saved password or secret, else (a device code
// account whose sign-in lapsed) with a new device code relayed on prompts.
func (b *wizardBackend) OpenAccount(ctx context.Context, name string, prompts chan<- string) (ui.AccountSummary, error) {
	if s, err := b.session(name); err == nil {
		err := b.ensureToken(ctx, s.entra, prompts)
		b.mu.Lock()
		defer b.mu.Unlock()
		if err != nil {
			return s.summary, wizardError(err)
		}
		s.summary.LastUsed = b.now()
		return s.summary, nil
	}
	cf := &credFlags{account: name, hasAccount: true}
	id, err := cf.resolve(ctx, b.g, b.quietEnv()) // moves the account's LastUsed
	if err != nil {
		return ui.AccountSummary{Name: name}, wizardError(err)
	}
	summary := summaryOf(*id.Account)
	summary.LastUsed = b.now()
	if err := b.ensureToken(ctx, id.Session, prompts); err != nil {
		return summary, wizardError(err)
	}
	b.keep(&wizardSession{summary: summary, ep: id.Endpoints, entra: id.Session,
		pbi: powerbi.New(id.Endpoints, id.Session), id: id})
	return summary, nil
}

// ensureToken gets a token now, signing in again (device code or browser) when the
// saved sign-in can no longer be renewed without the user.
func (b *wizardBackend) ensureToken(ctx context.Context, s *entra.Session, prompts chan<- string) error {
	_, err := s.Token(ctx)
	if errors.Is(err, entra.ErrInteractionRequired) {
		say := relay(ctx, prompts)
		s.UseBrowser(b.browser(say)) // a browser account: its page and messages on the screen
		_, err = s.SignIn(ctx, say)
	}
	return err
}

// browser opens a browser sign-in's page for the wizard: its messages (the
// URL to copy) go to the screen through say, never to the terminal.
func (b *wizardBackend) browser(say func(string)) entra.URLOpener {
	getenv := b.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return openBrowser(getenv, func(m string) { say(strings.TrimSpace(m)) }, wizardFace{}, "esc")
}

// relay sends Entra's device-code message to the wizard verbatim; it gives up
// when ctx is done (the wizard stopped listening).
func relay(ctx context.Context, prompts chan<- string) func(string) {
	return func(msg string) {
		if prompts == nil {
			return
		}
		select {
		case prompts <- msg:
		case <-ctx.Done():
		}
	}
}

// SignIn proves new credentials (and the Domo API client, when given) and
// keeps the signed-in session for this run; SaveAccount may then store it.
func (b *wizardBackend) SignIn(ctx context.Context, c ui.Credentials, prompts chan<- string) (ui.AccountSummary, error) {
	if err := keystore.ValidateName(c.Name); err != nil {
		return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldAccountName, msg: err.Error(), code: exitcode.Usage}
	}
	ec := entraCredentials(c)
	if p := strings.TrimSpace(c.Certificate); p != "" && ec.Method == entra.MethodServicePrincipal && ec.Certificate == nil {
		_, err := os.ReadFile(p)
		return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldCertificate, msg: fmt.Sprintf("%q cannot be read: %v", p, errors.Unwrap(err)),
			advice: "Give the path of the PEM or PFX file holding the certificate and its private key", code: exitcode.Usage}
	}
	ep, err := b.deps.endpoints(ctx, b.g, cloudOrDefault(c.Cloud))
	if err != nil {
		if !b.g.Sandbox {
			return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldCloud, msg: unwrapExit(err), code: exitcode.Usage}
		}
		return ui.AccountSummary{}, wizardError(err)
	}
	if errs := entra.ValidateCredentials(ec); len(errs) > 0 {
		return ui.AccountSummary{}, wizardError(entra.FieldErrors(errs))
	}
	cache := &memCache{}
	say := relay(ctx, prompts)
	session, err := entra.New(ep, ec, cache, entra.WithBrowser(b.browser(say)))
	if err != nil {
		return ui.AccountSummary{}, wizardError(err)
	}
	res, err := session.SignIn(ctx, say)
	if err != nil {
		return ui.AccountSummary{}, wizardError(err)
	}
	s := &wizardSession{ep: ep, entra: session, pbi: powerbi.New(ep, session), creds: &ec, cache: cache, result: res,
		domoID: strings.TrimSpace(c.DomoClientID), domoSecret: c.DomoClientSecret}
	if s.domoID != "" {
		if s.domoSecret == "" {
			return ui.AccountSummary{}, &wizardFieldError{field: ui.FieldDomoClientSecret,
				msg: "the Domo client secret is needed with a Domo client ID", advice: "Copy it from Domo: developer.domo.com › My Account › Manage Clients", code: exitcode.Usage}
		}
		s.domo = domo.New(ep, s.domoID, s.domoSecret)
		if err := s.domo.SignIn(ctx); err != nil {
			return ui.AccountSummary{}, wizardError(err)
		}
	}
	username := res.Username
	if ec.Method == entra.MethodServicePrincipal {
		username = ""
	}
	s.summary = ui.AccountSummary{Name: c.Name, Method: string(ec.Method), Cloud: accountCloud(ep), TenantID: ec.TenantID,
		ClientID: ec.ClientID, Username: username, LastUsed: b.now(), HasDomo: s.domoID != "", Notes: res.Notes}
	b.keep(s)
	return s.summary, nil
}

// entraCredentials are the wizard's answers as entra takes them: only the
// secrets the method uses (as `accounts add` asks for them).
func entraCredentials(c ui.Credentials) entra.Credentials {
	ec := entra.Credentials{TenantID: strings.TrimSpace(c.TenantID), ClientID: strings.ToLower(strings.TrimSpace(c.ClientID)),
		Username: strings.TrimSpace(c.Username), Method: entra.Method(c.Method)}
	switch ec.Method {
	case entra.MethodPassword:
		ec.Password, ec.ClientSecret = c.Password, c.ClientSecret
	case entra.MethodServicePrincipal:
		ec.ClientSecret = c.ClientSecret
		// A certificate file instead of the secret; one that cannot be read
		// is left out here (SignIn names the file, the checks the missing
		// credential).
		if p := strings.TrimSpace(c.Certificate); p != "" {
			if data, err := os.ReadFile(p); err == nil {
				ec.Certificate, ec.CertificatePassword, ec.ClientSecret = data, c.CertificatePassword, ""
			}
		}
	case entra.MethodDeviceCode, entra.MethodBrowser:
		// A device code or browser sign-in is a public client's: no secret is used or kept.
	}
	return ec
}

// SaveAccount stores the account signed in under c.Name: the identifiers in
// accounts.json, the secrets and the tokens in the OS keyring, or in the
// 0600 file when the user chose insecure storage.
func (b *wizardBackend) SaveAccount(ctx context.Context, c ui.Credentials) error {
	s, err := b.session(c.Name)
	if err != nil || s.creds == nil {
		return fmt.Errorf("account %q has not signed in with these credentials yet: sign in first", c.Name)
	}
	store := b.deps.openStore(b.dirs, c.InsecureStorage)
	if !c.InsecureStorage {
		if err := keystore.Probe(ctx, store.Backend()); err != nil {
			return keyringError(err)
		}
	}
	ec := *s.creds
	sec := keystore.Secrets{}
	if ec.Password != "" {
		sec[keystore.Password] = ec.Password
	}
	if ec.ClientSecret != "" {
		sec[keystore.ClientSecret] = ec.ClientSecret
	}
	if len(ec.Certificate) > 0 {
		sec[keystore.Certificate] = base64.StdEncoding.EncodeToString(ec.Certificate)
		if ec.CertificatePassword != "" {
			sec[keystore.CertificatePassword] = ec.CertificatePassword
		}
	}
	if s.domoID != "" {
		sec[keystore.DomoClientSecret] = s.domoSecret
	}
	if s.cache.data != nil {
		sec[keystore.TokenCache] = string(s.cache.data)
	}
	certPath := "" // kept (not secret) only when the certificate was used
	if ec.Certificate != nil {
		certPath = c.Certificate
	}
	saved, err := store.Save(ctx, keystore.Account{
		Name: c.Name, Cloud: accountCloud(s.ep), TenantID: ec.TenantID, ClientID: ec.ClientID,
		Username: s.summary.Username, Auth: string(ec.Method), DomoClientID: s.domoID, HomeAccountID: s.result.HomeAccountID,
		Extra: certificateExtra(certPath),
	}, sec)
	if err != nil {
		return keyringError(fmt.Errorf("saving account %q: %w", c.Name, err))
	}
	b.mu.Lock()
	s.summary, s.saved = summaryOf(saved), true
	b.mu.Unlock()
	return nil
}

// keyringUnavailable is keystore's "no keyring" as the wizard asks for it:
// it matches ui.ErrKeyringUnavailable, and its text leaves out keystore's
// advice to re-run with --insecure-storage, which the wizard offers itself.
type keyringUnavailable struct{ err error }

func (e *keyringUnavailable) Error() string {
	var ke *keystore.KeyringError
	if !errors.As(e.err, &ke) {
		return strings.TrimSuffix(e.err.Error(), keystore.InsecureAlternative)
	}
	what := fmt.Sprintf("%s it failed: %v", ke.Op, ke.Cause)
	if ke.Timeout > 0 {
		what = fmt.Sprintf("it did not answer within %s", ke.Timeout)
	}
	return what + "; " + keystore.KeyringFix(runtime.GOOS)
}
func (e *keyringUnavailable) Unwrap() error { return e.err }
func (e *keyringUnavailable) Is(target error) bool {
	return target == ui.ErrKeyringUnavailable
}

func keyringError(err error) error {
	if errors.Is(err, keystore.ErrNoKeyring) {
		return &keyringUnavailable{err}
	}
	return err
}
