package writer

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// Without counting. When Power BI refuses to count the table's rows (the
// tenant setting "Dataset Execute Queries REST API" off, or no Build
// permission), what still holds is the checkpoint: every batch Power BI
// acknowledged is recorded. A batch whose answer is lost can then not be
// settled: the run stops (exit 6) with an *UncountedError naming the
// batches, and a resume says what became of them (Assume), never a guess.

// UncountedError stops a write whose batches have an unknown outcome that
// counting cannot settle: the table's rows cannot be counted (Why), or
// counting cannot tell (a FIFO table that may have evicted rows).
type UncountedError struct {
	Why     string                // why counting cannot settle them
	Batches []checkpoint.BatchRef // the batches with an unknown outcome, in index order
	// SentHint and LostHint are the commands that continue with each
	// assumption (the engine fills them in); empty: the settings are named.
	SentHint, LostHint string
	// Fields names the settings when there are no hints; nil is field.Plain.
	Fields field.Namer
}

func (e *UncountedError) Error() string {
	n := field.Or(e.Fields)
	parts := make([]string, len(e.Batches))
	var rows int64
	for i, b := range e.Batches {
		parts[i] = fmt.Sprintf("batch %s (input rows %s–%s)", format.Thousands(int64(b.Index+1)),
			format.Thousands(b.FirstRow+1), format.Thousands(b.FirstRow+int64(b.Rows)))
		rows += int64(b.Rows)
	}
	what := "a batch"
	if len(parts) > 0 {
		what = strings.Join(parts, ", ")
	}
	verb := "got"
	sent, lost := e.SentHint, e.LostHint
	if sent == "" {
		sent = n.Name(field.Resume) + " " + n.Name(field.AssumeSent)
	}
	if lost == "" {
		lost = n.Name(field.Resume) + " " + n.Name(field.AssumeLost)
	}
	return fmt.Sprintf("%s %s no answer (%s in all), and %s: pbiwb cannot tell whether those rows landed, and will not guess. "+
		"Look in Power BI whether they are in the table, then continue: if they landed, %s (they are not sent again); "+
		"if they did not, %s (they are sent again)",
		what, verb, format.Count(rows, "row"), e.Why, sent, lost)
}

// ExitCode: stopped part-way (exit 6); a resume that says what happened continues.
func (e *UncountedError) ExitCode() exitcode.Code { return exitcode.Stopped }

// Assume settles the batches a stopped run left with an unknown outcome as
// the person says: landed (acknowledged, not sent again) or lost (void,
// sent again); st is updated as SettleResume does. It returns the batches.
func Assume(c *checkpoint.Checkpoint, st *checkpoint.State, landed bool) ([]checkpoint.BatchRef, error) {
	refs := append([]checkpoint.BatchRef(nil), st.Unresolved...)
	sort.Slice(refs, func(a, b int) bool { return refs[a].Index < refs[b].Index })
	for _, b := range refs {
		if landed {
			if err := c.Acked(b); err != nil {
				return nil, err
			}
			st.Acked[b.Index] = b.Rows
		} else if err := c.Void(b); err != nil {
			return nil, err
		}
	}
	st.Unresolved = nil
	return refs, nil
}

// unverifiable turns a settlement that FIFO eviction makes impossible into
// an *UncountedError (exit 6: a resume that says what became of the
// batches continues); other errors pass unchanged.
// refs are the batches (nil: the Writer fills them in, see Write).
func unverifiable(err error, counted, tableCap, maybeCap int64, refs []checkpoint.BatchRef, fields field.Namer) error {
	var se *SettleError
	if !errors.As(err, &se) || se.Problem != Unverifiable {
		return err
	}
	capRows, maybe := tableCap, ""
	if capRows == 0 {
		capRows, maybe = maybeCap, " (its retention is unknown: Power BI does not say it)"
	}
	why := fmt.Sprintf("counting cannot tell: the table holds %s rows, and a basicFIFO table%s keeps only the newest %s, "+
		"so the rows that land evict as many of the oldest", format.Thousands(counted), maybe, format.Thousands(capRows))
	return &UncountedError{Why: why, Batches: refs, Fields: fields}
}

// unresolved are the batches waiting to be settled, in index order.
func (w *Writer) unresolved() []checkpoint.BatchRef {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]checkpoint.BatchRef, 0, len(w.ambiguous))
	for _, r := range w.ambiguous {
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Index < out[b].Index })
	return out
}
