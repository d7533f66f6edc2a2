package powerbi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
)

// TestClusterRedirectKeepsToken: a 307 to a Power BI cluster host keeps the
// bearer token (Go drops it for a host outside the original's domain) and
// the rows; a redirect anywhere else gets neither.
func TestClusterRedirectKeepsToken(t *testing.T) {
	var clusterAuth []string
	cluster := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clusterAuth = append(clusterAuth, r.Host+" "+r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{"value":[]}`))
	}))
	defer cluster.Close()
	_, clusterPort, _ := net.SplitHostPort(cluster.Listener.Addr().String())
	target := "wabi-1.example.com"
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+net.JoinHostPort(target, clusterPort)+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	_, apiPort, _ := net.SplitHostPort(api.Listener.Addr().String())

	// Resolve the example.com names (in the httptest certificate) to the two servers.
	tr := api.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if strings.HasSuffix(host, ".example.com") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	ep := cloud.Endpoints{APIBase: "https://api.example.com:" + apiPort, Resource: "https://wabi-1.example.com/powerbi/api",
		HTTP: &http.Client{Transport: tr}}
	ctx := context.Background()

	for _, tt := range []struct {
		host     string
		wantAuth bool
	}{{"wabi-1.example.com", true}, {"evil.example.com", false}} {
		target = tt.host
		clusterAuth = nil
		c := New(ep, StaticToken(testToken))
		if _, err := c.Datasets(ctx, "g"); err != nil {
			t.Fatal(err)
		}
		want := tt.host + " "
		if tt.wantAuth {
			want += "Bearer " + testToken
		}
		if len(clusterAuth) != 1 || !strings.HasPrefix(clusterAuth[0], tt.host) || !strings.HasSuffix(clusterAuth[0], strings.TrimPrefix(want, tt.host)) {
			t.Errorf("redirect to %s: cluster saw %q, want Authorization %v", tt.host, clusterAuth, tt.wantAuth)
		}

		// Rows (a body) follow a 307 to a cluster host, and nowhere else.
		clusterAuth = nil
		err := c.PostRows(ctx, "g", "d", "T", []byte(`{"rows":[]}`))
		if tt.wantAuth && (err != nil || len(clusterAuth) != 1 || !strings.HasSuffix(clusterAuth[0], "Bearer "+testToken)) {
			t.Errorf("POST rows redirected to %s: err %v, cluster saw %q", tt.host, err, clusterAuth)
		}
		if !tt.wantAuth && (!errors.Is(err, cloud.ErrRedirectRefused) || len(clusterAuth) != 0) {
			t.Errorf("POST rows redirected to %s: err %v, cluster saw %q; want refused, nothing sent", tt.host, err, clusterAuth)
		}
	}
}

func TestTrustedHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"api.powerbi.com", true},
		{"API.PowerBI.com", true},
		{"wabi-north-europe-g-primary-redirect.analysis.windows.net", true},
		{"analysis.windows.net", true},
		{"evilanalysis.windows.net", false},
		{"analysis.windows.net.evil.example", false},
		{"example.com", false},
	} {
		if got := trustedHost(tt.host, "api.powerbi.com", resourceHost("https://analysis.windows.net/powerbi/api")); got != tt.want {
			t.Errorf("trustedHost(%s) = %v", tt.host, got)
		}
	}
}

// TestRedirectTargetUnreachableIsNotAmbiguous: the first request was
// answered (307); the redirected one never connected, so nothing is unknown.
func TestRedirectTargetUnreachableIsNotAmbiguous(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close()
	c, _ := tlsClient(t, func(w http.ResponseWriter, r *http.Request) {
		// The API host on another port: followed (as a cluster host), body and all.
		http.Redirect(w, r, "https://"+dead+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	err = c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[]}`))
	var te *TransportError
	if !errors.As(err, &te) || te.Sent || te.Host != dead || errors.Is(err, cloud.ErrRedirectRefused) {
		t.Fatalf("err = %v (%+v)", err, te)
	}
}

// tlsClient is testClient over HTTPS.
func tlsClient(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c := New(cloud.Endpoints{Name: "test", APIBase: srv.URL, HTTP: srv.Client()}, StaticToken(testToken))
	c.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return c, srv
}

// TestRedirectNeverLeavesHTTPS: Power BI (or whatever answers in its place)
// redirecting to http:// on the same host gets nothing in clear: not the
// token, not the rows. The call fails, saying why, as a request that was not
// carried out (a POST rows is not ambiguous), and is not retried.
func TestRedirectNeverLeavesHTTPS(t *testing.T) {
	var plain []string
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain = append(plain, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
	}))
	defer plainSrv.Close()
	_, clearPort, _ := net.SplitHostPort(plainSrv.Listener.Addr().String())
	answered := 0
	c, _ := tlsClient(t, func(w http.ResponseWriter, r *http.Request) {
		answered++
		http.Redirect(w, r, "http://127.0.0.1:"+clearPort+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	ctx := context.Background()
	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"GET datasets", func() error { _, err := c.Datasets(ctx, "g"); return err }},
		{"POST rows", func() error { return c.PostRows(ctx, "g", "d", "T", []byte(`{"rows":[{"a":1}]}`)) }},
	} {
		answered = 0
		err := call.do()
		var te *TransportError
		if !errors.As(err, &te) || te.Sent || errors.Is(err, ErrAmbiguous) || !errors.Is(err, cloud.ErrRedirectRefused) {
			t.Errorf("%s: err = %v (%+v), want a refused redirect, not sent", call.name, err, te)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "http://127.0.0.1:"+clearPort) || !strings.Contains(msg, "unencrypted") || strings.Contains(msg, testToken) {
			t.Errorf("%s: message %q should name the http target and why, without the token", call.name, msg)
		}
		if a := Advice(err, nil); !strings.Contains(a, "redirect that is not followed") || !strings.Contains(a, "nothing was sent") {
			t.Errorf("%s: advice %q", call.name, a)
		}
		if answered != 1 {
			t.Errorf("%s: the API host answered %d requests, want 1 (no retry of a refused redirect)", call.name, answered)
		}
	}
	if len(plain) != 0 {
		t.Errorf("requests reached the plain-http side: %q", plain)
	}
}
