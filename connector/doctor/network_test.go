package doctor

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
)

// connectProxy is a minimal HTTPS proxy: CONNECT, then bytes both ways.
func connectProxy(t *testing.T, used *atomic.Int32) *httptest.Server {
	t.Helper()
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		used.Add(1)
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		// Hijack first, then answer on the raw connection. With WriteHeader
		// before Hijack, Hijack flushes the 200 before it stops net/http's
		// background read, so the client's TLS hello could land in the
		// buffered reader this proxy ignores: a lost hello, EOF (9 of 300
		// runs under CPU load; 0 of 300 this way).
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			up.Close()
			conn.Close()
			return
		}
		go func() { io.Copy(up, conn); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	}))
	t.Cleanup(p.Close)
	return p
}

func TestNetwork(t *testing.T) {
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	api.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case makes the server log a handshake error
	api.StartTLS()
	defer api.Close()
	trusted := api.Client().Transport.(*http.Transport).TLSClientConfig
	var used atomic.Int32
	proxy := connectProxy(t, &used)
	proxyURL, _ := url.Parse(proxy.URL)
	proxyURL.User = url.UserPassword("alice", "proxy-secret")
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()

	client := func(proxy string, tlsCfg *tls.Config) *http.Client {
		tr := &http.Transport{TLSClientConfig: tlsCfg}
		if proxy != "" {
			u, _ := url.Parse(proxy)
			tr.Proxy = http.ProxyURL(u)
		}
		return &http.Client{Transport: tr}
	}
	tests := []struct {
		name   string
		ep     cloud.Endpoints
		status Status
		want   []string
		avoid  []string
	}{
		{"direct, trusted", cloud.Endpoints{Name: "public", AuthorityHost: api.URL, APIBase: api.URL, HTTP: client("", trusted)},
			Pass, []string{"TLS 1.3 ok", "no proxy"}, nil},
		{"untrusted certificate (a TLS-inspecting proxy)", cloud.Endpoints{Name: "public", AuthorityHost: api.URL, APIBase: api.URL, HTTP: client("", nil)},
			Fail, []string{"TLS handshake failed", "CA certificate installed in the system trust store"}, nil},
		{"through a proxy", cloud.Endpoints{Name: "public", AuthorityHost: api.URL, APIBase: api.URL, HTTP: client(proxyURL.String(), trusted)},
			Pass, []string{"via proxy http://alice:xxxxx@", "(HTTPS_PROXY)", "TLS ok"}, []string{"proxy-secret"}},
		{"proxy not answering", cloud.Endpoints{Name: "public", AuthorityHost: api.URL, APIBase: api.URL, HTTP: client(closed, trusted)},
			Fail, []string{"via proxy " + closed, "cannot connect", "The proxy in HTTPS_PROXY does not answer"}, nil},
		{"unknown host", cloud.Endpoints{Name: "usgov", AuthorityHost: "https://no-such-host.invalid", APIBase: api.URL, HTTP: client("", trusted)},
			Fail, []string{"DNS lookup of no-such-host.invalid failed", "HTTPS_PROXY", "check cloud matches"}, nil},
		{"sandbox down", cloud.Endpoints{Name: "sandbox", AuthorityHost: "https://" + strings.TrimPrefix(closed, "http://"),
			APIBase: "https://" + strings.TrimPrefix(closed, "http://"), Sandbox: true},
			Fail, []string{"cannot connect", "pbiwb sandbox"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used.Store(0)
			r := New(Config{Endpoints: tt.ep}).checkNetwork(context.Background())
			if r.Status != tt.status {
				t.Errorf("status %s, want %s: %+v", r.Status, tt.status, r)
			}
			all := r.Found + "\n" + r.Fix + "\n" + strings.Join(r.Details, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("lacks %q:\n%s", w, all)
				}
			}
			for _, w := range tt.avoid {
				if strings.Contains(all, w) {
					t.Errorf("shows %q:\n%s", w, all)
				}
			}
			if tt.name == "through a proxy" && used.Load() == 0 {
				t.Error("the proxy was not used")
			}
		})
	}
}
