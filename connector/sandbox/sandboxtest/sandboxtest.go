// Package sandboxtest starts a real sandbox for a test: the one way every
// package's tests get Entra ID, Power BI and Domo to talk to.
package sandboxtest

import (
	"context"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox"
)

// Start starts a sandbox on a free loopback port, stops it when the test ends,
// and returns it with endpoints that trust its CA (as `--sandbox URL` would).
func Start(t testing.TB, opts sandbox.Options) (*sandbox.Server, cloud.Endpoints) {
	t.Helper()
	s, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ep, err := cloud.Sandbox(context.Background(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return s, ep
}
