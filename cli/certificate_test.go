package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/home"
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

	// The file's path (not its content) is kept, so doctor's "save it
	// again" repeats --certificate with it.
	dirs, _ := home.Resolve(f.home)
	if err := keystore.Open(dirs, f.backend).SetSecret(context.Background(), "cert", keystore.Certificate, ""); err != nil {
		t.Fatal(err)
	}
	_, results, _ = f.doctorJSON(t, nil, "--account", "cert")
	want := "pbiwb accounts add cert --tenant " + demo.TenantID + " --client-id " + demo.ClientIDCertificate +
		" --auth service-principal --certificate " + format.ShellQuote(good)
	if acc := results[doctor.CheckAccount]; acc.Status != doctor.Fail || !strings.Contains(acc.Fix, want) {
		t.Fatalf("doctor account without its certificate: %+v\nwant the fix to hold %s", acc, want)
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
	dirs, _ := home.Resolve(f.home)
	if a, err := keystore.Open(dirs, f.backend).Get("cert"); err != nil || !strings.Contains(cliFace{}.SaveAccount(a, false), "--certificate "+format.ShellQuote(c.Certificate)) {
		t.Fatalf("the wizard's account: %+v %v: its save-again command does not repeat --certificate", a, err)
	}
	code, stdout, stderr := f.run(nil, "groups", "--account", "cert")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceSales) {
		t.Fatalf("groups with the wizard's account: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
