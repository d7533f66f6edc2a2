package cli

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// secretValues must never appear in stdout, stderr or accounts.json.
var secretValues = []string{demo.ClientSecret, demo.Password, demo.DomoClientSecret}

// fixture is a real sandbox, a temporary home and an in-memory keyring with
// the Windows item limit, wired into its own deps (f.env, f.wizard).
type fixture struct {
	t        *testing.T
	sb       *sandbox.Server
	home     string
	backend  keystore.Backend
	tokens   atomic.Int64 // Entra ID token requests (…/oauth2/v2.0/token)
	prompter secretReader // nil: stdin is not a terminal
	deps     *deps        // what f.env and f.wizard hand the commands
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, sb: sb, home: t.TempDir(), backend: keystore.NewMemoryBackend(keystore.WindowsMaxValue)}
	f.deps = realDeps()
	f.deps.openStore = func(dirs home.Dirs, insecure bool) *keystore.Store {
		if insecure {
			return keystore.Open(dirs, keystore.NewFileBackend(dirs))
		}
		return keystore.Open(dirs, f.backend)
	}
	f.deps.sandboxEndpoints = func(ctx context.Context, url string) (cloud.Endpoints, error) {
		ep, err := cloud.Sandbox(ctx, url)
		if err != nil {
			return ep, err
		}
		h := *ep.HTTP
		h.Transport = countTokens{next: transportOf(ep.HTTP), n: &f.tokens}
		ep.HTTP = &h
		return ep, nil
	}
	f.deps.newSecretReader = func(Env) secretReader { return f.prompter }
	t.Cleanup(func() {
		sb.Client().CloseIdleConnections()
		sb.Close()
	})
	return f
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// countTokens counts requests to Entra ID's token endpoint.
type countTokens struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countTokens) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// run runs pbiwb against the fixture's sandbox and home, and fails the test
// if a secret shows in stdout, stderr or the accounts file.
func (f *fixture) run(vars map[string]string, args ...string) (code exitcode.Code, stdout, stderr string) {
	f.t.Helper()
	env, out, errb := f.env(vars)
	full := append([]string{"--sandbox", f.sb.URL(), "--home", f.home}, args...)
	code = Main(context.Background(), full, env)
	stdout, stderr = out.String(), errb.String()
	f.assertNoSecrets(args, stdout, stderr)
	return code, stdout, stderr
}

// env is testEnv with the fixture's deps.
func (f *fixture) env(vars map[string]string) (Env, *syncBuffer, *syncBuffer) {
	env, out, errb := testEnv(vars)
	env.deps = f.deps
	return env, out, errb
}

// assertNoSecrets checks texts and every file under the home (accounts.json
// and anything else), except the --insecure-storage file, whose purpose is to
// hold them.
func (f *fixture) assertNoSecrets(args []string, texts ...string) {
	f.t.Helper()
	names := make([]string, len(texts))
	for i := range texts {
		names[i] = [...]string{"stdout", "stderr"}[min(i, 1)]
	}
	_ = filepath.WalkDir(f.home, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == keystore.InsecureFileName {
			return nil
		}
		b, _ := os.ReadFile(path)
		texts, names = append(texts, string(b)), append(names, path)
		return nil
	})
	for _, s := range secretValues {
		for i, txt := range texts {
			if strings.Contains(txt, s) {
				f.t.Errorf("%v: secret %q leaked into %s:\n%s", args, s, names[i], txt)
			}
		}
	}
}

func (f *fixture) configPath() string {
	dirs, err := home.Resolve(f.home)
	if err != nil {
		f.t.Fatal(err)
	}
	return filepath.Join(dirs.Config, keystore.AccountsFileName)
}

// items lists what the in-memory keyring holds.
func (f *fixture) items() []keystore.Item {
	return f.backend.(*keystore.MemoryBackend).Items()
}

// demoPasswordEnv are the demo user's secrets in the environment.
var demoPasswordEnv = map[string]string{EnvPassword: demo.Password, EnvClientSecret: demo.ClientSecret}

var demoUserFlags = []string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--username", demo.Username, "--auth", "password"}

func TestRefuseSecretFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  string // "" when accepted
	}{
		{[]string{"--client-secret", "s3cr3t"}, EnvClientSecret},
		{[]string{"-client-secret=s3cr3t"}, EnvClientSecret},
		{[]string{"--tenant", "x", "--password=s3cr3t"}, EnvPassword},
		{[]string{"--domo-client-secret", "s3cr3t"}, EnvDomoClientSecret},
		{[]string{"--tenant", "x", "--", "--password", "s3cr3t"}, ""},
		{[]string{"--username", "password"}, ""},
	}
	for _, tt := range tests {
		err := refuseSecretFlags(tt.args)
		if tt.env == "" {
			if err != nil {
				t.Errorf("%q refused: %v", tt.args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.env) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%q: %v, want an error naming %s without the value", tt.args, err, tt.env)
		}
	}
}

func TestSecretFlagRefusedByCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, args := range [][]string{
		append([]string{"accounts", "add", "demo", "--client-secret", demo.ClientSecret}, demoUserFlags...),
		append([]string{"groups", "--password=" + demo.Password}, demoUserFlags...),
	} {
		code, _, stderr := f.run(nil, args...)
		want := EnvClientSecret
		if args[0] == "groups" {
			want = EnvPassword
		}
		if code != exitcode.Usage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "not accepted") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 pointing to %s", args[0], code, stderr, want)
		}
	}
	if len(f.items()) != 0 {
		t.Errorf("keyring holds %v after refused commands", f.items())
	}
}

func TestCommandErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		code exitcode.Code
		want string
	}{
		{&entra.Error{Code: 7000215, Field: "client secret", Summary: "Rejected.", Fix: "Copy the Value.", CorrelationID: "abc"}, exitcode.SignIn, "Correlation ID: abc"},
		{entra.FieldErrors{{Field: "client ID", Message: "not a GUID"}}, exitcode.Usage, "client ID (--client-id): not a GUID"},
		{&keystore.KeyringError{Op: "saving a secret to", Cause: errors.New("no D-Bus")}, exitcode.Failure, "--insecure-storage"},
		{context.Canceled, exitcode.Interrupted, "interrupted"},
		{errors.New("boom"), exitcode.Failure, "boom"},
	}
	for _, tt := range tests {
		err := commandError(tt.err)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != tt.code || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v → %v (code %v), want %d containing %q", tt.err, err, ee, tt.code, tt.want)
		}
	}
}

func TestSandboxWithoutURL(t *testing.T) {
	t.Parallel()
	env, _, errb := testEnv(nil)
	code := Main(context.Background(), append([]string{"--sandbox", "--home", t.TempDir(), "groups"}, demoUserFlags...), env)
	if code != exitcode.Usage || !strings.Contains(errb.String(), "pbiwb sandbox") {
		t.Errorf("exit %d, stderr %q; want 2 telling to start `pbiwb sandbox`", code, errb.String())
	}
}

func TestBadCredentialFieldsNamed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code, _, stderr := f.run(demoPasswordEnv, "groups", "--tenant", demo.TenantID, "--client-id", "my-app", "--username", demo.Username, "--auth", "password")
	if code != exitcode.Usage || !strings.Contains(stderr, "client ID (--client-id)") {
		t.Errorf("exit %d, stderr %q; want 2 naming the client ID", code, stderr)
	}
	code, _, stderr = f.run(nil, "groups", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal")
	if code != exitcode.Usage || !strings.Contains(stderr, EnvClientSecret) {
		t.Errorf("exit %d, stderr %q; want 2 naming %s", code, stderr, EnvClientSecret)
	}
	code, _, stderr = f.run(nil, "groups", "--account", "demo", "--tenant", demo.TenantID)
	if code != exitcode.Usage || !strings.Contains(stderr, "not both") {
		t.Errorf("--account with --tenant: exit %d, stderr %q", code, stderr)
	}
}

func TestIdentityDomo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := map[string]string{EnvPassword: demo.Password, EnvDomoClientSecret: demo.DomoClientSecret}
	if code, _, stderr := f.run(env, append([]string{"accounts", "add", "demo", "--domo-client-id", demo.DomoClientID}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("add: exit %d\n%s", code, stderr)
	}
	g := Globals{Sandbox: true, SandboxURL: f.sb.URL(), Home: f.home}
	ctx := context.Background()
	tests := []struct {
		name    string
		flags   credFlags
		env     map[string]string
		id, sec string
		ok      bool
		errCode exitcode.Code
	}{
		{"saved", credFlags{account: "demo", hasAccount: true}, nil, demo.DomoClientID, demo.DomoClientSecret, true, 0},
		{"unsaved from env", credFlags{tenant: demo.TenantID, clientID: demo.ClientID, auth: "service-principal"},
			map[string]string{EnvClientSecret: demo.ClientSecret, EnvDomoClientID: "c", EnvDomoClientSecret: "s"}, "c", "s", true, 0},
		{"unsaved flag, secret missing", credFlags{tenant: demo.TenantID, clientID: demo.ClientID, auth: "service-principal", domoClientID: "c"},
			map[string]string{EnvClientSecret: demo.ClientSecret}, "", "", false, exitcode.Usage},
		{"none", credFlags{tenant: demo.TenantID, clientID: demo.ClientID, auth: "service-principal"},
			map[string]string{EnvClientSecret: demo.ClientSecret}, "", "", false, 0},
	}
	for _, tt := range tests {
		e, _, _ := f.env(tt.env)
		id, err := tt.flags.resolve(ctx, g, e)
		if err != nil {
			t.Fatalf("%s: resolve: %v", tt.name, err)
		}
		cid, sec, ok, err := id.Domo(ctx, e.Getenv)
		var ee *exitError
		if tt.errCode != 0 {
			if !errors.As(err, &ee) || ee.code != tt.errCode {
				t.Errorf("%s: err %v, want exit %d", tt.name, err, tt.errCode)
			}
			continue
		}
		if err != nil || cid != tt.id || sec != tt.sec || ok != tt.ok {
			t.Errorf("%s: %q, secret matches %v, %v, %v", tt.name, cid, sec == tt.sec, ok, err)
		}
	}
}
