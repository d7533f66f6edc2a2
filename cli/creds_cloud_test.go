package cli

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// impostor is an HTTPS listener posing as a sandbox (it serves its own CA at
// /_sandbox/ca.pem), counting every connection and request it gets.
type impostor struct {
	*httptest.Server
	conns, reqs atomic.Int64
}

func newImpostor(t *testing.T) *impostor {
	t.Helper()
	im := &impostor{}
	im.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		im.reqs.Add(1)
		if r.URL.Path == "/_sandbox/ca.pem" {
			_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: im.Certificate().Raw})
		}
	}))
	im.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			im.conns.Add(1)
		}
	}
	im.StartTLS()
	t.Cleanup(im.Close)
	return im
}

// realAccountHome is a home with one saved account of the public cloud,
// "real", its password, client secret and Domo client secret in an
// in-memory keyring, and the deps that open that keyring.
func realAccountHome(t *testing.T) (string, *deps) {
	t.Helper()
	dir := t.TempDir()
	backend := keystore.NewMemoryBackend(0)
	d := realDeps()
	d.openStore = func(dirs home.Dirs, _ bool) *keystore.Store { return keystore.Open(dirs, backend) }
	dirs, err := home.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.openStore(dirs, false).Save(context.Background(), keystore.Account{
		Name: "real", Cloud: "public", TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
		Auth: "password", DomoClientID: demo.DomoClientID,
	}, keystore.Secrets{keystore.Password: demo.Password, keystore.ClientSecret: demo.ClientSecret, keystore.DomoClientSecret: demo.DomoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return dir, d
}

// TestRealAccountNeverGoesToASandbox: a saved account of a real cloud, used
// with --sandbox URL or PBIWB_SANDBOX, is refused with exit 2 naming the
// account, its cloud and what pointed elsewhere, before any request: the
// listener at that URL (which could be any local process) gets nothing, not
// even the CA fetch.
func TestRealAccountNeverGoesToASandbox(t *testing.T) {
	t.Parallel()
	dir, d := realAccountHome(t)
	im := newImpostor(t)
	csv := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(csv, []byte("a\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := map[string][]string{
		"push":             {"push", "--account", "real", "--group", "G", "--dataset", "D", "--table", "T", "--input", csv},
		"push, Domo input": {"push", "--account", "real", "--group", "G", "--dataset", "D", "--table", "T", "--input", "domo:" + demo.DomoDataSetID},
		"groups":           {"groups", "--account", "real"},
		"groups, last":     {"groups"},
		"doctor":           {"doctor", "--account", "real"},
		"doctor, last":     {"doctor", "--json"},
	}
	for name, args := range commands {
		for _, via := range []struct {
			what string
			args []string
			env  map[string]string
		}{
			{"--sandbox", []string{"--sandbox", im.URL}, nil},
			{EnvSandbox, nil, map[string]string{EnvSandbox: im.URL}},
		} {
			env, out, errb := testEnv(via.env)
			env.deps = d
			full := append(append([]string{"--home", dir}, via.args...), args...)
			code := Main(context.Background(), full, env)
			msg := errb.String()
			if code != exitcode.Usage {
				t.Errorf("%s with %s: exit %d, want 2\n%s", name, via.what, code, msg)
			}
			for _, want := range []string{`account "real"`, "public cloud", via.what + " points at the sandbox at " + im.URL, "nothing was sent"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s with %s: stderr %q lacks %q", name, via.what, msg, want)
				}
			}
			for _, s := range secretValues {
				if strings.Contains(out.String()+msg, s) {
					t.Errorf("%s with %s: output shows a secret", name, via.what)
				}
			}
		}
	}
	if n, c := im.reqs.Load(), im.conns.Load(); n != 0 || c != 0 {
		t.Errorf("the listener got %d requests on %d connections, want none", n, c)
	}
}

// TestSandboxAccountNeverGoesToARealCloud: an account added against a
// sandbox, used without one, asks for --sandbox URL (exit 2) instead of
// signing in to the public cloud.
func TestSandboxAccountNeverGoesToARealCloud(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "sb"}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("add: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"groups", "--account", "sb"}, {"doctor", "--account", "sb"},
		{"push", "--account", "sb", "--group", "G", "--dataset", "D", "--table", "T", "--input", "domo:" + demo.DomoDataSetID}} {
		env, _, errb := f.env(nil)
		code := Main(context.Background(), append([]string{"--home", f.home}, args...), env)
		if code != exitcode.Usage || !strings.Contains(errb.String(), "added against a sandbox") {
			t.Errorf("%s: exit %d, stderr %q; want 2 asking for --sandbox URL", args[0], code, errb.String())
		}
	}
}

// TestWizardRealAccountInSandbox: in `pbiwb --sandbox`, opening or
// troubleshooting a saved account of a real cloud is refused with the same
// words (an error the wizard shows, exit 2), and nothing reaches the sandbox.
func TestWizardRealAccountInSandbox(t *testing.T) {
	t.Parallel()
	dir, d := realAccountHome(t)
	im := newImpostor(t)
	dirs, err := home.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := newWizardBackend(Globals{Sandbox: true, SandboxURL: im.URL, SandboxFrom: "--sandbox", Home: dir}, dirs, d)
	ctx := testCtx(t)
	_, openErr := b.OpenAccount(ctx, "real", nil)
	troubleErr := b.Troubleshoot(ctx, ui.Target{Account: "real"}, make(chan ui.CheckResult, 32))
	for what, err := range map[string]error{"OpenAccount": openErr, "Troubleshoot": troubleErr} {
		var ce exitcode.Coder
		if !errors.As(err, &ce) || ce.ExitCode() != exitcode.Usage ||
			!strings.Contains(err.Error(), `account "real" is saved for the public cloud, but --sandbox points at the sandbox at `+im.URL) {
			t.Errorf("%s: %v; want the refusal, exit 2", what, err)
		}
	}
	if n, c := im.reqs.Load(), im.conns.Load(); n != 0 || c != 0 {
		t.Errorf("the sandbox got %d requests on %d connections, want none", n, c)
	}
}
