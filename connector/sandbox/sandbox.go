// Package sandbox is pbiwb's emulator of Entra ID, the Power BI REST API and
// the Domo API on loopback HTTPS. It is the zero-setup demo (pbiwb --sandbox),
// the trainers' tool (pbiwb sandbox) and the test bed of every other package.
//
// Each service lives in a subpackage (entraid, pbi, domoapi); this package
// gives them one HTTPS listener with the sandbox's own CA, routes requests by
// path, and serves the CA and the reset endpoint.
package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/domoapi"
	"github.com/pbiwb/pbiwb/connector/sandbox/entraid"
	"github.com/pbiwb/pbiwb/connector/sandbox/pbi"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// Options configure a sandbox; the zero value is a usable in-memory sandbox on
// a free loopback port.
type Options struct {
	Addr          string        // listen address; default "127.0.0.1:0" (a free port)
	StateDir      string        // where state survives restarts; "" keeps everything in memory
	TimeScale     float64       // N: quota windows and Retry-After last 1/N; default 1
	Latency       time.Duration // added to every API response
	TokenLifetime time.Duration // lifetime of issued access tokens; default 1h
}

// Server is a running (or ready to run) sandbox.
type Server struct {
	opts  Options
	clock *simtime.Clock
	ca    *authority
	entra *entraid.Server
	pbi   *pbi.Server
	domo  *domoapi.Server

	ln        net.Listener
	http      *http.Server
	url       string // what clients on this machine use
	listenURL string // the address really listened on
}

// New builds a sandbox without listening yet.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	ca, err := loadOrCreateAuthority(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("sandbox CA: %w", err)
	}
	key, err := signingKey(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("sandbox token key: %w", err)
	}
	clock := simtime.New(opts.TimeScale)
	signer := token.NewSigner(key)
	p, err := pbi.New(pbi.Config{Clock: clock, Signer: signer, StateDir: opts.StateDir, Latency: opts.Latency})
	if err != nil {
		return nil, err
	}
	return &Server{
		opts:  opts,
		clock: clock,
		ca:    ca,
		entra: entraid.New(entraid.Config{Clock: clock, Signer: signer, TokenLifetime: opts.TokenLifetime}),
		pbi:   p,
		domo:  domoapi.New(domoapi.Config{Clock: clock}),
	}, nil
}

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	host, _, err := net.SplitHostPort(s.opts.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", s.opts.Addr, err)
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	bound := ln.Addr().(*net.TCPAddr)
	// Valid for the host as given and the address it resolved to, so that
	// both URLs verify.
	cert, err := s.ca.serverCert(host, bound.IP.String())
	if err != nil {
		_ = ln.Close()
		return err
	}
	s.ln = ln
	s.listenURL = "https://" + listenAddr(host, bound)
	s.url = "https://" + clientAddr(bound)
	s.http = &http.Server{
		Handler:           s,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		// Clients that do not trust the CA yet fail their handshake; that is
		// expected (cloud.Sandbox fetches the CA first), not worth a log line.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = s.http.ServeTLS(ln, "", "") }()
	return nil
}

// URL is the base URL clients on this machine use, e.g.
// https://127.0.0.1:8443: for a sandbox listening on every interface
// (0.0.0.0 or ::), its loopback address.
func (s *Server) URL() string { return s.url }

// ListenURL is the address the sandbox really listens on, e.g.
// https://0.0.0.0:8443 where URL says https://127.0.0.1:8443.
func (s *Server) ListenURL() string { return s.listenURL }

// Loopback reports whether the sandbox listens on a loopback address only,
// out of reach of other machines.
func (s *Server) Loopback() bool {
	return s.ln != nil && s.ln.Addr().(*net.TCPAddr).IP.IsLoopback()
}

// CAPEM is the sandbox CA certificate in PEM.
func (s *Server) CAPEM() []byte { return s.ca.certPEM }

// Clock is the sandbox's clock (tests may replace its time source).
func (s *Server) Clock() *simtime.Clock { return s.clock }

// Client returns an HTTP client that trusts the sandbox CA and nothing else.
func (s *Server) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.cert)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
	}}
}

// Close stops serving and saves state (when there is a state directory).
func (s *Server) Close() error {
	var errs []error
	if s.http != nil {
		// Shutdown waits for connections that were dialled but never used
		// (Go counts them idle only after 5s); past a short grace, cut them.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
		}
	}
	errs = append(errs, s.pbi.Close())
	return errors.Join(errs...)
}

// ServeHTTP routes by path: /v1.0/ is Power BI, /oauth/token and /v1/ are Domo,
// /_sandbox/ is the sandbox's own API, everything else is Entra ID.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/_sandbox/ca.pem":
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.ca.certPEM)
		return
	case p == "/_sandbox/demo-cert.pem", p == "/_sandbox/demo-cert-expired.pem":
		// The certificate app's demo credential: certificate and key.
		w.Header().Set("Content-Type", "application/x-pem-file")
		if p == "/_sandbox/demo-cert.pem" {
			_, _ = w.Write(demo.CertificatePEM)
		} else {
			_, _ = w.Write(demo.ExpiredCertificatePEM)
		}
		return
	case p == "/_sandbox/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		s.entra.Reset()
		s.pbi.Reset()
		s.domo.Reset()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}\n"))
		return
	case strings.HasPrefix(p, "/_sandbox/"), strings.HasPrefix(p, "/v1.0/"):
		// Power BI adds the latency itself, so that a POST rows counts as
		// pending while it waits.
		s.pbi.ServeHTTP(w, r)
		return
	}
	if s.opts.Latency > 0 {
		select {
		case <-time.After(s.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case p == "/oauth/token" || strings.HasPrefix(p, "/v1/"):
		s.domo.ServeHTTP(w, r)
	default:
		s.entra.ServeHTTP(w, r)
	}
}

// listenAddr is the address listened on, as the user would name it: Go
// reports a listener on 0.0.0.0 as [::] (it listens on IPv6 as well), so an
// unspecified address keeps the form given.
func listenAddr(host string, bound *net.TCPAddr) string {
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() && bound.IP.IsUnspecified() {
		return net.JoinHostPort(ip.String(), fmt.Sprint(bound.Port))
	}
	return bound.String()
}

// clientAddr is where a client on this machine reaches a listener on a:
// 127.0.0.1 when a is every interface (Go listens dual-stack on "::" too).
func clientAddr(a *net.TCPAddr) string {
	if a.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(a.Port))
	}
	return a.String()
}

// signingKey is the HMAC key for access tokens, kept with the state so tokens
// issued before a restart stay valid.
func signingKey(dir string) ([]byte, error) {
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "token-key")); err == nil && len(b) >= 32 {
			return b, nil
		}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "token-key"), key, 0o600); err != nil {
			return nil, err
		}
	}
	return key, nil
}
