package push_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
)

// writeWithExtra writes n rows of (id, label, extra): the ids input with a
// column more.
func writeWithExtra(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,label,extra\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,row %d,x%d\n", i, i, i)
	}
	path := filepath.Join(t.TempDir(), "extra.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Adding a column is a PUT of the table's schema, which no source promises
// keeps the rows. The plan says what the PUT does and that it is guarded;
// when the PUT drops the rows (the sandbox's putTableClearsRows), the append
// stops (exit 5) before writing, saying how many rows were lost and how to
// recover. With counting off the guard cannot run, and the push says so.
func TestSchemaChangeIsGuarded(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	const n = 25_000
	if sum, err := run(t, env.svc, push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Guarded", Table: "T"}, ctx); err != nil {
		t.Fatalf("first push: exit %d, %v", sum.ExitCode, err)
	}
	req := push.Request{Input: writeWithExtra(t, 100), Group: demo.WorkspaceSales, Dataset: "Guarded", Table: "T", Mode: push.ModeAppend}

	plan, err := push.Prepare(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	acts := strings.Join(plan.Report().Actions, "\n")
	plan.Close()
	if !strings.Contains(acts, "add columns extra String") || !strings.Contains(acts, "counted before and after") {
		t.Errorf("the plan does not say what the PUT does and that it is guarded:\n%s", acts)
	}

	sandboxtest.Fault(t, env.sb, `{"putTableClearsRows":true}`)
	sum, err := run(t, env.svc, req, ctx)
	var sce *push.SchemaChangeError
	if !errors.As(err, &sce) || sum.ExitCode != exitcode.Refused || sce.Before != n || sce.After != 0 {
		t.Fatalf("want a stop (exit 5) naming %d rows lost, got exit %d: %v", n, sum.ExitCode, err)
	}
	for _, want := range []string{"25,000 rows", "--mode replace", "stopped before writing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the stop does not say %q: %v", want, err)
		}
	}
	if got := tableRows(t, env, demo.WorkspaceSalesID, "Guarded", "T"); got != 0 {
		t.Errorf("the table holds %d rows: the push wrote after the loss", got)
	}

	// Without counting: the PUT goes ahead, saying the guard cannot run.
	sandboxtest.Fault(t, env.sb, `{}`)
	if _, err := run(t, env.svc, push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Unguarded", Table: "T"}, ctx); err != nil {
		t.Fatal(err)
	}
	sandboxtest.Tenant(t, env.sb, `{"executeQueries":false}`)
	req.Dataset = "Unguarded"
	var mu sync.Mutex
	var said []string
	plan, err = push.PrepareRun(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	if acts := strings.Join(plan.Report().Actions, "\n"); !strings.Contains(acts, "whether they survive cannot be checked") {
		t.Errorf("the plan does not say the guard cannot run:\n%s", acts)
	}
	sum, err = plan.Run(ctx, func(e push.Event) {
		mu.Lock()
		said = append(said, e.Message)
		mu.Unlock()
	})
	if err != nil || sum.ExitCode != exitcode.OK || sum.NotVerified == "" {
		t.Fatalf("append without counting: exit %d, %v", sum.ExitCode, err)
	}
	if all := strings.Join(said, "\n"); !strings.Contains(all, "cannot be checked") {
		t.Errorf("the push did not say the guard cannot run:\n%s", all)
	}
}
