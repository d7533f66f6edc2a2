package push

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// execute is the writing half of a push, once the input is validated and the
// target resolved: clear or count the table, checkpoint, write every batch
// exactly once, verify the row count, and sum it all up. push.Run puts target
// resolution in front of it.

// targetTable is the resolved table.
type targetTable interface {
	writer.Table
	DeleteRows(ctx context.Context) error
}

// job is one push into a resolved table.
type job struct {
	Limits      schema.Limits
	Fingerprint string // the input's
	Target      Target // the checkpoint key's target; Target.Mode is replace or append
	TableName   string // for people
	// TableCap is the rows a basicFIFO table keeps (Limits.MaxRowsFIFO); 0 without retention.
	TableCap int64
	// MaybeCap is that cap for a table whose retention is unknown (it may
	// be FIFO): a count at the cap is taken as eviction. 0 otherwise.
	MaybeCap int64
	Resume   bool
	// Created says the table was created for this run: a replace has no
	// rows to delete.
	Created bool

	TotalRows int64
	Batches   int
	Batching  string // how rows were cut into batches; a resume must match
	// BatchRows is how the batches were sized (HourlyBatchRows), for the ETA;
	// nil: all alike, TotalRows / Batches.
	BatchRows batchRowsFunc
	// FullBatchRows is the batch size of the fastest push the limits allow
	// (MaxRowsPerPost, or fewer when the byte limit cuts batches), the
	// yardstick of Summary.MinimumSeconds; 0: TotalRows / Batches.
	FullBatchRows int
	// Open yields the input's batches from index from on.
	Open func(ctx context.Context, from int) iter.Seq2[writer.Batch, error]
	// Recycle, if set, takes a batch body back once sent.
	Recycle func([]byte)

	Table    targetTable
	Classify writer.Classifier

	CheckpointDir string // home.Dirs.Checkpoints()
	// History is what the dataset received lately from earlier runs
	// (history.Store.RecentPosts), to seed the pacer.
	History []pacer.Sent
	// ResumeHint is the command that continues this push, for the summary;
	// RestartHint the one that runs it again, shown instead when the run
	// stopped before its checkpoint existed (nothing to resume: --resume
	// would be refused).
	ResumeHint, RestartHint string
	// StartOverHint is the command that pushes the input anew (--restart),
	// given when the input changed during the push.
	StartOverHint string

	Tracker *Tracker // required: execute reports through it
	Clock   clock.Clock
	// Backoff and MaxBackoff tune the writer's retries (defaults 1s, 1m).
	Backoff, MaxBackoff time.Duration
	// MaxThrottleWait is the throttling budget (writer.Config.MaxThrottleWait).
	MaxThrottleWait time.Duration
	// StopGrace is how long an interrupted push waits for the POSTs in
	// flight to answer (writer.Config.StopGrace; default writer.DefaultStopGrace).
	StopGrace time.Duration
	// Stability is how settling waits for the row count to hold still
	// (default writer.DefaultStability).
	Stability writer.Stability
	// OnWritten, if set, is called once every row is written and the row
	// count verified (notVerified "") or not verifiable (notVerified says
	// why), before the checkpoint is removed.
	OnWritten func(notVerified string)
	// Uncounted says why Power BI refused to count the table's rows when
	// the target was resolved (the run's probe); "" when it counted, or
	// when the table is new (openCheckpoint probes then).
	Uncounted string
	// AssumeSent and AssumeLost settle, on a resume, the batches the last
	// run left with an unknown outcome (Request.AssumeSent, AssumeLost);
	// AssumeSentHint and AssumeLostHint are the commands that say so.
	AssumeSent, AssumeLost         bool
	AssumeSentHint, AssumeLostHint string
	// Fields names the settings the messages advise (Services.Fields); nil
	// is field.Plain.
	Fields field.Namer
}

// ErrNothingToResume: a resume without a checkpoint for this input and
// target. The push's error wraps it with what to do, in its face's terms.
var ErrNothingToResume error = &UsageError{Msg: "there is no interrupted push of this input into this table to resume " +
	"(the input or the target differs, or the last run finished)"}

// execute runs the job and returns its summary (also emitted as the last
// event) and the error that ended it, if any.
func execute(ctx context.Context, j job) (Summary, error) {
	sum, err := writeAll(ctx, j)
	err = interrupted(ctx, err)
	sum.Table = j.TableName
	switch {
	case err == nil:
		sum.Outcome, sum.ExitCode = outcome.Succeeded, exitcode.OK
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		sum.Outcome, sum.ExitCode, sum.ResumeHint = outcome.Interrupted, exitcode.Interrupted, j.ResumeHint
	default:
		var se *writer.StopError
		var ve *VerifyError
		var settle *writer.SettleError
		var changed *InputChangedError
		var uncounted *writer.UncountedError
		switch {
		case errors.As(err, &uncounted):
			// Stopped part-way; the message gives the two ways on.
			uncounted.SentHint, uncounted.LostHint = j.AssumeSentHint, j.AssumeLostHint
			sum.Outcome, sum.ExitCode = outcome.Stopped, exitcode.Stopped
			sum.Unsettled = &Unsettled{Why: uncounted.Why}
			for _, b := range uncounted.Batches {
				sum.Unsettled.Batches = append(sum.Unsettled.Batches, UnsettledBatch{Batch: b.Index + 1, FirstRow: b.FirstRow + 1, Rows: b.Rows})
			}
		case errors.As(err, &changed):
			// Stopped part-way, but --resume cannot continue it: the
			// message says how to start over.
			sum.Outcome, sum.ExitCode = outcome.Stopped, exitcode.Stopped
		case errors.As(err, &se) && se.Refused:
			sum.Outcome, sum.ExitCode, sum.ResumeHint = outcome.Failed, exitcode.Refused, j.ResumeHint
		case errors.As(err, &se):
			sum.Outcome, sum.ExitCode, sum.ResumeHint = outcome.Stopped, exitcode.Stopped, j.ResumeHint
		case errors.Is(err, ErrNothingToResume):
			sum.Outcome, sum.ExitCode = outcome.Failed, exitcode.Usage
		case errors.As(err, &ve), errors.As(err, &settle):
			// Resuming cannot fix these: the message says what to do instead.
			sum.Outcome, sum.ExitCode = outcome.Failed, exitcode.Failure
		default:
			sum.Outcome, sum.ExitCode, sum.ResumeHint = outcome.Stopped, exitcode.Stopped, j.ResumeHint
		}
		j.Tracker.Failed(errorInfo(err))
	}
	if sum.ResumeHint != "" && !CheckpointExists(j.CheckpointDir, CheckpointKey{Fingerprint: j.Fingerprint, Target: j.Target}) {
		sum.ResumeHint = j.RestartHint
	}
	return j.Tracker.Finish(sum), err
}

// writeAll is execute without the summing up: checkpoint, pacer and writer
// set up, every batch written, the row count verified.
func writeAll(ctx context.Context, j job) (Summary, error) {
	var sum Summary
	if j.Tracker == nil || j.Table == nil || j.Classify == nil || j.Open == nil {
		return sum, errors.New("push: job needs Tracker, Table, Classify and Open")
	}
	j.Fields = field.Or(j.Fields)
	c, st, uncounted, err := openCheckpoint(ctx, j)
	if err != nil {
		return sum, err
	}
	defer c.Close()
	full := j.FullBatchRows
	if full < 1 {
		full = avgBatch(j)
	}
	sum.MinimumSeconds = seconds(pacer.MinimumDuration(j.Limits, int(j.TotalRows-st.AckedRows()), full, int(st.Header.CountBefore+st.AckedRows())))

	pc, err := pacer.New(pacer.Config{Limits: j.Limits, Clock: j.Clock, TableCap: j.TableCap,
		TableRows: st.Header.CountBefore + st.AckedRows(), History: append(append([]pacer.Sent(nil), j.History...), st.Posts...),
		OnWait: j.Tracker.Waiting})
	if err != nil {
		return sum, err
	}
	j.Tracker.Resumed(st.AckedRows(), len(st.Acked))
	sizes := j.BatchRows
	if sizes == nil {
		sizes = uniform(avgBatch(j))
	}
	// The rows left are the input's last ones (resumed batches are a prefix
	// but for a few settled out of order): where they start decides the cuts.
	j.Tracker.ETA = func(left int64) time.Duration {
		return pc.EstimateRemainingFrom(int(max(j.TotalRows-left, 0)), left, sizes, 0)
	}
	w, err := writer.New(writer.Config{Table: j.Table, Classify: j.Classify, Pacer: pc, Checkpoint: c,
		Events: trackerEvents{j.Tracker, j.Fields}, Clock: j.Clock, Window: j.Limits.MaxPendingPosts, Acked: st.Acked,
		CountBefore: st.Header.CountBefore, TableCap: j.TableCap, MaybeCap: j.MaybeCap, Backoff: j.Backoff, MaxBackoff: j.MaxBackoff,
		Recycle: j.Recycle, StopGrace: j.StopGrace, Stability: j.Stability, MaxThrottleWait: j.MaxThrottleWait, Fields: j.Fields,
		Uncounted: uncounted, Uncountable: countingRefusal})
	if err != nil {
		return sum, err
	}
	message := ""
	if len(st.Acked) > 0 {
		message = fmt.Sprintf("Writing %s in %s (resumed: %s already written)",
			format.Count(j.TotalRows, "row"), format.Count(j.Batches, "batch"), format.Count(len(st.Acked), "batch"))
	}
	if uncounted != "" {
		if message == "" {
			message = fmt.Sprintf("Writing %s in %s", format.Count(j.TotalRows, "row"), format.Count(j.Batches, "batch"))
		}
		message += " (not verified at the end: Power BI refuses to count the table's rows)"
	}
	j.Tracker.Phase(PhaseWriting, message)
	err = w.Write(ctx, j.Open(ctx, st.NextBatch()))
	sum.Posts = pc.History()
	if err != nil {
		return sum, inputChanged(j, w, err)
	}
	if got := w.AckedRows(); got != j.TotalRows {
		return sum, fmt.Errorf("wrote %s rows but the input has %s: the input changed during the push",
			format.Thousands(got), format.Thousands(j.TotalRows))
	}

	if uncounted != "" {
		sum.NotVerified = uncounted
	} else {
		j.Tracker.Phase(PhaseVerifying, "")
		counted, note, err := verify(ctx, j.Table, verifyWant{Expected: st.Header.CountBefore + j.TotalRows, Written: j.TotalRows,
			TableCap: j.TableCap, MaybeCap: j.MaybeCap, Slack: int64(j.Limits.MaxRowsPerPost)}, j.Fields)
		sum.TableRows, sum.CountNote = counted, note
		switch {
		case powerbi.CountingRefused(err): // refused since the probe: every row is written all the same
			sum.NotVerified = powerbi.CountingRefusal(err)
		case err != nil:
			return sum, err
		default:
			sum.Verified = true
		}
	}
	if j.OnWritten != nil {
		j.OnWritten(sum.NotVerified)
	}
	if err := c.Remove(); err != nil {
		return sum, err
	}
	return sum, nil
}

// openCheckpoint loads the checkpoint of a resume (settling what the last
// run left in flight), or prepares the table and starts a fresh one: for
// replace, delete the rows first; either way count what the table holds, so
// settling and verifying know where they started. uncounted says why the
// table's rows cannot be counted in this run ("" when they can): the probe
// of resolveTarget (j.Uncounted), or this count, for a new table.
func openCheckpoint(ctx context.Context, j job) (c *checkpoint.Checkpoint, st *checkpoint.State, uncounted string, err error) {
	key := CheckpointKey{Fingerprint: j.Fingerprint, Target: j.Target}
	uncounted = j.Uncounted
	if j.Resume {
		c, st, err := checkpoint.Load(j.CheckpointDir, key, j.Clock)
		var corrupt *checkpoint.CorruptError
		switch {
		case errors.Is(err, checkpoint.ErrNotFound):
			return nil, nil, "", fmt.Errorf("%w; run without %s", ErrNothingToResume, j.Fields.Name(field.Resume))
		case errors.As(err, &corrupt):
			return nil, nil, "", fmt.Errorf("%w; delete it and push again with %s", err, j.Fields.Setting(field.Mode, ModeReplace))
		case err != nil:
			return nil, nil, "", err
		}
		if st.Header.Batching != j.Batching || st.Header.Batches != j.Batches || st.Header.TotalRows != j.TotalRows {
			c.Close()
			return nil, nil, "", fmt.Errorf("the checkpoint was made with other batches (%s, %d batches, %d rows; now %s, %d, %d): "+
				"run without %s", st.Header.Batching, st.Header.Batches, st.Header.TotalRows, j.Batching, j.Batches, j.TotalRows,
				j.Fields.Name(field.Resume))
		}
		if uncounted == "" && st.Header.CountUnknown {
			// Counting works now, but what the table held before the
			// stopped run is unknown: a count can settle nothing, nor verify.
			uncounted = "the rows the table held before the first run of this push were not counted (Power BI refused then)"
		}
		if err := settleResume(ctx, j, c, st, uncounted); err != nil {
			c.Close()
			return nil, nil, "", err
		}
		return c, st, uncounted, nil
	}
	if j.Target.Mode == "replace" && !j.Created {
		j.Tracker.Phase(PhaseDeleting, "")
		if err := j.Table.DeleteRows(ctx); err != nil {
			return nil, nil, "", stopOnTable(j, "delete the table's rows", err)
		}
	}
	// Counting after a delete too: if Power BI deletes lazily, or someone
	// writes meanwhile, the checkpoint starts from what the table really holds.
	var before int64
	if uncounted == "" {
		before, err = j.Table.CountRows(ctx)
		switch {
		case powerbi.CountingRefused(err):
			uncounted = powerbi.CountingRefusal(err)
		case err != nil:
			return nil, nil, "", stopOnTable(j, "count the table's rows", err)
		}
	}
	// Without a count, a table just created or emptied holds nothing: only
	// an append's starting count is unknown.
	unknown := uncounted != "" && j.Target.Mode != "replace" && !j.Created
	h := checkpoint.Header{Key: key, TotalRows: j.TotalRows, Batches: j.Batches, Batching: j.Batching,
		CountBefore: before, CountUnknown: unknown, TableCap: j.TableCap, MaybeCap: j.MaybeCap}
	c, err = checkpoint.Create(j.CheckpointDir, h, j.Clock)
	if err != nil {
		return nil, nil, "", err
	}
	return c, &checkpoint.State{Header: h, Acked: map[int]int{}}, uncounted, nil
}

// settleResume settles the batches the stopped run left with an unknown
// outcome: as the person says (--assume-sent, --assume-lost), else by
// counting the table's rows, which needs counting to work.
func settleResume(ctx context.Context, j job, c *checkpoint.Checkpoint, st *checkpoint.State, uncounted string) error {
	if len(st.Unresolved) == 0 {
		if j.AssumeSent || j.AssumeLost {
			j.Tracker.Phase(PhaseSettling, "No batch has an unknown outcome: nothing to assume")
		}
		return nil
	}
	if j.AssumeSent || j.AssumeLost {
		refs, err := writer.Assume(c, st, j.AssumeSent)
		if err != nil {
			return err
		}
		how, name := "written: they are not sent again", j.Fields.Name(field.AssumeSent)
		if j.AssumeLost {
			how, name = "not written: they are sent again", j.Fields.Name(field.AssumeLost)
		}
		var rows int64
		for _, r := range refs {
			rows += int64(r.Rows)
		}
		j.Tracker.Phase(PhaseSettling, fmt.Sprintf("As %s says, the %s of %s with an unknown outcome are taken as %s",
			name, format.Count(rows, "row"), format.Count(len(refs), "batch"), how))
		return nil
	}
	unknown := func(why string) error {
		return &writer.UncountedError{Why: why, Batches: append([]checkpoint.BatchRef(nil), st.Unresolved...),
			SentHint: j.AssumeSentHint, LostHint: j.AssumeLostHint, Fields: j.Fields}
	}
	if uncounted != "" {
		return unknown(uncounted)
	}
	j.Tracker.Phase(PhaseSettling, "")
	err := writer.SettleResume(ctx, j.Table, j.Classify, c, st, j.Stability, j.Fields)
	if powerbi.CountingRefused(err) {
		return unknown(powerbi.CountingRefusal(err))
	}
	return err
}

func stopOnTable(j job, what string, err error) error {
	f := j.Classify(err)
	return &writer.StopError{Batch: -1, Failure: f, Refused: f.Kind == writer.Fatal, Err: fmt.Errorf("%s: %w", what, err)}
}

func avgBatch(j job) int {
	if j.Batches < 1 {
		return max(1, j.Limits.MaxRowsPerPost)
	}
	return max(1, int((j.TotalRows+int64(j.Batches)-1)/int64(j.Batches)))
}

func errorInfo(err error) ErrorInfo {
	e := ErrorInfo{Message: err.Error()}
	var se *writer.StopError
	if errors.As(err, &se) {
		e.Status, e.Code, e.RequestID = se.Failure.Status, se.Failure.Code, se.Failure.RequestID
		e.ResumeAfter = se.ResumeAfter
		if se.Batch >= 0 {
			e.Batch = se.Batch + 1
		}
	}
	return e
}
