// Package stall gives an HTTP request a deadline that moves with progress:
// the request is cancelled once nothing has happened on it for a while — no
// connection, no byte of the body taken by the transport, no answer, no byte
// of the answer. Unlike http.Client.Timeout it never cuts a long transfer
// that keeps moving (a multi-minute Domo export, a 16 MB POST on a slow
// uplink), yet nothing waits forever: a server that never answers is given
// up on after the timeout.
package stall

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
)

// TimeoutError is a request given up on because nothing arrived for After.
// It does not wrap context.Canceled or context.DeadlineExceeded: a timeout
// is a failure of the service or the network, not an interrupt by the user.
type TimeoutError struct {
	After time.Duration
}

// Error names the setting plainly; Phrase names it as a face does.
func (e *TimeoutError) Error() string {
	return e.Phrase(func(f field.ID) string { return string(f) })
}

// Phrase is the error with the request timeout's setting named by name
// ("--request-timeout" on the command line); a face without one (name gives
// the ID back) says only "the request timeout".
func (e *TimeoutError) Phrase(name func(field.ID) string) string {
	s := fmt.Sprintf("nothing arrived for %v (the request timeout", e.After)
	if n := name(field.RequestTimeout); n != string(field.RequestTimeout) {
		s += ", " + n
	}
	return s + ")"
}

// Timeout marks it as a timeout, as net.Error does.
func (e *TimeoutError) Timeout() bool { return true }

// Watch is one request's watchdog.
type Watch struct {
	d      time.Duration
	t      *time.Timer
	fired  atomic.Bool
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// Start returns a context for the request that is cancelled when d passes
// without Progress, and its Watch. Call Stop when the request is over.
func Start(ctx context.Context, d time.Duration) (context.Context, *Watch) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &Watch{d: d, ctx: ctx, cancel: cancel}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		cancel(&TimeoutError{After: d})
	})
	return ctx, w
}

// Progress restarts the countdown: something moved.
func (w *Watch) Progress() {
	if !w.fired.Load() {
		w.t.Reset(w.d)
	}
}

// Body wraps a request or response body so that every byte moving through
// it counts as Progress.
func (w *Watch) Body(rc io.ReadCloser) io.ReadCloser { return progressBody{rc, w} }

type progressBody struct {
	io.ReadCloser
	w *Watch
}

func (b progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.Progress()
	}
	return n, err
}

// Stop ends the watch and releases the request's context.
func (w *Watch) Stop() {
	w.t.Stop()
	w.cancel(nil)
}

// Err is the *TimeoutError when the watch cancelled the request, else err:
// the caller passes the error the request failed with, and people get
// "nothing arrived for 2m0s" instead of "context canceled". An interrupt of
// the parent context that came first stays an interrupt.
func (w *Watch) Err(err error) error {
	if te, ok := context.Cause(w.ctx).(*TimeoutError); ok && err != nil {
		return te
	}
	return err
}

// TimedOut reports whether the watch cancelled the request (before anyone
// else cancelled its context).
func (w *Watch) TimedOut() bool {
	_, ok := context.Cause(w.ctx).(*TimeoutError)
	return ok
}
