package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

func TestAccountsScreen(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		accounts []AccountSummary
	}{
		{"none saved", nil},
		{"most recent first", []AccountSummary{
			{Name: "old", Method: MethodServicePrincipal, ClientID: demo.ClientID, LastUsed: now.Add(-48 * time.Hour)},
			{Name: "sandbox", Method: MethodPassword, Username: demo.Username, LastUsed: now},
			{Name: "gov", Method: MethodDeviceCode, Cloud: "usgov", Username: "ops@agency.example", LastUsed: now.Add(-time.Hour)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb := newFakeBackend()
			fb.accounts = tc.accounts
			m := newTestRoot(t, fb, testOptions())
			settle(t, m, m.Init())
			requireGolden(t, m)
		})
	}
}

func TestAccountsOpenSavedGoesToInput(t *testing.T) {
	fb := newFakeBackend()
	fb.accounts = []AccountSummary{{Name: "sandbox", Method: MethodPassword, Username: demo.Username}}
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	press(t, m, "enter")
	if _, ok := m.top().(*input); !ok {
		t.Fatalf("after opening a saved account the screen is %T, want *input", m.top())
	}
	if m.account.Name != "sandbox" {
		t.Errorf("account = %q", m.account.Name)
	}
}

func TestAccountsExpiredSecretOpensCredentialsWithAdvice(t *testing.T) {
	fb := newFakeBackend()
	fb.accounts = []AccountSummary{{Name: "prod", Method: MethodPassword, TenantID: demo.TenantID, ClientID: demo.ClientIDExpired, Username: demo.Username}}
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	press(t, m, "enter")
	cr, ok := m.top().(*credentials)
	if !ok {
		t.Fatalf("screen is %T, want *credentials", m.top())
	}
	if got := cr.get(FieldClientSecret).advice; !strings.Contains(got, "Certificates & secrets") {
		t.Errorf("advice beside the secret = %q", got)
	}
	if got := cr.get(FieldClientID).value(); got != demo.ClientIDExpired {
		t.Errorf("client ID not kept: %q", got)
	}
	requireGolden(t, m)
}

func credentialsRoot(t *testing.T, fb *fakeBackend, fill Credentials) *Model {
	t.Helper()
	o := testOptions()
	o.Prefill = fill
	m := newTestRoot(t, fb, o)
	settle(t, m, m.Init())
	press(t, m, "enter") // "+ Add a new account"
	if _, ok := m.top().(*credentials); !ok {
		t.Fatalf("screen is %T, want *credentials", m.top())
	}
	return m
}

func TestCredentialsScreen(t *testing.T) {
	t.Run("prefilled", func(t *testing.T) {
		m := credentialsRoot(t, newFakeBackend(), demoCredentials())
		requireGolden(t, m)
	})
	t.Run("validated as typed", func(t *testing.T) {
		m := credentialsRoot(t, newFakeBackend(), Credentials{})
		press(t, m, "tab", "tab", "tab") // to the client ID
		typeText(t, m, "my-app")
		press(t, m, "tab", "tab") // to the tenant
		typeText(t, m, "contoso")
		press(t, m, "tab")
		typeText(t, m, "admin")
		requireGolden(t, m)
	})
	t.Run("service principal", func(t *testing.T) {
		m := credentialsRoot(t, newFakeBackend(), Credentials{})
		press(t, m, "right", "right") // method → service-principal
		press(t, m, "enter")
		requireGolden(t, m)
	})
}

func TestCredentialsSignInFailureAdviceBesideField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Credentials)
		field string
		want  string
	}{
		{"secret ID pasted", func(c *Credentials) { c.ClientSecret = demo.SecretID }, FieldClientSecret, "copy its Value"},
		{"wrong secret", func(c *Credentials) { c.ClientSecret = "not-it" }, FieldClientSecret, "AADSTS7000215"},
		{"MFA user", func(c *Credentials) { c.Username = demo.MFAUsername }, FieldUsername, "device-code"},
		{"wrong password", func(c *Credentials) { c.Password = "nope" }, FieldPassword, "AADSTS50126"},
		{"public flows off", func(c *Credentials) { c.ClientID = demo.ClientIDNoPublicFlow }, FieldClientID, "Allow public client flows: Yes"},
		{"unknown tenant", func(c *Credentials) { c.TenantID = "00000000-0000-4000-8000-00000000beef" }, FieldTenantID, "AADSTS90002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := demoCredentials()
			tc.edit(&c)
			m := credentialsRoot(t, newFakeBackend(), c)
			press(t, m, "enter")
			cr := m.top().(*credentials)
			f := cr.get(tc.field)
			got := f.advice
			if f.err != nil { // caught as typed, before any sign-in
				got += f.err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("advice beside %s = %q, want it to mention %q", tc.field, got, tc.want)
			}
			if cr.fields[cr.focus].id != tc.field {
				t.Errorf("focus on %s, want %s", cr.fields[cr.focus].id, tc.field)
			}
			if strings.Count(got, "Allow public client flows: Yes") > 1 {
				t.Errorf("advice repeated: %q", got)
			}
			if tc.name == "wrong secret" || tc.name == "MFA user" || tc.name == "public flows off" {
				requireGolden(t, m)
			}
		})
	}
}

func TestCredentialsSuccessSavesAndMovesOn(t *testing.T) {
	fb := newFakeBackend()
	m := credentialsRoot(t, fb, demoCredentials())
	press(t, m, "enter")
	if _, ok := m.top().(*input); !ok {
		t.Fatalf("screen is %T, want *input", m.top())
	}
	if len(fb.saved) != 1 || fb.saved[0].InsecureStorage || fb.saved[0].Password != demo.Password {
		t.Fatalf("saved = %+v", fb.saved)
	}
}

func TestCredentialsKeyringUnavailableOffersInsecureStorage(t *testing.T) {
	fb := newFakeBackend()
	fb.keyringDown = true
	m := credentialsRoot(t, fb, demoCredentials())
	press(t, m, "enter")
	requireGolden(t, m)
	press(t, m, "y")
	if _, ok := m.top().(*input); !ok {
		t.Fatalf("screen is %T, want *input", m.top())
	}
	if len(fb.saved) != 1 || !fb.saved[0].InsecureStorage {
		t.Fatalf("saved = %+v, want one insecure save", fb.saved)
	}
}

func TestCredentialsDeviceCodeShownVerbatim(t *testing.T) {
	fb := newFakeBackend()
	fb.deviceGate = make(chan struct{})
	c := demoCredentials()
	c.Method = MethodDeviceCode
	m := credentialsRoot(t, fb, c)
	_, cmd := m.Update(keyMsg("enter"))
	cr := m.top().(*credentials)
	settleUntil(t, m, cmd, func() bool { return cr.busy.prompt != "" })
	requireGolden(t, m)
	if !strings.Contains(screenText(m), "https://microsoft.com/devicelogin and enter the code FAKE-1234") {
		t.Error("the device-code message is not shown verbatim")
	}
	close(fb.deviceGate)
}

// The browser method: offered first, no username or password asked, and
// while it waits the URL to copy is on the screen; esc stops waiting.
func TestCredentialsBrowserShowsTheURLToCopy(t *testing.T) {
	fb := newFakeBackend()
	fb.deviceGate = make(chan struct{})
	defer close(fb.deviceGate)
	c := demoCredentials()
	c.Method = MethodBrowser
	m := credentialsRoot(t, fb, c)
	cr := m.top().(*credentials)
	if cr.get(FieldMethod).options[0] != MethodBrowser {
		t.Fatalf("methods %v: browser is not first", cr.get(FieldMethod).options)
	}
	if cr.visible(cr.get(FieldUsername)) || cr.visible(cr.get(FieldPassword)) {
		t.Fatal("the browser method asks for a username or password")
	}
	_, cmd := m.Update(keyMsg("enter"))
	settleUntil(t, m, cmd, func() bool { return cr.busy.prompt != "" })
	if !strings.Contains(screenText(m), "https://login.microsoftonline.com/fake/oauth2/v2.0/authorize?client_id=x") {
		t.Fatalf("the URL to copy is not shown:\n%s", screenText(m))
	}
	if _, cmd := m.Update(keyMsg("c")); cmd == nil {
		t.Fatal("c does not copy the URL")
	}
	m.Update(keyMsg("esc"))
	if cr.busy.active() {
		t.Fatal("esc did not stop waiting for the browser")
	}
}

// After the tenant refuses a method (MFA for a password), the screen lists
// the methods refused so far.
func TestCredentialsListRefusedMethods(t *testing.T) {
	c := demoCredentials()
	c.Username = demo.MFAUsername
	m := credentialsRoot(t, newFakeBackend(), c)
	if strings.Contains(screenText(m), "Refused by this tenant") {
		t.Fatal("a refusal listed before any sign-in")
	}
	press(t, m, "enter")
	if !strings.Contains(screenText(m), "Refused by this tenant so far: password.") {
		t.Fatalf("the refused method is not listed:\n%s", screenText(m))
	}
	c.Username = demo.Username
	c.Password = "nope" // a wrong password is not the method's refusal
	m = credentialsRoot(t, newFakeBackend(), c)
	press(t, m, "enter")
	if strings.Contains(screenText(m), "Refused by this tenant") {
		t.Fatal("a wrong password listed as the method's refusal")
	}
}
