package push_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/home"
)

// sandboxEnv is a real sandbox with the demo user signed in, and the engine's
// Services for it.
type sandboxEnv struct {
	sb      *sandbox.Server
	session *entra.Session
	ep      cloud.Endpoints
	svc     push.Services
}

func newSandboxEnv(tb testing.TB, opts sandbox.Options) *sandboxEnv {
	tb.Helper()
	sb, ep := sandboxtest.Start(tb, opts)
	s, err := entra.New(ep, entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
		Password: demo.Password, Method: entra.MethodPassword}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	dirs, err := home.Resolve(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return &sandboxEnv{sb: sb, session: s, ep: ep,
		svc: push.Services{PowerBI: powerbi.New(ep, s), Dirs: dirs, TempDir: dir, Fields: push.FlagNames{}}}
}

// counters are a dataset's request counters as the sandbox keeps them.
func (e *sandboxEnv) counters(tb testing.TB, datasetName string) map[string]int64 {
	tb.Helper()
	for _, w := range sandboxtest.GetState(tb, e.sb).Workspaces {
		for _, d := range w.Datasets {
			if d.Name == datasetName {
				return d.Counters
			}
		}
	}
	tb.Fatalf("no dataset %q in the sandbox", datasetName)
	return nil
}

// writeIDs writes a CSV of n rows (id, label) and returns its path.
var writeIDs = sandboxtest.WriteIDs

// token is a valid access token of the demo user, for a plain HTTP client.
func (e *sandboxEnv) token(tb testing.TB) string {
	tb.Helper()
	t, err := e.session.Token(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func (e *sandboxEnv) http() *http.Client { return e.ep.HTTP }
