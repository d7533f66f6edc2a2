package push_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
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
	sb, err := sandbox.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sb.Client().CloseIdleConnections(); sb.Close() })
	ctx := context.Background()
	ep, err := cloud.Sandbox(ctx, sb.URL())
	if err != nil {
		tb.Fatal(err)
	}
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
		svc: push.Services{PowerBI: powerbi.New(ep, s), Dirs: dirs, TempDir: dir}}
}

// counters are a dataset's request counters as the sandbox keeps them.
func (e *sandboxEnv) counters(tb testing.TB, datasetName string) map[string]int64 {
	tb.Helper()
	resp, err := e.sb.Client().Get(e.sb.URL() + "/_sandbox/state")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Workspaces []struct {
			Datasets []struct {
				Name     string           `json:"name"`
				Counters map[string]int64 `json:"counters"`
			} `json:"datasets"`
		} `json:"workspaces"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		tb.Fatal(err)
	}
	for _, w := range st.Workspaces {
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
func writeIDs(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("ids-%d.csv", n))
	fh, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	w.WriteString("id,label\n")
	for i := range n {
		w.WriteString(strconv.Itoa(i))
		w.WriteString(",row ")
		w.WriteString(strconv.Itoa(i))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

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
