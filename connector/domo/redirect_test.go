package domo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
)

// TestRedirectNeverLeavesHTTPS: a Domo API host that redirects the sign-in
// (Basic credentials) or a DataSet read (bearer token) to http:// on the same
// host gets nothing sent in clear, and the error says why.
func TestRedirectNeverLeavesHTTPS(t *testing.T) {
	var mu sync.Mutex
	var plain []string
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		plain = append(plain, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
	}))
	defer plainSrv.Close()
	_, plainPort, _ := net.SplitHostPort(plainSrv.Listener.Addr().String())
	inClear := "http://127.0.0.1:" + plainPort

	for _, redirected := range []string{"/oauth/token", "/v1/datasets/"} {
		t.Run(redirected, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, redirected) {
					http.Redirect(w, r, inClear+r.URL.RequestURI(), http.StatusTemporaryRedirect)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"bearer","expires_in":3599}`))
			}))
			defer srv.Close()
			c := New(cloud.Endpoints{DomoBase: srv.URL, HTTP: srv.Client()}, "domo-id", "domo-secret")
			_, err := c.DataSet(context.Background(), "6f1c2b9e-3d4a-4e8b-9a1f-5c7d2e8b0a13")
			if !errors.Is(err, cloud.ErrRedirectRefused) || !strings.Contains(err.Error(), inClear) || !strings.Contains(err.Error(), "unencrypted") {
				t.Errorf("err = %v, want a refused redirect naming %s", err, inClear)
			}
			if strings.Contains(err.Error(), "domo-secret") {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
	if len(plain) != 0 {
		t.Errorf("requests reached the plain-http side: %q", plain)
	}
}
