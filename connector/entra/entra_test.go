package entra_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// lab is a running sandbox and endpoints whose HTTP client counts token requests.
type lab struct {
	sb      *sandbox.Server
	ep      cloud.Endpoints
	counter *counter
}

func newLab(t *testing.T, opts sandbox.Options) *lab {
	t.Helper()
	t.Setenv("MSAL_FORCE_REGION", "")
	sb, ep := sandboxtest.Start(t, opts)
	c := &counter{inner: ep.HTTP.Transport}
	ep.HTTP = &http.Client{Transport: c}
	return &lab{sb: sb, ep: ep, counter: c}
}

// signInErr signs in once with c, a device code prompt ignored, within 20 s,
// and returns how it failed: for the tables of refusals.
func (l *lab) signInErr(t *testing.T, c entra.Credentials) error {
	t.Helper()
	s, err := entra.New(l.ep, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = s.SignIn(ctx, func(string) {})
	return err
}

// counter counts token-endpoint POSTs by grant type.
type counter struct {
	inner http.RoundTripper
	mu    sync.Mutex
	posts map[string]int
	total atomic.Int32
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/token") && req.GetBody != nil {
		body, _ := req.GetBody()
		b, _ := io.ReadAll(body)
		f, _ := url.ParseQuery(string(b))
		c.mu.Lock()
		if c.posts == nil {
			c.posts = map[string]int{}
		}
		c.posts[f.Get("grant_type")]++
		c.mu.Unlock()
		c.total.Add(1)
	}
	return c.inner.RoundTrip(req)
}

func (c *counter) count(grant string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts[grant]
}

// memCache is a Cache in memory, as the keystore would persist it.
type memCache struct {
	mu    sync.Mutex
	data  []byte
	saves int
}

func (m *memCache) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...), nil
}

func (m *memCache) Save(_ context.Context, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data, m.saves = append([]byte(nil), b...), m.saves+1
	return nil
}

func creds(method entra.Method, clientID, user, password, secret string) entra.Credentials {
	return entra.Credentials{TenantID: demo.TenantID, ClientID: clientID, Username: user, Method: method,
		Password: password, ClientSecret: secret}
}

var messageRE = regexp.MustCompile(`open the page (\S+) and enter the code (\S+) to authenticate`)

// approver completes the browser step of a device code sign-in as user.
func (l *lab) approver(t *testing.T, user string, shown *string) func(string) {
	return func(msg string) {
		*shown = msg
		m := messageRE.FindStringSubmatch(msg)
		if m == nil {
			t.Errorf("device code message not in Entra's words: %q", msg)
			return
		}
		resp, err := l.ep.HTTP.PostForm(m[1], url.Values{"user_code": {m[2]}, "username": {user}, "password": {demo.Password}})
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("browser step: HTTP %d", resp.StatusCode)
		}
	}
}

func claimsOf(t *testing.T, tok string) token.Claims {
	t.Helper()
	c, err := token.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignInEachMethod(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	ctx := context.Background()
	var shown string
	cases := []struct {
		name       string
		c          entra.Credentials
		prompt     func(string)
		wantUPN    string
		publicFlow bool
		verified   bool
		note       string
	}{
		{"password", creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, ""), nil, demo.Username, true, false, ""},
		{"password with secret", creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, demo.ClientSecret), nil, demo.Username, true, true, ""},
		{"password, public flows off, with secret", creds(entra.MethodPassword, demo.ClientIDNoPublicFlow, demo.Username, demo.Password, demo.ClientSecret), nil, demo.Username, false, true, "Allow public client flows → Yes"},
		{"tenant by domain", entra.Credentials{TenantID: demo.TenantDomain, ClientID: demo.ClientID, Username: demo.Username, Password: demo.Password, Method: entra.MethodPassword}, nil, demo.Username, true, false, ""},
		{"device code, MFA user", creds(entra.MethodDeviceCode, demo.ClientID, demo.Username, "", ""), l.approver(t, demo.MFAUsername, &shown), demo.MFAUsername, true, false, "not as " + demo.Username},
		{"service principal", creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.ClientSecret), nil, "", false, true, "Service principals can use Fabric APIs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := entra.New(l.ep, tc.c, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.SignIn(ctx, tc.prompt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Username != tc.wantUPN || res.SecretVerified != tc.verified ||
				(tc.c.Method != entra.MethodServicePrincipal && res.PublicClientFlows != tc.publicFlow) {
				t.Errorf("result = %+v", res)
			}
			if tc.note != "" && !strings.Contains(strings.Join(res.Notes, "\n"), tc.note) {
				t.Errorf("notes %q lack %q", res.Notes, tc.note)
			}
			if tc.c.Method != entra.MethodServicePrincipal && res.HomeAccountID == "" {
				t.Error("no HomeAccountID")
			}
			tok, err := s.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := claimsOf(t, tok)
			if c.UPN != tc.wantUPN || c.TenantID != demo.TenantID || c.Audience != l.ep.Resource || c.AppID != tc.c.ClientID {
				t.Errorf("claims = %+v", c)
			}
			if tc.c.Method == entra.MethodServicePrincipal && !c.IsApp() {
				t.Error("service principal token is not app-only")
			}
		})
	}
	if !strings.HasPrefix(shown, "To sign in, use a web browser to open the page ") {
		t.Errorf("device code message not shown verbatim: %q", shown)
	}
}

func TestEntraErrorsBecomeAdvice(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	const unknownApp = "00000000-0000-4000-8000-0000000fffff"
	cases := []struct {
		name  string
		c     entra.Credentials
		code  int
		field string
		fix   string
	}{
		{"secret ID pasted (password)", creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, demo.SecretID), 7000215, "client secret", "copy the Value column"},
		{"secret ID pasted (service principal)", creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.SecretID), 7000215, "client secret", "Certificates & secrets"},
		{"wrong secret", creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, "not-the-secret"), 7000215, "client secret", "New client secret"},
		{"expired secret (service principal)", creds(entra.MethodServicePrincipal, demo.ClientIDExpired, "", "", demo.ClientSecret), 7000222, "client secret", "Certificates & secrets → New client secret"},
		{"expired secret (password)", creds(entra.MethodPassword, demo.ClientIDExpired, demo.Username, demo.Password, demo.ClientSecret), 7000222, "client secret", "New client secret"},
		{"public flows off, no secret", creds(entra.MethodPassword, demo.ClientIDNoPublicFlow, demo.Username, demo.Password, ""), 7000218, "app registration", "Authentication → Advanced settings → Allow public client flows → Yes"},
		{"public flows off, device code", creds(entra.MethodDeviceCode, demo.ClientIDNoPublicFlow, "", "", ""), 7000218, "app registration", "Allow public client flows → Yes"},
		{"wrong password", creds(entra.MethodPassword, demo.ClientID, demo.Username, "wrong-password", ""), 50126, "password", "Reset password"},
		{"unknown user", creds(entra.MethodPassword, demo.ClientID, "nobody@contoso.example", demo.Password, ""), 50034, "username", "Users → <user> → User principal name"},
		{"MFA user", creds(entra.MethodPassword, demo.ClientID, demo.MFAUsername, demo.Password, ""), 50076, "username", "auth method device-code"},
		{"no consent", creds(entra.MethodPassword, demo.ClientIDNoConsent, demo.Username, demo.Password, ""), 65001, "app registration", "API permissions → Add a permission → Power BI Service"},
		{"unknown app", creds(entra.MethodPassword, unknownApp, demo.Username, demo.Password, ""), 700016, "client ID", "App registrations → <app> → Overview"},
		{"unknown app (service principal)", creds(entra.MethodServicePrincipal, unknownApp, "", "", demo.ClientSecret), 700016, "client ID", "Fabric APIs"},
		{"unknown tenant", entra.Credentials{TenantID: "northwind.example", ClientID: demo.ClientID, Username: demo.Username, Password: demo.Password, Method: entra.MethodPassword}, 90002, "tenant ID", "Microsoft Entra ID → Overview"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := l.signInErr(t, tc.c)
			var e *entra.Error
			if !errors.As(err, &e) {
				t.Fatalf("want *entra.Error, got %T %v", err, err)
			}
			if e.Code != tc.code || string(e.Field) != tc.field || !strings.Contains(e.Fix, tc.fix) {
				t.Errorf("got code %d field %q fix %q\nwant code %d field %q fix containing %q", e.Code, e.Field, e.Fix, tc.code, tc.field, tc.fix)
			}
			if !strings.Contains(e.Fix, "Azure portal") && !strings.Contains(e.Fix, "auth method") {
				t.Errorf("fix names no Azure portal path: %q", e.Fix)
			}
			if e.CorrelationID == "" || !strings.Contains(err.Error(), fmt.Sprintf("AADSTS%d", tc.code)) {
				t.Errorf("error text %q lacks the code or correlation ID", err)
			}
		})
	}
}

func TestSecretIDGetsItsOwnSummary(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	s, _ := entra.New(l.ep, creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.SecretID), nil)
	_, err := s.SignIn(context.Background(), nil)
	var e *entra.Error
	if !errors.As(err, &e) || !strings.Contains(e.Summary, "Secret ID") {
		t.Fatalf("got %v", err)
	}
}

func TestDeviceCodeExpiredInSandboxTime(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	fake := simtime.NewFake(time.Now())
	l.sb.Clock().SetNow(fake.Now)
	s, _ := entra.New(l.ep, creds(entra.MethodDeviceCode, demo.ClientID, "", "", ""), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := s.SignIn(ctx, func(string) { fake.Advance(16 * time.Minute) })
	var e *entra.Error
	if !errors.As(err, &e) || e.Code != 70019 || !strings.Contains(e.Fix, "15 minutes") {
		t.Fatalf("got %v", err)
	}
}

func TestSilentReuseAcrossRuns(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	ctx := context.Background()
	var shown string
	for _, tc := range []struct {
		name   string
		c      entra.Credentials
		prompt func(string)
	}{
		{"password, public client", creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, ""), nil},
		{"password, confidential client", creds(entra.MethodPassword, demo.ClientIDNoPublicFlow, demo.Username, demo.Password, demo.ClientSecret), nil},
		{"device code", creds(entra.MethodDeviceCode, demo.ClientID, "", "", ""), l.approver(t, demo.Username, &shown)},
		{"service principal", creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.ClientSecret), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := &memCache{}
			first, _ := entra.New(l.ep, tc.c, cache)
			if _, err := first.SignIn(ctx, tc.prompt); err != nil {
				t.Fatal(err)
			}
			tok1, err := first.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cache.saves == 0 {
				t.Fatal("nothing was saved to the cache")
			}
			var saved struct {
				Home string `json:"home_account_id"`
				MSAL struct {
					AccessToken map[string]any
				} `json:"msal"`
			}
			if err := json.Unmarshal(cache.data, &saved); err != nil {
				t.Fatal(err)
			}
			if len(saved.MSAL.AccessToken) != 1 || (tc.c.Method != entra.MethodServicePrincipal && saved.Home == "") {
				t.Errorf("saved cache holds %d access tokens (want 1: no app-only token from the secret check), home account %q",
					len(saved.MSAL.AccessToken), saved.Home)
			}
			before := l.counter.total.Load()
			second, _ := entra.New(l.ep, tc.c, cache) // the next run
			tok2, err := second.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := l.counter.total.Load() - before; n != 0 || tok2 != tok1 {
				t.Errorf("next run made %d token requests (same token: %v), want 0", n, tok1 == tok2)
			}
		})
	}
}

// The sandbox issues 2-minute tokens (MSAL does not cache those): after the
// session's clock passes the expiry, Token redeems the refresh token once.
func TestRefreshAfterExpiry(t *testing.T) {
	l := newLab(t, sandbox.Options{TokenLifetime: 2 * time.Minute})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		c    entra.Credentials
	}{
		{"public client", creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, "")},
		{"confidential client", creds(entra.MethodPassword, demo.ClientIDNoPublicFlow, demo.Username, demo.Password, demo.ClientSecret)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := simtime.NewFake(time.Now())
			s, _ := entra.New(l.ep, tc.c, &memCache{}, entra.WithClock(fake.Now))
			if _, err := s.SignIn(ctx, nil); err != nil {
				t.Fatal(err)
			}
			tok1, _ := s.Token(ctx)
			refreshes := l.counter.count("refresh_token")
			if tok, _ := s.Token(ctx); tok != tok1 || l.counter.count("refresh_token") != refreshes {
				t.Fatal("a fresh token was not reused")
			}
			fake.Advance(2 * time.Minute)
			time.Sleep(1100 * time.Millisecond) // iat has 1 s resolution: make the new token differ
			tok2, err := s.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok2 == tok1 || l.counter.count("refresh_token") != refreshes+1 {
				t.Errorf("expired token not refreshed once: same=%v refreshes %d→%d", tok2 == tok1, refreshes, l.counter.count("refresh_token"))
			}
		})
	}
}

func TestRevokedRefreshToken(t *testing.T) {
	l := newLab(t, sandbox.Options{TokenLifetime: 2 * time.Minute})
	ctx := context.Background()
	fake := simtime.NewFake(time.Now())
	var shown string

	pw, _ := entra.New(l.ep, creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, ""), nil, entra.WithClock(fake.Now))
	dc, _ := entra.New(l.ep, creds(entra.MethodDeviceCode, demo.ClientID, "", "", ""), nil, entra.WithClock(fake.Now))
	if _, err := pw.SignIn(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.SignIn(ctx, l.approver(t, demo.Username, &shown)); err != nil {
		t.Fatal(err)
	}
	resp, err := l.ep.HTTP.Post(l.sb.URL()+"/_sandbox/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fake.Advance(3 * time.Minute)

	passwords := l.counter.count("password")
	if _, err := pw.Token(ctx); err != nil || l.counter.count("password") != passwords+1 {
		t.Errorf("password session did not sign in again by itself: %v", err)
	}
	_, err = dc.Token(ctx)
	var e *entra.Error
	if !errors.As(err, &e) || !errors.Is(err, entra.ErrInteractionRequired) || e.Code != 70008 {
		t.Errorf("device code session: got %v, want AADSTS70008 wrapping ErrInteractionRequired", err)
	}
}

func TestNoSavedSignInForDeviceCode(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	s, _ := entra.New(l.ep, creds(entra.MethodDeviceCode, demo.ClientID, "", "", ""), &memCache{})
	_, err := s.Token(context.Background())
	if !errors.Is(err, entra.ErrInteractionRequired) {
		t.Fatalf("got %v", err)
	}
}

func TestTransportFailuresNameTheLoginHost(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	host := strings.TrimPrefix(l.sb.URL(), "https://")

	untrusting := l.ep
	untrusting.HTTP = &http.Client{}
	s, _ := entra.New(untrusting, creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.ClientSecret), nil)
	_, err := s.SignIn(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("TLS failure: %v", err)
	}

	_ = l.sb.Close()
	s, _ = entra.New(l.ep, creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, ""), nil)
	_, err = s.SignIn(context.Background(), nil)
	var e *entra.Error
	if !errors.As(err, &e) || e.Code != 0 || !strings.Contains(err.Error(), "could not reach the sign-in host "+host) {
		t.Errorf("host down: %v", err)
	}
}

// No secret or password ever reaches an error's text, however it is printed.
func TestErrorsNeverContainSecrets(t *testing.T) {
	l := newLab(t, sandbox.Options{})
	const secret, password = "Zq8~distinctive-client-secret-4242", "Pw-distinctive-password-9931"
	cases := []entra.Credentials{
		creds(entra.MethodPassword, demo.ClientID, demo.Username, password, secret),                    // 7000215
		creds(entra.MethodPassword, demo.ClientID, demo.Username, password, ""),                        // 50126
		creds(entra.MethodPassword, demo.ClientIDNoPublicFlow, demo.Username, password, ""),            // 7000218
		creds(entra.MethodPassword, demo.ClientIDNoPublicFlow, demo.Username, password, demo.SecretID), // 7000215
		creds(entra.MethodServicePrincipal, demo.ClientIDExpired, "", "", secret),                      // 7000215
		creds(entra.MethodServicePrincipal, demo.ClientID, "", "", secret),
	}
	for _, c := range cases {
		s, err := entra.New(l.ep, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SignIn(context.Background(), nil)
		if err == nil {
			t.Fatalf("%v: signed in", c)
		}
		texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprint(c), fmt.Sprintf("%#v", c)}
		for e := err; e != nil; e = errors.Unwrap(e) {
			texts = append(texts, e.Error())
		}
		var ee *entra.Error
		if errors.As(err, &ee) && ee.Err != nil {
			texts = append(texts, ee.Err.Error())
		}
		for _, text := range texts {
			for _, leak := range []string{secret, password, demo.SecretID} {
				if strings.Contains(text, leak) {
					t.Errorf("%v: error text contains a secret: %s", c, text)
				}
			}
		}
	}
	// Validation errors name fields, never values of secrets.
	err := entra.FieldErrors(entra.ValidateCredentials(entra.Credentials{ClientSecret: secret, Password: password}))
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), password) {
		t.Error("validation error contains a secret")
	}
}

// A secret typed into an ID field is not repeated by the check that refuses
// it, and the error says which field looks wrong.
func TestSecretInAnIDFieldIsNotRepeated(t *testing.T) {
	const secret, password = "Zq8~distinctive-client-secret-4242", "Pw-distinctive-password-9931"
	for _, tc := range []struct {
		c     entra.Credentials
		field string
	}{
		{entra.Credentials{TenantID: secret, ClientID: demo.ClientID, Method: entra.MethodServicePrincipal, ClientSecret: "x"}, "tenant ID"},
		{entra.Credentials{TenantID: demo.TenantID, ClientID: secret, Method: entra.MethodServicePrincipal, ClientSecret: "x"}, "client ID"},
		{entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: password, Password: "x", Method: entra.MethodPassword}, "username"},
	} {
		errs := entra.ValidateCredentials(tc.c)
		if len(errs) != 1 || string(errs[0].Field) != tc.field {
			t.Fatalf("%v: errors %v, want one for the %s", tc.c, errs, tc.field)
		}
		if msg := errs[0].Error(); strings.Contains(msg, secret) || strings.Contains(msg, password) || !strings.Contains(msg, "not repeated") {
			t.Errorf("%s: %s", tc.field, msg)
		}
	}
	// A mistyped ID is shown, to help find the typo.
	errs := entra.ValidateCredentials(entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID[:35], Method: entra.MethodServicePrincipal, ClientSecret: "x"})
	if len(errs) != 1 || !strings.Contains(errs[0].Message, demo.ClientID[:35]) {
		t.Errorf("a mistyped client ID is not shown: %v", errs)
	}
}

// The session's secrets and every token it holds, refresh tokens included,
// are masked by redact from the moment it has them.
func TestSessionRegistersItsSecretsAndTokens(t *testing.T) {
	t.Cleanup(redact.Reset)
	l := newLab(t, sandbox.Options{})
	const password = "Pw-distinctive-password-9931"
	c := creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, "")
	cache := &memCache{}
	s, err := entra.New(l.ep, c, cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := entra.New(l.ep, creds(entra.MethodPassword, demo.ClientID, demo.Username, password, ""), nil); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		MSAL struct {
			RefreshToken map[string]struct {
				Secret string `json:"secret"`
			}
		} `json:"msal"`
	}
	if err := json.Unmarshal(cache.data, &saved); err != nil || len(saved.MSAL.RefreshToken) == 0 {
		t.Fatalf("no refresh token saved (%v)", err)
	}
	for _, rt := range saved.MSAL.RefreshToken {
		for _, v := range []string{password, tok, rt.Secret} {
			if got := redact.String("value " + v + " end"); got != "value *** end" {
				t.Errorf("%.12s… is not masked: %.60s", v, got)
			}
		}
	}
}
