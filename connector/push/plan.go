package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

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
	warnings      []string
	ran           bool
}

// Prepare reads and validates the whole input, encodes it into batches as the
// push would, and resolves the target, writing nothing. Observers get the
// validating and resolving phases.
//
// Errors: *UsageError, ErrNoDomo, ErrCheckpointExists (exit 2); a
// *schema.ValidationError (exit 3), returned together with a Plan whose
// Report lists the findings; *TargetError (3 or 5); errors of Power BI, Domo
// and the token source. ExitCode places them.
func Prepare(ctx context.Context, svc Services, req Request, obs ...Observer) (*Plan, error) {
	req, forced, err := req.normalize()
	if err != nil {
		return nil, err
	}
	if svc.PowerBI == nil {
		return nil, errors.New("push: Services.PowerBI is required")
	}
	if svc.Clock == nil {
		svc.Clock = SystemClock{}
	}
	if err := checkInputPath(req.Input); err != nil {
		return nil, err
	}
	tr := NewTracker(svc.Clock, 0, 0, obs...)

	tr.Phase(PhaseResolving, fmt.Sprintf("Finding workspace %q, dataset %q, table %q", req.Group, req.Dataset, req.Table))
	limits, err := svc.PowerBI.Limits(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the limits in force: %w", err)
	}
	tgt, err := resolveTarget(ctx, svc.PowerBI, req)
	if err != nil {
		return nil, err
	}
	src, err := openSource(ctx, svc, req.Input)
	if err != nil {
		return nil, err
	}

	tr.Phase(PhaseValidating, "Reading and checking "+src.Name)
	existingRows := 0
	if req.Mode == ModeAppend {
		existingRows = int(tgt.tableRows)
	}
	pipe, err := source.Scan(ctx, src, source.Options{
		Limits: limits, Table: req.Table, Columns: forced, Retention: tgt.retention, ExistingRows: existingRows,
		Existing: tgt.existing, TempDir: svc.TempDir,
		BatchRows: HourlyBatchRows(limits),
	})
	if pipe == nil {
		return nil, err
	}
	p := &Plan{svc: svc, req: req, limits: limits, target: tgt, pipe: pipe, warnings: append(tgt.warnings, pipe.Warnings...)}
	p.fingerprint = checkpointFingerprint(pipe)
	if err != nil {
		p.invalid = err
		return p, err
	}
	// The second pass, now: it encodes every batch exactly as the push will
	// (a row too large for a POST shows here, before anything is written),
	// and gives the batch count the checkpoint is keyed on.
	for b, err := range pipe.Batches(ctx, 0) {
		if err != nil {
			p.Close()
			return nil, err
		}
		p.batches++
		n := int64(len(b.Body))
		p.bytes += n
		p.maxBatchBytes = max(p.maxBatchBytes, n)
		pipe.Recycle(b.Body)
	}
	if err := p.checkCheckpoint(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// checkCheckpoint applies CONTRACT.md's --resume to an existing table:
// resuming needs a checkpoint; an append that would start over when one
// exists is refused (it would write the interrupted run's rows again) unless
// --restart says to; a replace starts over, saying so.
func (p *Plan) checkCheckpoint() error {
	if p.target.table == nil {
		if p.req.Resume {
			return ErrNothingToResume
		}
		return nil
	}
	p.checkpoint = CheckpointExists(p.svc.Dirs.Checkpoints(), p.key())
	switch {
	case p.req.Resume && !p.checkpoint:
		return ErrNothingToResume
	case p.req.Resume:
	case p.checkpoint && p.req.Restart:
		p.warnings = append(p.warnings, "the checkpoint of an interrupted push of this input into this table is discarded (--restart)")
	case p.checkpoint && p.req.Mode == ModeAppend:
		return ErrCheckpointExists
	case p.checkpoint:
		p.warnings = append(p.warnings, "an interrupted push of this input into this table left a checkpoint; "+
			"this run starts over (replace deletes the table's rows first); --resume would have continued it")
	}
	return nil
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
	rows BatchRowsFunc // the batches' sizes by where they start
	full int           // the size of the fastest push's batches: the yardstick
}

// sizing is HourlyBatchRows with full MaxRowsPerPost batches as the
// yardstick, unless the byte limit cut batches (more batches than rows
// alone make): then the batches' average, for both.
func (p *Plan) sizing() batchSizing {
	rows := HourlyBatchRows(p.limits)
	if p.batches <= len(PlanBatches(p.pipe.Rows, rows)) {
		return batchSizing{rows: rows, full: max(1, min(p.limits.MaxRowsPerPost, p.limits.RowsPerHour))}
	}
	avg := 1
	if p.batches > 0 {
		avg = max(1, (p.pipe.Rows+p.batches-1)/p.batches)
	}
	return batchSizing{rows: uniform(avg), full: avg}
}

// Close removes the input's temporary copy, if any.
func (p *Plan) Close() error {
	if p == nil || p.pipe == nil {
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

// openSource is the input of req.Input.
func openSource(ctx context.Context, svc Services, input string) (*source.Source, error) {
	if id, ok := strings.CutPrefix(input, "domo:"); ok {
		if svc.Domo == nil {
			return nil, ErrNoDomo
		}
		if strings.TrimSpace(id) == "" {
			return nil, &UsageError{Msg: "--input domo: needs the DataSet's id, e.g. domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4"}
		}
		return source.Domo(ctx, svc.Domo, id)
	}
	return source.File(input, svc.Stdin), nil
}

// checkInputPath fails early, before any request, on a file that cannot be
// read: a wrong --input is a usage error, not something to sign in for.
func checkInputPath(input string) error {
	if input == "-" || strings.HasPrefix(input, "domo:") {
		return nil
	}
	f, err := os.Open(input)
	if err != nil {
		return &UsageError{Msg: fmt.Sprintf("--input %s: %v", input, errors.Unwrap(err))}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return &UsageError{Msg: fmt.Sprintf("--input %s is a directory: give a CSV file", input)}
	}
	return nil
}
