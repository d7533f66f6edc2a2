package powerbi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
)

// TestClusterRedirectKeepsToken: a 307 to a Power BI cluster host keeps the
// bearer token (Go drops it for a host outside the original's domain); a
// redirect anywhere else does not get it.
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
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+dead+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	err = c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[]}`))
	var te *TransportError
	if !errors.As(err, &te) || te.Sent || te.Host != dead {
		t.Fatalf("err = %v (%+v)", err, te)
	}
}
