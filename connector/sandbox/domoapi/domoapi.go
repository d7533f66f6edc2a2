// Package domoapi is a placeholder until its emulator lands.
package domoapi

import (
	"net/http"

	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
)

// Config configures the emulator.
type Config struct {
	Clock *simtime.Clock
}

// Server is the emulator.
type Server struct{ cfg Config }

// New builds the emulator.
func New(cfg Config) *Server { return &Server{cfg: cfg} }

// Reset returns to the demo state.
func (s *Server) Reset() {}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not built yet", http.StatusNotImplemented)
}
