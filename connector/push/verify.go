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

// verify checks the table's row count at the end of a push: exactly
// expected, or for a basicFIFO table that evicted rows, between its cap and
// its cap plus one batch (Power BI keeps "200,000–210,000" — UNCONFIRMED how
// far over the cap a table may run; we allow one POST's worth). fields names
// the setting a VerifyError advises.
func verify(ctx context.Context, t writer.Table, expected, fifoCap int64, maxRowsPerPost int, fields field.Namer) (int64, error) {
	counted, err := t.CountRows(ctx)
	if err != nil {
		return 0, fmt.Errorf("verify the row count: %w", err)
	}
	if fifoCap > 0 && expected > fifoCap {
		if counted < fifoCap || counted > min(expected, fifoCap+int64(maxRowsPerPost)) {
			return counted, &VerifyError{Expected: fifoCap + int64(maxRowsPerPost), Counted: counted, FIFO: true, Fields: fields}
		}
		return counted, nil
	}
	if counted != expected {
		return counted, &VerifyError{Expected: expected, Counted: counted, Fields: fields}
	}
	return counted, nil
}
