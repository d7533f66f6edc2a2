package entraid_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pbiwb/pbiwb/connector/sandbox/browser"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// interactive runs MSAL Go's browser sign-in with the browser stand-in as its
// URL opener.
func (e *env) interactive(t *testing.T, clientID, tenant string, o browser.Options) (public.AuthResult, error) {
	t.Helper()
	if o.Login == "" {
		o.Login, o.Password = demo.Username, demo.Password
	}
	o.Client = e.srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pc := e.public(t, clientID, tenant)
	return pc.AcquireTokenInteractive(ctx, pbiScope, public.WithOpenURL(func(u string) error {
		return browser.Follow(ctx, u, o)
	}))
}

func TestBrowserSignIn(t *testing.T) {
	e := newEnv(t, 2*time.Minute) // too short for MSAL to cache: every silent call refreshes
	pc := e.public(t, demo.ClientID, demo.TenantID)
	ctx := context.Background()
	res, err := pc.AcquireTokenInteractive(ctx, pbiScope, public.WithOpenURL(func(u string) error {
		return browser.Follow(ctx, u, browser.Options{Login: demo.Username, Password: demo.Password, Client: e.srv.Client()})
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := e.claims(t, res.AccessToken)
	if c.TenantID != demo.TenantID || c.ObjectID != demo.UserObjectID || c.UPN != demo.Username {
		t.Fatalf("claims %+v", c)
	}
	if g, _ := e.client.lastGrant.Load().(string); g != "authorization_code" {
		t.Fatalf("last grant %q", g)
	}
	// Silent sign-in afterwards redeems the refresh token the browser
	// sign-in brought.
	before := e.client.tokenPosts.Load()
	silent, err := pc.AcquireTokenSilent(ctx, pbiScope, public.WithSilentAccount(res.Account))
	if err != nil {
		t.Fatalf("silent: %v", err)
	}
	if g, _ := e.client.lastGrant.Load().(string); g != "refresh_token" || e.client.tokenPosts.Load() != before+1 || silent.AccessToken == "" {
		t.Fatalf("silent: grant %q, %d token posts", g, e.client.tokenPosts.Load()-before)
	}

	// The app whose public client flows are off still signs in in the browser:
	// its desktop redirect URI makes the redemption public.
	if _, err := e.interactive(t, demo.ClientIDNoPublicFlow, demo.TenantDomain, browser.Options{}); err != nil {
		t.Fatalf("public client flows off: %v", err)
	}
	// A wrong password shows the page again; the browser reports it.
	_, err = e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Login: demo.Username, Password: "nope"})
	if err == nil || !strings.Contains(err.Error(), "AADSTS50126") {
		t.Fatalf("wrong password: %v", err)
	}
	// A user of another tenant is not found on this tenant's page.
	_, err = e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Login: demo.StrictUsername, Password: demo.Password})
	if err == nil || !strings.Contains(err.Error(), "AADSTS50034") {
		t.Fatalf("other tenant's user: %v", err)
	}
	// No admin consent: the refusal goes back to the app, which reports it.
	_, err = e.interactive(t, demo.ClientIDNoConsent, demo.TenantID, browser.Options{})
	if err == nil || !strings.Contains(err.Error(), "AADSTS65001") {
		t.Fatalf("no consent: %v", err)
	}
}

func TestBrowserSignInRefusals(t *testing.T) {
	e := newEnv(t, time.Hour)
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		_, err := e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Authorize: func(u *url.URL) {
			q := u.Query()
			sum := sha256.Sum256([]byte("a verifier MSAL never sent, at least forty-three characters long"))
			q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
			u.RawQuery = q.Encode()
		}})
		wantAADSTS(t, err, 501481, "invalid_grant")
	})
	t.Run("reused code", func(t *testing.T) {
		var first string
		if _, err := e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Code: func(c string) string { first = c; return c }}); err != nil {
			t.Fatal(err)
		}
		_, err := e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Code: func(string) string { return first }})
		wantAADSTS(t, err, 54005, "invalid_grant")
	})
	t.Run("redirect URI differs from the authorize request's", func(t *testing.T) {
		_, err := e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Authorize: func(u *url.URL) {
			q := u.Query()
			q.Set("redirect_uri", "http://localhost:1")
			u.RawQuery = q.Encode()
		}, KeepRedirect: true})
		wantAADSTS(t, err, 500112, "invalid_grant")
	})
	t.Run("redirect URI not registered", func(t *testing.T) {
		_, err := e.interactive(t, demo.ClientID, demo.TenantID, browser.Options{Authorize: func(u *url.URL) {
			q := u.Query()
			q.Set("redirect_uri", "https://evil.example/callback")
			u.RawQuery = q.Encode()
		}})
		if err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
			t.Fatalf("got %v, want the AADSTS50011 page", err)
		}
	})
	t.Run("certificate app has no redirect URI", func(t *testing.T) {
		_, err := e.interactive(t, demo.ClientIDCertificate, demo.TenantID, browser.Options{})
		if err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
			t.Fatalf("got %v, want the AADSTS50011 page", err)
		}
	})
}

func TestStrictTenant(t *testing.T) {
	e := newEnv(t, time.Hour)
	for _, tenant := range []string{demo.StrictTenantID, demo.StrictTenantDomain, "organizations"} {
		res, err := e.interactive(t, demo.ClientID, tenant, browser.Options{Login: demo.StrictUsername, Password: demo.Password})
		if err != nil {
			t.Fatalf("browser on %s: %v", tenant, err)
		}
		if c := e.claims(t, res.AccessToken); c.TenantID != demo.StrictTenantID || c.ObjectID != demo.StrictUserObjectID {
			t.Fatalf("browser on %s: claims %+v", tenant, c)
		}
	}

	// Every user needs MFA: the password grant cannot give it.
	pc := e.public(t, demo.ClientID, demo.StrictTenantID)
	//lint:ignore SA1019 the strict tenant must refuse the flow pbiwb still offers
	_, err := pc.AcquireTokenByUsernamePassword(context.Background(), pbiScope, demo.StrictUsername, demo.Password)
	wantAADSTS(t, err, 50076, "invalid_grant")

	// Device code: the request succeeds, the first poll is refused at once,
	// naming the policy.
	dc, err := pc.AcquireTokenByDeviceCode(context.Background(), pbiScope)
	if err != nil {
		t.Fatalf("device code request: %v", err)
	}
	before := e.client.tokenPosts.Load()
	_, err = dc.AuthenticationResult(context.Background())
	body := wantAADSTS(t, err, 53003, "invalid_grant")
	if !strings.Contains(body["error_description"].(string), "Authentication flows") {
		t.Fatalf("53003 does not name the authentication-flows policy: %v", body["error_description"])
	}
	if n := e.client.tokenPosts.Load() - before; n != 1 {
		t.Fatalf("%d polls before the refusal, want 1", n)
	}

	// Service principals are allowed; the demo app's has its own object ID there.
	cc := e.confidentialIn(t, demo.StrictTenantID, demo.ClientID, secretCred(t))
	res, err := cc.AcquireTokenByCredential(context.Background(), pbiScope)
	if err != nil {
		t.Fatal(err)
	}
	if c := e.claims(t, res.AccessToken); c.TenantID != demo.StrictTenantID || c.ObjectID != demo.StrictServicePrincipalObjectID(demo.ClientID) {
		t.Fatalf("service principal claims %+v", c)
	}
}

// TestStrictTenantDeviceUser: the strict tenant's user under a device-based
// policy is refused with 530033 by every interactive method, through MSAL Go;
// service principals of that tenant are not bound by it.
func TestStrictTenantDeviceUser(t *testing.T) {
	e := newEnv(t, time.Hour)
	ctx := context.Background()
	wantDevice := func(t *testing.T, err error, name string) {
		t.Helper()
		if err == nil {
			t.Fatal("signed in, want AADSTS530033")
		}
		if name == "" { // the browser: MSAL has only the description
			if !strings.HasPrefix(err.Error(), "AADSTS530033: Remote device flow blocked") {
				t.Fatalf("got %v, want AADSTS530033", err)
			}
			return
		}
		body := wantAADSTS(t, err, 530033, name)
		if d, _ := body["error_description"].(string); !strings.Contains(d, "device based conditional access") {
			t.Fatalf("530033 description %q", d)
		}
	}
	t.Run("browser", func(t *testing.T) {
		_, err := e.interactive(t, demo.ClientID, demo.StrictTenantDomain, browser.Options{Login: demo.StrictDeviceUsername, Password: demo.Password})
		wantDevice(t, err, "")
	})
	t.Run("password", func(t *testing.T) {
		pc := e.public(t, demo.ClientID, demo.StrictTenantID)
		//lint:ignore SA1019 the device policy must refuse the flow pbiwb still offers
		_, err := pc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.StrictDeviceUsername, demo.Password)
		wantDevice(t, err, "invalid_grant")
	})
	t.Run("device code", func(t *testing.T) {
		pc := e.public(t, demo.ClientID, demo.StrictTenantID)
		dc, err := pc.AcquireTokenByDeviceCode(ctx, pbiScope)
		if err != nil {
			t.Fatalf("device code request: %v", err)
		}
		// The sign-in page refuses the approval; the poll says why.
		e.approve(t, dc.Result.VerificationURL, dc.Result.UserCode, demo.StrictDeviceUsername, demo.Password, http.StatusForbidden)
		_, err = dc.AuthenticationResult(ctx)
		wantDevice(t, err, "invalid_grant")
	})
	t.Run("wrong password", func(t *testing.T) {
		// The policy is met only after the password is right.
		pc := e.public(t, demo.ClientID, demo.StrictTenantID)
		//lint:ignore SA1019 as above
		_, err := pc.AcquireTokenByUsernamePassword(ctx, pbiScope, demo.StrictDeviceUsername, "wrong")
		wantAADSTS(t, err, 50126, "invalid_grant")
	})
	t.Run("service principal", func(t *testing.T) {
		res, err := e.confidentialIn(t, demo.StrictTenantID, demo.ClientIDCertificate, certCred(t, demo.CertificatePEM)).
			AcquireTokenByCredential(ctx, pbiScope)
		if err != nil {
			t.Fatal(err)
		}
		if c := e.claims(t, res.AccessToken); !c.IsApp() || c.TenantID != demo.StrictTenantID {
			t.Fatalf("claims %+v", c)
		}
	})
}

func TestCertificateCredential(t *testing.T) {
	e := newEnv(t, time.Hour)
	good := certCred(t, demo.CertificatePEM)
	for _, tenant := range []string{demo.TenantID, demo.StrictTenantDomain} {
		res, err := e.confidentialIn(t, tenant, demo.ClientIDCertificate, good).AcquireTokenByCredential(context.Background(), pbiScope)
		if err != nil {
			t.Fatalf("%s: %v", tenant, err)
		}
		c := e.claims(t, res.AccessToken)
		if !c.IsApp() || c.AppID != demo.ClientIDCertificate {
			t.Fatalf("%s: claims %+v", tenant, c)
		}
		if demo.WorkspaceMember(c.ObjectID) != demo.ServicePrincipalObjectID {
			t.Fatalf("%s: the certificate app's service principal %s is not in Sales Analytics", tenant, c.ObjectID)
		}
	}
	_, err := e.confidentialIn(t, demo.TenantID, demo.ClientIDCertificate, certCred(t, demo.ExpiredCertificatePEM)).
		AcquireTokenByCredential(context.Background(), pbiScope)
	body := wantAADSTS(t, err, 700027, "invalid_client")
	if !strings.Contains(body["error_description"].(string), "expired") {
		t.Fatalf("expired certificate: %v", body["error_description"])
	}
	_, err = e.confidentialIn(t, demo.TenantID, demo.ClientIDCertificate, certCred(t, selfSigned(t))).
		AcquireTokenByCredential(context.Background(), pbiScope)
	body = wantAADSTS(t, err, 700027, "invalid_client")
	if !strings.Contains(body["error_description"].(string), "not registered") {
		t.Fatalf("wrong certificate: %v", body["error_description"])
	}
	// The demo certificate is registered on the certificate app only.
	_, err = e.confidentialIn(t, demo.TenantID, demo.ClientID, good).AcquireTokenByCredential(context.Background(), pbiScope)
	wantAADSTS(t, err, 700027, "invalid_client")
	// The certificate app has no secret.
	_, err = e.confidentialIn(t, demo.TenantID, demo.ClientIDCertificate, secretCred(t)).AcquireTokenByCredential(context.Background(), pbiScope)
	wantAADSTS(t, err, 7000215, "invalid_client")
}

// TestClientAssertionClaims sends hand-made assertions signed with the demo key.
func TestClientAssertionClaims(t *testing.T) {
	e := newEnv(t, time.Hour)
	certs, key, err := confidential.CertFromPEM(demo.CertificatePEM, "")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := e.authority(demo.TenantID) + "/oauth2/v2.0/token"
	now := time.Now()
	cases := []struct {
		name   string
		claims map[string]any
		code   int
	}{
		{"good", map[string]any{"aud": endpoint, "iss": demo.ClientIDCertificate, "sub": demo.ClientIDCertificate, "exp": now.Add(10 * time.Minute).Unix(), "nbf": now.Unix()}, 0},
		{"expired assertion", map[string]any{"aud": endpoint, "iss": demo.ClientIDCertificate, "sub": demo.ClientIDCertificate, "exp": now.Add(-time.Hour).Unix(), "nbf": now.Add(-2 * time.Hour).Unix()}, 700024},
		{"wrong audience", map[string]any{"aud": "https://login.microsoftonline.com/" + demo.TenantID + "/oauth2/v2.0/token", "iss": demo.ClientIDCertificate, "sub": demo.ClientIDCertificate, "exp": now.Add(10 * time.Minute).Unix()}, 700027},
		{"other issuer", map[string]any{"aud": endpoint, "iss": demo.ClientID, "sub": demo.ClientID, "exp": now.Add(10 * time.Minute).Unix()}, 700021},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jwt := signAssertion(t, certs[0], key.(*rsa.PrivateKey), tc.claims)
			code, name := e.postToken(t, "", assertionForm(jwt))
			if code != tc.code || (code != 0 && name != "invalid_client") {
				t.Fatalf("got AADSTS%d %s, want %d invalid_client (0: a token)", code, name, tc.code)
			}
		})
	}
	// A tampered signature.
	jwt := signAssertion(t, certs[0], key.(*rsa.PrivateKey), cases[0].claims)
	jwt = jwt[:len(jwt)-4] + "AAAA"
	if code, _ := e.postToken(t, "", assertionForm(jwt)); code != 700027 {
		t.Fatalf("tampered signature: AADSTS%d, want 700027", code)
	}
}

func assertionForm(jwt string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {demo.ClientIDCertificate}, "scope": {pbiScope[0]},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {jwt}}
}

// wantAADSTS fails unless err carries the code and error name; it returns the body.
func wantAADSTS(t *testing.T, err error, code int, name string) map[string]any {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want AADSTS%d", code)
	}
	got, gotName, body := aadCode(t, err)
	if got != code || gotName != name {
		t.Fatalf("got AADSTS%d %s, want AADSTS%d %s (%v)", got, gotName, code, name, err)
	}
	return body
}

func (e *env) confidentialIn(t *testing.T, tenant, clientID string, cred confidential.Credential) confidential.Client {
	t.Helper()
	c, err := confidential.New(e.authority(tenant), clientID, cred,
		confidential.WithHTTPClient(e.client), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func secretCred(t *testing.T) confidential.Credential {
	t.Helper()
	c, err := confidential.NewCredFromSecret(demo.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func certCred(t *testing.T, pemData []byte) confidential.Credential {
	t.Helper()
	certs, key, err := confidential.CertFromPEM(pemData, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// selfSigned is a certificate and RSA key nobody registered, as PEM.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not registered"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END CERTIFICATE-----\n")
	b.WriteString("-----BEGIN PRIVATE KEY-----\n" + base64.StdEncoding.EncodeToString(kb) + "\n-----END PRIVATE KEY-----\n")
	return []byte(b.String())
}

func signAssertion(t *testing.T, cert *x509.Certificate, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	tp := sha256.Sum256(cert.Raw)
	hdr, _ := json.Marshal(map[string]string{"alg": "PS256", "typ": "JWT", "x5t#S256": base64.StdEncoding.EncodeToString(tp[:])})
	body, _ := json.Marshal(claims)
	signed := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	h := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}
