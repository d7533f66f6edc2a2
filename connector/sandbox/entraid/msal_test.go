package entraid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/entraid"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

var pbiScope = []string{demo.PowerBIResource + "/.default"}

// env is an Entra ID emulator on loopback TLS, with a client that counts the
// token-endpoint requests it makes.
type env struct {
	srv    *httptest.Server
	entra  *entraid.Server
	signer *token.Signer
	fake   *simtime.Fake
	client *countingClient
}

func newEnv(t *testing.T, lifetime time.Duration) *env {
	t.Helper()
	t.Setenv("MSAL_FORCE_REGION", "")
	fake := simtime.NewFake(time.Now())
	clock := simtime.New(1)
	clock.SetNow(fake.Now)
	signer := token.NewSigner(bytes.Repeat([]byte("k"), 32))
	e := entraid.New(entraid.Config{Clock: clock, Signer: signer, TokenLifetime: lifetime})
	srv := httptest.NewTLSServer(e)
	t.Cleanup(srv.Close)
	return &env{srv: srv, entra: e, signer: signer, fake: fake, client: &countingClient{inner: srv.Client()}}
}

func (e *env) authority(tenant string) string { return e.srv.URL + "/" + tenant }

func (e *env) public(t *testing.T, clientID, tenant string) public.Client {
	t.Helper()
	c, err := public.New(clientID, public.WithAuthority(e.authority(tenant)),
		public.WithHTTPClient(e.client), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) confidential(t *testing.T, clientID, secret string, hc interface {
	Do(*http.Request) (*http.Response, error)
	CloseIdleConnections()
}) confidential.Client {
	t.Helper()
	cred, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if hc == nil {
		hc = e.client
	}
	c, err := confidential.New(e.authority(demo.TenantID), clientID, cred,
		confidential.WithHTTPClient(hc), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// countingClient counts POSTs to the token endpoint.
type countingClient struct {
	inner        *http.Client
	tokenPosts   atomic.Int32
	lastGrant    atomic.Value
	sawSecretFor atomic.Value // grant_type of the last request that carried client_secret
}

func (c *countingClient) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/token") {
		c.tokenPosts.Add(1)
		if req.Body != nil {
			b, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(b))
			f, _ := url.ParseQuery(string(b))
			c.lastGrant.Store(f.Get("grant_type"))
			if f.Get("client_secret") != "" {
				c.sawSecretFor.Store(f.Get("grant_type"))
			}
		}
	}
	return c.inner.Do(req)
}
func (c *countingClient) CloseIdleConnections() { c.inner.CloseIdleConnections() }

// secretInjector is the workaround of docs/sources.md, MSAL: username and password: MSAL's
// confidential password grant sends no client_secret, so add it.
type secretInjector struct {
	inner  *countingClient
	secret string
}

func (s secretInjector) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if f, perr := url.ParseQuery(string(b)); perr == nil && f.Get("grant_type") == "password" && f.Get("client_secret") == "" {
			f.Set("client_secret", s.secret)
			b = []byte(f.Encode())
		}
		req = req.Clone(req.Context())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return s.inner.Do(req)
}
func (s secretInjector) CloseIdleConnections() { s.inner.CloseIdleConnections() }

// aadCode extracts the first AADSTS code and the error name from an MSAL error.
func aadCode(t *testing.T, err error) (int, string, map[string]any) {
	t.Helper()
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) || ce.Resp == nil {
		t.Fatalf("want an Entra ID error response, got %v", err)
	}
	b, _ := io.ReadAll(ce.Resp.Body)
	ce.Resp.Body = io.NopCloser(bytes.NewReader(b))
	if len(b) == 0 {
		// MSAL's device code poller reads 400 bodies itself and leaves
		// Resp.Body drained; the body is still embedded in the message.
		msg := err.Error()
		if i := strings.Index(msg, "\n{"); i >= 0 {
			b = []byte(msg[i+1:])
		}
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("error body is not JSON: %s", b)
	}
	codes, _ := body["error_codes"].([]any)
	if len(codes) == 0 {
		t.Fatalf("error body has no error_codes: %s", b)
	}
	return int(codes[0].(float64)), body["error"].(string), body
}

func (e *env) claims(t *testing.T, at string) token.Claims {
	t.Helper()
	c, err := e.signer.Verify(at, e.fake.Now())
	if err != nil {
		t.Fatalf("access token does not verify: %v", err)
	}
	return c
}

func TestPublicPasswordGrant(t *testing.T) {
	e := newEnv(t, time.Hour)
	for _, tenant := range []string{demo.TenantID, demo.TenantDomain, "organizations"} {
		t.Run(tenant, func(t *testing.T) {
			pc := e.public(t, demo.ClientID, tenant)
			//lint:ignore SA1019 ROPC is the seed's flow; deprecated but supported in v1.10.1
			res, err := pc.AcquireTokenByUsernamePassword(context.Background(), pbiScope, demo.Username, demo.Password)
			if err != nil {
				t.Fatal(err)
			}
			c := e.claims(t, res.AccessToken)
			if c.TenantID != demo.TenantID || c.UPN != demo.Username || c.ObjectID != demo.UserObjectID ||
				c.AppID != demo.ClientID || c.IDType != "user" || c.Audience != demo.PowerBIResource {
				t.Errorf("claims = %+v", c)
			}
			if !c.HasScope("Dataset.ReadWrite.All") || !c.HasScope("Workspace.Read.All") {
				t.Errorf("scp = %q", c.Scope)
			}
			if c.Expires-c.IssuedAt != 3600 {
				t.Errorf("lifetime = %ds, want 3600", c.Expires-c.IssuedAt)
			}
			if want := demo.UserObjectID + "." + demo.TenantID; res.Account.HomeAccountID != want {
				t.Errorf("HomeAccountID = %q, want %q", res.Account.HomeAccountID, want)
			}
			if res.Account.PreferredUsername != demo.Username {
				t.Errorf("account username = %q", res.Account.PreferredUsername)
			}
		})
	}
}

func TestConfidentialPasswordGrant(t *testing.T) {
	e := newEnv(t, time.Hour)
	ctx := context.Background()

	// Public client flows on: MSAL's secret-less confidential ROPC works.
	cc := e.confidential(t, demo.ClientID, demo.ClientSecret, nil)
	if _, err := cc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.Username, demo.Password); err != nil {
		t.Fatalf("public flows on: %v", err)
	}

	// Public client flows off: without the secret → 7000218.
	cc = e.confidential(t, demo.ClientIDNoPublicFlow, demo.ClientSecret, nil)
	_, err := cc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.Username, demo.Password)
	if code, name, _ := aadCode(t, err); code != 7000218 || name != "invalid_client" {
		t.Fatalf("no injector: got %d %s", code, name)
	}

	// …with the secret injected into the password grant → success.
	cc = e.confidential(t, demo.ClientIDNoPublicFlow, demo.ClientSecret, secretInjector{inner: e.client, secret: demo.ClientSecret})
	res, err := cc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.Username, demo.Password)
	if err != nil {
		t.Fatalf("with injector: %v", err)
	}
	if c := e.claims(t, res.AccessToken); c.AppID != demo.ClientIDNoPublicFlow || c.UPN != demo.Username {
		t.Errorf("claims = %+v", c)
	}
	if g, _ := e.client.sawSecretFor.Load().(string); g != "password" {
		t.Errorf("the injected password grant carried no client_secret (last secret on %q)", g)
	}
	// Silent for that confidential user account, from the cache.
	acct, err := cc.Account(ctx, res.Account.HomeAccountID)
	if err != nil {
		t.Fatal(err)
	}
	before := e.client.tokenPosts.Load()
	again, err := cc.AcquireTokenSilent(ctx, pbiScope, confidential.WithSilentAccount(acct))
	if err != nil || again.AccessToken != res.AccessToken || e.client.tokenPosts.Load() != before {
		t.Errorf("silent: err=%v same=%v posts=%d→%d", err, again.AccessToken == res.AccessToken, before, e.client.tokenPosts.Load())
	}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t, time.Hour)
	cc := e.confidential(t, demo.ClientID, demo.ClientSecret, nil)
	res, err := cc.AcquireTokenByCredential(context.Background(), pbiScope)
	if err != nil {
		t.Fatal(err)
	}
	c := e.claims(t, res.AccessToken)
	if !c.IsApp() || c.ObjectID != demo.ServicePrincipalObjectID || c.AppID != demo.ClientID || c.UPN != "" || c.Scope != "" {
		t.Errorf("claims = %+v", c)
	}
	posts := e.client.tokenPosts.Load()
	if _, err := cc.AcquireTokenByCredential(context.Background(), pbiScope); err != nil || e.client.tokenPosts.Load() != posts {
		t.Errorf("second call not served from MSAL's cache: err=%v", err)
	}
}

func TestDeviceCode(t *testing.T) {
	e := newEnv(t, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pc := e.public(t, demo.ClientID, demo.TenantID)
	dc, err := pc.AcquireTokenByDeviceCode(ctx, pbiScope)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dc.Result.Message, dc.Result.UserCode) || !strings.HasPrefix(dc.Result.VerificationURL, e.srv.URL+"/") {
		t.Fatalf("device code result = %+v", dc.Result)
	}
	// Before approval the poll is pending (MSAL would keep polling; ask directly).
	if code, name := e.pollRaw(t, dc.Result.DeviceCode, "device_code"); code != 70016 || name != "authorization_pending" {
		t.Errorf("pending poll = %d %s", code, name)
	}
	// The MFA user can finish the browser step: device code is the way round 50076.
	e.approve(t, dc.Result.VerificationURL, dc.Result.UserCode, demo.MFAUsername, demo.Password, http.StatusOK)
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.claims(t, res.AccessToken); c.UPN != demo.MFAUsername || c.ObjectID != demo.MFAUserObjectID {
		t.Errorf("claims = %+v", c)
	}
	if g, _ := e.client.lastGrant.Load().(string); g != "device_code" {
		t.Errorf("MSAL polled with grant_type %q, want device_code", g)
	}
}

func TestDeviceCodeURNGrantAndBrowserStepErrors(t *testing.T) {
	e := newEnv(t, time.Hour)
	pc := e.public(t, demo.ClientID, demo.TenantID)
	dc, err := pc.AcquireTokenByDeviceCode(context.Background(), pbiScope)
	if err != nil {
		t.Fatal(err)
	}
	verify := dc.Result.VerificationURL
	e.approve(t, verify, "NOTACODE1", demo.Username, demo.Password, http.StatusBadRequest)
	e.approve(t, verify, dc.Result.UserCode, "nobody@contoso.example", demo.Password, http.StatusBadRequest)
	e.approve(t, verify, dc.Result.UserCode, demo.Username, "wrong", http.StatusBadRequest)
	e.approve(t, verify, strings.ToLower(dc.Result.UserCode), demo.Username, demo.Password, http.StatusOK)
	if code, _ := e.pollRaw(t, dc.Result.DeviceCode, "urn:ietf:params:oauth:grant-type:device_code"); code != 0 {
		t.Fatalf("URN grant after approval: AADSTS%d", code)
	}
	if code, name := e.pollRaw(t, dc.Result.DeviceCode, "device_code"); code != 70018 || name != "bad_verification_code" {
		t.Errorf("second redemption = %d %s, want 70018 (codes are single-use)", code, name)
	}
	resp, err := e.srv.Client().Get(verify)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the verification page: %v %v", err, resp)
	}
	resp.Body.Close()
}

func TestDeviceCodeExpires(t *testing.T) {
	e := newEnv(t, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dc, err := e.public(t, demo.ClientID, demo.TenantID).AcquireTokenByDeviceCode(ctx, pbiScope)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Advance(16 * time.Minute)
	_, err = dc.AuthenticationResult(ctx)
	if code, name, _ := aadCode(t, err); code != 70019 || name != "expired_token" {
		t.Errorf("got %d %s", code, name)
	}
	e.approve(t, dc.Result.VerificationURL, dc.Result.UserCode, demo.Username, demo.Password, http.StatusBadRequest)
}

// A lifetime under MSAL's 5-minute floor is never cached, so every silent call
// redeems the refresh token; the fake clock makes the old token expired.
func TestRefreshAfterExpiry(t *testing.T) {
	e := newEnv(t, 2*time.Minute)
	ctx := context.Background()
	pc := e.public(t, demo.ClientID, demo.TenantID)
	//lint:ignore SA1019 the emulator must answer the flow pbiwb still offers
	first, err := pc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.Username, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Until(first.ExpiresOn).Round(time.Minute); got != 2*time.Minute {
		t.Errorf("expires_in gave ExpiresOn in %v, want 2m", got)
	}
	e.fake.Advance(3 * time.Minute)
	if _, err := e.signer.Verify(first.AccessToken, e.fake.Now()); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("first token should have expired: %v", err)
	}
	accts, err := pc.Accounts(ctx)
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts: %v %v", accts, err)
	}
	second, err := pc.AcquireTokenSilent(ctx, pbiScope, public.WithSilentAccount(accts[0]))
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := e.client.lastGrant.Load().(string); g != "refresh_token" {
		t.Errorf("silent call used grant %q, want refresh_token", g)
	}
	if c := e.claims(t, second.AccessToken); c.UPN != demo.Username {
		t.Errorf("refreshed claims = %+v", c)
	}

	// Reset revokes every refresh token.
	e.entra.Reset()
	_, err = pc.AcquireTokenSilent(ctx, pbiScope, public.WithSilentAccount(accts[0]))
	if code, name, _ := aadCode(t, err); code != 70008 || name != "invalid_grant" {
		t.Errorf("after Reset: %d %s", code, name)
	}
}

func TestConfidentialRefreshSendsSecret(t *testing.T) {
	e := newEnv(t, 2*time.Minute)
	ctx := context.Background()
	cc := e.confidential(t, demo.ClientIDNoPublicFlow, demo.ClientSecret, secretInjector{inner: e.client, secret: demo.ClientSecret})
	res, err := cc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.Username, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := cc.Account(ctx, res.Account.HomeAccountID)
	if _, err := cc.AcquireTokenSilent(ctx, pbiScope, confidential.WithSilentAccount(acct)); err != nil {
		t.Fatalf("refresh on a public-flows-off app with the secret: %v", err)
	}
	if g, _ := e.client.sawSecretFor.Load().(string); g != "refresh_token" {
		t.Errorf("last secret-carrying grant = %q, want refresh_token", g)
	}
}

func TestAADSTSErrors(t *testing.T) {
	e := newEnv(t, time.Hour)
	ctx := context.Background()
	password := func(clientID, tenant, user, pass string) error {
		//lint:ignore SA1019 the emulator must answer the flow pbiwb still offers
		_, err := e.public(t, clientID, tenant).AcquireTokenByUsernamePassword(ctx, pbiScope, user, pass)
		return err
	}
	credential := func(clientID, secret string, scopes []string) error {
		_, err := e.confidential(t, clientID, secret, nil).AcquireTokenByCredential(ctx, scopes)
		return err
	}
	deviceCode := func(clientID string) error {
		dc, err := e.public(t, clientID, demo.TenantID).AcquireTokenByDeviceCode(ctx, pbiScope)
		if err != nil {
			return err
		}
		_, err = dc.AuthenticationResult(ctx)
		return err
	}
	cases := []struct {
		name   string
		call   func() error
		code   int
		error  string
		status int
	}{
		{"secret ID pasted", func() error { return credential(demo.ClientID, demo.SecretID, pbiScope) }, 7000215, "invalid_client", 401},
		{"wrong secret", func() error { return credential(demo.ClientID, "nope", pbiScope) }, 7000215, "invalid_client", 401},
		{"expired secret", func() error { return credential(demo.ClientIDExpired, demo.ClientSecret, pbiScope) }, 7000222, "invalid_client", 401},
		{"scope without .default", func() error {
			return credential(demo.ClientID, demo.ClientSecret, []string{demo.PowerBIResource + "/Dataset.ReadWrite.All"})
		}, 1002012, "invalid_scope", 400},
		{"unknown resource", func() error {
			return credential(demo.ClientID, demo.ClientSecret, []string{"https://example.com/api/.default"})
		}, 500011, "invalid_resource", 400},
		{"unknown app", func() error { return credential("00000000-0000-4000-8000-0000000fffff", demo.ClientSecret, pbiScope) }, 700016, "unauthorized_client", 400},
		{"wrong password", func() error { return password(demo.ClientID, demo.TenantID, demo.Username, "wrong") }, 50126, "invalid_grant", 400},
		{"unknown user", func() error { return password(demo.ClientID, demo.TenantID, "nobody@contoso.example", demo.Password) }, 50034, "invalid_grant", 400},
		{"MFA user", func() error { return password(demo.ClientID, demo.TenantID, demo.MFAUsername, demo.Password) }, 50076, "invalid_grant", 400},
		{"no consent", func() error { return password(demo.ClientIDNoConsent, demo.TenantID, demo.Username, demo.Password) }, 65001, "invalid_grant", 400},
		{"public flows off, password", func() error { return password(demo.ClientIDNoPublicFlow, demo.TenantID, demo.Username, demo.Password) }, 7000218, "invalid_client", 401},
		{"public flows off, device code", func() error { return deviceCode(demo.ClientIDNoPublicFlow) }, 7000218, "invalid_client", 401},
		{"unknown app, password", func() error {
			return password("00000000-0000-4000-8000-0000000fffff", demo.TenantID, demo.Username, demo.Password)
		}, 700016, "unauthorized_client", 400},
		{"unknown tenant", func() error { return password(demo.ClientID, "northwind.example", demo.Username, demo.Password) }, 90002, "invalid_request", 400},
		{"password on /common", func() error { return password(demo.ClientID, "common", demo.Username, demo.Password) }, 9001023, "invalid_request", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			code, name, body := aadCode(t, err)
			if code != tc.code || name != tc.error {
				t.Fatalf("got AADSTS%d %s, want AADSTS%d %s", code, name, tc.code, tc.error)
			}
			desc, _ := body["error_description"].(string)
			if !strings.HasPrefix(desc, "AADSTS"+itoa(tc.code)+": ") {
				t.Errorf("error_description = %q", desc)
			}
			for _, f := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
				if s, _ := body[f].(string); s == "" {
					t.Errorf("body lacks %s: %v", f, body)
				}
			}
			var ce msalerrors.CallErr
			errors.As(err, &ce)
			if ce.Resp.StatusCode != tc.status {
				t.Errorf("HTTP %d, want %d", ce.Resp.StatusCode, tc.status)
			}
			if tc.code == 50076 && body["suberror"] != "basic_action" {
				t.Errorf("suberror = %v", body["suberror"])
			}
			if tc.code == 65001 && body["suberror"] != "consent_required" {
				t.Errorf("suberror = %v", body["suberror"])
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// pollRaw posts one device_code poll and returns the AADSTS code (0 on success).
func (e *env) pollRaw(t *testing.T, deviceCode, grant string) (int, string) {
	t.Helper()
	return e.postToken(t, "", url.Values{"grant_type": {grant}, "client_id": {demo.ClientID},
		"device_code": {deviceCode}, "scope": {pbiScope[0] + " openid offline_access profile"}, "client_info": {"1"}})
}

func (e *env) postToken(t *testing.T, basicSecret string, f url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.authority(demo.TenantID)+"/oauth2/v2.0/token", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicSecret != "" {
		req.SetBasicAuth(url.QueryEscape(demo.ClientID), url.QueryEscape(basicSecret))
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error  string `json:"error"`
		Codes  []int  `json:"error_codes"`
		Access string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		if body.Access == "" {
			t.Fatal("200 without access_token")
		}
		return 0, ""
	}
	if len(body.Codes) == 0 {
		t.Fatalf("HTTP %d without error_codes", resp.StatusCode)
	}
	return body.Codes[0], body.Error
}

func (e *env) approve(t *testing.T, verifyURL, userCode, user, pass string, want int) {
	t.Helper()
	resp, err := e.srv.Client().PostForm(verifyURL, url.Values{"user_code": {userCode}, "username": {user}, "password": {pass}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("approve %s as %s: HTTP %d, want %d", userCode, user, resp.StatusCode, want)
	}
}

func TestClientSecretBasicAndRawShapes(t *testing.T) {
	e := newEnv(t, time.Hour)
	cc := url.Values{"grant_type": {"client_credentials"}, "scope": {pbiScope[0]}}
	if code, _ := e.postToken(t, demo.ClientSecret, cc); code != 0 {
		t.Errorf("client_secret_basic: AADSTS%d", code)
	}
	if code, _ := e.postToken(t, demo.SecretID, cc); code != 7000215 {
		t.Errorf("client_secret_basic with the secret ID: AADSTS%d", code)
	}
	if code, _ := e.postToken(t, "", url.Values{"client_id": {demo.ClientID}}); code != 900144 {
		t.Errorf("no grant_type: AADSTS%d", code)
	}
	if code, name := e.postToken(t, "", url.Values{"grant_type": {"implicit"}, "client_id": {demo.ClientID}}); code != 70003 || name != "unsupported_grant_type" {
		t.Errorf("unknown grant: AADSTS%d %s", code, name)
	}

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/" + demo.TenantID + "/v2.0/.well-known/openid-configuration", 200},
		{"/contoso.example/v2.0/.well-known/openid-configuration", 200},
		{"/common/v2.0/.well-known/openid-configuration", 200},
		{"/organizations/v2.0/.well-known/openid-configuration", 200},
		{"/northwind.example/v2.0/.well-known/openid-configuration", 400},
		{"/common/UserRealm/admin@contoso.example?api-version=1.0", 200},
		{"/common/discovery/instance?api-version=1.1&authorization_endpoint=" + url.QueryEscape(e.srv.URL+"/"+demo.TenantID+"/oauth2/v2.0/authorize"), 200},
		{"/common/discovery/instance?api-version=1.1&authorization_endpoint=" + url.QueryEscape("https://evil.example/x/oauth2/v2.0/authorize"), 400},
		{"/nothing/here", 404},
	} {
		resp, err := e.srv.Client().Get(e.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: HTTP %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if strings.Contains(tc.path, "openid") && tc.status == 200 && !strings.HasPrefix(body["issuer"].(string), e.srv.URL+"/") {
			t.Errorf("issuer %v not on the request's host", body["issuer"])
		}
		if strings.Contains(tc.path, "UserRealm") && body["account_type"] != "Managed" {
			t.Errorf("user realm = %v", body)
		}
	}
}

func TestMalformedRequestsAnswer400(t *testing.T) {
	e := newEnv(t, time.Hour)
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/" + demo.TenantID + "/oauth2/v2.0/token", ""},
		{http.MethodPost, "/" + demo.TenantID + "/oauth2/v2.0/token", "%zz=%"},
		{http.MethodPost, "/" + demo.TenantID + "/oauth2/v2.0/token", "grant_type=password&client_id=" + demo.ClientID},
		{http.MethodPost, "/" + demo.TenantID + "/oauth2/v2.0/token", "grant_type=refresh_token&client_id=" + demo.ClientID + "&refresh_token=x&scope=openid"},
		{http.MethodPost, "/" + demo.TenantID + "/oauth2/v2.0/token", "grant_type=password&client_id=" + demo.ClientID + "&username=a&password=b&scope=" + url.QueryEscape("https://a/x https://b/y")},
		{http.MethodPost, "/" + demo.TenantID + "/oauth2/v2.0/devicecode", "client_id=" + demo.ClientID},
		{http.MethodPost, "/" + demo.TenantID + "/oauth2/v2.0/devicecode", "scope=openid"},
		{http.MethodGet, "/common/discovery/instance", ""},
	} {
		req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Codes []int `json:"error_codes"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || len(body.Codes) == 0 {
			t.Errorf("%s %s %q: HTTP %d codes %v, want 400 with an AADSTS code", tc.method, tc.path, tc.body, resp.StatusCode, body.Codes)
		}
	}
}
