package entra_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/browser"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// opener is the browser method's URL opener: the sandbox browser stand-in,
// run as a browser would (asynchronously), aborting the wait when it fails.
func (l *lab) opener(o browser.Options) entra.URLOpener {
	if o.Login == "" {
		o.Login, o.Password = demo.Username, demo.Password
	}
	o.Client = l.ep.HTTP
	return func(u string, abort func(error)) error {
		go func() {
			if err := browser.Follow(context.Background(), u, o); err != nil {
				abort(err)
			}
		}()
		return nil
	}
}

func TestBrowserSignInAndSilentReuse(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	ctx := context.Background()
	cache := &memCache{}
	c := creds(entra.MethodBrowser, demo.ClientID, "", "", "")
	s, err := entra.New(l.ep, c, cache, entra.WithBrowser(l.opener(browser.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SignIn(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != entra.MethodBrowser || res.Username != demo.Username || len(res.Notes) != 0 {
		t.Fatalf("result %+v", res)
	}
	if l.counter.count("authorization_code") != 1 {
		t.Fatalf("authorization_code grants: %d", l.counter.count("authorization_code"))
	}
	// The next run: a new session on the saved cache, no opener, no prompt.
	s2, err := entra.New(l.ep, c, cache)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s2.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cl := claimsOf(t, tok); cl.UPN != demo.Username {
		t.Fatalf("claims %+v", cl)
	}
	if n := l.counter.count("authorization_code"); n != 1 {
		t.Fatalf("the second run signed in again (%d code grants)", n)
	}
	// Nothing saved: the browser method must sign in again, and says so.
	s3, _ := entra.New(l.ep, c, &memCache{})
	_, err = s3.Token(ctx)
	var e *entra.Error
	if !errors.Is(err, entra.ErrInteractionRequired) || !errors.As(err, &e) || !strings.Contains(e.Fix, "in the browser") {
		t.Fatalf("no saved sign-in: %v", err)
	}
	// A username given is a login hint; signing in as someone else is noted.
	c.Username = demo.MFAUsername
	s4, _ := entra.New(l.ep, c, &memCache{}, entra.WithBrowser(l.opener(browser.Options{})))
	res, err = s4.SignIn(ctx, nil)
	if err != nil || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "not as "+demo.MFAUsername) {
		t.Fatalf("other user: %+v %v", res, err)
	}
}

func TestBrowserSignInRefusals(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	var first string
	keep := browser.Options{Code: func(c string) string { first = c; return c }}
	cases := []struct {
		name string
		c    entra.Credentials
		o    browser.Options
		code int
		text string // in the error: the fix, or the page's text
	}{
		{"wrong PKCE verifier", creds(entra.MethodBrowser, demo.ClientID, "", "", ""), browser.Options{Authorize: func(u *url.URL) {
			q := u.Query()
			sum := sha256.Sum256([]byte("not MSAL's verifier"))
			q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
			u.RawQuery = q.Encode()
		}}, 501481, "finish it in the browser that pbiwb opened"},
		{"reused code", creds(entra.MethodBrowser, demo.ClientID, "", "", ""), browser.Options{Code: func(string) string { return first }}, 54005, "Start the sign-in again"},
		{"redirect URI of another request", creds(entra.MethodBrowser, demo.ClientID, "", "", ""), browser.Options{Authorize: func(u *url.URL) {
			q := u.Query()
			q.Set("redirect_uri", "http://localhost:1")
			u.RawQuery = q.Encode()
		}, KeepRedirect: true}, 500112, "Start the sign-in again"},
		{"no consent", creds(entra.MethodBrowser, demo.ClientIDNoConsent, "", "", ""), browser.Options{}, 65001, "Grant admin consent"},
		{"redirect URI not registered", creds(entra.MethodBrowser, demo.ClientIDCertificate, "", "", ""), browser.Options{}, 0, "AADSTS50011"},
		{"wrong password on the page", creds(entra.MethodBrowser, demo.ClientID, "", "", ""), browser.Options{Login: demo.Username, Password: "nope"}, 0, "AADSTS50126"},
	}
	// A first sign-in whose code the "reused code" case replays.
	s, _ := entra.New(l.ep, creds(entra.MethodBrowser, demo.ClientID, "", "", ""), nil, entra.WithBrowser(l.opener(keep)))
	if _, err := s.SignIn(context.Background(), nil); err != nil || first == "" {
		t.Fatalf("first sign-in: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := entra.New(l.ep, tc.c, nil, entra.WithBrowser(l.opener(tc.o)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err = s.SignIn(ctx, nil)
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want a refusal", err)
			}
			var e *entra.Error
			if !errors.As(err, &e) || e.Code != tc.code || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %T %v (code %d), want AADSTS%d and %q", err, err, e.Code, tc.code, tc.text)
			}
		})
	}
}

// TestStrictTenantAdviceLeadsOut: each refusal's advice names a method that
// remains, and never the one just refused (issue 12, item 4).
func TestStrictTenantAdviceLeadsOut(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	strict := func(m entra.Method, user, password, secret string) entra.Credentials {
		return entra.Credentials{TenantID: demo.StrictTenantID, ClientID: demo.ClientID, Username: user, Method: m, Password: password, ClientSecret: secret}
	}
	cases := []struct {
		name     string
		c        entra.Credentials
		code     int
		want     string // the method the fix leads to
		notWant  string
		fieldErr field.ID
	}{
		{"password", strict(entra.MethodPassword, demo.StrictUsername, demo.Password, ""), 50076, "auth method browser", "", field.Username},
		{"device code", strict(entra.MethodDeviceCode, "", "", ""), 53003, "auth method browser", "auth method device-code", field.AuthMethod},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := l.signInErr(t, tc.c)
			var e *entra.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Field != tc.fieldErr {
				t.Fatalf("got %v, want AADSTS%d on %q", err, tc.code, tc.fieldErr)
			}
			if !strings.Contains(e.Fix, tc.want) || (tc.notWant != "" && strings.Contains(e.Fix, tc.notWant)) {
				t.Fatalf("fix %q: want %q, not %q", e.Fix, tc.want, tc.notWant)
			}
			if tc.code == 53003 && !strings.Contains(e.Summary, "Block device code flow") {
				t.Fatalf("summary %q does not name the policy", e.Summary)
			}
		})
	}
	// The browser and a service principal are allowed.
	s, _ := entra.New(l.ep, strict(entra.MethodBrowser, "", "", ""), nil,
		entra.WithBrowser(l.opener(browser.Options{Login: demo.StrictUsername, Password: demo.Password})))
	if res, err := s.SignIn(context.Background(), nil); err != nil || res.Username != demo.StrictUsername {
		t.Fatalf("browser in the strict tenant: %+v %v", res, err)
	}
	s, _ = entra.New(l.ep, strict(entra.MethodServicePrincipal, "", "", demo.ClientSecret), nil)
	if _, err := s.SignIn(context.Background(), nil); err != nil {
		t.Fatalf("service principal in the strict tenant: %v", err)
	}
}

// TestDeviceBoundUserAdvice: the strict tenant's user under a device-based
// policy is refused by every interactive method (AADSTS530033); each advice
// leads to a managed device or a service principal, and the browser's never
// back to the browser on this device.
func TestDeviceBoundUserAdvice(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	kiosk := func(m entra.Method, user, password string) entra.Credentials {
		return entra.Credentials{TenantID: demo.StrictTenantDomain, ClientID: demo.ClientID, Username: user, Method: m, Password: password}
	}
	// approveFirst approves the device code as the kiosk user before MSAL
	// polls (a poll before it meets the tenant's device code block).
	approveFirst := func(msg string) {
		m := messageRE.FindStringSubmatch(msg)
		if m == nil {
			t.Errorf("device code message %q", msg)
			return
		}
		resp, err := l.ep.HTTP.PostForm(m[1], url.Values{"user_code": {m[2]}, "username": {demo.StrictDeviceUsername}, "password": {demo.Password}})
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("the approval page answered %d, want 403", resp.StatusCode)
		}
	}
	cases := []struct {
		name    string
		c       entra.Credentials
		opts    []entra.Option
		prompt  func(string)
		field   field.ID
		want    []string
		notWant string
	}{
		{"password", kiosk(entra.MethodPassword, demo.StrictDeviceUsername, demo.Password), nil, nil, "",
			[]string{"a device your organisation manages", "auth method service-principal"}, ""},
		{"device code", kiosk(entra.MethodDeviceCode, "", ""), nil, approveFirst, field.AuthMethod,
			[]string{"a device your organisation manages", "auth method service-principal"}, "auth method device-code"},
		{"browser", kiosk(entra.MethodBrowser, "", ""),
			[]entra.Option{entra.WithBrowser(l.opener(browser.Options{Login: demo.StrictDeviceUsername, Password: demo.Password}))}, nil, "",
			[]string{"a device your organisation manages", "register this one", "auth method service-principal"}, "auth method browser"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := entra.New(l.ep, tc.c, nil, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err = s.SignIn(ctx, tc.prompt)
			var e *entra.Error
			if !errors.As(err, &e) || e.Code != 530033 || e.Field != tc.field || !e.MethodRefused() {
				t.Fatalf("got %v, want AADSTS530033 on %q", err, tc.field)
			}
			if !strings.Contains(e.Summary, "Require compliant or registered device") {
				t.Errorf("summary %q does not name the policy (%v)", e.Summary, e.Err)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Fix, w) {
					t.Errorf("fix %q lacks %q", e.Fix, w)
				}
			}
			if tc.notWant != "" && strings.Contains(e.Fix, tc.notWant) {
				t.Errorf("fix %q leads back to %q", e.Fix, tc.notWant)
			}
		})
	}
	// The way out: the certificate app's service principal in the same tenant.
	s, err := entra.New(l.ep, entra.Credentials{TenantID: demo.StrictTenantDomain, ClientID: demo.ClientIDCertificate,
		Method: entra.MethodServicePrincipal, Certificate: demo.CertificatePEM}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignIn(context.Background(), nil); err != nil {
		t.Fatalf("service principal in the strict tenant: %v", err)
	}
}

func TestPasswordSignInRecommendsTheBrowser(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	s, _ := entra.New(l.ep, creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, ""), nil)
	res, err := s.SignIn(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.RecommendIn(flagNamer{}); !strings.Contains(got, "--auth browser") || strings.Contains(got, "\n") {
		t.Fatalf("notice %q", got)
	}
	if len(res.Notes) != 0 {
		t.Fatalf("notes %q", res.Notes)
	}
	// The other methods get no such notice.
	s, _ = entra.New(l.ep, creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.ClientSecret), nil)
	if res, err := s.SignIn(context.Background(), nil); err != nil || res.RecommendIn(flagNamer{}) != "" {
		t.Fatalf("service principal: %q %v", res.RecommendIn(flagNamer{}), err)
	}
}

// flagNamer names settings as a command line does.
type flagNamer struct{ field.Plain }

func (flagNamer) Setting(id field.ID, v string) string {
	return "--" + strings.ReplaceAll(string(id), " method", "") + " " + v
}
