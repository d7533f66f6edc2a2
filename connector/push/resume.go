package push

import (
	"context"
	"fmt"
)

// SettleResume settles the batches a killed run left in flight (sent, no
// outcome recorded) before a resume sends anything: it counts the table's
// rows, records the landed ones as acknowledged and the others as void, and
// updates st so that st.Acked and st.NextBatch are right. Nothing else may be
// writing to the table meanwhile.
func SettleResume(ctx context.Context, t Table, classify Classifier, c *Checkpoint, st *CheckpointState) error {
	if len(st.Unresolved) == 0 {
		return nil
	}
	counted, err := t.CountRows(ctx)
	if err != nil {
		f := classify(err)
		return &StopError{Batch: -1, Failure: f, Refused: f.Kind == Fatal,
			Err: fmt.Errorf("count the table's rows to settle the batches in flight when the run stopped: %w", err)}
	}
	cands := make([]Candidate, len(st.Unresolved))
	refs := map[int]BatchRef{}
	for i, b := range st.Unresolved {
		cands[i] = Candidate{Index: b.Index, Rows: b.Rows}
		refs[b.Index] = b
	}
	s, err := Settle(SettleInput{CountBefore: st.Header.CountBefore, AckedRows: st.AckedRows(), Counted: counted,
		Candidates: cands, TableCap: st.Header.TableCap})
	if err != nil {
		return err
	}
	for _, i := range s.Landed {
		if err := c.Acked(refs[i]); err != nil {
			return err
		}
		st.Acked[i] = refs[i].Rows
	}
	for _, i := range s.Resend {
		if err := c.Void(refs[i]); err != nil {
			return err
		}
	}
	st.Unresolved = nil
	return nil
}

// VerifyError is a row count that does not match what was written.
type VerifyError struct {
	Expected, Counted int64
	FIFO              bool
}

func (e *VerifyError) Error() string {
	if e.FIFO {
		return fmt.Sprintf("the FIFO table holds %s rows, outside what its retention allows after writing (%s expected at most): "+
			"someone else may be writing to it", thousands(e.Counted), thousands(e.Expected))
	}
	return fmt.Sprintf("the table holds %s rows but %s were expected (rows before the push plus every row written): "+
		"someone else may have written to or deleted from it during the push; push again with --mode replace",
		thousands(e.Counted), thousands(e.Expected))
}

// Verify checks the table's row count at the end of a push: exactly
// expected, or for a basicFIFO table that evicted rows, between its cap and
// its cap plus one batch (Power BI keeps "200,000–210,000" — UNCONFIRMED how
// far over the cap a table may run; we allow one POST's worth).
func Verify(ctx context.Context, t Table, expected, fifoCap int64, maxRowsPerPost int) (int64, error) {
	counted, err := t.CountRows(ctx)
	if err != nil {
		return 0, fmt.Errorf("verify the row count: %w", err)
	}
	if fifoCap > 0 && expected > fifoCap {
		if counted < fifoCap || counted > min(expected, fifoCap+int64(maxRowsPerPost)) {
			return counted, &VerifyError{Expected: fifoCap + int64(maxRowsPerPost), Counted: counted, FIFO: true}
		}
		return counted, nil
	}
	if counted != expected {
		return counted, &VerifyError{Expected: expected, Counted: counted}
	}
	return counted, nil
}
