package push

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// Run carries the plan out: it creates the dataset with its table (or adds
// the table's new columns), then writes every row exactly once (deleting the
// table's rows first for replace), verifies the row count, and records the
// run in the history whatever its outcome. Observers get one event stream,
// ending with the summary, which Run also returns with the error that ended
// the run, if any. Summary.ExitCode is docs/cli.md's. A plan runs once.
func (p *Plan) Run(ctx context.Context, obs ...Observer) (Summary, error) {
	if p.ran {
		return Summary{Outcome: outcome.Failed, ExitCode: exitcode.Failure}, errors.New("push: a plan runs once; Prepare again")
	}
	p.ran = true
	defer p.unlock()
	clk := p.svc.Clock
	if clk == nil {
		clk = clock.System{}
	}
	observers := append([]Observer(nil), obs...)
	// PrepareRun checked the home already; a plan of Prepare (the wizard's
	// review) is checked here, before anything is written.
	if err := p.svc.Dirs.CheckWritable(); err != nil {
		return p.fail(NewTracker(clk, int64(p.pipe.Rows), p.batches, observers...), err)
	}

	restart := p.req
	restart.Resume, restart.Restart = false, true
	// The resume command is recorded from the start, so a run killed without
	// a word (kill -9, a crash) can still be continued from its record.
	var herr error
	switch {
	case p.hrun != nil:
		herr = p.hrun.Save(p.recordRun)
	case !p.recorded:
		rec := history.Record{ExitCode: -1}
		p.recordRun(&rec)
		p.hrun, herr = history.New(p.svc.Dirs.History()).Start(rec)
	}
	if p.hrun != nil && !p.hrun.Done() {
		observers = append(observers, historyObserver(p.hrun))
	}
	tr := NewTracker(clk, int64(p.pipe.Rows), p.batches, observers...)
	if herr != nil {
		// The push matters more than its record: go on, but say so.
		tr.Failed(ErrorInfo{Message: fmt.Sprintf("the run cannot be recorded in the history (%v); the push goes on", herr)})
	}

	if p.invalid != nil {
		return p.fail(tr, p.invalid)
	}
	if p.held == nil {
		if err := p.lock(p.runID()); err != nil {
			return p.fail(tr, err)
		}
		// Prepare looked at the checkpoints without the lock: look again
		// now that no other push of this target can change them.
		if err := p.checkCheckpoint(); err != nil {
			return p.fail(tr, err)
		}
	}
	if p.resume.startOver {
		tr.Phase(PhaseResolving, p.resume.note)
	}
	if p.resume.already != nil {
		return tr.Finish(Summary{Outcome: outcome.Succeeded, ExitCode: exitcode.OK, Table: p.req.Table,
			Note: p.resume.note, AlreadyWrittenBy: p.resume.writtenBy()}), nil
	}
	created := p.target.dataset == nil
	if err := p.prepareTable(ctx, tr); err != nil {
		return p.fail(tr, interrupted(ctx, err))
	}
	p.saveRecord(func(r *history.Record) { r.Target.DatasetID = p.target.dataset.ID })

	store := history.New(p.svc.Dirs.History())
	var seed []pacer.Sent
	if posts, err := store.RecentPosts(p.svc.PowerBI.Endpoints().APIBase, p.target.dataset.ID, clk.Now().Add(-p.limits.Hour())); err == nil {
		seed = sentFromHistory(posts)
	}
	var capRows, maybeCap int64
	switch {
	case p.target.retention == schema.RetentionFIFO:
		capRows = int64(p.limits.MaxRowsFIFO)
	case p.target.retentionFrom == retentionUnknown:
		maybeCap = int64(p.limits.MaxRowsFIFO)
	}
	sizing := p.sizing()
	j := job{
		Limits: p.limits, Fingerprint: p.fingerprint, Target: p.jobTarget(), TableName: p.target.table.Name,
		TableCap: capRows, MaybeCap: maybeCap, Resume: p.req.Resume && !p.resume.startOver, Created: created,
		TotalRows: int64(p.pipe.Rows), Batches: p.batches, Batching: p.batching(),
		BatchRows: sizing.rows, FullBatchRows: sizing.full,
		Open: func(ctx context.Context, from int) iter.Seq2[writer.Batch, error] {
			return func(yield func(writer.Batch, error) bool) {
				for b, err := range p.pipe.Batches(ctx, from) {
					if !yield(writer.Batch{Index: b.Index, FirstRow: int64(b.FirstRow), Rows: b.Rows, Body: b.Body}, err) {
						return
					}
				}
			}
		},
		Recycle:       p.pipe.Recycle,
		Table:         table{c: p.svc.PowerBI, group: p.target.group.ID, dataset: p.target.dataset.ID, t: p.target.table.Name},
		Classify:      classifyPowerBI,
		CheckpointDir: p.svc.Dirs.Checkpoints(),
		History:       seed,
		ResumeHint:    resumeHint(p.svc, p.req),
		RestartHint:   command(p.svc, p.req).Line(),
		StartOverHint: command(p.svc, restart).Line(),
		Tracker:       tr,
		Clock:         clk,
		Fields:        p.svc.Fields,
		// Once the count is verified (or found unverifiable) the checkpoint
		// goes: the record must say so first, or a kill in between would
		// leave neither, and a --resume could not tell that this input was
		// written whole.
		OnWritten: func(notVerified string) {
			p.saveRecord(func(r *history.Record) {
				r.Verified, r.NotVerified, r.RowsWritten = notVerified == "", notVerified, int64(p.pipe.Rows)
			})
		},
		Uncounted:  p.target.uncounted,
		AssumeSent: p.req.AssumeSent, AssumeLost: p.req.AssumeLost,
		AssumeSentHint: assumeHint(p.svc, p.req, true), AssumeLostHint: assumeHint(p.svc, p.req, false),
	}
	j.MaxThrottleWait = p.req.MaxThrottleWait
	// The sandbox compresses time N-fold; its 5xx storms pass as fast, so
	// the writer's backoff after one shrinks alike (never below 20ms).
	if s := p.limits.TimeScale; s > 1 {
		j.Backoff = max(time.Duration(float64(time.Second)/s), 20*time.Millisecond)
		j.MaxBackoff = max(time.Duration(float64(time.Minute)/s), 200*time.Millisecond)
	}
	return execute(ctx, j)
}

// recordRun fills in what the history keeps of this plan's run.
func (p *Plan) recordRun(r *history.Record) {
	r.Input, r.Fingerprint, r.Mode = p.req.Input, p.fingerprint, p.req.Mode
	r.Resumed = p.req.Resume && !p.resume.startOver && p.resume.already == nil
	r.RowsTotal, r.BatchesTotal = int64(p.pipe.Rows), p.batches
	r.ResumeHint, r.Request = resumeHint(p.svc, p.req), historyRequest(p.svc, p.req)
	p.recordTarget(r)
}

// recordTarget fills in the record's target as resolved.
func (p *Plan) recordTarget(r *history.Record) {
	r.Target = history.Target{APIBase: p.svc.PowerBI.Endpoints().APIBase, WorkspaceID: p.target.group.ID,
		WorkspaceName: p.target.group.Name, DatasetName: p.req.Dataset, Table: p.req.Table}
	if p.target.dataset != nil {
		r.Target.DatasetID = p.target.dataset.ID
	}
}

// saveRecord changes the run's record and writes it now (a no-op without one).
func (p *Plan) saveRecord(change func(*history.Record)) {
	if p.hrun != nil {
		_ = p.hrun.Save(change) // the record helps people; the push goes on without it
	}
}

func (p *Plan) runID() string {
	if p.hrun == nil {
		return ""
	}
	return p.hrun.ID()
}

// resumeHint is the command that continues the push of req.
func resumeHint(svc Services, req Request) string {
	req.Resume, req.Restart = true, false
	return command(svc, req).Line()
}

// assumeHint is the command that continues the push of req taking the
// batches with an unknown outcome as written (sent) or not.
func assumeHint(svc Services, req Request, sent bool) string {
	req.Resume, req.Restart, req.AssumeSent, req.AssumeLost = true, false, sent, !sent
	return command(svc, req).Line()
}

// prepareTable makes the target table exist with every input column: it
// creates the dataset with the table, or PUTs the table's schema with the
// columns to add.
func (p *Plan) prepareTable(ctx context.Context, tr *Tracker) error {
	c, g := p.svc.PowerBI, p.target.group.ID
	if p.target.dataset == nil {
		if err := recheckNewDataset(ctx, c, p.target.group, p.req.Dataset, p.svc.Fields); err != nil {
			return err
		}
		tr.Phase(PhaseResolving, fmt.Sprintf("Creating push dataset %q with table %q", p.req.Dataset, p.req.Table))
		t := powerbi.Table{Name: p.req.Table, Columns: powerbiColumns(p.pipe.Columns)}
		ret := powerbi.RetentionNone
		if p.target.retention == schema.RetentionFIFO {
			ret = powerbi.RetentionFIFO
		}
		ds, err := c.CreateDataset(ctx, g, powerbi.CreateDataset{Name: p.req.Dataset, DefaultMode: "Push", Tables: []powerbi.Table{t}}, ret)
		if errors.Is(err, powerbi.ErrAmbiguous) && ctx.Err() == nil {
			// The create may have happened: look before creating a second one.
			if found, ferr := c.FindDataset(ctx, g, p.req.Dataset); ferr == nil {
				ds, err = found, nil
			}
		}
		if err != nil {
			err = powerbi.CreationRefused(err, p.req.Dataset, p.svc.Clock.Now())
			return fmt.Errorf("create push dataset %q: %w", p.req.Dataset, err)
		}
		p.target.dataset, p.target.table = &ds, &t
		// Power BI will not say this retention again: remember it.
		if err := rememberRetention(p.svc.Dirs, knownDataset{APIBase: c.Endpoints().APIBase, DatasetID: ds.ID, Name: ds.Name,
			Retention: p.target.retention, Created: p.svc.Clock.Now()}); err != nil {
			tr.Failed(ErrorInfo{Message: fmt.Sprintf("the retention of dataset %q cannot be remembered in the home (%v): "+
				"later pushes into it will not know it is %s unless told; the push goes on", ds.Name, err, retentionWord(p.target.retention))})
		}
		return nil
	}
	if add := p.pipe.Compat.Add; len(add) > 0 {
		t := *p.target.table
		t.Columns = append(append([]powerbi.Column(nil), t.Columns...), powerbiColumns(add)...)
		return p.guardSchemaChange(ctx, tr, t, len(add))
	}
	return nil
}

// guardSchemaChange PUTs the table's new schema (t: its columns and the
// ones to add) and checks that the table kept its rows: no source says a PUT
// keeps them (docs/sources.md, Power BI: changing a table's schema), so the
// rows are counted before and after, and a loss stops the push (exit 5)
// before it writes, saying what happened and how to recover. Without
// counting the guard cannot run, and the push says so.
func (p *Plan) guardSchemaChange(ctx context.Context, tr *Tracker, t powerbi.Table, added int) error {
	c, g, ds := p.svc.PowerBI, p.target.group.ID, p.target.dataset.ID
	adding := fmt.Sprintf("Adding %s to table %q", format.Count(added, "column"), t.Name)
	// A replace deletes the rows next: a change that lost them loses
	// nothing (but a resumed one keeps what its first run wrote).
	guard := p.req.Mode == ModeAppend || p.req.Resume
	var before int64
	if guard && p.target.uncounted == "" {
		n, err := c.CountRows(ctx, g, ds, t.Name)
		switch {
		case powerbi.CountingRefused(err):
			p.target.uncounted = powerbi.CountingRefusal(err)
		case err != nil:
			return fmt.Errorf("count the rows of table %q before changing its schema: %w", t.Name, err)
		}
		before = n
	}
	counted := guard && p.target.uncounted == ""
	switch {
	case !guard:
		tr.Phase(PhaseResolving, adding+" (replace deletes its rows next)")
	case counted:
		tr.Phase(PhaseResolving, fmt.Sprintf("%s (it holds %s; counted again after the change)", adding, format.Count(before, "row")))
	default:
		tr.Phase(PhaseResolving, adding+": "+unguardedPut)
	}
	if err := c.PutTable(ctx, g, ds, t); err != nil {
		return fmt.Errorf("add columns to table %q: %w", t.Name, err)
	}
	p.target.table = &t
	if !counted {
		return nil
	}
	after, err := c.CountRows(ctx, g, ds, t.Name)
	if err != nil {
		return fmt.Errorf("count the rows of table %q after changing its schema: %w", t.Name, err)
	}
	if after < before {
		return &SchemaChangeError{Table: t.Name, Dataset: p.target.dataset.Name, Added: added, Before: before, After: after, Fields: p.svc.Fields}
	}
	return nil
}

// unguardedPut says what a schema change means when rows cannot be counted.
const unguardedPut = "Power BI refuses to count the table's rows, so whether the change of its schema keeps them cannot be " +
	"checked (no source says it does); compare the table's row count in Power BI before and after this push"

// SchemaChangeError is a PUT of a table's schema that lost rows: exit 5,
// nothing of the input written.
type SchemaChangeError struct {
	Table, Dataset string
	Added          int
	Before, After  int64
	// Fields names the settings its advice refers to; nil is field.Plain.
	Fields field.Namer
}

func (e *SchemaChangeError) Error() string {
	n := field.Or(e.Fields)
	return fmt.Sprintf("adding %s to table %q of dataset %q made Power BI drop rows: the table held %s before the change of "+
		"its schema and holds %s after it. The push stopped before writing any of its rows. To recover, push the table's "+
		"full data again with %s (this input, if it holds every row the table had, or the source those rows came from)",
		format.Count(e.Added, "column"), e.Table, e.Dataset, format.Count(e.Before, "row"), format.Thousands(e.After),
		n.Setting(field.Mode, ModeReplace))
}

// ExitCode: Power BI's change of the schema lost the rows (exit 5).
func (e *SchemaChangeError) ExitCode() exitcode.Code { return exitcode.Refused }

// interrupted is err as the run's end: once ctx is cancelled (Ctrl-C, the
// wizard's stop), whatever error the cancelled request came back with is
// the interruption's consequence, and the run is interrupted (exit 130,
// resumable), whether or not that error kept context.Canceled in its chain.
func interrupted(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

// fail ends a run that stopped before writing: the summary says why.
func (p *Plan) fail(tr *Tracker, err error) (Summary, error) {
	info := errorInfo(err)
	var pe *powerbi.Error
	if errors.As(err, &pe) {
		info.Status, info.Code, info.RequestID = pe.Status, pe.Code, pe.RequestID
		if a := powerbi.Advice(err, p.svc.Fields); a != "" {
			info.Message = a
		}
	}
	tr.Failed(info)
	sum := Summary{Outcome: outcome.Failed, ExitCode: exitcode.Of(err), Table: p.req.Table}
	if sum.ExitCode == exitcode.Interrupted {
		sum.Outcome = outcome.Interrupted
	}
	return tr.Finish(sum), err
}

func powerbiColumns(cols []schema.Column) []powerbi.Column {
	out := make([]powerbi.Column, len(cols))
	for i, c := range cols {
		out[i] = powerbi.Column{Name: c.Name, DataType: c.Type.String()}
	}
	return out
}

// FailedSummary is the summary of a push that Prepare or PrepareRun
// refused, for a face to show (PrepareRun has recorded it already).
func FailedSummary(req Request, err error) Summary {
	sum := Summary{Outcome: outcome.Failed, ExitCode: exitcode.Of(err), Table: req.Table, Errors: []ErrorInfo{errorInfo(err)}}
	if sum.ExitCode == exitcode.Interrupted {
		sum.Outcome = outcome.Interrupted
	}
	return sum
}

// abandon finishes the record of a run that PrepareRun could not prepare.
func abandon(run *history.Run, err error) {
	if run == nil {
		return
	}
	sum := FailedSummary(Request{}, err)
	run.Finish(sum.Outcome, sum.ExitCode, func(r *history.Record) {
		r.Errors = []history.Error{{Message: err.Error()}}
	})
}
