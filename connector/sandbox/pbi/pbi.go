// Package pbi is a placeholder until its emulator lands.
package pbi

import (
	"net/http"

	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// Config configures the emulator.
type Config struct {
	Clock    *simtime.Clock
	Signer   *token.Signer
	StateDir string
}

// Server is the emulator.
type Server struct{ cfg Config }

// New builds the emulator, loading state from StateDir when there is some.
func New(cfg Config) (*Server, error) { return &Server{cfg: cfg}, nil }

// Reset returns to the demo state.
func (s *Server) Reset() {}

// Close saves state.
func (s *Server) Close() error { return nil }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not built yet", http.StatusNotImplemented)
}
