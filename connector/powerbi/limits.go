package powerbi

import (
	"context"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// Limits returns the push limits in force: the sandbox's (GET
// /_sandbox/limits, with its time scale) when the client talks to a sandbox,
// the documented ones otherwise. Fields the sandbox leaves out keep their
// documented values.
func (c *Client) Limits(ctx context.Context) (schema.Limits, error) {
	l := schema.DocumentedLimits()
	if !c.ep.Sandbox {
		return l, nil
	}
	err := c.do(ctx, call{op: "read the sandbox limits", method: "GET", path: "/_sandbox/limits", abs: true,
		out: &l, idempotent: true, anonymous: true})
	if err != nil {
		return schema.DocumentedLimits(), err
	}
	if l.TimeScale < 1 {
		l.TimeScale = 1
	}
	return l, nil
}
