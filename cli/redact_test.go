package cli

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
)

// The Domo client ID and secret swapped in the environment: push and doctor
// fail saying so, and the secret shows nowhere (f.run checks stdout, stderr
// and every file under the home, history records included).
//
// Not parallel: the demo Domo client ID becomes a secret of this process, so
// while it runs every other test's history would mask the
// --domo-client-id of its records (a wizard's resume then no longer finds
// the unsaved account that ran them).
func TestSwappedDomoClientIDAndSecretAreNotShown(t *testing.T) {
	t.Cleanup(redact.Reset)
	f := newFixture(t)
	swapped := map[string]string{EnvPassword: demo.Password,
		EnvDomoClientID: demo.DomoClientSecret, EnvDomoClientSecret: demo.DomoClientID}
	input := "domo:" + demo.DomoDataSetID

	code, _, stderr := f.run(swapped, pushArgs("--group", demo.WorkspaceSales, "--dataset", "Swapped", "--table", "T", "--input", input)...)
	if code != exitcode.SignIn || !strings.Contains(stderr, "looks like a client secret") ||
		!strings.Contains(stderr, "PBIWB_DOMO_CLIENT_ID and PBIWB_DOMO_CLIENT_SECRET") {
		t.Errorf("push: exit %d, want %d saying the two look swapped:\n%s", code, exitcode.SignIn, stderr)
	}
	if recs := f.history(); len(recs) != 1 || len(recs[0].Errors) == 0 || !strings.Contains(recs[0].Errors[0].Message, "client ID *** and its secret") {
		t.Errorf("history: %+v", recs)
	}

	for _, args := range [][]string{
		append(append([]string{"doctor"}, demoUserFlags...), "--input", input),
		append(append([]string{"doctor"}, demoUserFlags...), "--input", input, "--json"),
	} {
		_, stdout, _ := f.run(swapped, args...)
		if !strings.Contains(stdout, "looks like a client secret") {
			t.Errorf("%v does not say the Domo client ID looks like a secret:\n%s", args, stdout)
		}
	}
}

// A Power BI that answers a batch with 20 MB of error, or repeats the
// request's Authorization header: what the push prints and what the history
// keeps stay bounded and hold no token.
func TestServerErrorTextIsBoundedAndMasked(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("é", 10<<20) // 20 MB
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		want   string
	}{
		{"20 MB message", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"BadRequest","message":"` + huge + `"}}`))
		}, "[cut: "},
		{"echoed Authorization", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"BadRequest","message":"refused: Authorization: ` + r.Header.Get("Authorization") + `"}}`))
		}, "Authorization: Bearer ***"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tokens := answerPostRows(t, f, tc.answer)
			path := writeTestCSV(t, t.TempDir(), 10)
			code, stdout, stderr := f.run(demoPasswordEnv, pushArgs("--group", demo.WorkspaceSales, "--dataset", "Echo", "--table", "T", "--input", path)...)
			if code == exitcode.OK || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d; stderr lacks %q:\n%.3000s", code, tc.want, stderr)
			}
			if n := len(stdout) + len(stderr); n > 32<<10 {
				t.Errorf("%d bytes of output", n)
			}
			f.assertNoTokens(tokens(), stdout, stderr)
		})
	}
}

// answerPostRows puts a Power BI in front of the fixture's sandbox that
// answers every POST rows with answer and passes everything else on. It
// returns what the bearer tokens it saw were.
func answerPostRows(t *testing.T, f *fixture, answer http.HandlerFunc) (tokens func() []string) {
	var mu sync.Mutex
	var seen []string
	f.deps.sandboxEndpoints = func(ctx context.Context, u string) (cloud.Endpoints, error) {
		ep, err := cloud.Sandbox(ctx, u)
		if err != nil {
			return ep, err
		}
		target, err := url.Parse(ep.APIBase)
		if err != nil {
			return ep, err
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.Transport = transportOf(ep.HTTP)
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			mu.Unlock()
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rows") {
				answer(w, r)
				return
			}
			r.Host = target.Host
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		// Trust the stand-in's certificate beside the sandbox's CA.
		tr := transportOf(ep.HTTP).(*http.Transport).Clone()
		pool := tr.TLSClientConfig.RootCAs.Clone()
		pool.AddCert(srv.Certificate())
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		hc := *ep.HTTP
		hc.Transport = tr
		ep.HTTP, ep.APIBase = &hc, srv.URL
		return ep, nil
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// assertNoTokens checks texts and every file under the home for tokens, and
// that no file there is larger than a history record has reason to be.
func (f *fixture) assertNoTokens(tokens []string, texts ...string) {
	f.t.Helper()
	_ = filepath.WalkDir(f.home, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		if len(b) > 64<<10 {
			f.t.Errorf("%s is %d bytes", path, len(b))
		}
		texts = append(texts, string(b))
		return nil
	})
	for _, tok := range tokens {
		for _, txt := range texts {
			if tok != "" && strings.Contains(txt, tok) {
				f.t.Errorf("a bearer token shows in:\n%.3000s", txt)
			}
		}
	}
}
