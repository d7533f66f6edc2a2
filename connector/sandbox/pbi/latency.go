package pbi

import (
	"context"
	"net/http"
	"time"
)

// delayedWriter holds a Power BI API answer back until the injected latency
// (Config.Latency plus the latency fault in force when the request arrived)
// has passed since its arrival. serveRoute waits for it (hold) before running
// an operation, so a request whose client is known to be gone by then does
// nothing; answers written before that (a refused token, a 6th pending POST)
// wait on their first write. Either way every answer takes the latency, and a
// POST rows counts as pending for all of it.
type delayedWriter struct {
	http.ResponseWriter
	due    time.Time // real time
	ctx    context.Context
	waited bool
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

// hold waits until the answer is due; false when the client went away first.
func (d *delayedWriter) hold() bool {
	if d.waited {
		return true
	}
	if wait := time.Until(d.due); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-d.ctx.Done():
			return false
		}
	}
	d.waited = true
	return true
}
