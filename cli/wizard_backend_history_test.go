package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/ui"
)

// wizardPush runs b.Push as the wizard does: events drained, the channel
// closed once Push returns.
func wizardPush(ctx context.Context, b *wizardBackend, req ui.Request) (ui.Result, error) {
	res, _, err := collectPush(ctx, b, req)
	return res, err
}

// collectPush is wizardPush keeping the events.
func collectPush(ctx context.Context, b *wizardBackend, req ui.Request) (ui.Result, []ui.ProgressEvent, error) {
	events := make(chan ui.ProgressEvent, 16)
	var seen []ui.ProgressEvent
	drained := make(chan struct{})
	go func() {
		for ev := range events {
			seen = append(seen, ev)
		}
		close(drained)
	}()
	res, err := b.Push(ctx, req, events)
	close(events) // as the wizard does: a send after Push returned would panic
	<-drained
	return res, seen, err
}

// A push made in the test is listed first, with its details.
func TestWizardHistoryListsThePush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, _, err := pushCSV(t, f, testCtx(t), "Listed", func() {})
	if err != nil || res.RunID == "" {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	b := f.wizard()
	runs, err := b.History(testCtx(t))
	if err != nil || len(runs) == 0 {
		t.Fatalf("History = %+v, %v", runs, err)
	}
	r := runs[0]
	if r.ID != res.RunID || r.Outcome != "succeeded" || r.RowsWritten != 3 || r.Dataset != "Listed" || r.Table != "T" ||
		r.Workspace != demo.WorkspaceSales || r.Mode != "replace" || r.Elapsed <= 0 {
		t.Errorf("History()[0] = %+v; want the push %s", r, res.RunID)
	}
	d, err := b.Run(testCtx(t), res.RunID)
	if err != nil || !d.Verified || d.BatchesDone != 1 || d.Resume != nil {
		t.Errorf("Run = %+v, %v; a succeeded run is verified and not resumable", d, err)
	}
	if _, err := b.Run(testCtx(t), "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Run(nope) = %v", err)
	}
}

// An interrupted push, resumed from its history entry, ends with every row
// in the table exactly once.
func TestWizardResumeFromHistory(t *testing.T) {
	t.Parallel()
	testWizardResume(t)
}

// A Domo client ID once typed as the secret stays a secret of the process,
// so the run's record masks its --domo-client-id: the resume still finds
// the unsaved account. Not parallel: the other tests' records would be
// masked too.
func TestWizardResumeWithHeldDomoClientID(t *testing.T) {
	t.Cleanup(redact.Reset)
	redact.Secret(demo.DomoClientID)
	testWizardResume(t)
}

func testWizardResume(t *testing.T) {
	const n = 120_000
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600, Latency: 40 * time.Millisecond})
	b := f.wizard()
	if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	path := writeIDs(t, t.TempDir(), n)
	req := ui.Request{Account: "sandbox", Input: path, WorkspaceID: demo.WorkspaceSalesID, WorkspaceName: demo.WorkspaceSales,
		Dataset: "Resumed", Table: "T", Mode: "append", Retention: "none", Columns: map[string]string{"label": "String"}}
	if _, err := b.Plan(testCtx(t), req); err != nil {
		t.Fatal(err)
	}
	// Stopped (as the wizard's Ctrl-C does, by its context) once some
	// batches are in.
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if c := f.counters(demo.WorkspaceSales, "Resumed"); c["rowsAccepted"] > 20_000 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, err := wizardPush(ctx, b, req)
	var ec exitcode.Coder
	if !errors.As(err, &ec) || ec.ExitCode() != exitcode.Interrupted {
		t.Fatalf("Push after cancel = %v; want exit 130", err)
	}
	written := len(f.storedRows(f.datasetID(demo.WorkspaceSales, "Resumed"), "T"))
	if written == 0 || written >= n {
		t.Fatalf("interrupted after %d rows: the test did not interrupt part-way", written)
	}

	// A new wizard (as after a restart) finds the run and resumes it. The
	// account was not saved, so the run names its identity rather than an
	// account: the same credentials signed in again (unsaved) resume it.
	b2 := f.wizard()
	if _, err := b2.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	runs, err := b2.History(testCtx(t))
	if err != nil || len(runs) == 0 || runs[0].Outcome != "interrupted" {
		t.Fatalf("History = %+v, %v", runs, err)
	}
	d, err := b2.Run(testCtx(t), runs[0].ID)
	if err != nil || d.Resume == nil {
		t.Fatalf("Run = %+v, %v; want a resumable run", d, err)
	}
	got := *d.Resume
	if got.Account != "sandbox" || got.Input != path || got.Dataset != "Resumed" || got.Table != "T" || got.Mode != "append" ||
		got.Columns["label"] != "String" || !got.Resume || d.ResumeNote != "" {
		t.Errorf("resume request = %+v (note %q)", got, d.ResumeNote)
	}
	res, err := wizardPush(testCtx(t), b2, got)
	if err != nil {
		t.Fatalf("resumed Push = %+v, %v", res, err)
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Resumed"), "T"), n)
	if res.RowsVerified != n {
		t.Errorf("verified %d rows, want %d", res.RowsVerified, n)
	}
	if runs, _ := b2.History(testCtx(t)); len(runs) == 0 || !runs[0].Resumed || runs[0].Outcome != "succeeded" {
		t.Errorf("the resumed run in the history = %+v", runs[0])
	}
}

// A record of an earlier version keeps only its resume command as text: the
// wizard still rebuilds the request from it (through the history's parser),
// and a record of this version rebuilds the same request from its fields.
func TestResumeRequestFromOldRecord(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "connector", "history", "testdata", "20261127-093000.000-0ld0ne.json"))
	if err != nil {
		t.Fatal(err)
	}
	var old history.Record
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	want := ui.Request{Account: "demo", Input: "/data/Q3 orders (final).csv", WorkspaceID: "8c1d6a53-2b4e-4f0e-9d7a-3c5b2e1f0a9d",
		WorkspaceName: "Sales Analytics", Dataset: "Orders", Table: "Orders", Mode: "append", Retention: "fifo",
		Columns: map[string]string{"zip": "String", "Unit price": "Decimal"}, Resume: true}
	got, note := resumeRequest(old)
	if got == nil || !reflect.DeepEqual(*got, want) || note != "" {
		t.Fatalf("resumeRequest(old record) = %+v, %q\nwant %+v", got, note, want)
	}

	q, ok, err := old.PushRequest()
	if !ok || err != nil {
		t.Fatalf("PushRequest = %v, %v", ok, err)
	}
	fresh := old
	fresh.ResumeHint, fresh.Request = "", &q
	if got, note := resumeRequest(fresh); got == nil || !reflect.DeepEqual(*got, want) || note != "" {
		t.Errorf("resumeRequest(record with fields) = %+v, %q\nwant %+v", got, note, want)
	}

	// Neither: an earlier version's run that died before it ended.
	bare := old
	bare.ResumeHint = ""
	if got, note := resumeRequest(bare); got == nil || got.Account != "" || got.Columns != nil || !strings.Contains(note, "abruptly") {
		t.Errorf("resumeRequest(bare record) = %+v, %q", got, note)
	}
	bad := old
	bad.ResumeHint = "pbiwb push --group 'open"
	if got, note := resumeRequest(bad); got != nil || !strings.Contains(note, "could not be read") {
		t.Errorf("resumeRequest(unreadable hint) = %+v, %q", got, note)
	}
}

// A push stopped before its first batch leaves no checkpoint: its history
// entry is not offered for resuming (push --resume would refuse it), and
// the note says why.
func TestWizardStoppedBeforeFirstBatchIsNotResumable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	// The stop comes 300 ms into the push itself (not into the sign-in and
	// plan before it, which a loaded machine can make last longer), while its
	// first request waits out the 2 s latency.
	slow := func() { f.faults(t, `{"latency":"2s"}`); time.AfterFunc(300*time.Millisecond, cancel) }
	if _, _, err := pushCSV(t, f, ctx, "Early", slow); err == nil {
		t.Fatal("the push was not stopped")
	}
	b := f.wizard()
	runs, err := b.History(testCtx(t))
	if err != nil || len(runs) == 0 || runs[0].Outcome != "interrupted" || runs[0].RowsWritten != 0 {
		t.Fatalf("History = %+v, %v", runs, err)
	}
	d, err := b.Run(testCtx(t), runs[0].ID)
	if err != nil || d.Resume != nil || !strings.Contains(d.ResumeNote, "no checkpoint") {
		t.Errorf("Run = resume %+v, note %q, %v; want no resume, with the reason", d.Resume, d.ResumeNote, err)
	}
	// Shown instead: the same push run again, from the request's fields.
	if len(d.Command) < 2 || d.Command[1] != "push" || slices.Contains(d.Command, "--resume") || !slices.Contains(d.Command, "Early") {
		t.Errorf("Run's command = %q, want the push run again without --resume", d.Command)
	}
}
