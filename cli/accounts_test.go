package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// The done-when of issue 3: add with the demo identities, then groups
// without secrets, from the token cache, without a token request.
func TestAddThenGroupsReusesSavedSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code, stdout, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...)
	if code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	if stdout != "" || !strings.Contains(stderr, "Saved account demo") || !strings.Contains(stderr, demo.Username) {
		t.Errorf("accounts add: stdout %q, stderr %q", stdout, stderr)
	}
	kinds := map[string]bool{}
	for _, it := range f.items() {
		kinds[strings.SplitN(it.Key, "#", 2)[0]] = true
	}
	for _, k := range []keystore.Kind{keystore.Password, keystore.ClientSecret, keystore.TokenCache} {
		if !kinds[string(k)] {
			t.Errorf("keyring lacks %s: %v", k, f.items())
		}
	}

	f.prompter = failingPrompter{t} // a second run must not ask
	f.tokens.Store(0)
	code, stdout, stderr = f.run(nil, "groups", "--account", "demo")
	if code != exitcode.OK {
		t.Fatalf("groups: exit %d\n%s", code, stderr)
	}
	for _, w := range []string{demo.WorkspaceSales, demo.WorkspaceFinance, demo.WorkspaceOperations, demo.WorkspaceExecutive, demo.WorkspaceSalesID} {
		if !strings.Contains(stdout, w) {
			t.Errorf("groups lacks %q:\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, demo.WorkspaceHidden) {
		t.Errorf("groups shows %q, which the demo user cannot access:\n%s", demo.WorkspaceHidden, stdout)
	}
	if n := f.tokens.Load(); n != 0 {
		t.Errorf("groups --account demo made %d token requests; want 0 (the saved token cache)", n)
	}

	code, stdout, _ = f.run(nil, "groups", "--account", "demo", "--json")
	var got []groupJSON
	if code != exitcode.OK || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("groups --json: exit %d, %q", code, stdout)
	}
	want := []groupJSON{
		{demo.WorkspaceSalesID, demo.WorkspaceSales, false},
		{demo.WorkspaceFinanceID, demo.WorkspaceFinance, false},
		{demo.WorkspaceOperationsID, demo.WorkspaceOperations, false},
		{demo.WorkspaceExecutiveID, demo.WorkspaceExecutive, true},
	}
	if !sameGroups(got, want) {
		t.Errorf("groups --json = %+v, want %+v", got, want)
	}

	code, stdout, _ = f.run(nil, "groups", "--filter", "SALES") // no --account: the one used last
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceSales) || strings.Contains(stdout, demo.WorkspaceFinance) {
		t.Errorf("groups --filter SALES: exit %d\n%s", code, stdout)
	}
}

func sameGroups(got, want []groupJSON) bool {
	if len(got) != len(want) {
		return false
	}
	m := map[string]groupJSON{}
	for _, g := range got {
		m[g.ID] = g
	}
	for _, w := range want {
		if m[w.ID] != w {
			return false
		}
	}
	return true
}

// A saved password account whose token cache is gone signs in again with the
// password from the keyring, without asking.
func TestSavedPasswordAccountSignsInAgainFromKeyring(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	dirs, _ := home.Resolve(f.home)
	if err := keystore.Open(dirs, f.backend).SetSecret(context.Background(), "demo", keystore.TokenCache, ""); err != nil {
		t.Fatal(err)
	}
	f.prompter = failingPrompter{t}
	f.tokens.Store(0)
	code, stdout, stderr := f.run(nil, "groups", "--account", "demo")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceFinance) {
		t.Fatalf("groups: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if f.tokens.Load() == 0 {
		t.Error("no token request although the cache was cleared")
	}
}

func TestAddRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code exitcode.Code
		want []string // in stderr
	}{
		{"secret ID instead of its value",
			map[string]string{EnvPassword: demo.Password, EnvClientSecret: demo.SecretID}, demoUserFlags,
			exitcode.SignIn, []string{"AADSTS7000215", "Value", "Secret ID"}},
		{"MFA user",
			demoPasswordEnv, []string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--username", demo.MFAUsername, "--auth", "password"},
			exitcode.SignIn, []string{"AADSTS50076", "MFA", "--auth device-code"}},
		{"wrong password",
			map[string]string{EnvPassword: "not-it"}, demoUserFlags,
			exitcode.SignIn, []string{"AADSTS50126", "password"}},
		{"no password and no terminal",
			map[string]string{EnvClientSecret: demo.ClientSecret}, demoUserFlags,
			exitcode.Usage, []string{EnvPassword, "not a terminal"}},
		{"service principal without secret",
			nil, []string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal"},
			exitcode.Usage, []string{EnvClientSecret}},
		{"bad tenant",
			demoPasswordEnv, []string{"--tenant", "not a tenant", "--client-id", demo.ClientID, "--username", demo.Username},
			exitcode.Usage, []string{"tenant ID (--tenant)"}},
		{"Domo secret wrong",
			map[string]string{EnvPassword: demo.Password, EnvDomoClientSecret: "wrong"}, append([]string{"--domo-client-id", demo.DomoClientID}, demoUserFlags...),
			exitcode.SignIn, []string{"Domo", "client secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			code, _, stderr := f.run(tt.env, append([]string{"accounts", "add", "demo"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if items := f.items(); len(items) != 0 {
				t.Errorf("keyring holds %v after a refused add", items)
			}
			if list := f.accountNames(); len(list) != 0 {
				t.Errorf("accounts %v saved after a refused add", list)
			}
		})
	}
}

func (f *fixture) accountNames() []string {
	_, stdout, _ := f.run(nil, "accounts", "list", "--json")
	var list []accountJSON
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		f.t.Fatalf("accounts list --json: %v: %q", err, stdout)
	}
	names := []string{}
	for _, a := range list {
		names = append(names, a.Name)
	}
	return names
}

func TestServicePrincipalAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code, _, stderr := f.run(map[string]string{EnvClientSecret: demo.ClientSecret},
		"accounts", "add", "sp", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal")
	if code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Service principals can use Fabric APIs") {
		t.Errorf("the service principal's Power BI conditions are not shown:\n%s", stderr)
	}
	code, stdout, stderr := f.run(nil, "groups", "--account", "sp", "--json")
	var got []groupJSON
	if code != exitcode.OK || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("groups: exit %d %q\n%s", code, stdout, stderr)
	}
	if len(got) != 1 || got[0].Name != demo.WorkspaceSales {
		t.Errorf("service principal sees %+v, want only %s", got, demo.WorkspaceSales)
	}
}

func TestRemoveLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := map[string]string{EnvPassword: demo.Password, EnvClientSecret: demo.ClientSecret, EnvDomoClientSecret: demo.DomoClientSecret}
	for _, name := range []string{"demo", "other"} {
		args := append([]string{"accounts", "add", name, "--domo-client-id", demo.DomoClientID}, demoUserFlags...)
		if code, _, stderr := f.run(env, args...); code != exitcode.OK {
			t.Fatalf("accounts add %s: exit %d\n%s", name, code, stderr)
		}
	}
	if code, _, stderr := f.run(nil, "accounts", "remove", "demo"); code != exitcode.OK || !strings.Contains(stderr, "Removed account demo") {
		t.Fatalf("remove: exit %d\n%s", code, stderr)
	}
	for _, it := range f.items() {
		if strings.Contains(it.Service, "demo") {
			t.Errorf("left in the keyring: %v", it)
		}
	}
	if len(f.items()) == 0 {
		t.Error("removing demo also removed the other account's secrets")
	}
	config, err := os.ReadFile(f.configPath())
	if err != nil || strings.Contains(string(config), `"demo"`) {
		t.Errorf("config still names demo (err %v):\n%s", err, config)
	}
	code, _, stderr := f.run(nil, "accounts", "remove", "demo")
	if code != exitcode.Failure || !strings.Contains(stderr, `no account named "demo"`) || !strings.Contains(stderr, "other") {
		t.Errorf("second remove: exit %d, stderr %q; want 1 listing the saved names", code, stderr)
	}
	if code, _, _ := f.run(nil, "accounts", "remove", "other"); code != exitcode.OK || len(f.items()) != 0 {
		t.Errorf("remove other: exit %d, keyring %v", code, f.items())
	}
}

// removeFails is a keyring that cannot delete: remove must keep the account
// and list what is left.
type removeFails struct{ *keystore.MemoryBackend }

func (removeFails) Delete(context.Context, string, string) error {
	return &keystore.KeyringError{Op: "deleting a secret from", Cause: errors.New("locked")}
}

func TestRemoveReportsWhatIsLeft(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("add: exit %d\n%s", code, stderr)
	}
	mem := f.backend.(*keystore.MemoryBackend)
	f.backend = removeFails{mem}
	code, _, stderr := f.run(nil, "accounts", "remove", "demo")
	f.backend = mem
	if code != exitcode.Failure || !strings.Contains(stderr, "Still stored") || !strings.Contains(stderr, "password") {
		t.Errorf("exit %d, stderr %q; want 1 listing what is left", code, stderr)
	}
	if names := f.accountNames(); !reflect.DeepEqual(names, []string{"demo"}) {
		t.Errorf("accounts after a failed remove: %v, want demo kept", names)
	}
}

func TestAccountsListJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, stdout, _ := f.run(nil, "accounts", "list", "--json"); code != exitcode.OK || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("empty list: exit %d %q, want []", code, stdout)
	}
	f.run(demoPasswordEnv, append([]string{"accounts", "add", "first"}, demoUserFlags...)...)
	time.Sleep(5 * time.Millisecond) // distinct LastUsed
	f.run(map[string]string{EnvClientSecret: demo.ClientSecret},
		"accounts", "add", "second", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal")

	code, stdout, _ := f.run(nil, "accounts", "list", "--json")
	var raw []map[string]any
	if code != exitcode.OK || json.Unmarshal([]byte(stdout), &raw) != nil || len(raw) != 2 {
		t.Fatalf("exit %d, %q", code, stdout)
	}
	if raw[0]["name"] != "second" || raw[1]["name"] != "first" {
		t.Errorf("order %v, %v; want the account used last first", raw[0]["name"], raw[1]["name"])
	}
	want := map[string]any{"name": "first", "cloud": "sandbox", "tenantId": demo.TenantID, "clientId": demo.ClientID,
		"username": demo.Username, "auth": "password", "storage": keystore.StorageMemory}
	for k, v := range want {
		if raw[1][k] != v {
			t.Errorf("first[%q] = %v, want %v", k, raw[1][k], v)
		}
	}
	for _, k := range []string{"created", "lastUsed"} {
		if _, err := time.Parse(time.RFC3339, raw[1][k].(string)); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if _, ok := raw[0]["username"]; ok {
		t.Errorf("service principal has a username: %v", raw[0])
	}

	code, stdout, _ = f.run(nil, "accounts", "list")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitcode.OK || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "second") {
		t.Errorf("accounts list: exit %d\n%s", code, stdout)
	}
}

// noKeyring is a backend whose every call fails as an unreachable keyring.
type noKeyring struct{}

func (noKeyring) err() error {
	return &keystore.KeyringError{Op: "saving a secret to", Cause: errors.New("no D-Bus session")}
}
func (k noKeyring) Set(context.Context, string, string, string) error   { return k.err() }
func (k noKeyring) Get(context.Context, string, string) (string, error) { return "", k.err() }
func (k noKeyring) Delete(context.Context, string, string) error        { return k.err() }
func (noKeyring) Kind() string                                          { return keystore.StorageKeyring }

func TestNoKeyringFailsBeforeAskingAndInsecureStorage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.backend = noKeyring{}
	f.prompter = failingPrompter{t}
	code, _, stderr := f.run(nil, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...)
	if code != exitcode.Failure || !strings.Contains(stderr, "--insecure-storage") || !strings.Contains(stderr, "Secret Service") {
		t.Errorf("exit %d, stderr %q; want 1 naming the fix and --insecure-storage", code, stderr)
	}

	// The explicit alternative: a 0600 file, announced loudly, used later
	// without the flag.
	f.prompter = nil
	code, _, stderr = f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo", "--insecure-storage"}, demoUserFlags...)...)
	if code != exitcode.OK || !strings.Contains(stderr, "plain text") {
		t.Fatalf("--insecure-storage: exit %d\n%s", code, stderr)
	}
	dirs, _ := home.Resolve(f.home)
	fi, err := os.Stat(keystore.NewFileBackend(dirs).Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("insecure file: %v, mode %v", err, fi)
	}
	code, stdout, stderr := f.run(nil, "groups", "--account", "demo")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceFinance) || !strings.Contains(stderr, "plain text") {
		t.Errorf("groups with an insecure account: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, _ := f.run(nil, "accounts", "remove", "demo"); code != exitcode.OK {
		t.Errorf("remove: exit %d", code)
	}
	if b, _ := os.ReadFile(keystore.NewFileBackend(dirs).Path()); strings.Contains(string(b), demo.Password) {
		t.Errorf("insecure file still holds the password after remove:\n%s", b)
	}
}

// fakePrompter answers prompts from a list and records them.
type fakePrompter struct {
	mu      sync.Mutex
	answers []string
	prompts []string
}

func (p *fakePrompter) ReadSecret(_ context.Context, prompt string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prompts = append(p.prompts, prompt)
	if len(p.answers) == 0 {
		return "", nil
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}

type failingPrompter struct{ t *testing.T }

func (p failingPrompter) ReadSecret(_ context.Context, prompt string) (string, error) {
	p.t.Errorf("prompted %q although nothing should be asked", prompt)
	return "", errors.New("unexpected prompt")
}

func TestAddPromptsForMissingSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := &fakePrompter{answers: []string{demo.Password, demo.ClientSecret}}
	f.prompter = p
	code, _, stderr := f.run(nil, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if len(p.prompts) != 2 || !strings.Contains(p.prompts[0], "password") || !strings.Contains(p.prompts[1], "Client secret") {
		t.Errorf("prompts %q", p.prompts)
	}
	dirs, _ := home.Resolve(f.home)
	got, err := keystore.Open(dirs, f.backend).Secret(context.Background(), "demo", keystore.ClientSecret)
	if err != nil || got != demo.ClientSecret {
		t.Errorf("saved client secret: %v (matches: %v)", err, got == demo.ClientSecret)
	}

	// An environment variable is used as is; only what is missing is asked.
	p = &fakePrompter{answers: []string{""}}
	f.prompter = p
	code, _, stderr = f.run(map[string]string{EnvPassword: demo.Password}, append([]string{"accounts", "add", "again"}, demoUserFlags...)...)
	if code != exitcode.OK || len(p.prompts) != 1 || !strings.Contains(p.prompts[0], "optional") {
		t.Errorf("exit %d, prompts %q\n%s", code, p.prompts, stderr)
	}

	p = &fakePrompter{answers: []string{""}}
	f.prompter = p
	code, _, stderr = f.run(nil, "accounts", "add", "sp", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal")
	if code != exitcode.Usage || !strings.Contains(stderr, "no client secret given") {
		t.Errorf("empty required answer: exit %d\n%s", code, stderr)
	}
}

func TestAccountsUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		args []string
		code exitcode.Code
		want string
	}{
		{[]string{"accounts"}, exitcode.Usage, "list, add or remove"},
		{[]string{"accounts", "nope"}, exitcode.Usage, `unknown accounts subcommand "nope"`},
		{[]string{"accounts", "add"}, exitcode.Usage, "exactly one account NAME"},
		{[]string{"accounts", "add", "-bad name"}, exitcode.Usage, "flag provided but not defined"},
		{[]string{"accounts", "add", "bad/name"}, exitcode.Usage, "bad/name"},
		{[]string{"accounts", "remove"}, exitcode.Usage, "exactly one account NAME"},
		{[]string{"accounts", "list", "x"}, exitcode.Usage, "no arguments"},
		{[]string{"groups", "--account", "ghost"}, exitcode.Usage, `no account named "ghost"`},
		{[]string{"groups"}, exitcode.Usage, "--account NAME"},
	}
	for _, tt := range tests {
		code, _, stderr := f.run(nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d with %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}
