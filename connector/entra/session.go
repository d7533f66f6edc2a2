// Package entra signs in to Entra ID (Azure AD) for the Power BI API of one
// cloud with MSAL Go, in the browser, by username and password, device code or
// service principal, reuses tokens across runs through a persisted cache, and
// turns every failure into advice for a person (*Error).
//
// Browser: MSAL Go's AcquireTokenInteractive (authorization code with PKCE,
// redirect to http://localhost:PORT, where MSAL listens for the answer). The
// face opens the page (WithBrowser); the wait ends with the answer, the
// context, or the opener's abort.
//
// Username and password: MSAL's public client with the tenant's authority
// (never /common). When the app registration has "Allow public client flows"
// off, Entra answers AADSTS7000218; if the user gave the client secret, the
// Session then signs in as a confidential client with the secret added to the
// password grant (MSAL Go sends none there, docs/sources.md, MSAL: username and password), and
// Result.Notes still advises turning the setting on, as the seed's set-up
// says. A client secret given with the password method is first proved by an
// app-only (client credentials) request, so a wrong secret, a pasted Secret
// ID or an expired secret is named at once.
//
// The saved cache (Cache) holds MSAL's token cache and the home account ID of
// the signed-in user, which a confidential client needs to find its tokens.
package entra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
)

// Session signs one identity in and hands out access tokens for Power BI. It
// is safe for concurrent use.
type Session struct {
	ep    cloud.Endpoints
	creds Credentials
	st    *store
	now   func() time.Time
	open  URLOpener
	// timeout bounds each request to Entra ID (WithRequestTimeout); 0 is
	// DefaultRequestTimeout.
	timeout time.Duration

	mu   sync.Mutex
	pub  *public.Client       // user flows through the public client
	conf *confidential.Client // service principal, secret proof, and the secret-injected password grant
	last tokenMemo
}

// tokenMemo is the last access token handed out. MSAL does not cache tokens
// with 5 minutes or less left, so without it a short-lived token (the
// sandbox's --token-lifetime) would be refreshed on every call.
type tokenMemo struct {
	token   string
	expires time.Time
}

// reuseMargin: a token is handed out again only while it has this long left,
// so a request that starts with it does not arrive expired.
const reuseMargin = time.Minute

// Option changes a Session.
type Option func(*Session)

// WithClock replaces time.Now for deciding when a handed-out token is too
// old to hand out again (tests).
func WithClock(now func() time.Time) Option { return func(s *Session) { s.now = now } }

// URLOpener opens a browser sign-in's page for the person, or shows its URL
// when it cannot, and returns without waiting for the sign-in. If it learns
// later that the page will never be used (the browser command failed), it
// calls abort, which ends the wait with that error.
type URLOpener func(url string, abort func(error)) error

// WithBrowser is how the browser method opens its sign-in page.
func WithBrowser(open URLOpener) Option { return func(s *Session) { s.open = open } }

// UseBrowser replaces how the browser method opens its sign-in page, for a
// session made before the face that will show it (a saved account opened
// in the wizard).
func (s *Session) UseBrowser(open URLOpener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = open
}

// Result describes a successful SignIn.
type Result struct {
	Method        Method
	Username      string    // the signed-in user; "" for a service principal
	HomeAccountID string    // MSAL's account ID (<oid>.<tid>); also kept in the Cache
	ExpiresOn     time.Time // of the access token just obtained
	// PublicClientFlows is false when the app registration refused public
	// client flows and the password sign-in used the client secret instead.
	PublicClientFlows bool
	SecretVerified    bool     // the client secret was proved by an app-only request
	Notes             []string // advice that did not stop the sign-in, settings named plainly

	notes []string // Notes as templates naming settings ({auth method=browser}), for NotesIn

	// recommend is a one-line notice that a better sign-in method exists
	// (a template, as notes): for the password method, the browser.
	recommend string
}

// RecommendIn is the notice that a better sign-in method exists, with the
// settings it names worded by n; "" when the method used is the one to use.
// Faces that do not offer that method yet leave it out.
func (r Result) RecommendIn(n field.Namer) string {
	if r.recommend == "" {
		return ""
	}
	return field.Render(r.recommend, n)
}

// NotesIn is Notes with the settings they refer to named by n, as Error.FixIn.
func (r Result) NotesIn(n field.Namer) []string {
	if len(r.notes) != len(r.Notes) {
		return r.Notes
	}
	out := make([]string, len(r.notes))
	for i, t := range r.notes {
		out[i] = field.Render(t, n)
	}
	return out
}

// note adds a note whose template may name settings.
func (r *Result) note(tmpl string) {
	r.notes = append(r.notes, tmpl)
	r.Notes = append(r.Notes, field.Render(tmpl, field.Plain{}))
}

// passwordNotice is the notice of every password sign-in: MSAL has deprecated
// the password grant for public clients (docs/sources.md, MSAL: username and
// password), and it fails for every user under MFA.
const passwordNotice = "Password sign-in is deprecated by Microsoft and fails once MFA is required; browser sign-in ({auth method=browser}) works with MFA and Conditional Access."

// New checks c (ValidateCredentials; a FieldErrors error when invalid) and
// prepares a session; nothing is sent until SignIn or Token.
func New(ep cloud.Endpoints, c Credentials, cache Cache, opts ...Option) (*Session, error) {
	c = c.normalize()
	if errs := ValidateCredentials(c); len(errs) > 0 {
		return nil, FieldErrors(errs)
	}
	if ep.AuthorityHost == "" || ep.Resource == "" {
		return nil, errors.New("entra: endpoints lack the login host or the Power BI resource")
	}
	redact.Secret(c.ClientSecret, c.Password, c.CertificatePassword) // masked wherever pbiwb shows or stores text
	s := &Session{ep: ep, creds: c, st: &store{cache: cache}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Method is the session's sign-in method.
func (s *Session) Method() Method { return s.creds.Method }

// SignIn signs in now, whatever is cached: the first sign-in that proves the
// credentials (accounts add) or a renewed one after ErrInteractionRequired.
// For the device code method, prompt receives Entra's message verbatim (the
// URL and the code to enter); it must show it to the user. The returned error
// is an *Error or a FieldErrors-free wrapped error (cache failures).
func (s *Session) SignIn(ctx context.Context, prompt func(message string)) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.load(ctx); err != nil {
		return Result{}, err
	}
	ctx, cancel := liftMSALCap(ctx)
	defer cancel()
	res, err := s.signIn(ctx, prompt)
	if err != nil {
		return Result{}, explain(err, s.loginHost(), s.creds)
	}
	return res, nil
}

func (s *Session) signIn(ctx context.Context, prompt func(string)) (Result, error) {
	scopes := []string{s.ep.Scope()}
	switch s.creds.Method {
	case MethodServicePrincipal:
		conf, err := s.confidentialClient()
		if err != nil {
			return Result{}, err
		}
		ar, err := conf.AcquireTokenByCredential(ctx, scopes)
		if err != nil {
			return Result{}, err
		}
		s.remember(ar.AccessToken, ar.ExpiresOn)
		res := Result{Method: MethodServicePrincipal, ExpiresOn: ar.ExpiresOn, SecretVerified: true}
		res.note(SPRestrictions)
		return res, nil

	case MethodBrowser:
		ar, err := s.interactive(ctx)
		if err != nil {
			return Result{}, err
		}
		res := Result{PublicClientFlows: true}
		s.noteOtherUser(&res, ar, "in the browser")
		return s.userResult(ctx, ar, clientPublic, res)

	case MethodDeviceCode:
		if prompt == nil {
			return Result{}, errors.New("device code sign-in needs a way to show its message to the user")
		}
		pub, err := s.publicClient()
		if err != nil {
			return Result{}, err
		}
		dc, err := pub.AcquireTokenByDeviceCode(ctx, scopes)
		if err != nil {
			return Result{}, err
		}
		prompt(dc.Result.Message)
		ar, err := dc.AuthenticationResult(ctx)
		if err != nil {
			return Result{}, err
		}
		res := Result{PublicClientFlows: true}
		s.noteOtherUser(&res, ar, "in the browser")
		return s.userResult(ctx, ar, clientPublic, res)

	default: // MethodPassword
		var res Result
		if s.creds.ClientSecret != "" {
			if err := s.proveSecret(ctx); err != nil {
				return Result{}, err
			}
			res.SecretVerified = true
		}
		ar, client, err := s.passwordGrant(ctx)
		if err != nil {
			return Result{}, err
		}
		res.PublicClientFlows = client == clientPublic
		if client == clientConfidential {
			res.note("The app registration does not allow public client flows, so pbiwb signed in by sending the client secret with the password. " +
				"The set-up pbiwb documents turns them on: " + publicFlowsFix)
		}
		res.recommend = passwordNotice
		return s.userResult(ctx, ar, client, res)
	}
}

// interactive is the browser sign-in: MSAL opens the page through s.open and
// waits on its localhost listener; an abort from the opener ends the wait.
func (s *Session) interactive(ctx context.Context) (public.AuthResult, error) {
	if s.open == nil {
		return public.AuthResult{}, errors.New("browser sign-in needs a way to open the browser")
	}
	pub, err := s.publicClient()
	if err != nil {
		return public.AuthResult{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	opts := []public.AcquireInteractiveOption{public.WithOpenURL(func(u string) error { return s.open(u, cancel) })}
	if s.creds.Username != "" {
		opts = append(opts, public.WithLoginHint(s.creds.Username))
	}
	ar, err := pub.AcquireTokenInteractive(ctx, []string{s.ep.Scope()}, opts...)
	if errors.Is(err, context.Canceled) { // MSAL stopped waiting: the opener's abort, or the caller's cancel
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return ar, (&Error{Field: field.AuthMethod, Err: cause, Summary: "the browser sign-in did not finish: " + redact.Message(cause.Error()) + "."}).
				withFix("Where no browser can be used, sign in with the device code ({auth method=device-code}).")
		}
	}
	return ar, err
}

// noteOtherUser notes a sign-in as someone else than the username given.
func (s *Session) noteOtherUser(res *Result, ar public.AuthResult, where string) {
	if u := s.creds.Username; u != "" && !strings.EqualFold(u, ar.Account.PreferredUsername) {
		res.note(fmt.Sprintf("Signed in as %s %s, not as %s: the tokens are %s's.",
			ar.Account.PreferredUsername, where, u, ar.Account.PreferredUsername))
	}
}

// passwordGrant signs in with username and password: public client first;
// on AADSTS7000218, with a client secret, as a confidential client with the
// secret injected into the password grant.
func (s *Session) passwordGrant(ctx context.Context) (ar public.AuthResult, client string, err error) {
	scopes := []string{s.ep.Scope()}
	pub, err := s.publicClient()
	if err != nil {
		return ar, "", err
	}
	//lint:ignore SA1019 ROPC is deprecated in MSAL Go but is the Credentials screen's flow; see the package doc.
	ar, err = pub.AcquireTokenByUsernamePassword(ctx, scopes, s.creds.Username, s.creds.Password)
	if err == nil {
		return ar, clientPublic, nil
	}
	if a, ok := aadErrorOf(err); !ok || len(a.Codes) == 0 || a.Codes[0] != 7000218 || s.creds.ClientSecret == "" {
		return ar, "", err
	}
	conf, cerr := s.confidentialClient()
	if cerr != nil {
		return ar, "", cerr
	}
	ar, err = conf.AcquireTokenByUsernamePassword(ctx, scopes, s.creds.Username, s.creds.Password)
	return ar, clientConfidential, err
}

// proveSecret asks for an app-only token: Entra ID checks the secret there
// first, so a wrong secret, a pasted Secret ID or an expired secret fails with
// its own code before the password is tried.
// The proof uses a client without the persisted cache: the app-only token is
// of no use to a password session and would only enlarge what the keyring holds.
func (s *Session) proveSecret(ctx context.Context) error {
	conf, err := s.newConfidentialClient(nil)
	if err != nil {
		return err
	}
	_, err = conf.AcquireTokenByCredential(ctx, []string{s.ep.Scope()})
	return err
}

func (s *Session) userResult(ctx context.Context, ar public.AuthResult, client string, res Result) (Result, error) {
	s.remember(ar.AccessToken, ar.ExpiresOn)
	if err := s.st.setAccount(ctx, ar.Account.HomeAccountID, client); err != nil {
		return Result{}, err
	}
	res.Method = s.creds.Method
	res.Username = ar.Account.PreferredUsername
	res.HomeAccountID = ar.Account.HomeAccountID
	res.ExpiresOn = ar.ExpiresOn
	return res, nil
}

// Token returns a Power BI access token: the last one while it is fresh, else
// MSAL's cached one, else a refreshed one (refresh token, or client
// credentials for a service principal). A password session whose refresh
// fails signs in again with the password it holds; a device code session
// returns an *Error wrapping ErrInteractionRequired. Safe to call from the
// middle of a long push, concurrently.
func (s *Session) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.token != "" && s.now().Add(reuseMargin).Before(s.last.expires) {
		return s.last.token, nil
	}
	if err := s.st.load(ctx); err != nil {
		return "", err
	}
	ctx, cancel := liftMSALCap(ctx)
	defer cancel()
	tok, err := s.token(ctx)
	if err != nil {
		return "", explain(err, s.loginHost(), s.creds)
	}
	return tok, nil
}

func (s *Session) token(ctx context.Context) (string, error) {
	scopes := []string{s.ep.Scope()}
	if s.creds.Method == MethodServicePrincipal {
		conf, err := s.confidentialClient()
		if err != nil {
			return "", err
		}
		ar, err := conf.AcquireTokenByCredential(ctx, scopes) // from MSAL's cache while valid
		if err != nil {
			return "", err
		}
		s.remember(ar.AccessToken, ar.ExpiresOn)
		return ar.AccessToken, nil
	}

	ar, silentErr := s.silent(ctx, scopes)
	if silentErr == nil {
		s.remember(ar.AccessToken, ar.ExpiresOn)
		return ar.AccessToken, nil
	}
	if a, ok := aadErrorOf(silentErr); ok && !isRenewable(a) {
		return "", silentErr // e.g. the secret expired meanwhile: say so, don't retry blindly
	}
	if s.creds.Method == MethodPassword {
		// Non-interactive: sign in again with the password the session holds.
		ar, client, err := s.passwordGrant(ctx)
		if err != nil {
			return "", err
		}
		if _, err := s.userResult(ctx, ar, client, Result{}); err != nil {
			return "", err
		}
		return ar.AccessToken, nil
	}
	if _, ok := aadErrorOf(silentErr); ok {
		return "", silentErr // explain marks the expired-grant codes as interaction required
	}
	how := "with the device code"
	if s.creds.Method == MethodBrowser {
		how = "in the browser"
	}
	return "", &Error{Err: errors.Join(ErrInteractionRequired, silentErr),
		Summary: "there is no saved sign-in for this account (or it was cleared).",
		Fix:     "Sign in again " + how + " (pbiwb accounts add, or the wizard)."}
}

// isRenewable reports whether a failed silent call can be fixed by signing in
// again: the refresh token is gone, not the app or the user.
func isRenewable(a aadBody) bool {
	if len(a.Codes) == 0 {
		return a.Error == "invalid_grant" || a.Error == "interaction_required"
	}
	adv, ok := adviceByCode[a.Codes[0]]
	return ok && adv.interaction
}

// silent gets the user's token from MSAL's cache or by refresh token.
func (s *Session) silent(ctx context.Context, scopes []string) (public.AuthResult, error) {
	homeID, client := s.st.account()
	if homeID == "" {
		return public.AuthResult{}, errNoSavedAccount
	}
	if client == clientConfidential {
		conf, err := s.confidentialClient()
		if err != nil {
			return public.AuthResult{}, err
		}
		acct, err := conf.Account(ctx, homeID)
		if err != nil {
			return public.AuthResult{}, err
		}
		if acct.HomeAccountID == "" {
			return public.AuthResult{}, errNoSavedAccount
		}
		return conf.AcquireTokenSilent(ctx, scopes, confidential.WithSilentAccount(acct))
	}
	pub, err := s.publicClient()
	if err != nil {
		return public.AuthResult{}, err
	}
	accts, err := pub.Accounts(ctx)
	if err != nil {
		return public.AuthResult{}, err
	}
	for _, a := range accts {
		if a.HomeAccountID == homeID {
			return pub.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(a))
		}
	}
	return public.AuthResult{}, errNoSavedAccount
}

var errNoSavedAccount = errors.New("no saved sign-in for this account")

func (s *Session) remember(tok string, exp time.Time) {
	redact.Secret(tok)
	s.last = tokenMemo{token: tok, expires: exp}
}

// authority is the tenant's authority: ROPC is refused on /common (9001023),
// and MSAL's public client would default to it.
func (s *Session) authority() string { return s.ep.AuthorityHost + "/" + s.creds.TenantID }

func (s *Session) loginHost() string {
	if u, err := url.Parse(s.ep.AuthorityHost); err == nil && u.Host != "" {
		return u.Host
	}
	return s.ep.AuthorityHost
}

func (s *Session) publicClient() (*public.Client, error) {
	if s.pub != nil {
		return s.pub, nil
	}
	opts := []public.Option{public.WithAuthority(s.authority()), public.WithCache(&accessor{st: s.st})}
	opts = append(opts, public.WithHTTPClient(s.httpClient()))
	if s.ep.Sandbox {
		opts = append(opts, public.WithInstanceDiscovery(false))
	}
	c, err := public.New(s.creds.ClientID, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare sign-in at %s: %w", s.authority(), err)
	}
	s.pub = &c
	return s.pub, nil
}

// httpClient is the endpoints' client under cloud's redirect policy (a
// password or client secret in a token request's body, replayed by a 307,
// never goes over http or to another host), every request bounded by the
// request timeout (WithRequestTimeout).
func (s *Session) httpClient() stallClient {
	return stallClient{inner: cloud.WithRedirectPolicy(s.ep.HTTP), timeout: s.timeout}
}

func (s *Session) confidentialClient() (*confidential.Client, error) {
	if s.conf != nil {
		return s.conf, nil
	}
	c, err := s.newConfidentialClient(&accessor{st: s.st})
	if err != nil {
		return nil, err
	}
	s.conf = c
	return c, nil
}

// newConfidentialClient builds a confidential client; acc nil keeps its
// tokens in memory only.
func (s *Session) newConfidentialClient(acc *accessor) (*confidential.Client, error) {
	cred, httpClient, err := s.appCredential()
	if err != nil {
		return nil, err
	}
	opts := []confidential.Option{confidential.WithHTTPClient(httpClient)}
	if acc != nil {
		opts = append(opts, confidential.WithCache(acc))
	}
	if s.ep.Sandbox {
		opts = append(opts, confidential.WithInstanceDiscovery(false))
	}
	c, err := confidential.New(s.authority(), s.creds.ClientID, cred, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare sign-in at %s: %w", s.authority(), err)
	}
	return &c, nil
}

// appCredential is the app's proof of identity, a certificate or a client
// secret, and the HTTP client that sends it: a secret also goes into the
// requests MSAL sends without one (secretInjector).
func (s *Session) appCredential() (confidential.Credential, httpDoer, error) {
	if len(s.creds.Certificate) > 0 {
		certs, key, err := parseCertificate(s.creds.Certificate, s.creds.CertificatePassword)
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		cred, err := confidential.NewCredFromCert(certs, key)
		if err != nil {
			return confidential.Credential{}, nil, certError(field.Certificate, "the certificate cannot sign: "+err.Error()+".")
		}
		return cred, s.httpClient(), nil
	}
	if s.creds.ClientSecret == "" {
		return confidential.Credential{}, nil, &Error{Field: field.ClientSecret, Summary: "this sign-in needs the app's client secret.",
			Fix: portalApp + " → Certificates & secrets → New client secret, then enter its Value."}
	}
	cred, err := confidential.NewCredFromSecret(s.creds.ClientSecret)
	if err != nil {
		return confidential.Credential{}, nil, fmt.Errorf("client secret: %w", err)
	}
	return cred, secretInjector{inner: s.httpClient(), secret: s.creds.ClientSecret}, nil
}
