//go:build unix

package push_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
)

// --input FIFO: the push reads the pipe once (nothing opens it a second
// time: before, the early check opened it, and the second pass blocked
// forever reopening it), and every row lands.
func TestPushFromNamedPipe(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	src := writeIDs(t, t.TempDir(), 12_000)
	content, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	go func() { // as `producer > rows.csv &`: opens once, writes, closes
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.Write(content)
	}()
	ctx := context.Background()
	plan, err := push.Prepare(ctx, env.svc, push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "FIFO", Table: "T"})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	sum, err := plan.Run(ctx)
	if err != nil || sum.ExitCode != 0 || !sum.Verified || sum.TableRows != 12_000 {
		t.Fatalf("run: %v, %+v", err, sum)
	}
	st := sandboxtest.GetState(t, env.sb)
	if ids := st.DatasetIDs(demo.WorkspaceOperations, "FIFO"); len(ids) != 1 || len(sandboxtest.Rows(t, env.sb, ids[0], "T")) != 12_000 {
		t.Fatalf("datasets %v", ids)
	}
}

// A directory is a usage error (exit 2) before any request.
func TestDirectoryInputIsUsage(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{})
	_, err := push.Prepare(context.Background(), env.svc, push.Request{Input: t.TempDir(), Group: demo.WorkspaceOperations, Dataset: "D", Table: "T"})
	if code := exitcode.Of(err); code != 2 {
		t.Fatalf("err = %v (exit %d), want exit 2", err, code)
	}
}
