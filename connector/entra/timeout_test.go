package entra_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/entraid"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// pipeNet is an in-memory network for a synctest bubble: every dial gets one
// end of a net.Pipe and the sandbox's Entra ID, served by an http.Server,
// the other. Nothing in it waits on the real network, so the bubble's clock
// jumps over a stall and the request timeout fires at its exact time.
type pipeNet struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) Close() error { p.once.Do(func() { close(p.done) }); return nil }

func (p *pipeNet) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443} }

func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, net.ErrClosed
	}
}

// stalling serves Entra ID, except that a request hang matches is accepted
// and never answered (a proxy that swallows it).
func stalling(hang func(r *http.Request, form url.Values) bool) http.Handler {
	e := entraid.New(entraid.Config{Clock: simtime.New(1), Signer: token.NewSigner(bytes.Repeat([]byte("k"), 32))})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if hang(r, form) {
			<-r.Context().Done()
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.ServeHTTP(w, r)
	})
}

// TestEveryEntraRequestStallsAtTheRequestTimeout: each request MSAL makes
// (instance discovery, the tenant's metadata, the device code request, its
// poll, the token request) is given up on once the request timeout passes
// without an answer, with an error naming what stalled and the setting.
func TestEveryEntraRequestStallsAtTheRequestTimeout(t *testing.T) {
	t.Setenv("MSAL_FORCE_REGION", "")
	path := func(suffix string) func(*http.Request, url.Values) bool {
		return func(r *http.Request, _ url.Values) bool { return strings.HasSuffix(r.URL.Path, suffix) }
	}
	grant := func(g string) func(*http.Request, url.Values) bool {
		return func(r *http.Request, f url.Values) bool {
			return strings.HasSuffix(r.URL.Path, "/token") && strings.Contains(f.Get("grant_type"), g)
		}
	}
	password := entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Method: entra.MethodPassword,
		Username: demo.Username, Password: demo.Password}
	deviceCode := entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Method: entra.MethodDeviceCode}
	servicePrincipal := entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Method: entra.MethodServicePrincipal,
		ClientSecret: demo.ClientSecret}
	cases := []struct {
		name      string
		discovery bool // MSAL asks for instance discovery (a real cloud)
		creds     entra.Credentials
		hang      func(*http.Request, url.Values) bool
		what      string
	}{
		{"instance discovery", true, password, path("/discovery/instance"), "the instance discovery request"},
		{"metadata", false, password, path("/openid-configuration"), "the tenant's metadata request (openid-configuration)"},
		{"password token", false, password, grant("password"), "the token request (password)"},
		{"client credentials", false, servicePrincipal, grant("client_credentials"), "the token request (client credentials)"},
		{"device code request", false, deviceCode, path("/devicecode"), "the device code request"},
		{"device code poll", false, deviceCode, grant("device_code"), "the token request (device code poll)"},
	}
	const timeout = 45 * time.Second
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ep := pipeEndpoints(t, stalling(tc.hang), tc.discovery)
				s, err := entra.New(ep, tc.creds, nil, entra.WithRequestTimeout(timeout))
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_, err = s.SignIn(t.Context(), func(string) {})
				// The bubble's clock is exact: the stall alone took the time
				// (plus MSAL's 50 ms before its first device code poll).
				if took := time.Since(start); took < timeout || took > timeout+time.Second {
					t.Errorf("gave up after %v, want the request timeout %v", took, timeout)
				}
				var e *entra.Error
				if !errors.As(err, &e) {
					t.Fatalf("got %v, want an *entra.Error", err)
				}
				var se *entra.RequestStallError
				if !errors.As(err, &se) || se.What != tc.what {
					t.Fatalf("got %v, want %s stalled", err, tc.what)
				}
				if want := "did not answer " + tc.what + ": nothing arrived for 45s."; !strings.Contains(e.Summary, want) {
					t.Errorf("summary %q lacks %q", e.Summary, want)
				}
				if fix := e.FixIn(timeoutNamer{}); !strings.Contains(fix, "allow more time with --request-timeout") {
					t.Errorf("fix %q does not name the setting", fix)
				}
				// A face without the setting is not told to change it.
				if fix := e.FixIn(field.Plain{}); strings.Contains(fix, "request timeout") || !strings.Contains(fix, "proxy") {
					t.Errorf("fix for a face without the setting: %q", fix)
				}
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("a stall reads as an interrupt: %v", err)
				}
			})
		})
	}
}

// TestSlowAnswerWithinTheRequestTimeout: an answer slower than MSAL's own
// 30-second cap but within the request timeout is waited for.
func TestSlowAnswerWithinTheRequestTimeout(t *testing.T) {
	t.Setenv("MSAL_FORCE_REGION", "")
	synctest.Test(t, func(t *testing.T) {
		e := entraid.New(entraid.Config{Clock: simtime.New(1), Signer: token.NewSigner(bytes.Repeat([]byte("k"), 32))})
		slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/token") {
				time.Sleep(40 * time.Second) // the bubble's clock: no real wait
			}
			e.ServeHTTP(w, r)
		})
		s, err := entra.New(pipeEndpoints(t, slow, false), entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID,
			Method: entra.MethodServicePrincipal, ClientSecret: demo.ClientSecret}, nil, entra.WithRequestTimeout(45*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignIn(t.Context(), nil); err != nil {
			t.Fatalf("a 40 s answer under a 45 s request timeout: %v", err)
		}
	})
}

// pipeEndpoints serves h on a pipeNet for the rest of the bubble's test and
// returns endpoints whose every request reaches it (instance discovery on
// when discovery is set, as for a real cloud).
func pipeEndpoints(t *testing.T, h http.Handler, discovery bool) cloud.Endpoints {
	pn := &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(pn) }()
	tr := &http.Transport{DialTLSContext: pn.dial, DialContext: pn.dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Close()
	})
	return cloud.Endpoints{Name: "stall", AuthorityHost: "https://login.stall.example", Resource: demo.PowerBIResource,
		HTTP: &http.Client{Transport: tr}, Sandbox: !discovery}
}

// timeoutNamer names the request timeout as the command line does.
type timeoutNamer struct{ field.Plain }

func (timeoutNamer) Name(id field.ID) string {
	if id == field.RequestTimeout {
		return "--request-timeout"
	}
	return string(id)
}
