package push

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// --resume is always safe to pass, also when there is no checkpoint to
// continue: a script that retries a failed push with --resume must neither
// fail where a plain run would succeed nor write anything twice. Without a
// checkpoint, the history says what became of this input in this table:
//
//   - its last run wrote it whole (verified): nothing to write, exit 0,
//     naming that run — unless another input's run wrote to the table since;
//   - its last run stopped before sending anything (a checkpoint exists
//     before the first POST and goes only once the count is verified, so no
//     checkpoint means nothing was sent), or no run is recorded: start from
//     the first row, saying so;
//   - refused (exit 2), writing nothing, when the table holds rows whose
//     origin the history cannot vouch for: another input's interrupted push
//     (its checkpoint is there), rows of this input that a stopped run sent
//     but whose checkpoint is gone, or another input's run since this one's.

// resumeLookback is how many recent runs --resume reads to find this input's.
const resumeLookback = 200

// resumeDecision is what --resume does without a checkpoint.
type resumeDecision struct {
	startOver bool            // write from the first row, as a run without a resume would
	already   *history.Record // this input's run that wrote it whole: write nothing
	note      string          // says which, for people
}

// writtenBy is the run that wrote the rows: the one already names, or the
// run it named in turn (a --resume that found nothing to write).
func (d resumeDecision) writtenBy() string {
	if d.already == nil {
		return ""
	}
	if d.already.AlreadyBy != "" {
		return d.already.AlreadyBy
	}
	return d.already.ID
}

func (p *Plan) resumeWithoutCheckpoint() (resumeDecision, error) {
	n := p.svc.Fields
	resume, replace := n.Name(field.Resume), n.Setting(field.Mode, ModeReplace)
	runs, err := history.New(p.svc.Dirs.History()).List(resumeLookback)
	if err != nil {
		return resumeDecision{}, fmt.Errorf("%s: read the history to see what became of this input: %w", resume, err)
	}
	table := p.target.table.Name
	var mine *history.Record
	var since []history.Record // other inputs' runs into the table after mine, newest first
	for i := range runs {
		r := &runs[i]
		if r.ID == p.runID() || !p.sameTable(r) || wroteNothing(r) {
			continue
		}
		if r.Fingerprint == p.fingerprint {
			mine = r
			break
		}
		if r.AlreadyBy == "" {
			since = append(since, *r)
		}
	}

	if mine != nil && (mine.Verified || mine.NotVerified != "" || mine.AlreadyBy != "") {
		d := resumeDecision{already: mine}
		if len(since) > 0 {
			next := since[len(since)-1]
			return d, &UsageError{Msg: fmt.Sprintf("%s: run %s wrote this input into table %q, but run %s (input %s) "+
				"wrote into it after that, so the table may no longer hold this input as it was written; nothing was written. "+
				"Run without %s to push this input again (%s starts the table over)",
				resume, d.writtenBy(), table, next.ID, next.Input, resume, replace)}
		}
		verified := "row count verified"
		if !mine.Verified && mine.NotVerified != "" {
			verified = "written, not verified"
		}
		d.note = fmt.Sprintf("nothing to write: run %s already wrote this input into table %q (%s rows, %s, %s); "+
			"run without %s to write it again", d.writtenBy(), table, format.Thousands(p.recordRows(mine)), verified, when(mine), resume)
		return d, nil
	}
	if msg := p.otherCheckpoint(n); msg != "" {
		return resumeDecision{}, &UsageError{Msg: msg}
	}
	if mine == nil {
		return resumeDecision{startOver: true, note: resume + ": no earlier push of this input into this table is recorded " +
			"and none left a checkpoint, so nothing of it was written; starting from the first row"}, nil
	}
	if mine.RowsWritten > 0 || mine.BatchesDone > 0 {
		home := n.Name(field.Home)
		return resumeDecision{}, &UsageError{Msg: fmt.Sprintf("%s: run %s of this input wrote %s rows into table %q "+
			"before it ended (%s), but its checkpoint is gone (deleted, or kept under another %s), so which of its rows "+
			"landed is unknown and resuming could write some twice; nothing was written. Resume with the %s that run used, "+
			"or push again with %s to start the table over",
			resume, mine.ID, format.Thousands(mine.RowsWritten), table, mine.Outcome, home, home, replace)}
	}
	return resumeDecision{startOver: true, note: fmt.Sprintf("%s: run %s of this input stopped before it sent anything "+
		"(%s, %s), so there is nothing to resume; starting from the first row", resume, mine.ID, mine.Outcome, when(mine))}, nil
}

// sameTable says whether a run wrote (or meant to write) into this plan's
// table: the dataset by id once known, else by name (a run killed before
// its new dataset was recorded).
func (p *Plan) sameTable(r *history.Record) bool {
	t := r.Target
	if t.APIBase != p.svc.PowerBI.Endpoints().APIBase || t.WorkspaceID != p.target.group.ID ||
		!strings.EqualFold(t.Table, p.target.table.Name) {
		return false
	}
	if t.DatasetID != "" {
		return t.DatasetID == p.target.dataset.ID
	}
	return t.DatasetName == p.req.Dataset
}

// wroteNothing: runs that certainly left the table as it was: dry runs,
// runs that never finished reading their input (the fingerprint is recorded
// when the scan ends, before any write), and refusals before the first write
// (2 usage or a push in the way, 3 invalid input or target, 4 sign-in).
func wroteNothing(r *history.Record) bool {
	switch {
	case r.DryRun, r.Fingerprint == "":
		return true
	case r.Outcome == outcome.Failed && slices.Contains([]exitcode.Code{exitcode.Usage, exitcode.Invalid, exitcode.SignIn}, r.ExitCode):
		return true
	}
	return false
}

// recordRows is the rows a verified run wrote (its total: a verified run
// wrote them all, also when its record's progress lagged).
func (p *Plan) recordRows(r *history.Record) int64 {
	if r.RowsTotal > 0 {
		return r.RowsTotal
	}
	return int64(p.pipe.Rows)
}

func when(r *history.Record) string {
	t := r.End
	if t.IsZero() {
		t = r.Updated
	}
	return "ended " + t.Local().Format(time.DateTime)
}

// otherCheckpoint describes the checkpoint that an interrupted push of
// another input (or of this input in the other mode) left in this table,
// or "" when there is none; n names the settings it advises.
func (p *Plan) otherCheckpoint(n field.Namer) string {
	dir := p.svc.Dirs.Checkpoints()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	me := p.key()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".ckpt") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		h, err := checkpoint.ReadHeader(filepath.Join(dir, e.Name()))
		if err != nil || h.Key == me {
			continue
		}
		k := h.Key.Target
		if k.APIBase != me.APIBase || k.WorkspaceID != me.WorkspaceID || k.DatasetID != me.DatasetID || !strings.EqualFold(k.Table, me.Table) {
			continue
		}
		started := h.Created.Local().Format(time.DateTime)
		resume := n.Name(field.Resume)
		if h.Key.Fingerprint == me.Fingerprint {
			return fmt.Sprintf("%s: the interrupted push of this input into table %q (started %s) was a %s, not a %s: "+
				"resume it with %s %s; nothing was written", resume, me.Table, started, k.Mode, me.Mode, n.Setting(field.Mode, k.Mode), resume)
		}
		return fmt.Sprintf("%s: the push left interrupted in table %q (started %s, %s) was of another input, or of this "+
			"one before it changed, so it cannot be continued with this input; nothing was written. Resume it with the input "+
			"it started with, or run without %s to push this input from its first row", resume, me.Table, started, k.Mode, resume)
	}
	return ""
}
