package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source"
)

// Plan is a push prepared: the input read and checked whole, encoded into
// its batches once, the target resolved. Nothing has been written. Close it.
type Plan struct {
	svc    Services
	req    Request
	limits schema.Limits
	target resolved
	pipe   *source.Pipeline
	// invalid is the validation error Prepare returned with the plan: Run
	// refuses, Report lists its findings.
	invalid error

	batches       int
	bytes         int64
	maxBatchBytes int64
	fingerprint   string // the checkpoint's: input bytes plus column types
	checkpoint    bool   // an interrupted run of this input into this table left a checkpoint
	// resume is what --resume does when there is no checkpoint (checkCheckpoint).
	resume   resumeDecision
	warnings []string
	ran      bool

	// A plan that is to run (PrepareRun, or Run itself) has its history
	// record and holds the target's lock.
	hrun     *history.Run
	recorded bool // the record is finished: PrepareRun failed and said so
	held     *targetLock
}

// Prepare reads and validates the whole input, encodes it into batches as the
// push would, and resolves the target, writing nothing. Observers get the
// validating and resolving phases.
//
// Errors: *UsageError, ErrNoDomo, ErrCheckpointExists (exit 2); a
// *schema.ValidationError (exit 3), returned together with a Plan whose
// Report lists the findings; *TargetError (3 or 5); errors of Power BI, Domo
// and the token source. exitcode.Of places them.
func Prepare(ctx context.Context, svc Services, req Request, obs ...Observer) (*Plan, error) {
	return prepare(ctx, svc, req, nil, obs...)
}

// PrepareRun is Prepare for a push that runs next (not a dry run). It first
// checks that the home can keep the checkpoint and history (a
// *home.UnwritableError, exit 2, before any request), records the run in the
// history from this first moment (a kill while the input is read still leaves
// a record), and takes the target's lock as soon as the workspace is known,
// before the input is read, so a second push of the same target is refused at
// once (*LockedError, exit 2). A failure is recorded in the history and lets
// the lock go; Run carries a plan out under the same record and lock.
func PrepareRun(ctx context.Context, svc Services, req Request, obs ...Observer) (*Plan, error) {
	norm, _, err := req.normalize()
	if err != nil {
		return nil, err // the flags: not a run yet
	}
	if err := svc.Dirs.CheckWritable(); err != nil {
		return nil, err
	}
	rec := history.Record{Input: norm.Input, Mode: norm.Mode, Resumed: norm.Resume, ExitCode: -1,
		ResumeHint: resumeHint(svc, norm), Request: historyRequest(svc, norm),
		Target: history.Target{WorkspaceName: norm.Group, DatasetName: norm.Dataset, Table: norm.Table}}
	if svc.PowerBI != nil {
		rec.Target.APIBase = svc.PowerBI.Endpoints().APIBase
	}
	// The push matters more than its record: a record that cannot start
	// (the home was just found writable) is said by Run.
	hrun, _ := history.New(svc.Dirs.History()).Start(rec)
	p, err := prepare(ctx, svc, req, &runStart{hrun: hrun}, obs...)
	if err != nil {
		abandon(hrun, err)
		if p != nil {
			p.recorded = true
		}
	}
	return p, err
}

// runStart is what PrepareRun hands to prepare.
type runStart struct{ hrun *history.Run }

func prepare(ctx context.Context, svc Services, req Request, run *runStart, obs ...Observer) (*Plan, error) {
	req, forced, err := req.normalize()
	if err != nil {
		return nil, err
	}
	if svc.PowerBI == nil {
		return nil, errors.New("push: Services.PowerBI is required")
	}
	if svc.Clock == nil {
		svc.Clock = clock.System{}
	}
	svc.Fields = field.Or(svc.Fields)
	if err := checkInputPath(req.Input, svc.Fields); err != nil {
		return nil, err
	}
	tr := NewTracker(svc.Clock, 0, 0, obs...)

	tr.Phase(PhaseResolving, fmt.Sprintf("Finding workspace %q, dataset %q, table %q", req.Group, req.Dataset, req.Table))
	limits, err := svc.PowerBI.Limits(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the limits in force: %w", err)
	}
	tgt, err := resolveTarget(ctx, svc.PowerBI, svc.Dirs, req, svc.Fields)
	if err != nil {
		return nil, err
	}
	p := &Plan{svc: svc, req: req, limits: limits, target: tgt}
	if run != nil {
		p.hrun = run.hrun
		p.saveRecord(func(r *history.Record) { p.recordTarget(r) })
		if err := p.lock(p.runID()); err != nil {
			return nil, err
		}
	}
	if err := p.scan(ctx, tr, forced); err != nil {
		if p.pipe == nil || p.invalid == nil {
			p.Close()
			return nil, err
		}
		p.unlock() // a plan with findings never runs; its Report lists them
		return p, err
	}
	return p, nil
}

// scan reads the whole input twice: the first pass converts and checks every
// value, the second encodes every batch exactly as the push will (a row too
// large for a POST shows here, before anything is written) and counts the
// batches the checkpoint is keyed on.
func (p *Plan) scan(ctx context.Context, tr *Tracker, forced map[string]schema.Type) error {
	src, err := openSource(ctx, p.svc, p.req)
	if err != nil {
		return err
	}
	tr.Phase(PhaseValidating, "Reading and checking "+src.Name)
	existingRows := 0
	if p.req.Mode == ModeAppend {
		existingRows = int(p.target.tableRows)
	}
	pipe, err := source.Scan(ctx, src, source.Options{
		Limits: p.limits, Table: p.req.Table, Columns: forced, Retention: p.target.retention, ExistingRows: existingRows,
		Existing: p.target.existing, TempDir: spoolDir(p.svc),
		BatchRows: hourlyBatchRows(p.limits), Fields: p.svc.Fields,
	})
	if pipe == nil {
		return err
	}
	p.pipe = pipe
	p.warnings = append(p.target.warnings, pipe.Warnings...)
	if len(pipe.Compat.Missing) > 0 {
		p.warnings = append(p.warnings, "Power BI cannot remove a column from a push table (nor change a column's type): "+
			"to be rid of one, push into a new "+field.Noun(p.svc.Fields, field.Dataset)+" name, which pbiwb creates with the "+
			"input's columns (while Power BI still creates push datasets: until 2027-10-31)")
	}
	p.fingerprint = checkpointFingerprint(pipe)
	p.saveRecord(func(r *history.Record) { r.Fingerprint, r.RowsTotal = p.fingerprint, int64(pipe.Rows) })
	if err != nil {
		p.invalid = err
		return err
	}
	for b, err := range pipe.Batches(ctx, 0) {
		if err != nil {
			return err
		}
		p.batches++
		n := int64(len(b.Body))
		p.bytes += n
		p.maxBatchBytes = max(p.maxBatchBytes, n)
		pipe.Recycle(b.Body)
	}
	return p.checkCheckpoint()
}

// checkCheckpoint applies docs/cli.md's --resume to an existing table:
// resuming needs a checkpoint; an append that would start over when one
// exists is refused (it would write the interrupted run's rows again) unless
// --restart says to; a replace starts over, saying so.
//
// --resume without a checkpoint is decided by resumeWithoutCheckpoint: it
// starts over, writes nothing, or is refused.
func (p *Plan) checkCheckpoint() error {
	p.resume = resumeDecision{}
	if p.target.table == nil {
		if p.req.Resume {
			p.resume = resumeDecision{startOver: true, note: fmt.Sprintf("%s: dataset %q does not exist yet, so nothing "+
				"of this input was written into it; starting from the first row", p.svc.Fields.Name(field.Resume), p.req.Dataset)}
		}
		return nil
	}
	p.checkpoint = CheckpointExists(p.svc.Dirs.Checkpoints(), p.key())
	switch {
	case p.req.Resume && !p.checkpoint:
		var err error
		p.resume, err = p.resumeWithoutCheckpoint()
		return err
	case p.req.Resume:
	case p.checkpoint && p.req.Restart:
		p.warn("the checkpoint of an interrupted push of this input into this table is discarded (" + p.svc.Fields.Name(field.Restart) + ")")
	case p.checkpoint && p.req.Mode == ModeAppend:
		return ErrCheckpointExists
	case p.checkpoint:
		p.warn("an interrupted push of this input into this table left a checkpoint; " +
			"this run starts over (replace deletes the table's rows first); " + p.svc.Fields.Name(field.Resume) + " would have continued it")
	}
	return nil
}

// warn adds a warning once (Run checks the checkpoint again).
func (p *Plan) warn(w string) {
	if !slices.Contains(p.warnings, w) {
		p.warnings = append(p.warnings, w)
	}
}

// key is the checkpoint key of the push once the dataset exists.
func (p *Plan) key() CheckpointKey {
	return CheckpointKey{Fingerprint: p.fingerprint, Target: p.jobTarget()}
}

func (p *Plan) jobTarget() Target {
	t := Target{APIBase: p.svc.PowerBI.Endpoints().APIBase, WorkspaceID: p.target.group.ID, Table: p.req.Table, Mode: p.req.Mode}
	if p.target.dataset != nil {
		t.DatasetID = p.target.dataset.ID
	}
	if p.target.table != nil {
		t.Table = p.target.table.Name
	}
	return t
}

// Limits are the limits the plan paces to (the sandbox's, with its time
// scale, or the documented ones).
func (p *Plan) Limits() schema.Limits { return p.limits }

// batching describes how rows are cut into batches; a resume must match it.
func (p *Plan) batching() string {
	return fmt.Sprintf("rows=%d bytes=%d distinct=%d hour=%d", p.limits.MaxRowsPerPost, p.limits.MaxBytesPerPost,
		p.limits.MaxPendingPosts, p.limits.RowsPerHour)
}

// batchSizing is how a plan's batches are sized, for the estimates.
type batchSizing struct {
	rows batchRowsFunc // the batches' sizes by where they start
	full int           // the size of the fastest push's batches: the yardstick
}

// sizing is hourlyBatchRows with full MaxRowsPerPost batches as the
// yardstick, unless the byte limit cut batches (more batches than rows
// alone make): then the batches' average, for both.
func (p *Plan) sizing() batchSizing {
	rows := hourlyBatchRows(p.limits)
	if p.batches <= len(planBatches(p.pipe.Rows, rows)) {
		return batchSizing{rows: rows, full: max(1, min(p.limits.MaxRowsPerPost, p.limits.RowsPerHour))}
	}
	avg := 1
	if p.batches > 0 {
		avg = max(1, (p.pipe.Rows+p.batches-1)/p.batches)
	}
	return batchSizing{rows: uniform(avg), full: avg}
}

// Close lets the target's lock go and removes the input's temporary copy,
// if any.
func (p *Plan) Close() error {
	if p == nil {
		return nil
	}
	p.unlock()
	if p.pipe == nil {
		return nil
	}
	return p.pipe.Close()
}

// checkpointFingerprint is the input's bytes and how they are converted: the
// same bytes with other column types make other batches.
func checkpointFingerprint(pipe *source.Pipeline) string {
	h := sha256.New()
	for _, c := range pipe.Columns {
		fmt.Fprintf(h, "%q=%s\n", c.Name, c.Type)
	}
	return pipe.Fingerprint + "+types:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// openSource is the input of req.Input, read as req.Format.
func openSource(ctx context.Context, svc Services, req Request) (*source.Source, error) {
	input := req.Input
	if id, ok := strings.CutPrefix(input, "domo:"); ok {
		if req.Format != "" || req.Sheet != "" {
			return nil, &UsageError{Msg: "a Domo DataSet is read as Domo exports it: it takes neither " +
				svc.Fields.Name(field.Format) + " nor " + svc.Fields.Name(field.Sheet)}
		}
		if svc.Domo == nil {
			return nil, ErrNoDomo
		}
		if strings.TrimSpace(id) == "" {
			return nil, &UsageError{Msg: svc.Fields.Setting(field.Input, "domo:") +
				" needs the DataSet's id, e.g. domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4"}
		}
		return source.Domo(ctx, svc.Domo, id)
	}
	src, err := source.FileFormat(input, svc.Stdin, source.Format(req.Format), req.Sheet)
	if err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	return src, nil
}

// checkInputPath fails early, before any request, on a file that cannot be
// read: a wrong input is a usage error, not something to sign in for. Only
// a regular file is opened to check it: opening a FIFO would wait for its
// writer, and a stream is read once, by the scan. The messages name the
// input as the face takes it ("--input x.csv"), path unquoted as people
// typed it, which a *field.Error would quote.
func checkInputPath(input string, fields field.Namer) error {
	if input == "-" || strings.HasPrefix(input, "domo:") {
		return nil
	}
	given := fields.Setting(field.Input, input)
	st, err := os.Stat(input)
	if err != nil {
		return &UsageError{Msg: fmt.Sprintf("%s: %v", given, errors.Unwrap(err))}
	}
	if st.IsDir() {
		return &UsageError{Msg: given + " is a directory: give a CSV file (or - for stdin)"}
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(input)
	if err != nil {
		return &UsageError{Msg: fmt.Sprintf("%s: %v", given, errors.Unwrap(err))}
	}
	return f.Close()
}
