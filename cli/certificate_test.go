package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

func certFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func certFlags(path string) []string {
	return []string{"--tenant", demo.TenantID, "--client-id", demo.ClientIDCertificate, "--auth", "service-principal", "--certificate", path}
}

func TestCertificateAccount(t *testing.T) {
	f := newFixture(t)
	good := certFile(t, demo.CertificatePEM)
	code, _, stderr := f.run(nil, append([]string{"accounts", "add", "cert"}, certFlags(good)...)...)
	if code != exitcode.OK || !strings.Contains(stderr, "service principal") {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	kinds := map[string]bool{}
	for _, it := range f.items() {
		for _, k := range keystore.Kinds {
			if strings.Contains(it.Key, string(k)) {
				kinds[string(k)] = true
			}
		}
	}
	if !kinds[string(keystore.Certificate)] || kinds[string(keystore.ClientSecret)] {
		t.Fatalf("keyring kinds %v: want the certificate, no client secret", kinds)
	}
	if b, _ := os.ReadFile(filepath.Join(f.home, "config", "accounts.json")); strings.Contains(string(b), "PRIVATE KEY") {
		t.Fatal("the key is in accounts.json")
	}
	code, stdout, stderr := f.run(nil, "groups", "--account", "cert")
	if code != exitcode.OK || strings.TrimSpace(stdout) == "" || !strings.Contains(stdout, demo.WorkspaceSales) || strings.Contains(stdout, demo.WorkspaceFinance) {
		t.Fatalf("groups: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// doctor names the thumbprint and the expiry.
	_, results, _ := f.doctorJSON(t, nil, "--account", "cert")
	acc := results[doctor.CheckAccount]
	if acc.Status != doctor.Pass || !strings.Contains(strings.Join(acc.Details, "\n"), "thumbprint") || !strings.Contains(strings.Join(acc.Details, "\n"), "2046-01-01") {
		t.Fatalf("doctor account: %+v", acc)
	}
	if si := results[doctor.CheckSignIn]; si.Status != doctor.Pass || !strings.Contains(si.Found, "certificate") {
		t.Fatalf("doctor sign-in: %+v", si)
	}
}

func TestCertificateRefusals(t *testing.T) {
	f := newFixture(t)
	expired := certFile(t, demo.ExpiredCertificatePEM)
	code, _, stderr := f.run(nil, append([]string{"accounts", "add", "cert"}, certFlags(expired)...)...)
	if code != exitcode.SignIn || !strings.Contains(stderr, "AADSTS700027") || !strings.Contains(stderr, "Certificates & secrets") {
		t.Fatalf("expired: exit %d\n%s", code, stderr)
	}
	// doctor says it expired before any sign-in.
	_, results, _ := f.doctorJSON(t, nil, certFlags(expired)...)
	if r := results[doctor.CheckAccount]; r.Status != doctor.Fail || !strings.Contains(r.Found, "expired on 2025-01-01") {
		t.Fatalf("doctor: %+v", r)
	}
	code, _, stderr = f.run(nil, append([]string{"groups"}, certFlags(filepath.Join(t.TempDir(), "missing.pem"))...)...)
	if code != exitcode.Usage || !strings.Contains(stderr, "--certificate") {
		t.Fatalf("missing file: exit %d\n%s", code, stderr)
	}
	code, _, stderr = f.run(nil, append([]string{"groups"}, certFlags(certFile(t, []byte("not a certificate")))...)...)
	if code != exitcode.SignIn || !strings.Contains(stderr, "--certificate") {
		t.Fatalf("bad file: exit %d\n%s", code, stderr)
	}
}

func TestWizardCertificateAccount(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	c := ui.Credentials{Name: "cert", Method: ui.MethodServicePrincipal, Cloud: "public", TenantID: demo.TenantID,
		ClientID: demo.ClientIDCertificate, Certificate: filepath.Join(t.TempDir(), "missing.pem")}
	_, err := b.SignIn(ctx, c, nil)
	var fe ui.FieldError
	if !errors.As(err, &fe) || fe.Field() != ui.FieldCertificate {
		t.Fatalf("missing file: %v", err)
	}
	c.Certificate = certFile(t, demo.CertificatePEM)
	if _, err := b.SignIn(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	c.InsecureStorage = true // the fixture's keyring stand-in is not the OS keyring the wizard probes
	if err := b.SaveAccount(ctx, c); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := f.run(nil, "groups", "--account", "cert")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceSales) {
		t.Fatalf("groups with the wizard's account: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
