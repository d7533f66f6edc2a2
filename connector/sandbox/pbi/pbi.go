// Package pbi emulates the Power BI REST API (v1.0/myorg) for the sandbox:
// workspaces, push datasets, tables, rows and executeQueries, with the
// documented push limits, token and scope checks, the documented error
// envelopes, and the sandbox-only /_sandbox/ endpoints. See doc.go for the
// choices made where Microsoft's behaviour is UNCONFIRMED.
package pbi

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// Config configures the emulator.
type Config struct {
	Clock    *simtime.Clock
	Signer   *token.Signer
	StateDir string // where the store is saved on Close and loaded by New; "" keeps it in memory
	// Limits in force; the zero value means schema.DocumentedLimits() with the
	// clock's time scale.
	Limits schema.Limits
	// Latency is added to every Power BI API response (pbiwb sandbox
	// --latency), on top of the latency fault.
	Latency time.Duration
}

// Server is the emulator; it is an http.Handler safe for concurrent use.
type Server struct {
	cfg    Config
	limits schema.Limits
	mux    *http.ServeMux

	mu     sync.RWMutex // guards st (replaced by Reset)
	st     *store
	fault  faults
	tenant tenant

	// postsArrived counts POST rows requests from their arrival (before any
	// injected latency) to their answer: what a client has sent and not yet
	// heard back about, for tests and trainers (GET /_sandbox/state).
	postsArrived atomic.Int64
}

// New builds the emulator in the demo state, or with the state saved in
// StateDir when there is one.
func New(cfg Config) (*Server, error) {
	if cfg.Clock == nil || cfg.Signer == nil {
		return nil, fmt.Errorf("pbi emulator: Config.Clock and Config.Signer are required")
	}
	lim := cfg.Limits
	if lim == (schema.Limits{}) {
		lim = schema.DocumentedLimits()
		lim.TimeScale = 0
	}
	if lim.TimeScale == 0 {
		lim.TimeScale = cfg.Clock.Scale()
	}
	s := &Server{cfg: cfg, limits: lim, st: demoStore(cfg.Clock.Now())}
	s.tenant.reset()
	s.mux = s.routes()
	if cfg.StateDir != "" {
		st, err := loadStore(cfg.StateDir)
		if err != nil {
			return nil, fmt.Errorf("pbi emulator: load state from %s: %w", cfg.StateDir, err)
		}
		if st != nil {
			s.st = st
		}
	}
	return s, nil
}

// Reset returns to the demo state and the default tenant settings, and
// clears injected faults.
func (s *Server) Reset() {
	s.tenant.reset()
	st := demoStore(s.cfg.Clock.Now())
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
	s.fault.set(faultConfig{})
}

// Close saves the store when there is a state directory.
func (s *Server) Close() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	if err := saveStore(s.cfg.StateDir, s.store()); err != nil {
		return fmt.Errorf("pbi emulator: save state to %s: %w", s.cfg.StateDir, err)
	}
	return nil
}

func (s *Server) store() *store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st
}

// ServeHTTP answers /v1.0/myorg/... and /_sandbox/... requests. Every
// response carries a RequestId; a panic becomes a 500 rather than a crash.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrival := time.Now()
	w.Header().Set("RequestId", newUUID())
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			codeError(w, http.StatusInternalServerError, "InternalError", "the sandbox failed on this request: %v", v)
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveSandbox(w, r)
		return
	}
	dw := &delayedWriter{ResponseWriter: w, due: arrival.Add(s.cfg.Latency + s.fault.currentLatency()), ctx: r.Context()}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(dw, r)
		return
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rows") {
		s.postsArrived.Add(1)
		defer s.postsArrived.Add(-1)
	}
	s.mux.ServeHTTP(dw, r) // (ServeMux sets the path values only on this path)
}

// noRoute tells 405 (the path exists with another method) from 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			codeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "%s is not supported on %s (the sandbox serves %s there)", r.Method, r.URL.Path, m)
			return
		}
	}
	codeError(w, http.StatusNotFound, "NotFound", "no Power BI API resource matches %s %s in the sandbox", r.Method, r.URL.Path)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
