package powerbi

import "time"

// DefaultRequestTimeout is how long a request of a new Client may go
// without progress (see WithRequestTimeout).
const DefaultRequestTimeout = 2 * time.Minute

// WithRequestTimeout bounds every request: it is given up on once d passes
// with nothing moving — not connected, the body not taken, no answer, no
// byte of the answer. A body that keeps flowing is never cut, so a large
// POST on a slow link is not at risk, but a server that never answers is.
// A POST given up on after it was sent is ambiguous (ErrAmbiguous), as any
// other lost answer; the error wraps a *stall.TimeoutError, not a context
// error, so it never reads as an interrupt. d <= 0 keeps
// DefaultRequestTimeout.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = max(d, 0) }
}
