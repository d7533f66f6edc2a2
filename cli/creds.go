package cli

// One way for every command (accounts add, groups, push, doctor) to get an
// identity: a saved account (--account NAME) or unsaved credentials from flags
// and environment variables (docs/cli.md, "Credentials"). Secrets come only
// from the environment, a prompt with echo off, or the keyring; never from a
// flag value, which would show in `ps` and in shell history.

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// The environment variables that carry secrets (docs/cli.md).
const (
	EnvClientSecret     = "PBIWB_CLIENT_SECRET"
	EnvPassword         = "PBIWB_PASSWORD"
	EnvDomoClientID     = "PBIWB_DOMO_CLIENT_ID"
	EnvDomoClientSecret = "PBIWB_DOMO_CLIENT_SECRET"
	// EnvCertificatePassword is the password of a PFX given with --certificate.
	EnvCertificatePassword = "PBIWB_CERTIFICATE_PASSWORD"
)

// cloudSandbox is Account.Cloud for an account added against a sandbox: its
// URL changes between runs, so the account asks for --sandbox URL when used.
const cloudSandbox = "sandbox"

// secretFlags are refused wherever they appear, each pointing to its
// environment variable. They are not registered on any FlagSet, so they never
// show in -h as if they were a way to pass a secret.
var secretFlags = map[string]string{
	"client-secret":      EnvClientSecret,
	"secret":             EnvClientSecret,
	"password":           EnvPassword,
	"domo-client-secret": EnvDomoClientSecret,
	"domo-secret":        EnvDomoClientSecret,
}

// refuseSecretFlags returns a usage error when args carry a secret as a flag.
// The message never repeats the value.
func refuseSecretFlags(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if env, ok := secretFlags[name]; ok {
			return exit(exitcode.Usage, "--%s is not accepted: a secret given as a flag shows in `ps` and in shell history. "+
				"Set it in the environment variable %s instead (or, for `pbiwb accounts add` in a terminal, leave it out to be asked with echo off); "+
				"if you just typed it on a command line, consider it exposed and rotate it", name, env)
		}
	}
	return nil
}

// parseCredFlags parses the flags of a command that registered addCredFlags:
// a secret given as a flag is refused first (without echoing it), and a parse
// error becomes exit 2.
func parseCredFlags(fs *flag.FlagSet, args []string) error {
	if err := refuseSecretFlags(args); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	return nil
}

// credFlags are the identity flags a command registers with addCredFlags.
type credFlags struct {
	account      string // --account (saved); "" when not registered or not given
	tenant       string
	clientID     string
	username     string
	auth         string
	certificate  string // --certificate PATH
	cloud        string
	domoClientID string

	hasAccount bool // --account is registered
	// requestTimeout bounds each request to Entra ID (the command's
	// --request-timeout; 0 is entra's default).
	requestTimeout time.Duration
}

// addCredFlags registers the unsaved-credential flags on fs and, when saved
// is true, --account NAME.
func addCredFlags(fs *flag.FlagSet, saved bool) *credFlags {
	f := &credFlags{hasAccount: saved}
	if saved {
		fs.StringVar(&f.account, "account", "", "use the saved account `NAME` (see pbiwb accounts list)")
	}
	fs.StringVar(&f.tenant, "tenant", "", "Directory (tenant) `ID`, or a verified domain such as contoso.com")
	fs.StringVar(&f.clientID, "client-id", "", "Application (client) `ID` of the Azure app registration")
	fs.StringVar(&f.username, "username", "", "Azure AD user principal name (`UPN`), for password sign-in (a hint for browser and device-code)")
	fs.StringVar(&f.auth, "auth", "", "sign-in `METHOD`: browser, password, device-code or service-principal (default: password with --username, else service-principal)")
	fs.StringVar(&f.certificate, "certificate", "", "a service principal's certificate and private key: a PEM file, or a PFX (`PATH`) whose password is in "+EnvCertificatePassword)
	fs.StringVar(&f.cloud, "cloud", "public", "Power BI `CLOUD`: "+strings.Join(cloud.Names, ", "))
	fs.StringVar(&f.domoClientID, "domo-client-id", "", "Domo API client `ID` (env "+EnvDomoClientID+"), for a Domo input")
	return f
}

// unsaved reports whether any unsaved-credential flag was given.
func (f *credFlags) unsaved() bool {
	return f.tenant != "" || f.clientID != "" || f.username != "" || f.auth != "" || f.certificate != ""
}

// readCertificate reads --certificate's file: its bytes are a secret (the
// private key), never shown.
func (f *credFlags) readCertificate() ([]byte, error) {
	if f.certificate == "" {
		return nil, nil
	}
	b, err := os.ReadFile(f.certificate)
	if err != nil {
		return nil, exit(exitcode.Usage, "--certificate %q cannot be read: %v", f.certificate, errors.Unwrap(err))
	}
	if len(b) > 1<<20 {
		return nil, exit(exitcode.Usage, "--certificate %q is over 1 MB: not a certificate file", f.certificate)
	}
	return b, nil
}

// method is --auth, or its default.
func (f *credFlags) method() entra.Method {
	switch {
	case f.auth != "":
		return entra.Method(f.auth)
	case f.username != "":
		return entra.MethodPassword
	}
	return entra.MethodServicePrincipal
}

// credentials are the flags' non-secret fields.
func (f *credFlags) credentials() entra.Credentials {
	return entra.Credentials{TenantID: f.tenant, ClientID: f.clientID, Username: f.username, Method: f.method()}
}

// identity is who a command acts as.
type identity struct {
	Endpoints cloud.Endpoints
	Session   *entra.Session
	// Account is the saved account, nil for unsaved credentials.
	Account *keystore.Account
	Store   *keystore.Store // set with Account

	domoID, domoSecret string // unsaved: from the environment
}

// accountName is the saved account's name, "" for unsaved credentials.
func (id *identity) accountName() string {
	if id.Account == nil {
		return ""
	}
	return id.Account.Name
}

// Domo returns the Domo API client's credentials: the saved account's, or
// those in the environment. ok is false when there are none.
func (id *identity) Domo(ctx context.Context, getenv func(string) string) (clientID, secret string, ok bool, err error) {
	if id.Account != nil && id.Account.DomoClientID != "" {
		s, err := id.Store.Secret(ctx, id.Account.Name, keystore.DomoClientSecret)
		if errors.Is(err, keystore.ErrNotFound) {
			return "", "", false, exit(exitcode.SignIn, "account %q has a Domo client ID but no Domo client secret in its storage: run `pbiwb accounts add %s ...` again", id.Account.Name, id.Account.Name)
		}
		if err != nil {
			return "", "", false, err
		}
		return id.Account.DomoClientID, s, true, nil
	}
	if id.domoID == "" {
		id.domoID, id.domoSecret = getenv(EnvDomoClientID), getenv(EnvDomoClientSecret)
	}
	if id.domoID == "" {
		return "", "", false, nil
	}
	if id.domoSecret == "" {
		return "", "", false, exit(exitcode.Usage, "a Domo client ID is set but %s is empty: set it to the Domo API client's secret", EnvDomoClientSecret)
	}
	return id.domoID, id.domoSecret, true, nil
}

// ready makes sure the session can hand out tokens before a command starts
// its work: it gets one (from the cache when it can). A device code or
// browser sign-in has to be interactive: unsaved, it signs in now; saved, it
// signs in again when the saved sign-in has lapsed and stdin and stdout are a
// terminal (else the error says to run accounts add again). Entra's device
// code message goes to stderr as it is worded.
func (id *identity) ready(ctx context.Context, env Env) error {
	m := id.Session.Method()
	if (m == entra.MethodDeviceCode || m == entra.MethodBrowser) && id.Account == nil {
		_, err := id.Session.SignIn(ctx, deviceCodePrompt(env.Stderr))
		return err
	}
	_, err := id.Session.Token(ctx)
	if errors.Is(err, entra.ErrInteractionRequired) && env.IsTerminal != nil && env.IsTerminal() {
		how := "with a device code"
		if m == entra.MethodBrowser {
			how = "in the browser"
		}
		fmt.Fprintf(env.Stderr, "The saved sign-in has lapsed; signing in again %s.\n", how)
		_, err = id.Session.SignIn(ctx, deviceCodePrompt(env.Stderr))
	}
	return err
}

// resolve turns the flags into an identity: the saved account named by
// --account, else unsaved credentials, else the account used last.
func (f *credFlags) resolve(ctx context.Context, g Globals, env Env) (*identity, error) {
	if f.account != "" && f.unsaved() {
		return nil, exit(exitcode.Usage, "give either --account NAME or --tenant/--client-id/--username/--auth, not both")
	}
	if f.account != "" || (f.hasAccount && !f.unsaved()) {
		return f.resolveSaved(ctx, g, env)
	}
	return f.resolveUnsaved(ctx, g, env)
}

func (f *credFlags) resolveUnsaved(ctx context.Context, g Globals, env Env) (*identity, error) {
	c := f.credentials()
	c.ClientSecret, c.Password = env.Getenv(EnvClientSecret), env.Getenv(EnvPassword)
	if c.Method != entra.MethodPassword {
		c.Password = "" // not used; keep it out of the session
	}
	cert, err := f.readCertificate()
	if err != nil {
		return nil, err
	}
	if cert != nil { // the flag is more specific than the variable
		c.Certificate, c.CertificatePassword, c.ClientSecret = cert, env.Getenv(EnvCertificatePassword), ""
	}
	ep, err := env.deps.endpoints(ctx, g, f.cloud)
	if err != nil {
		return nil, err
	}
	if errs := entra.ValidateCredentials(c); len(errs) > 0 {
		return nil, fieldErrors(errs)
	}
	s, err := entra.New(ep, c, nil, entra.WithBrowser(browserOpener(env, env.Stderr)), entra.WithRequestTimeout(f.requestTimeout))
	if err != nil {
		return nil, err
	}
	id := &identity{Endpoints: ep, Session: s, domoID: f.domoClientID}
	if id.domoID != "" {
		id.domoSecret = env.Getenv(EnvDomoClientSecret)
	}
	return id, nil
}

func (f *credFlags) resolveSaved(ctx context.Context, g Globals, env Env) (*identity, error) {
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return nil, err
	}
	store := env.deps.openStore(dirs, false)
	name := f.account
	if name == "" {
		list, err := store.List()
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, exit(exitcode.Usage, "no account to use: pass --account NAME (add one with `pbiwb accounts add NAME ...`), "+
				"or unsaved credentials --tenant ID --client-id ID [--username UPN] --auth METHOD with secrets in %s / %s", EnvClientSecret, EnvPassword)
		}
		name = list[0].Name // List puts the account used last first
		fmt.Fprintf(env.Stderr, "Using account %s (used last; pass --account NAME to choose another).\n", name)
	}
	a, err := store.Get(name)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, unknownAccount(store, name, exitcode.Usage)
	}
	if err != nil {
		return nil, err
	}
	ep, err := env.deps.accountEndpoints(ctx, g, a)
	if err != nil {
		return nil, err
	}
	if a.Insecure() {
		fmt.Fprintf(env.Stderr, keystore.InsecureWarning+"\n", store.InsecurePath())
	}
	c := entra.Credentials{TenantID: a.TenantID, ClientID: a.ClientID, Username: a.Username, Method: entra.Method(a.Auth)}
	// The session holds the secrets it may need to sign in again without the
	// user (password, client secret), but uses them only when the token cache
	// cannot serve: entra.New wants them up front, so they are read here.
	if c.Method == entra.MethodServicePrincipal {
		if c.Certificate, c.CertificatePassword, err = savedCertificate(ctx, store, a.Name); err != nil {
			return nil, err
		}
	}
	if c.Method == entra.MethodPassword || (c.Method == entra.MethodServicePrincipal && c.Certificate == nil) {
		if c.ClientSecret, err = optionalSecret(ctx, store, a.Name, keystore.ClientSecret); err != nil {
			return nil, err
		}
	}
	if c.Method == entra.MethodPassword {
		if c.Password, err = optionalSecret(ctx, store, a.Name, keystore.Password); err != nil {
			return nil, err
		}
	}
	for _, fe := range entra.ValidateCredentials(c) {
		if fe.Field.Secret() {
			return nil, exit(exitcode.SignIn, "account %q has no %s in its storage (%s): run `pbiwb accounts add %s ...` again to save it", a.Name, fe.Field, a.Storage, a.Name)
		}
	}
	s, err := entra.New(ep, c, store.TokenCache(a.Name), entra.WithBrowser(browserOpener(env, env.Stderr)), entra.WithRequestTimeout(f.requestTimeout))
	if err != nil {
		return nil, err
	}
	// LastUsed only orders `accounts list`; failing to record it must not stop
	// the command, so its error is dropped.
	_ = store.Touch(ctx, a.Name)
	return &identity{Endpoints: ep, Session: s, Account: &a, Store: store}, nil
}

// savedCertificate is an account's certificate file and PFX password, or nil
// when it signs in with a client secret.
func savedCertificate(ctx context.Context, store *keystore.Store, name string) ([]byte, string, error) {
	enc, err := optionalSecret(ctx, store, name, keystore.Certificate)
	if err != nil || enc == "" {
		return nil, "", err
	}
	cert, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, "", exit(exitcode.SignIn, "account %q: its saved certificate is damaged: run `pbiwb accounts add %s ... --certificate PATH` again", name, name)
	}
	pw, err := optionalSecret(ctx, store, name, keystore.CertificatePassword)
	return cert, pw, err
}

func optionalSecret(ctx context.Context, store *keystore.Store, name string, kind keystore.Kind) (string, error) {
	v, err := store.Secret(ctx, name, kind)
	if errors.Is(err, keystore.ErrNotFound) {
		return "", nil
	}
	return v, err
}

// unknownAccount is the error for a name that is not saved, listing those that are.
func unknownAccount(store *keystore.Store, name string, code exitcode.Code) error {
	list, err := store.List()
	if err != nil || len(list) == 0 {
		return exit(code, "no account named %q (there are no saved accounts; add one with `pbiwb accounts add NAME ...`)", name)
	}
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.Name
	}
	sort.Strings(names)
	return exit(code, "no account named %q; saved accounts: %s", name, strings.Join(names, ", "))
}

// accountEndpoints are the only hosts a saved account's credentials go to:
// those of its own cloud. A sandbox is no place for an account of a real
// cloud: whatever listens at the URL of --sandbox or PBIWB_SANDBOX would get
// its password and client secrets (the sandbox's CA is trusted on first
// use), so that is refused before any request, the CA fetch included. A
// sandbox account goes only to a sandbox (endpoints asks for its URL).
func (d *deps) accountEndpoints(ctx context.Context, g Globals, a keystore.Account) (cloud.Endpoints, error) {
	if err := refuseSandboxFor(g, a); err != nil {
		return cloud.Endpoints{}, err
	}
	return d.endpoints(ctx, g, a.Cloud)
}

// refuseSandboxFor is exit 2 when g points at a sandbox and a is an account
// of a real cloud; it makes no request.
func refuseSandboxFor(g Globals, a keystore.Account) error {
	if !g.Sandbox || isSandboxCloud(a.Cloud) {
		return nil
	}
	from, undo := g.SandboxFrom, "leave out --sandbox"
	if from == "" {
		from = "--sandbox"
	}
	if from == EnvSandbox {
		undo = "unset " + EnvSandbox
	}
	where := "a sandbox"
	if g.SandboxURL != "" {
		where = "the sandbox at " + g.SandboxURL
	}
	return exit(exitcode.Usage, "account %q is saved for the %s cloud, but %s points at %s: a saved account's credentials go only to its own cloud, "+
		"so nothing was sent. To use %s, %s; for the sandbox, use an account added against it (`pbiwb accounts add NAME --sandbox URL ...`) or unsaved credentials",
		a.Name, cloudOrDefault(a.Cloud), from, where, a.Name, undo)
}

func isSandboxCloud(name string) bool { return strings.EqualFold(name, cloudSandbox) }

// endpoints are the hosts of --cloud, or of the sandbox given with --sandbox URL.
func (d *deps) endpoints(ctx context.Context, g Globals, cloudName string) (cloud.Endpoints, error) {
	if g.Sandbox {
		if g.SandboxURL == "" {
			return cloud.Endpoints{}, exit(exitcode.Usage, "--sandbox needs the URL of a running sandbox here: start `pbiwb sandbox` in another terminal "+
				"and pass the URL it prints, e.g. --sandbox https://127.0.0.1:8443 (only the wizard starts one by itself)")
		}
		ep, err := d.sandboxEndpoints(ctx, g.SandboxURL)
		if err != nil {
			if isFieldError(err) { // the URL itself; exit 1 as ever
				return cloud.Endpoints{}, exit(exitcode.Failure, "cannot use the sandbox at %s: %s", g.SandboxURL, field.Phrased(err, flagName))
			}
			return cloud.Endpoints{}, exit(exitcode.Failure, "cannot use the sandbox at %s: %v: start one with `pbiwb sandbox` and pass the URL it prints, "+
				"or use `pbiwb --sandbox` with no URL (the wizard starts its own)", g.SandboxURL, err)
		}
		return ep, nil
	}
	if isSandboxCloud(cloudName) {
		return cloud.Endpoints{}, exit(exitcode.Usage, "this account was added against a sandbox: pass --sandbox URL with the URL `pbiwb sandbox` prints")
	}
	ep, err := cloud.Lookup(cloudName)
	if err != nil {
		return cloud.Endpoints{}, exit(exitcode.Usage, "--cloud %q is not one of %s", cloudName, strings.Join(cloud.Names, ", "))
	}
	return ep, nil
}

// accountCloud is what an account records as its cloud.
func accountCloud(ep cloud.Endpoints) string {
	if ep.Sandbox {
		return cloudSandbox
	}
	return ep.Name
}

// deviceCodePrompt shows Entra's device-code message verbatim.
func deviceCodePrompt(w io.Writer) func(string) {
	return func(msg string) { fmt.Fprintln(w, msg) }
}

// fieldFlag names where the user gives each credential field.
var fieldFlag = map[field.ID]string{
	field.TenantID:            "--tenant",
	field.ClientID:            "--client-id",
	field.Username:            "--username",
	field.AuthMethod:          "--auth",
	field.ClientSecret:        EnvClientSecret,
	field.Password:            EnvPassword,
	field.Certificate:         "--certificate",
	field.CertificatePassword: EnvCertificatePassword,
}

// fieldErrors is exit 2 naming each bad field and where it came from.
func fieldErrors(errs []entra.FieldError) error {
	lines := make([]string, len(errs))
	for i, e := range errs {
		where := ""
		if fl := fieldFlag[e.Field]; fl != "" {
			where = " (" + fl + ")"
		}
		lines[i] = "  " + string(e.Field) + where + ": " + e.Message
	}
	return exit(exitcode.Usage, "invalid credentials:\n%s", strings.Join(lines, "\n"))
}

// commandError words what the sign-in, keystore and Power BI layers return
// for people (docs/cli.md), with the exit code the error places itself at
// (exitcode.Of). Every command ends with it.
func commandError(err error) error {
	if err == nil {
		return nil
	}
	var (
		ee  *exitError
		ae  *entra.Error
		fes entra.FieldErrors
		pe  *powerbi.Error
		te  *powerbi.TransportError
	)
	code := exitcode.Of(err)
	switch {
	case errors.As(err, &ee):
		return err
	case errors.Is(err, context.Canceled):
		return exit(code, "interrupted")
	case errors.As(err, &ae):
		return exit(code, "%s", signInMessage(ae))
	case errors.As(err, &fes):
		return fieldErrors(fes)
	case errors.Is(err, domo.ErrSignIn):
		return &exitError{code: code, err: err} // report says where the Domo client is given
	case errors.Is(err, keystore.ErrNoKeyring):
		msg := err.Error()
		if !strings.Contains(msg, "--insecure-storage") {
			msg += ": " + keystore.KeyringFix(runtime.GOOS) + keystore.InsecureAlternative
		}
		return exit(code, "%s", msg)
	case errors.As(err, &pe), errors.As(err, &te):
		return exit(code, "%s", adviceOr(err))
	}
	return &exitError{code: code, err: err} // the chain kept: report words the engine's field errors
}

func adviceOr(err error) string {
	if a := powerbi.Advice(err, cliFace{}); a != "" {
		return a
	}
	return err.Error()
}

// signInMessage lays an *entra.Error out on lines: what failed, the fix, and
// the correlation ID to quote to an administrator.
func signInMessage(e *entra.Error) string {
	var b strings.Builder
	b.WriteString("sign-in failed")
	if e.Code != 0 {
		fmt.Fprintf(&b, " (AADSTS%d)", e.Code)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", %s", e.Field)
		if fl := fieldFlag[e.Field]; fl != "" {
			fmt.Fprintf(&b, " (%s)", fl)
		}
	}
	b.WriteString(": " + e.Summary)
	if fix := e.FixIn(cliFace{}); fix != "" {
		b.WriteString("\n  Fix: " + fix)
	}
	if e.CorrelationID != "" {
		b.WriteString("\n  Correlation ID: " + e.CorrelationID + " (an administrator finds it in Microsoft Entra ID → Sign-in logs)")
	}
	return b.String()
}
