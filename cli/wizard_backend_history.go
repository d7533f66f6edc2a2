package cli

// The History screen: the recorded runs, and the request that resumes an
// interrupted or stopped one.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/outcome"
	"github.com/pbiwb/pbiwb/ui"
)

// historyShown bounds the History screen's list (`pbiwb history` pages the rest).
const historyShown = 200

// History lists the recorded runs, newest first.
func (b *wizardBackend) History(ctx context.Context) ([]ui.RunSummary, error) {
	list, err := history.New(b.dirs.History()).List(historyShown)
	if err != nil {
		return nil, fmt.Errorf("reading the history in %s: %w", b.dirs.History(), err)
	}
	out := make([]ui.RunSummary, len(list))
	for i, r := range list {
		out[i] = runSummary(r)
	}
	return out, ctx.Err()
}

func runSummary(r history.Record) ui.RunSummary {
	s := ui.RunSummary{ID: r.ID, Start: r.Start, Input: r.Input, Workspace: r.Target.WorkspaceName, Dataset: r.Target.DatasetName,
		Table: r.Target.Table, Mode: r.Mode, RowsWritten: r.RowsWritten, RowsTotal: r.RowsTotal, Outcome: r.Outcome,
		DryRun: r.DryRun, Resumed: r.Resumed, Running: r.Outcome == outcome.Running}
	if s.Workspace == "" {
		s.Workspace = r.Target.WorkspaceID
	}
	if s.Dataset == "" {
		s.Dataset = r.Target.DatasetID
	}
	if !r.End.IsZero() {
		s.Elapsed = r.End.Sub(r.Start)
	}
	return s
}

// Run is one run in full, with the request that resumes it when it stopped
// part-way.
func (b *wizardBackend) Run(ctx context.Context, id string) (ui.RunDetail, error) {
	r, err := history.New(b.dirs.History()).Get(id)
	if errors.Is(err, history.ErrNotFound) {
		return ui.RunDetail{}, fmt.Errorf("no run %q in the history (%s)", id, b.dirs.History())
	}
	if err != nil {
		return ui.RunDetail{}, err
	}
	d := ui.RunDetail{RunSummary: runSummary(r), BatchesDone: r.BatchesDone, BatchesTotal: r.BatchesTotal, Retries: r.Retries,
		Throttled: r.Throttled, Verified: r.Verified, ExitCode: r.ExitCode, Note: r.Note, NotVerified: r.NotVerified, CountNote: r.CountNote}
	if r.Outcome.Resumable() {
		d.Unsettled = uiUnsettled(r.Unsettled)
	}
	for _, reason := range slices.Sorted(maps.Keys(r.Waits)) {
		w := r.Waits[reason]
		d.Waits = append(d.Waits, ui.RunWait{Reason: push.WaitLabel(reason), Count: w.Count, Total: time.Duration(w.Seconds * float64(time.Second))})
	}
	for _, e := range r.Errors {
		d.Errors = append(d.Errors, ui.RunError{Time: e.Time, Status: e.Status, Message: e.Message, RequestID: e.RequestID})
	}
	if r.Outcome.Resumable() && !r.DryRun {
		left := b.checkpointLeft(r)
		d.Resume, d.ResumeNote = resumeRequest(r)
		if d.Resume != nil && d.Resume.Account == "" && r.Request != nil {
			d.Resume.Account = b.unsavedSession(r.Request.Flags)
		}
		if d.Resume != nil && !left {
			d.Resume, d.ResumeNote = nil, "it left no checkpoint (it stopped before its first batch was sent, or a later run of the same "+
				"input and table finished or started over), so there is nothing to resume: run the push again from the first screen"
		}
		// The command shown continues the run: with --resume while its
		// checkpoint is there, else the run again.
		if q, ok, err := r.PushRequest(); ok && err == nil {
			p := q.Push
			p.Resume = left
			d.Command = append([]string{"pbiwb"}, p.Args()...)
		}
	}
	return d, ctx.Err()
}

// checkpointLeft says whether the run's checkpoint is still there, as
// `pbiwb push --resume` needs it: a run stopped before its first batch has
// none, and a later run of the same input and target may have removed it.
func (b *wizardBackend) checkpointLeft(r history.Record) bool {
	if r.Fingerprint == "" || r.Target.DatasetID == "" {
		return false
	}
	return push.CheckpointExists(b.dirs.Checkpoints(), push.CheckpointKey{Fingerprint: r.Fingerprint, Target: push.Target{
		APIBase: r.Target.APIBase, WorkspaceID: r.Target.WorkspaceID, DatasetID: r.Target.DatasetID, Table: r.Target.Table, Mode: r.Mode}})
}

// resumeRequest rebuilds the request of an interrupted or stopped run, with
// Resume set, from the request the record keeps (for a record of an earlier
// version, from its resume command). A record of an earlier version whose
// process died (kill -9, a crash) kept neither: it resumes without the
// account, --column overrides and --retention, and the note says so.
func resumeRequest(r history.Record) (*ui.Request, string) {
	if r.DryRun {
		return nil, "a dry run writes nothing, so there is nothing to resume"
	}
	if r.Input == "-" {
		return nil, "the run read standard input, which cannot be read again: run the same pipe with `pbiwb push --resume`"
	}
	req := &ui.Request{Input: r.Input, WorkspaceID: r.Target.WorkspaceID, WorkspaceName: r.Target.WorkspaceName,
		Dataset: r.Target.DatasetName, Table: r.Target.Table, Mode: r.Mode, Resume: true}
	if req.Dataset == "" {
		req.Dataset = r.Target.DatasetID
	}
	if req.WorkspaceName == "" {
		req.WorkspaceName = req.WorkspaceID
	}
	q, ok, err := r.PushRequest()
	if err != nil {
		return nil, "its resume command could not be read (" + err.Error() + "); run it from a shell: " + r.ResumeHint
	}
	if !ok {
		return req, "This run ended without its resume command (its process was stopped abruptly), so the history does not say which " +
			"account ran it or whether it forced column types: the resume uses the account chosen in the wizard and the types as inferred. " +
			"If the run used --column, resume it from a shell with the same flags and --resume instead."
	}
	req.Account, req.Retention, req.Sheet = q.Account(), q.Retention, q.Sheet
	for _, c := range q.Columns {
		name, t, ok := strings.Cut(c, "=")
		if !ok {
			return nil, fmt.Sprintf("its --column %q is not NAME=TYPE; run the resume command from a shell", c)
		}
		if req.Columns == nil {
			req.Columns = map[string]string{}
		}
		req.Columns[name] = t
	}
	for _, f := range []struct {
		v    string
		into *string
	}{{q.Input, &req.Input}, {q.Dataset, &req.Dataset}, {q.Table, &req.Table}, {q.Mode, &req.Mode}} {
		if f.v != "" {
			*f.into = f.v
		}
	}
	if g := q.Group; g != "" && g != req.WorkspaceID {
		req.WorkspaceID, req.WorkspaceName = "", g // a name: the engine resolves it
		if g == r.Target.WorkspaceName {
			req.WorkspaceID = r.Target.WorkspaceID
		}
	}
	if req.Mode == "" {
		req.Mode = cmdline.DefaultMode
	}
	return req, ""
}
