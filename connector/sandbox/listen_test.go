package sandbox_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox"
)

// TestListenAddress: the sandbox tells the address it really listens on
// (ListenURL) from the one pbiwb on this machine uses (URL), and whether it is
// out of other machines' reach (Loopback); the certificate verifies at URL,
// and at ListenURL whenever that is one address.
func TestListenAddress(t *testing.T) {
	for _, tt := range []struct {
		addr, listen string
		loopback     bool
	}{
		{"127.0.0.1:0", "https://127.0.0.1:", true},
		{"localhost:0", "https://127.0.0.1:", true},
		{"0.0.0.0:0", "https://0.0.0.0:", false},
		{"[::]:0", "https://[::]:", false},
	} {
		s := start(t, sandbox.Options{Addr: tt.addr})
		if !strings.HasPrefix(s.ListenURL(), tt.listen) || s.Loopback() != tt.loopback {
			t.Errorf("--addr %s: ListenURL %s, Loopback %v; want %s…, %v", tt.addr, s.ListenURL(), s.Loopback(), tt.listen, tt.loopback)
		}
		if u := s.URL(); !strings.HasPrefix(u, "https://127.0.0.1:") || port(t, u) != port(t, s.ListenURL()) {
			t.Errorf("--addr %s: URL %s, want the loopback address on the port listened on (%s)", tt.addr, u, s.ListenURL())
		}
		if _, err := cloud.Sandbox(context.Background(), s.URL()); err != nil {
			t.Errorf("--addr %s: %v", tt.addr, err)
		}
	}
}

// A sandbox on one non-loopback address says so, and its certificate covers it.
func TestListenOnOneInterface(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	s, err := sandbox.New(sandbox.Options{Addr: net.JoinHostPort(ip, "0")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Loopback() || !strings.HasPrefix(s.ListenURL(), "https://"+ip+":") || s.URL() != s.ListenURL() {
		t.Fatalf("ListenURL %s, URL %s, Loopback %v", s.ListenURL(), s.URL(), s.Loopback())
	}
	resp, err := s.Client().Get(s.URL() + "/_sandbox/ca.pem")
	if err != nil {
		t.Fatalf("verified GET at %s: %v", s.URL(), err)
	}
	resp.Body.Close()
}

func port(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Port()
}

func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}
