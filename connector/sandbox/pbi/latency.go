package pbi

import (
	"context"
	"net/http"
	"time"
)

// delayedWriter holds a Power BI API answer back until the injected latency
// (Config.Latency plus the latency fault) has passed since the request
// arrived. serveRoute waits for it (hold) before running an operation, so a
// request whose client is known to be gone by then does nothing; answers
// written before that (a refused token, a 6th pending POST) wait on their
// first write. Either way every answer takes the latency, and a POST rows
// counts as pending for all of it.
type delayedWriter struct {
	http.ResponseWriter
	s       *Server
	arrival time.Time
	ctx     context.Context
	due     bool
}

func (d *delayedWriter) WriteHeader(code int) {
	d.hold()
	d.ResponseWriter.WriteHeader(code)
}

func (d *delayedWriter) Write(b []byte) (int, error) {
	d.hold()
	return d.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (abortConnection).
func (d *delayedWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// hold waits until the request is due; false when the client went away first.
func (d *delayedWriter) hold() bool {
	if d.due {
		return true
	}
	if !d.s.waitLatency(d.ctx, d.arrival) {
		return false
	}
	d.due = true
	return true
}

// waitLatency waits until the injected latency has passed since arrival,
// reading the latency fault again whenever the faults change (so clearing it
// releases the requests it holds); false when ctx ends first. The latency is
// real time, not scaled.
func (s *Server) waitLatency(ctx context.Context, arrival time.Time) bool {
	for {
		lat, changed := s.fault.currentLatency()
		wait := time.Until(arrival.Add(s.cfg.Latency + lat))
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			return true
		case <-changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}
