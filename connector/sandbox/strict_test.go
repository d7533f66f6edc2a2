package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/browser"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// TestStrictTenantAndCertificateReachPowerBI signs in through the whole
// sandbox over HTTPS with MSAL Go: the strict tenant's user in the browser and
// the certificate app with the certificate served at /_sandbox/demo-cert.pem;
// their tokens reach the demo workspaces (docs/sandbox.md).
func TestStrictTenantAndCertificateReachPowerBI(t *testing.T) {
	s, _ := sandboxtest.Start(t, sandbox.Options{})
	ctx := context.Background()
	scope := []string{demo.PowerBIResource + "/.default"}

	pc, err := public.New(demo.ClientID, public.WithAuthority(s.URL()+"/"+demo.StrictTenantDomain),
		public.WithHTTPClient(s.Client()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	res, err := pc.AcquireTokenInteractive(ctx, scope, public.WithOpenURL(func(u string) error {
		return browser.Follow(ctx, u, browser.Options{Login: demo.StrictUsername, Password: demo.Password, Client: s.Client()})
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := groups(t, s, res.AccessToken); strings.Join(got, ",") != "Executive (read-only),Finance,Operations,Sales Analytics" {
		t.Fatalf("strict tenant's user sees %v", got)
	}

	status, pemData := call(t, s, http.MethodGet, "/_sandbox/demo-cert.pem", "", "")
	if status != http.StatusOK {
		t.Fatalf("demo-cert.pem: %d", status)
	}
	certs, key, err := confidential.CertFromPEM([]byte(pemData), "")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := confidential.New(s.URL()+"/"+demo.TenantID, demo.ClientIDCertificate, cred,
		confidential.WithHTTPClient(s.Client()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	app, err := cc.AcquireTokenByCredential(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	if got := groups(t, s, app.AccessToken); strings.Join(got, ",") != demo.WorkspaceSales {
		t.Fatalf("certificate app sees %v, want Sales Analytics", got)
	}
}

func groups(t *testing.T, s *sandbox.Server, tok string) []string {
	t.Helper()
	status, body := call(t, s, http.MethodGet, "/v1.0/myorg/groups", tok, "")
	if status != http.StatusOK {
		t.Fatalf("groups: %d %s", status, body)
	}
	var g struct {
		Value []struct{ Name string } `json:"value"`
	}
	if err := json.Unmarshal([]byte(body), &g); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range g.Value {
		names = append(names, w.Name)
	}
	sort.Strings(names)
	return names
}
