package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// runAccounts is `pbiwb accounts list|add|remove`.
func runAccounts(ctx context.Context, g Globals, args []string, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stderr, `Usage:
  pbiwb accounts list [--json]
  pbiwb accounts add NAME --tenant ID --client-id ID [--username UPN] [--auth METHOD] [--cloud CLOUD]
                     [--domo-client-id ID] [--insecure-storage]
  pbiwb accounts remove NAME

Secrets come from PBIWB_CLIENT_SECRET, PBIWB_PASSWORD and PBIWB_DOMO_CLIENT_SECRET,
or are asked for with echo off when stdin is a terminal. Never pass them as flags.
`)
		if len(args) == 0 {
			return exit(exitcode.Usage, "accounts needs a subcommand: list, add or remove")
		}
		return nil
	}
	switch args[0] {
	case "list", "ls":
		return commandError(accountsList(g, args[1:], env))
	case "add":
		return commandError(accountsAdd(ctx, g, args[1:], env))
	case "remove", "rm":
		return commandError(accountsRemove(ctx, g, args[1:], env))
	}
	return exit(exitcode.Usage, "unknown accounts subcommand %q: use list, add or remove", args[0])
}

// accountJSON is one account in `accounts list --json`.
type accountJSON struct {
	Name         string    `json:"name"`
	Cloud        string    `json:"cloud"`
	TenantID     string    `json:"tenantId"`
	ClientID     string    `json:"clientId"`
	Username     string    `json:"username,omitempty"`
	Auth         string    `json:"auth"`
	DomoClientID string    `json:"domoClientId,omitempty"`
	Storage      string    `json:"storage"`
	Created      time.Time `json:"created"`
	LastUsed     time.Time `json:"lastUsed"`
}

func accountsList(g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb accounts list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = defaultUsage(env, fs, "pbiwb accounts list [--json]")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return exit(exitcode.Usage, "accounts list takes no arguments (got %q)", fs.Arg(0))
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return err
	}
	list, err := env.deps.openStore(dirs, false).List() // reads accounts.json only: no keyring call
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]accountJSON, len(list))
		for i, a := range list {
			out[i] = accountJSON{Name: a.Name, Cloud: cloudOrDefault(a.Cloud), TenantID: a.TenantID, ClientID: a.ClientID,
				Username: a.Username, Auth: a.Auth, DomoClientID: a.DomoClientID, Storage: a.Storage,
				Created: a.Created, LastUsed: a.LastUsed}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stderr, "No saved accounts. Add one with `pbiwb accounts add NAME --tenant ID --client-id ID ...`.")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCLOUD\tTENANT\tCLIENT ID\tUSERNAME\tAUTH\tSTORAGE")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, cloudOrDefault(a.Cloud), a.TenantID, a.ClientID,
			dash(a.Username), a.Auth, a.Storage)
	}
	return tw.Flush()
}

func cloudOrDefault(c string) string {
	if c == "" {
		return "public"
	}
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func accountsAdd(ctx context.Context, g Globals, args []string, env Env) error {
	if err := refuseSecretFlags(args); err != nil {
		return err
	}
	fs := flag.NewFlagSet("pbiwb accounts add NAME", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = defaultUsage(env, fs, "pbiwb accounts add NAME --tenant ID --client-id ID [--username UPN] [--auth METHOD] [flags]")
	cf := addCredFlags(fs, false)
	insecure := fs.Bool("insecure-storage", false, "keep the secrets in a plain-text 0600 file instead of the OS keyring (only when no keyring is reachable)")
	timeout := requestTimeoutFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if err := positive("--request-timeout", *timeout); err != nil {
		return err
	}
	if len(pos) != 1 {
		return exit(exitcode.Usage, "accounts add needs exactly one account NAME (got %d arguments): pbiwb accounts add NAME --tenant ID --client-id ID ...", len(pos))
	}
	name := pos[0]
	if err := keystore.ValidateName(name); err != nil {
		return exit(exitcode.Usage, "%v", err)
	}
	if cf.domoClientID == "" {
		cf.domoClientID = env.Getenv(EnvDomoClientID)
	}

	// Everything that needs no secret is checked before asking for any.
	ep, err := env.deps.endpoints(ctx, g, cf.cloud)
	if err != nil {
		return err
	}
	creds := cf.credentials()
	if errs := nonSecretErrors(creds); len(errs) > 0 {
		return fieldErrors(errs)
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return err
	}
	store := env.deps.openStore(dirs, *insecure)
	if *insecure {
		fmt.Fprintln(env.Stderr, "! --insecure-storage: the secrets will NOT go to the OS keyring but to a plain-text file.")
	} else if err := keystore.Probe(ctx, store.Backend()); err != nil {
		return err // no keyring: say so before asking for secrets
	}

	cert, err := cf.readCertificate()
	if err != nil {
		return err
	}
	sec, err := gatherSecrets(ctx, env, creds.Method, cf.domoClientID != "", cert != nil)
	if err != nil {
		return err
	}
	creds.ClientSecret, creds.Password = sec[keystore.ClientSecret], sec[keystore.Password]
	if cert != nil {
		creds.Certificate, creds.CertificatePassword = cert, env.Getenv(EnvCertificatePassword)
		sec[keystore.Certificate] = base64.StdEncoding.EncodeToString(cert)
		if creds.CertificatePassword != "" {
			sec[keystore.CertificatePassword] = creds.CertificatePassword
		}
	}

	// Prove the credentials before saving anything; the tokens go to memory
	// first and into the keyring with the account.
	cache := &memCache{}
	session, err := entra.New(ep, creds, cache, entra.WithBrowser(browserOpener(env, env.Stderr)), entra.WithRequestTimeout(*timeout))
	if err != nil {
		return err
	}
	res, err := session.SignIn(ctx, deviceCodePrompt(env.Stderr))
	if err != nil {
		return err
	}
	who := res.Username
	if who == "" {
		who = "the app " + creds.ClientID + " (service principal)"
	}
	fmt.Fprintf(env.Stderr, "✓ Signed in to Entra ID as %s.\n", who)
	for _, n := range res.NotesIn(cliFace{}) {
		fmt.Fprintf(env.Stderr, "Note: %s\n", n)
	}
	if r := res.RecommendIn(cliFace{}); r != "" {
		fmt.Fprintf(env.Stderr, "Note: %s\n", r)
	}
	if cf.domoClientID != "" {
		if err := domo.New(ep, cf.domoClientID, sec[keystore.DomoClientSecret]).SignIn(ctx); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "✓ Signed in to Domo as API client %s.\n", cf.domoClientID)
	}

	username := creds.Username
	if res.Username != "" {
		username = res.Username
	}
	if creds.Method == entra.MethodServicePrincipal {
		username = ""
	}
	if cache.data != nil {
		sec[keystore.TokenCache] = string(cache.data)
	}
	_, getErr := store.Get(name)
	replaced := getErr == nil
	saved, err := store.Save(ctx, keystore.Account{
		Name: name, Cloud: accountCloud(ep), TenantID: strings.TrimSpace(creds.TenantID), ClientID: strings.ToLower(strings.TrimSpace(creds.ClientID)),
		Username: username, Auth: string(creds.Method), DomoClientID: cf.domoClientID, HomeAccountID: res.HomeAccountID,
		Extra: certificateExtra(cf.certificate),
	}, sec)
	if err != nil {
		return fmt.Errorf("saving account %q: %w", name, err)
	}
	verb := "Saved"
	if replaced {
		verb = "Replaced"
	}
	fmt.Fprintf(env.Stderr, "%s account %s (secrets in %s). Use it with --account %s.\n", verb, saved.Name, storageName(saved.Storage), saved.Name)
	if saved.Insecure() {
		fmt.Fprintf(env.Stderr, keystore.InsecureWarning+"\n", store.InsecurePath())
	}
	return nil
}

// nonSecretErrors is ValidateCredentials without the secret fields, which
// are asked for afterwards.
func nonSecretErrors(c entra.Credentials) []entra.FieldError {
	c.ClientSecret, c.Password = "placeholder", "placeholder"
	return entra.ValidateCredentials(c)
}

// secretSpec is one secret accounts add may need.
type secretSpec struct {
	kind     keystore.Kind
	env      string
	prompt   string
	required bool
}

// neededSecrets lists the secrets a method needs, in the order asked.
func neededSecrets(m entra.Method, domo, certificate bool) []secretSpec {
	var specs []secretSpec
	switch m {
	case entra.MethodPassword:
		specs = append(specs,
			secretSpec{keystore.Password, EnvPassword, "Azure AD password: ", true},
			secretSpec{keystore.ClientSecret, EnvClientSecret, "Client secret Value (optional, Enter to skip): ", false})
	case entra.MethodServicePrincipal:
		if !certificate { // else the certificate file is the credential
			specs = append(specs, secretSpec{keystore.ClientSecret, EnvClientSecret, "Client secret Value: ", true})
		}
	}
	if domo {
		specs = append(specs, secretSpec{keystore.DomoClientSecret, EnvDomoClientSecret, "Domo client secret: ", true})
	}
	return specs
}

// gatherSecrets takes each needed secret from its environment variable, or
// asks for it on the terminal with echo off.
func gatherSecrets(ctx context.Context, env Env, m entra.Method, domo, certificate bool) (keystore.Secrets, error) {
	sec := keystore.Secrets{}
	var reader secretReader
	asked := false
	for _, s := range neededSecrets(m, domo, certificate) {
		v := env.Getenv(s.env)
		if v == "" {
			if !asked {
				reader, asked = env.deps.newSecretReader(env), true
			}
			if reader == nil {
				if s.required {
					return nil, exit(exitcode.Usage, "the %s is needed: set %s in the environment (stdin is not a terminal, so pbiwb cannot ask for it)", kindLabel(s.kind), s.env)
				}
				continue
			}
			var err error
			if v, err = reader.ReadSecret(ctx, s.prompt); err != nil {
				if errors.Is(err, errPromptInterrupted) {
					return nil, exit(exitcode.Interrupted, "interrupted: nothing was saved")
				}
				return nil, err
			}
			v = strings.TrimRight(v, "\r\n")
			if v == "" && s.required {
				return nil, exit(exitcode.Usage, "no %s given: nothing was saved", kindLabel(s.kind))
			}
		}
		if v != "" {
			sec[s.kind] = v
		}
	}
	return sec, nil
}

func kindLabel(k keystore.Kind) string {
	switch k {
	case keystore.ClientSecret:
		return string(field.ClientSecret)
	case keystore.Password:
		return "Azure AD password"
	case keystore.DomoClientSecret:
		return string(field.DomoClientSecret)
	}
	return string(k)
}

func storageName(kind string) string {
	switch kind {
	case keystore.StorageKeyring:
		return "the OS keyring"
	case keystore.StorageFile:
		return "the --insecure-storage file"
	}
	return kind
}

// memCache holds the first sign-in's tokens until the account is saved.
type memCache struct{ data []byte }

func (m *memCache) Load(context.Context) ([]byte, error) { return m.data, nil }
func (m *memCache) Save(_ context.Context, d []byte) error {
	m.data = append([]byte(nil), d...)
	return nil
}

func accountsRemove(ctx context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb accounts remove NAME", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = defaultUsage(env, fs, "pbiwb accounts remove NAME")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		return exit(exitcode.Usage, "accounts remove needs exactly one account NAME (got %d arguments)", len(pos))
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return err
	}
	store := env.deps.openStore(dirs, false)
	a, err := store.Get(pos[0])
	if errors.Is(err, keystore.ErrNotFound) {
		return unknownAccount(store, pos[0], exitcode.Failure)
	}
	if err != nil {
		return err
	}
	if _, err := store.Remove(ctx, a.Name); err != nil {
		var re *keystore.RemoveError
		if errors.As(err, &re) {
			return exit(exitcode.Failure, "%s", removeFailure(re, storageName(a.Storage)))
		}
		return err
	}
	fmt.Fprintf(env.Stderr, "Removed account %s and its secrets from %s.\n", a.Name, storageName(a.Storage))
	return nil
}

func removeFailure(re *keystore.RemoveError, where string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "account %s: could not delete every secret from %s (%v); the account is kept so that running `pbiwb accounts remove %s` again finishes the job. Still stored:",
		re.Account, where, re.Err, re.Account)
	for _, it := range re.Items {
		fmt.Fprintf(&b, "\n  %s / %s", it.Service, it.Key)
	}
	return b.String()
}

// parseInterspersed parses flags that may come before or after positional
// arguments (`accounts add demo --tenant ...`), which flag.Parse alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag.Parse consumed a "--": everything after it is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
