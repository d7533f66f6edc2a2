package push

import (
	"context"
	"fmt"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/format"
)

// VerifyError is a row count that does not match what was written.
type VerifyError struct {
	Expected, Counted int64
	FIFO              bool
	// Fields names the mode's setting in the message; nil is field.Plain.
	Fields field.Namer
}

func (e *VerifyError) Error() string {
	if e.FIFO {
		return fmt.Sprintf("the FIFO table holds %s rows, outside what its retention allows after writing (%s expected at most): "+
			"someone else may be writing to it", format.Thousands(e.Counted), format.Thousands(e.Expected))
	}
	return fmt.Sprintf("the table holds %s rows but %s were expected (rows before the push plus every row written): "+
		"someone else may have written to or deleted from it during the push; push again with %s",
		format.Thousands(e.Counted), format.Thousands(e.Expected), field.Or(e.Fields).Setting(field.Mode, ModeReplace))
}

// verifyWant is what the end of a push expects the table to hold.
type verifyWant struct {
	Expected int64 // rows before the push plus every row written
	Written  int64 // the rows this push wrote
	// TableCap is a basicFIFO table's cap; MaybeCap the same for a table
	// whose retention is unknown (it may be FIFO); 0: not FIFO.
	TableCap, MaybeCap int64
	// Slack is how far over its cap a FIFO table may run: Power BI keeps
	// "200,000–210,000" (UNCONFIRMED how far over; we allow one POST's worth).
	Slack int64
}

// verify checks the table's row count at the end of a push: exactly
// Expected, or, for a table that is or may be basicFIFO and was pushed past
// its cap, between the cap and the cap plus Slack: eviction, explained in
// note. Only a count that neither explains is a *VerifyError (fields names
// the setting it advises).
func verify(ctx context.Context, t writer.Table, w verifyWant, fields field.Namer) (counted int64, note string, err error) {
	counted, err = t.CountRows(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("verify the row count: %w", err)
	}
	capRows := max(w.TableCap, w.MaybeCap)
	evicts := capRows > 0 && w.Expected > capRows
	switch {
	case counted == w.Expected: // every row there: also when a table said to be FIFO is not
		return counted, "", nil
	case evicts && counted >= capRows && counted <= min(w.Expected, capRows+w.Slack):
		return counted, evictionNote(counted, w, capRows), nil
	case w.TableCap > 0 && evicts:
		return counted, "", &VerifyError{Expected: capRows + w.Slack, Counted: counted, FIFO: true, Fields: fields}
	}
	return counted, "", &VerifyError{Expected: w.Expected, Counted: counted, Fields: fields}
}

// evictionNote explains a FIFO table's count after a push past its cap.
func evictionNote(counted int64, w verifyWant, capRows int64) string {
	kind := "a basicFIFO table, which"
	if w.TableCap == 0 {
		kind = "a basicFIFO table (Power BI does not say its retention; the count says it), which"
	}
	ours := fmt.Sprintf("the newest %s are this push's", format.Count(w.Written, "row"))
	if w.Written >= counted {
		ours = "every row it holds is this push's"
	}
	return fmt.Sprintf("%s rows before the push plus %s written make %s, but the table is %s keeps the newest %s: "+
		"the oldest %s were evicted, and %s", format.Thousands(w.Expected-w.Written), format.Thousands(w.Written),
		format.Thousands(w.Expected), kind, format.Thousands(capRows), format.Thousands(w.Expected-counted), ours)
}
