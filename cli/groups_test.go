package cli

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

func TestGroupsUnsavedFromEnvironment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		want  []string
		avoid []string
	}{
		{"password", map[string]string{EnvPassword: demo.Password}, demoUserFlags,
			[]string{demo.WorkspaceSales, demo.WorkspaceFinance, demo.WorkspaceOperations, demo.WorkspaceExecutive}, []string{demo.WorkspaceHidden}},
		{"service principal", map[string]string{EnvClientSecret: demo.ClientSecret},
			[]string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal"},
			[]string{demo.WorkspaceSales}, []string{demo.WorkspaceFinance, demo.WorkspaceHidden}},
		{"auth defaults to service principal without a username", map[string]string{EnvClientSecret: demo.ClientSecret},
			[]string{"--tenant", demo.TenantDomain, "--client-id", demo.ClientID},
			[]string{demo.WorkspaceSales}, []string{demo.WorkspaceFinance}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := f.run(tt.env, append([]string{"groups"}, tt.args...)...)
			if code != exitcode.OK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.avoid {
				if strings.Contains(stdout, w) {
					t.Errorf("shows %q:\n%s", w, stdout)
				}
			}
		})
	}
	if len(f.items()) != 0 || len(f.accountNames()) != 0 {
		t.Errorf("unsaved credentials were saved: %v", f.items())
	}
	code, _, stderr := f.run(map[string]string{EnvPassword: "wrong"}, append([]string{"groups"}, demoUserFlags...)...)
	if code != exitcode.SignIn || !strings.Contains(stderr, "AADSTS50126") {
		t.Errorf("wrong password: exit %d\n%s", code, stderr)
	}
}

// A Power BI refusal (an injected 403 here) is exit 5 with powerbi.Advice.
func TestGroupsPowerBIRefusalIsExit5(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, err := f.sb.Client().Post(f.sb.URL()+"/_sandbox/faults", "application/json", strings.NewReader(`{"errorRate":1,"status":403}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, stdout, stderr := f.run(map[string]string{EnvPassword: demo.Password}, append([]string{"groups"}, demoUserFlags...)...)
	if code != exitcode.Refused || stdout != "" || !strings.Contains(stderr, "RequestId") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 5 with Power BI's advice and RequestId", code, stdout, stderr)
	}
}

func TestNameContains(t *testing.T) {
	t.Parallel()
	groups := []powerbi.Group{{Name: "Sales Analytics"}, {Name: "Finance"}, {Name: "Ventes (Saleś)"}}
	tests := []struct {
		text string
		want int
	}{{"", 3}, {"sales", 1}, {"ANCE", 1}, {"saleś", 1}, {"x", 0}}
	for _, tt := range tests {
		if got := nameContains(groups, tt.text); len(got) != tt.want {
			t.Errorf("%q: %d matches, want %d", tt.text, len(got), tt.want)
		}
	}
}

var deviceMessageRE = regexp.MustCompile(`open the page (\S+) and enter the code (\S+) to authenticate`)

// Device code: Entra's message reaches stderr verbatim, and approving the
// code in the "browser" completes accounts add. (Entra's poll interval makes
// this test take about five seconds.)
func TestAddDeviceCodeShowsMessageVerbatim(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env, out, errb := f.env(nil)
	done := make(chan exitcode.Code, 1)
	go func() {
		done <- Main(context.Background(), []string{"--sandbox", f.sb.URL(), "--home", f.home,
			"accounts", "add", "dev", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "device-code"}, env)
	}()
	approveDeviceCode(t, f, errb)
	select {
	case code := <-done:
		if code != exitcode.OK {
			t.Fatalf("exit %d\n%s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("accounts add did not finish after approval")
	}
	f.assertNoSecrets(nil, out.String(), errb.String())
	f.prompter = failingPrompter{t}
	code, stdout, stderr := f.run(nil, "groups", "--account", "dev")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceFinance) {
		t.Errorf("groups --account dev: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// approveDeviceCode waits for Entra's device-code message on stderr, checks
// it is printed verbatim, and approves the code as the demo user would in a
// browser.
func approveDeviceCode(t *testing.T, f *fixture, stderr *syncBuffer) {
	t.Helper()
	var m []string
	waitFor(t, patience(t), "the device-code message on stderr", func() bool {
		m = deviceMessageRE.FindStringSubmatch(stderr.String())
		return m != nil
	})
	if !strings.Contains(stderr.String(), "To sign in, use a web browser to open the page "+m[1]+" and enter the code "+m[2]+" to authenticate.\n") {
		t.Errorf("message not verbatim: %q", stderr.String())
	}
	resp, err := f.sb.Client().PostForm(m[1], url.Values{"user_code": {m[2]}, "username": {demo.Username}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestGroupsDeviceCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env, out, errb := f.env(nil)
	done := make(chan exitcode.Code, 1)
	go func() {
		done <- Main(context.Background(), []string{"--sandbox", f.sb.URL(), "--home", f.home,
			"groups", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "device-code"}, env)
	}()
	approveDeviceCode(t, f, errb)
	select {
	case code := <-done:
		if code != exitcode.OK || !strings.Contains(out.String(), demo.WorkspaceFinance) {
			t.Fatalf("unsaved device code: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("groups did not finish after approval")
	}

	// A saved device-code account whose sign-in is gone, without a terminal:
	// exit 4 saying to sign in again.
	env, _, errb = f.env(nil)
	go func() {
		done <- Main(context.Background(), []string{"--sandbox", f.sb.URL(), "--home", f.home,
			"accounts", "add", "dev", "--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "device-code"}, env)
	}()
	approveDeviceCode(t, f, errb)
	if code := <-done; code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, errb.String())
	}
	dirs, _ := home.Resolve(f.home)
	if err := keystore.Open(dirs, f.backend).SetSecret(context.Background(), "dev", keystore.TokenCache, ""); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := f.run(nil, "groups", "--account", "dev")
	if code != exitcode.SignIn || !strings.Contains(stderr, "device code") {
		t.Errorf("lapsed device-code account: exit %d\n%s", code, stderr)
	}
}

// The workspaces `pbiwb groups` listed complete --group afterwards, with no
// call to Power BI (the sandbox is gone by then).
func TestGroupsFeedCompletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(map[string]string{EnvPassword: demo.Password}, append([]string{"groups"}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("groups: exit %d\n%s", code, stderr)
	}
	got := completeIn(t, f.home, "push", "--group", "")
	if len(got) < 3 || got[0] != powerbi.MyWorkspaceName || got[1] != demo.WorkspaceSales || !slices.Contains(got, demo.WorkspaceOperations) {
		t.Errorf("__complete push --group: %q", got)
	}
}
