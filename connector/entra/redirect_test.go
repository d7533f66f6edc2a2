package entra_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTokenRequestRedirectIsRefused: a login host that answers the token
// request (password, client secret in its body) with a 307 elsewhere does
// not get it replayed: not to http:// on the same host, not to another host
// (here localhost, which the sandbox also serves). MSAL's client is built on
// the endpoints' one, so this is the sign-in's redirect policy.
func TestTokenRequestRedirectIsRefused(t *testing.T) {
	var mu sync.Mutex
	var plain []string
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		plain = append(plain, r.Method+" "+r.URL.Path)
	}))
	defer plainSrv.Close()
	_, plainPort, _ := net.SplitHostPort(plainSrv.Listener.Addr().String())

	l := newLab(t, sandbox.Options{})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(l.sb.URL(), "https://"))
	tokenPath := "/" + demo.TenantID + "/oauth2/v2.0/token"
	for _, to := range []string{"http://127.0.0.1:" + plainPort + tokenPath, "https://localhost:" + port + tokenPath} {
		for _, c := range []entra.Credentials{
			creds(entra.MethodPassword, demo.ClientID, demo.Username, demo.Password, ""),
			creds(entra.MethodServicePrincipal, demo.ClientID, "", "", demo.ClientSecret),
		} {
			var elsewhere []string
			ep := l.ep
			inner := l.ep.HTTP.Transport
			ep.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.Hostname() != "127.0.0.1" {
					elsewhere = append(elsewhere, r.Method+" "+r.URL.Host+r.URL.Path)
				} else if r.URL.Scheme == "https" && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
					if r.Body != nil {
						_ = r.Body.Close()
					}
					return &http.Response{StatusCode: http.StatusTemporaryRedirect, Header: http.Header{"Location": {to}},
						Body: http.NoBody, Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
				}
				return inner.RoundTrip(r)
			})}
			s, err := entra.New(ep, c, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.SignIn(context.Background(), nil)
			if err == nil || !strings.Contains(err.Error(), "answered with a redirect that is not followed (refused to follow a redirect") {
				t.Errorf("%s redirected to %s: err = %v, want a refused redirect", c.Method, to, err)
			} else if strings.Contains(err.Error(), demo.Password) || strings.Contains(err.Error(), demo.ClientSecret) {
				t.Errorf("the error shows a secret: %v", err)
			}
			if len(elsewhere) != 0 {
				t.Errorf("%s redirected to %s: requests went to %q", c.Method, to, elsewhere)
			}
		}
	}
	if len(plain) != 0 {
		t.Errorf("requests reached the plain-http side: %q", plain)
	}
}
