package push_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/outcome"
)

// withHome is the env's services with another home.
func withHome(t *testing.T, svc push.Services) push.Services {
	t.Helper()
	dirs, err := home.Resolve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc.Dirs = dirs
	return svc
}

func lastRun(t *testing.T, svc push.Services) history.Record {
	t.Helper()
	runs, err := history.New(svc.Dirs.History()).List(1)
	if err != nil || len(runs) == 0 {
		t.Fatalf("no run recorded in %s: %v", svc.Dirs.History(), err)
	}
	return runs[0]
}

// Two pushes of one target at once: the second, from another home and
// naming the workspace by id, is refused (exit 2) before it reads its input
// or creates anything, naming the first by pid and run id; once the first
// has ended, the target is free again. One dataset of that name, every row
// once.
func TestSecondPushOfATargetIsRefused(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	env.svc.LockDir = t.TempDir()
	ctx := context.Background()
	path := writeIDs(t, t.TempDir(), 25_000)
	req := push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Locked", Table: "T"}

	first, err := push.PrepareRun(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	firstRun := lastRun(t, env.svc)
	if firstRun.Outcome != outcome.Running || firstRun.Fingerprint == "" {
		t.Fatalf("the first push's record before it runs: %+v", firstRun)
	}

	other := withHome(t, env.svc)
	byID := req
	byID.Group, byID.Table = demo.WorkspaceOperationsID, "t" // the same target, named otherwise
	_, err = push.PrepareRun(ctx, other, byID)
	var le *push.LockedError
	if code := exitcode.Of(err); !errors.As(err, &le) || code != 2 {
		t.Fatalf("the second push: %v (exit %d), want a LockedError, exit 2", err, code)
	}
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), "run " + firstRun.ID, `dataset "Locked"`, "wait until that push ends"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if refused := lastRun(t, other); refused.Outcome != outcome.Failed || refused.ExitCode != 2 {
		t.Errorf("the refused push's record: %+v", refused)
	}
	if ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Locked"); len(ids) != 0 {
		t.Fatalf("a dataset was created before the first push ran: %v", ids)
	}

	if sum, err := first.Run(ctx); err != nil || sum.ExitCode != 0 {
		t.Fatalf("the first push: %v, %+v", err, sum)
	}
	// Run let the lock go: the same push from the other home goes through.
	second, err := push.PrepareRun(ctx, other, byID)
	if err != nil {
		t.Fatalf("after the first push ended: %v", err)
	}
	if sum, err := second.Run(ctx); err != nil || sum.ExitCode != 0 {
		t.Fatalf("the second push: %v, %+v", err, sum)
	}
	second.Close()
	ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Locked")
	if len(ids) != 1 {
		t.Fatalf("datasets named Locked: %v, want one", ids)
	}
	if rows := sandboxtest.Rows(t, env.sb, ids[0], "T"); len(rows) != 25_000 {
		t.Errorf("the table holds %d rows, want 25,000 (replace twice)", len(rows))
	}

	// A dry run takes no lock: it runs beside a push that holds it.
	held, err := push.PrepareRun(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	dry, err := push.Prepare(ctx, other, req)
	if err != nil {
		t.Fatalf("a dry run beside a push: %v", err)
	}
	dry.Close()
}

// A dataset that appears between the plan and its creation (another
// program, machine or user) is not created a second time: exit 3, nothing
// written.
func TestNewDatasetIsLookedForAgainBeforeCreating(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	env.svc.LockDir = t.TempDir()
	ctx := context.Background()
	req := push.Request{Input: writeIDs(t, t.TempDir(), 100), Group: demo.WorkspaceOperations, Dataset: "Raced", Table: "T"}
	plan, err := push.PrepareRun(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	if _, err := env.svc.PowerBI.CreateDataset(ctx, demo.WorkspaceOperationsID, powerbi.CreateDataset{Name: "Raced", DefaultMode: "Push",
		Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, powerbi.RetentionNone); err != nil {
		t.Fatal(err)
	}
	sum, err := plan.Run(ctx)
	if sum.ExitCode != 3 || err == nil || !strings.Contains(err.Error(), "appeared") {
		t.Fatalf("a dataset created meanwhile: %v, exit %d", err, sum.ExitCode)
	}
	ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Raced")
	if len(ids) != 1 {
		t.Fatalf("datasets named Raced: %v, want the one created meanwhile", ids)
	}
	if c := env.counters(t, "Raced"); c["rowsAccepted"] != 0 {
		t.Errorf("rows were written: %v", c)
	}
}

// unwritableHomes are homes a push cannot write to: one under a regular
// file (stops root too), and a read-only directory when permissions stop
// this user (they do not stop root, which CI runs as).
func unwritableHomes(t *testing.T) map[string]string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	homes := map[string]string{"under a file": filepath.Join(file, "home")}
	ro := t.TempDir()
	os.Chmod(ro, 0o500)
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	if f, err := os.CreateTemp(ro, "probe"); err == nil {
		f.Close()
		t.Log("permissions do not stop this user (root): only the home under a file is tried")
	} else {
		homes["read-only"] = ro
	}
	return homes
}

// A home that cannot keep the checkpoint is found before anything is sent:
// PrepareRun before any request, Run (after the wizard's dry-run Prepare)
// before creating the dataset. Exit 2 naming the directory and the fix.
func TestUnwritableHomeIsFoundBeforeWriting(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	env.svc.LockDir = t.TempDir()
	ctx := context.Background()
	path := writeIDs(t, t.TempDir(), 100)
	for name, dir := range unwritableHomes(t) {
		dirs, err := home.Resolve(dir)
		if err != nil {
			t.Fatal(err)
		}
		svc := env.svc
		svc.Dirs = dirs
		req := push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Unwritable", Table: "T"}

		_, err = push.PrepareRun(ctx, svc, req)
		var ue *home.UnwritableError
		if code := exitcode.Of(err); !errors.As(err, &ue) || code != 2 || !strings.Contains(err.Error(), "or choose another home") {
			t.Errorf("%s: PrepareRun: %v (exit %d), want an UnwritableError, exit 2", name, err, code)
		}

		plan, err := push.Prepare(ctx, svc, req) // a dry run writes nothing: it may
		if err != nil {
			t.Fatalf("%s: a dry run: %v", name, err)
		}
		sum, err := plan.Run(ctx)
		plan.Close()
		if !errors.As(err, &ue) || sum.ExitCode != 2 {
			t.Errorf("%s: Run: %v (exit %d), want an UnwritableError, exit 2", name, err, sum.ExitCode)
		}
		if ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Unwritable"); len(ids) != 0 {
			t.Fatalf("%s: the dataset was created: %v", name, ids)
		}
	}
}

// run prepares and runs one push, returning its summary and error.
func run(t *testing.T, svc push.Services, req push.Request, ctx context.Context) (push.Summary, error) {
	t.Helper()
	plan, err := push.PrepareRun(ctx, svc, req)
	if err != nil {
		return push.FailedSummary(req, err), err
	}
	defer plan.Close()
	return plan.Run(ctx)
}

// --resume is always safe to pass: without a checkpoint it starts from the
// first row when nothing of the input was written, writes nothing when the
// input was written whole (naming the run), and refuses (exit 2) only rows
// it cannot vouch for.
func TestResumeWithoutCheckpoint(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	env.svc.LockDir = t.TempDir()
	ctx := context.Background()
	dir := t.TempDir()
	const n = 30_000
	input := writeIDs(t, dir, n)
	req := push.Request{Input: input, Group: demo.WorkspaceOperations, Dataset: "Resumed", Table: "T", Mode: push.ModeAppend, Resume: true}
	rows := func() int {
		ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Resumed")
		if len(ids) != 1 {
			t.Fatalf("datasets named Resumed: %v", ids)
		}
		return len(sandboxtest.Rows(t, env.sb, ids[0], "T"))
	}

	// A new dataset: nothing of the input can have been written.
	sum, err := run(t, env.svc, req, ctx)
	if err != nil || sum.ExitCode != 0 || rows() != n {
		t.Fatalf("--resume into a new dataset: %v, %+v, %d rows", err, sum, rows())
	}
	wrote := lastRun(t, env.svc)

	// Written whole: nothing to write, twice, naming the run that wrote it.
	for range 2 {
		var notes []string
		plan, err := push.PrepareRun(ctx, env.svc, req)
		if err != nil {
			t.Fatalf("--resume after the input was written: %v", err)
		}
		sum, err := plan.Run(ctx, func(e push.Event) {
			if e.Summary != nil {
				notes = append(notes, e.Summary.Note)
			}
		})
		plan.Close()
		if err != nil || sum.ExitCode != 0 || sum.AlreadyWrittenBy != wrote.ID || !strings.Contains(sum.Note, "nothing to write: run "+wrote.ID) {
			t.Fatalf("--resume after the input was written: %v, %+v", err, sum)
		}
		if r := lastRun(t, env.svc); r.Outcome != outcome.Succeeded || r.AlreadyBy != wrote.ID || r.RowsWritten != 0 {
			t.Errorf("the record of a resume with nothing to write: %+v", r)
		}
	}
	if got := rows(); got != n {
		t.Fatalf("a resume with nothing to write wrote: %d rows", got)
	}

	// Stopped before sending anything (here: cancelled as it began to write).
	other := writeIDs(t, dir, 7)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	plan, err := push.PrepareRun(ctx, env.svc, push.Request{Input: other, Group: req.Group, Dataset: req.Dataset, Table: req.Table, Mode: push.ModeAppend})
	if err != nil {
		t.Fatal(err)
	}
	sum, _ = plan.Run(cancelled)
	plan.Close()
	stopped := lastRun(t, env.svc)
	if sum.RowsWritten != 0 || stopped.Outcome == outcome.Succeeded || stopped.Fingerprint == "" {
		t.Fatalf("the cancelled push: %+v; its record %+v", sum, stopped)
	}
	var notes []string
	plan, err = push.PrepareRun(ctx, env.svc, push.Request{Input: other, Group: req.Group, Dataset: req.Dataset, Table: req.Table,
		Mode: push.ModeAppend, Resume: true})
	if err != nil {
		t.Fatalf("--resume after a run that sent nothing: %v", err)
	}
	sum, err = plan.Run(ctx, func(e push.Event) { notes = append(notes, e.Message) })
	plan.Close()
	if err != nil || sum.ExitCode != 0 || rows() != n+7 {
		t.Fatalf("--resume after a run that sent nothing: %v, %+v, %d rows", err, sum, rows())
	}
	if all := strings.Join(notes, "\n"); !strings.Contains(all, "run "+stopped.ID+" of this input stopped before it sent anything") ||
		!strings.Contains(all, "starting from the first row") {
		t.Errorf("the resume does not say it starts over, and why:\n%s", all)
	}

	// Another input's rows since: the first input's --resume is refused.
	if _, err := run(t, env.svc, req, ctx); err == nil || !strings.Contains(err.Error(), "wrote into it after that") {
		t.Fatalf("--resume after another input's run: %v", err)
	} else if code := exitcode.Of(err); code != 2 {
		t.Errorf("--resume after another input's run: exit %d, want 2", code)
	}
	if got := rows(); got != n+7 {
		t.Fatalf("a refused resume wrote: %d rows", got)
	}
}

// --resume refuses rows it cannot vouch for: an interrupted push of another
// input (its checkpoint is there), and rows a run of this input sent whose
// checkpoint is gone.
func TestResumeRefusesRowsOfUnknownOrigin(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600, Latency: 20 * time.Millisecond})
	env.svc.LockDir = t.TempDir()
	ctx := context.Background()
	dir := t.TempDir()
	first := writeIDs(t, dir, 100_000)
	req := push.Request{Input: first, Group: demo.WorkspaceOperations, Dataset: "Unknown", Table: "T", Mode: push.ModeAppend}

	// Interrupted once its first batch has landed: a checkpoint stays.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	plan, err := push.PrepareRun(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := plan.Run(cctx, func(e push.Event) {
		if e.Progress.RowsWritten > 0 {
			cancel()
		}
	})
	plan.Close()
	if sum.ExitCode != 130 || sum.RowsWritten == 0 {
		t.Fatalf("the interrupted push: %+v", sum)
	}
	interrupted := lastRun(t, env.svc)

	// Another input's --resume meets that checkpoint.
	resumeOther := req
	resumeOther.Input, resumeOther.Resume = writeIDs(t, dir, 5), true
	_, err = run(t, env.svc, resumeOther, ctx)
	if code := exitcode.Of(err); code != 2 || !strings.Contains(err.Error(), "was of another input") {
		t.Fatalf("--resume of another input over an interrupted push: %v (exit %d)", err, code)
	}
	// So does the same input in the other mode.
	resumeReplace := req
	resumeReplace.Mode, resumeReplace.Resume = push.ModeReplace, true
	_, err = run(t, env.svc, resumeReplace, ctx)
	if code := exitcode.Of(err); code != 2 || !strings.Contains(err.Error(), "--mode append --resume") {
		t.Fatalf("--resume in the other mode: %v (exit %d)", err, code)
	}

	// Its checkpoint gone, the rows it sent have no known origin.
	ckpts, _ := filepath.Glob(filepath.Join(env.svc.Dirs.Checkpoints(), "*.ckpt"))
	if len(ckpts) != 1 {
		t.Fatalf("checkpoints: %v", ckpts)
	}
	os.Remove(ckpts[0])
	resume := req
	resume.Resume = true
	_, err = run(t, env.svc, resume, ctx)
	if code := exitcode.Of(err); code != 2 || !strings.Contains(err.Error(), "run "+interrupted.ID) ||
		!strings.Contains(err.Error(), "checkpoint is gone") {
		t.Fatalf("--resume without the checkpoint of a run that sent rows: %v (exit %d)", err, code)
	}
	if c := env.counters(t, "Unknown"); c["rowsAccepted"] != sum.RowsWritten {
		t.Errorf("the refusals wrote rows: %v, after %d", c, sum.RowsWritten)
	}
}
