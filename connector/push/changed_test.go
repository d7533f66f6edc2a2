package push_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// A file edited during the push: the batch holding the edit is never sent,
// the run stops (exit 6) naming the line and the --restart command, and
// what was written stays in the checkpoint. Before, the edited batch landed
// in Power BI and the change showed only at the end, with a --resume that
// was then refused.
func TestInputEditedDuringPush(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	path := writeIDs(t, t.TempDir(), 100_000)
	ctx := context.Background()
	req := push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Edited", Table: "T", Mode: push.ModeAppend}
	plan, err := push.Prepare(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	var once sync.Once
	edit := func(e push.Event) {
		if e.Kind != push.KindProgress || e.Progress.RowsWritten == 0 {
			return
		}
		once.Do(func() { // in place, same length: line 95,002 is row 95,000
			data, err := os.ReadFile(path)
			if err == nil {
				data = bytes.Replace(data, []byte("\n95000,row 95000\n"), []byte("\n95000,row EDITS\n"), 1)
				err = os.WriteFile(path, data, 0o600)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	sum, err := plan.Run(ctx, edit)
	var ce *push.InputChangedError
	if !errors.As(err, &ce) || sum.ExitCode != 6 || sum.ResumeHint != "" {
		t.Fatalf("run: %v, %+v; want an InputChangedError, exit 6, no --resume", err, sum)
	}
	msg := err.Error()
	for _, want := range []string{"line 95,002 is not what it was", "nothing from there on was sent", "stay recorded",
		"start over: pbiwb push --input", "--mode append --restart", "appends every row again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Edited")
	rows := sandboxtest.Rows(t, env.sb, ids[0], "T")
	for _, r := range rows {
		if r["label"] == "row EDITS" || r["label"] == "row 95000" {
			t.Fatalf("the batch holding the edited line was sent")
		}
	}
	if int64(len(rows)) != ce.Written || len(rows) < 80_000 {
		t.Fatalf("the table holds %d rows, the run says %d were written", len(rows), ce.Written)
	}
	// The checkpoint knows them: with the file back as it was, --resume
	// writes only the rest, and the table holds every row once.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(data, []byte("row EDITS"), []byte("row 95000"), 1), 0o600)
	req.Resume = true
	plan2, err := push.Prepare(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer plan2.Close()
	if sum, err := plan2.Run(ctx); err != nil || !sum.Verified || sum.TableRows != 100_000 {
		t.Fatalf("resume: %v, %+v", err, sum)
	}
}
