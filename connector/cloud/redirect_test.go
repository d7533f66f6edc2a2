package cloud

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// seen records what reached a test server.
type seen struct {
	mu   sync.Mutex
	reqs []string // "host path auth=… body=…"
}

func (s *seen) record(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r.Host+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(b))
}

func (s *seen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// TestRedirectPolicy drives the client ClientTrusting builds (the sandbox's,
// and the policy Lookup's client uses too) through redirects that Go's own
// policy would follow with the credentials.
func TestRedirectPolicy(t *testing.T) {
	plain := &seen{}
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plain.record(r) }))
	defer plainSrv.Close()
	_, clearPort, _ := net.SplitHostPort(plainSrv.Listener.Addr().String())

	tls := &seen{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tls.record(r)
		if to := r.URL.Query().Get("to"); to != "" {
			w.Header().Set("Location", strings.ReplaceAll(to, "PORT", clearPort))
			w.WriteHeader(http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	client, err := ClientTrusting(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	if err != nil {
		t.Fatal(err)
	}
	// The example.com names of the httptest certificate all reach srv.
	tr := client.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, p, _ := net.SplitHostPort(addr); strings.HasSuffix(host, "example.com") {
			addr = net.JoinHostPort("127.0.0.1", p)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}

	for _, tt := range []struct {
		name, from, to, body string
		refused              bool
		want                 string // the last request srv saw, when not refused
	}{
		{name: "https to http on the same host", from: "https://127.0.0.1:" + port, to: "http://127.0.0.1:PORT/in-clear", refused: true},
		{name: "https to http with a body", from: "https://127.0.0.1:" + port, to: "http://127.0.0.1:PORT/in-clear", body: "password=p", refused: true},
		{name: "to a subdomain", from: "https://example.com:" + port, to: "https://sub.example.com:" + port + "/landed",
			want: "sub.example.com:" + port + " /landed auth= body="},
		{name: "a body to another host", from: "https://a.example.com:" + port, to: "https://b.example.com:" + port + "/landed",
			body: "client_secret=s", refused: true},
		{name: "same host keeps both", from: "https://a.example.com:" + port, to: "https://a.example.com:" + port + "/landed",
			body: "x=1", want: "a.example.com:" + port + " /landed auth=Bearer tok body=x=1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tls.mu.Lock()
			tls.reqs = nil
			tls.mu.Unlock()
			method, body := http.MethodGet, io.Reader(nil)
			if tt.body != "" {
				method, body = http.MethodPost, strings.NewReader(tt.body)
			}
			req, _ := http.NewRequest(method, tt.from+"/start?to="+tt.to, body)
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := client.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			got := tls.all()
			if tt.refused {
				var re *RedirectError
				if !errors.Is(err, ErrRedirectRefused) || !errors.As(err, &re) || !strings.Contains(err.Error(), "refused to follow a redirect") {
					t.Fatalf("err = %v, want a refused redirect", err)
				}
				if len(got) != 1 {
					t.Errorf("srv saw %q, want only the first request", got)
				}
			} else if err != nil || len(got) != 2 || got[1] != tt.want {
				t.Errorf("err = %v, srv saw %q, want last %q", err, got, tt.want)
			}
		})
	}
	if got := plain.all(); len(got) != 0 {
		t.Errorf("the plain-http side was reached: %q", got)
	}
}

// The unverified fetch of a sandbox's CA follows no redirect.
func TestSandboxCAFetchFollowsNoRedirect(t *testing.T) {
	var hits []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		http.Redirect(w, r, "/elsewhere.pem", http.StatusFound)
	}))
	defer srv.Close()
	if _, err := Sandbox(context.Background(), srv.URL); err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Errorf("err = %v", err)
	}
	if len(hits) != 1 {
		t.Errorf("%d requests, want 1: %q", len(hits), hits[:min(len(hits), 3)])
	}
}
