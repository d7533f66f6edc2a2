package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/browser"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// TestMain lets this test binary be the $BROWSER of --auth browser: run as
// `cli.test pbiwb-test-browser [flags] URL`, it is the sandbox's browser
// stand-in (pbiwb-sandbox-browser), a separate process as a browser is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "pbiwb-test-browser" {
		os.Exit(browser.Main(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

// browserCmd is a $BROWSER value that runs the stand-in with flags.
func browserCmd(flags ...string) string {
	return "'" + os.Args[0] + "' pbiwb-test-browser " + strings.Join(flags, " ")
}

func browserFlags(tenant string) []string {
	return []string{"--tenant", tenant, "--client-id", demo.ClientID, "--auth", "browser"}
}

func TestAccountsAddBrowserThenGroupsWithoutPrompt(t *testing.T) {
	f := newFixture(t)
	code, _, stderr := f.run(map[string]string{EnvBrowser: browserCmd()}, append([]string{"accounts", "add", "demo"}, browserFlags(demo.TenantID)...)...)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, w := range []string{"Opening the browser to sign in (BROWSER=", "✓ Signed in to Entra ID as " + demo.Username, "Saved account demo"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	// No password, no client secret: the saved sign-in only.
	for _, it := range f.items() {
		if !strings.Contains(it.Key, string(keystore.TokenCache)) {
			t.Errorf("keyring holds %v for a browser account", it)
		}
	}
	// groups afterwards: no prompt, no browser (a BROWSER that fails shows
	// it would have been used).
	code, stdout, stderr := f.run(map[string]string{EnvBrowser: "false"}, "groups", "--account", "demo")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceSales) || strings.Contains(stderr, "browser") {
		t.Fatalf("groups: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestBrowserSignInRefusals(t *testing.T) {
	f := newFixture(t)
	codeFile := filepath.Join(t.TempDir(), "code")
	if code, _, stderr := f.run(map[string]string{EnvBrowser: browserCmd("--code-file", codeFile)}, append([]string{"groups"}, browserFlags(demo.TenantID)...)...); code != exitcode.OK {
		t.Fatalf("first sign-in: exit %d\n%s", code, stderr)
	}
	tests := []struct {
		name    string
		browser string
		want    []string
	}{
		{"wrong PKCE verifier", browserCmd("--wrong-pkce"), []string{"AADSTS501481", "PKCE"}},
		{"reused code", browserCmd("--code-file", codeFile), []string{"AADSTS54005", "already used"}},
		{"code for another redirect URI", browserCmd("--wrong-redirect"), []string{"AADSTS500112", "redirect URI"}},
		{"the browser command fails", browserCmd("--login", "nobody@contoso.example"), []string{"BROWSER failed", "AADSTS50034", "--auth device-code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := f.run(map[string]string{EnvBrowser: tt.browser}, append([]string{"groups"}, browserFlags(demo.TenantID)...)...)
			if code != exitcode.SignIn {
				t.Errorf("exit %d, want %d\n%s", code, exitcode.SignIn, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestStrictTenantRefusalsLeadOut: the strict tenant's three refusals, each
// with advice naming a method that remains, and the browser that passes.
func TestStrictTenantRefusalsLeadOut(t *testing.T) {
	f := newFixture(t)
	strict := []string{"--tenant", demo.StrictTenantID, "--client-id", demo.ClientID}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code exitcode.Code
		want []string
		not  string
	}{
		{"password", map[string]string{EnvPassword: demo.Password}, append([]string{"--username", demo.StrictUsername, "--auth", "password"}, strict...),
			exitcode.SignIn, []string{"AADSTS50076", "--auth browser"}, ""},
		{"device code", nil, append([]string{"--auth", "device-code"}, strict...),
			exitcode.SignIn, []string{"AADSTS53003", "Block device code flow", "--auth browser"}, "Fix: Sign in with the device-code"},
		{"browser", map[string]string{EnvBrowser: browserCmd("--login", demo.StrictUsername)}, append([]string{"--auth", "browser"}, strict...),
			exitcode.OK, []string{"Signed in to Entra ID as " + demo.StrictUsername}, ""},
		// The user under a device-based policy: the advice leads to a
		// managed device or a service principal, never back to the browser
		// on this device.
		{"device password", map[string]string{EnvPassword: demo.Password}, append([]string{"--username", demo.StrictDeviceUsername, "--auth", "password"}, strict...),
			exitcode.SignIn, []string{"AADSTS530033", "Require compliant or registered device", "a device your organisation manages", "--auth service-principal"}, ""},
		{"device browser", map[string]string{EnvBrowser: browserCmd("--login", demo.StrictDeviceUsername)}, append([]string{"--auth", "browser"}, strict...),
			exitcode.SignIn, []string{"AADSTS530033", "this computer is not one your organisation manages", "register this one", "--auth service-principal"}, "--auth browser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := f.run(tt.env, append([]string{"accounts", "add", "strict-" + strings.ReplaceAll(tt.name, " ", "-")}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.not != "" && strings.Contains(stderr, tt.not) {
				t.Errorf("stderr has %q:\n%s", tt.not, stderr)
			}
		})
	}
}

// TestBrowserNoneOpensPrintsTheURLAndWaits: without $BROWSER or a display,
// the URL is printed and pbiwb waits; someone opening it finishes the
// sign-in. Cancelling the wait ends the command.
func TestBrowserNoneOpensPrintsTheURLAndWaits(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("the system's browser opens without a display variable here")
	}
	f := newFixture(t)
	for _, cancelIt := range []bool{false, true} {
		env, _, errb := f.env(nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan exitcode.Code, 1)
		go func() {
			done <- Main(ctx, append([]string{"--sandbox", f.sb.URL(), "--home", f.home, "groups"}, browserFlags(demo.TenantID)...), env)
		}()
		url := waitForURL(t, errb)
		if !strings.Contains(errb.String(), "No browser could be opened: no display here") || !strings.Contains(errb.String(), "--auth device-code") {
			t.Fatalf("stderr:\n%s", errb)
		}
		want := exitcode.OK
		if cancelIt {
			cancel()
			want = exitcode.Interrupted
		} else if err := browser.Follow(context.Background(), url, browser.Options{Login: demo.Username, Password: demo.Password, Client: f.sb.Client()}); err != nil {
			t.Fatal(err)
		}
		if code := <-done; code != want {
			t.Errorf("cancel %v: exit %d, want %d\n%s", cancelIt, code, want, errb)
		}
		cancel()
	}
}

// waitForURL reads the sign-in URL pbiwb prints on stderr.
func waitForURL(t *testing.T, errb *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(errb.String(), "\n") {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, "https://") && strings.Contains(l, "/oauth2/v2.0/authorize?") {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond) // polling for output, not timing: the deadline is generous
	}
	t.Fatalf("no sign-in URL on stderr:\n%s", errb)
	return ""
}

func TestSplitWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		`firefox`:                    {"firefox"},
		`open -a "Google Chrome"`:    {"open", "-a", "Google Chrome"},
		`'/path with space/b' --x y`: {"/path with space/b", "--x", "y"},
		`a\ b  c`:                    {"a b", "c"},
		`x ''`:                       {"x", ""},
	} {
		if got := splitWords(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAccountsAddPasswordRecommendsTheBrowser(t *testing.T) {
	f := newFixture(t)
	code, _, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var notices []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "Note: ") && strings.Contains(l, "--auth browser") {
			notices = append(notices, l)
		}
	}
	if len(notices) != 1 {
		t.Fatalf("want one line recommending --auth browser:\n%s", stderr)
	}
}

// The wizard's browser sign-in: the messages go to the screen (the prompts
// channel), never to the terminal, and name esc and the wizard's field.
func TestWizardBrowserSignIn(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	b.getenv = func(k string) string { return map[string]string{EnvBrowser: browserCmd()}[k] }
	c := ui.Credentials{Name: "desk", Method: ui.MethodBrowser, Cloud: "public", TenantID: demo.TenantID, ClientID: demo.ClientID}
	prompts := make(chan string, 4)
	acc, err := b.SignIn(ctx, c, prompts)
	if err != nil || acc.Username != demo.Username || acc.Method != ui.MethodBrowser {
		t.Fatalf("browser sign-in = %+v, %v", acc, err)
	}
	select {
	case msg := <-prompts:
		if !strings.Contains(msg, "Opening the browser") || !strings.Contains(msg, "/oauth2/v2.0/authorize?") {
			t.Fatalf("prompt %q", msg)
		}
	default:
		t.Fatal("no message on the prompts channel")
	}
	// No browser: the URL to copy, esc to stop, the wizard's words for device code.
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return // the system's browser opens without a display variable there
	}
	b.getenv = func(string) string { return "" }
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := b.SignIn(sctx, c, prompts); done <- err }()
	msg := <-prompts
	cancel()
	if !strings.Contains(msg, "esc to stop") || !strings.Contains(msg, "the sign-in method (Credentials) set to device-code") {
		t.Fatalf("prompt %q", msg)
	}
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait signed in")
	}
}

// A saved browser account whose sign-in lapsed signs in again in the
// browser when the wizard opens it, its messages on the screen.
func TestWizardReopensLapsedBrowserAccount(t *testing.T) {
	f := newFixtureWith(t, sandbox.Options{TokenLifetime: 2 * time.Minute}) // too short for MSAL to cache: every Token refreshes
	code, _, stderr := f.run(map[string]string{EnvBrowser: browserCmd()},
		append([]string{"accounts", "add", "desk", "--insecure-storage"}, browserFlags(demo.TenantID)...)...)
	if code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	resp, err := f.sb.Client().Post(f.sb.URL()+"/_sandbox/reset", "application/json", nil) // every refresh token is forgotten
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b := f.wizard()
	b.getenv = func(k string) string { return map[string]string{EnvBrowser: browserCmd()}[k] }
	prompts := make(chan string, 4)
	acc, err := b.OpenAccount(testCtx(t), "desk", prompts)
	if err != nil || acc.Name != "desk" {
		t.Fatalf("OpenAccount = %+v, %v", acc, err)
	}
	select {
	case msg := <-prompts:
		if !strings.Contains(msg, "Opening the browser") {
			t.Fatalf("prompt %q", msg)
		}
	default:
		t.Fatal("the browser sign-in said nothing on the screen")
	}
}

// The strict tenant's refusals reach the wizard as refusals of the method,
// so its Credentials screen can list them; other failures do not.
func TestWizardStrictTenantRefusalsAreMethodRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	base := ui.Credentials{Name: "strict", Cloud: "public", TenantID: demo.StrictTenantID, ClientID: demo.ClientID}
	for _, tc := range []struct {
		edit    func(*ui.Credentials)
		refused bool
	}{
		{func(c *ui.Credentials) {
			c.Method, c.Username, c.Password = ui.MethodPassword, demo.StrictUsername, demo.Password
		}, true},
		{func(c *ui.Credentials) { c.Method = ui.MethodDeviceCode }, true},
		{func(c *ui.Credentials) {
			c.Method, c.Username, c.Password = ui.MethodPassword, demo.StrictUsername, "wrong"
		}, false},
		{func(c *ui.Credentials) {
			c.Method, c.Username, c.Password = ui.MethodPassword, demo.StrictDeviceUsername, demo.Password
		}, true},
	} {
		c := base
		tc.edit(&c)
		_, err := b.SignIn(ctx, c, make(chan string, 4))
		var mr ui.MethodRefusal
		if got := errors.As(err, &mr) && mr.MethodRefused(); got != tc.refused {
			t.Errorf("%s: refused %v, want %v (%v)", c.Method, got, tc.refused, err)
		}
	}
}

// TestWizardDeviceBoundUserAdvice: the wizard words the 530033 advice with
// its own labels: a managed device, or the service principal method.
func TestWizardDeviceBoundUserAdvice(t *testing.T) {
	f := newFixture(t)
	b := f.wizard()
	b.getenv = func(k string) string {
		return map[string]string{EnvBrowser: browserCmd("--login", demo.StrictDeviceUsername)}[k]
	}
	base := ui.Credentials{Name: "kiosk", Cloud: "public", TenantID: demo.StrictTenantDomain, ClientID: demo.ClientID}
	for _, m := range []string{ui.MethodPassword, ui.MethodBrowser} {
		c := base
		c.Method = m
		if m == ui.MethodPassword {
			c.Username, c.Password = demo.StrictDeviceUsername, demo.Password
		}
		_, err := b.SignIn(testCtx(t), c, make(chan string, 8))
		var fe ui.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v, want a field error", m, err)
		}
		text := err.Error() + " " + fe.Advice()
		for _, w := range []string{"AADSTS530033", "a device your organisation manages", "service principal"} {
			if !strings.Contains(text, w) {
				t.Errorf("%s: lacks %q:\n%s", m, w, text)
			}
		}
		if strings.Contains(text, "--") {
			t.Errorf("%s: names a flag in the wizard:\n%s", m, text)
		}
	}
}

// doctor runs a saved browser account's sign-in from its tokens, and skips a
// new browser sign-in without a terminal, saying why.
func TestDoctorBrowserSignIn(t *testing.T) {
	f := newFixture(t)
	if code, _, stderr := f.run(map[string]string{EnvBrowser: browserCmd()}, append([]string{"accounts", "add", "desk"}, browserFlags(demo.TenantID)...)...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	_, results, _ := f.doctorJSON(t, nil, "--account", "desk")
	if r := results[doctor.CheckSignIn]; r.Status != doctor.Pass || !strings.Contains(r.Found, "saved browser sign-in") {
		t.Fatalf("saved: %+v", r)
	}
	_, results, _ = f.doctorJSON(t, map[string]string{EnvBrowser: browserCmd()}, browserFlags(demo.TenantID)...)
	if r := results[doctor.CheckSignIn]; r.Status != doctor.Skip || !strings.Contains(r.Found, "no terminal") {
		t.Fatalf("unsaved without a terminal: %+v", r)
	}
}

// TestStalledSignInBoundedByRequestTimeout: a sign-in host that accepts the
// connection and never answers (the sandbox held by an hour's latency) is
// given up on after --request-timeout, with an error that says which request
// stalled and which setting bounds it, for accounts add and for groups.
func TestStalledSignInBoundedByRequestTimeout(t *testing.T) {
	f := newFixtureWith(t, sandbox.Options{Latency: time.Hour})
	creds := []string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--username", demo.Username, "--auth", "password", "--request-timeout", "1s"}
	for _, args := range [][]string{
		append([]string{"accounts", "add", "stalled", "--insecure-storage"}, creds...),
		append([]string{"groups"}, creds...),
	} {
		code, _, stderr := f.run(map[string]string{EnvPassword: demo.Password}, args...)
		if code != exitcode.SignIn {
			t.Errorf("%s: exit %d, want %d\n%s", args[0], code, exitcode.SignIn, stderr)
		}
		for _, w := range []string{"did not answer the tenant's metadata request (openid-configuration): nothing arrived for 1s", "--request-timeout"} {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", args[0], w, stderr)
			}
		}
	}
}
