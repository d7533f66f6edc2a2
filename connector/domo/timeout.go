package domo

import (
	"cmp"
	"context"
	"time"

	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// DefaultRequestTimeout is how long a request of a new Client may wait
// (see WithRequestTimeout).
const DefaultRequestTimeout = 2 * time.Minute

// Option configures a Client.
type Option func(*Client)

// WithRequestTimeout bounds every request: a sign-in or a metadata request
// is given up on after d; the CSV export, which takes minutes for a large
// DataSet, when d passes without a byte (before the answer begins, or in the
// middle of it). The failure is ErrUnreachable wrapping a
// *stall.TimeoutError, never a context error (it is not an interrupt).
// d <= 0 keeps DefaultRequestTimeout.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = max(d, 0) }
}

// watch starts a request's deadline.
func (c *Client) watch(ctx context.Context) (context.Context, *stall.Watch) {
	return stall.Start(ctx, cmp.Or(c.timeout, DefaultRequestTimeout))
}
