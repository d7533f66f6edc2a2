package push

import (
	"errors"
	"fmt"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/format"
)

// InputChangedError: the input changed during the push. The writer stopped
// before sending the batch that holds the change; the batches written
// before it stay in the checkpoint. Resuming cannot help (the input is no
// longer the one checkpointed): the message gives the command that starts
// over.
type InputChangedError struct {
	Err       *source.ChangedError
	Written   int64  // rows acknowledged, this run and the runs it resumed
	StartOver string // the command that pushes the input as it is now
	Append    bool
	// Fields names the mode's setting in the message; nil is field.Plain.
	Fields field.Namer
}

func (e *InputChangedError) Error() string {
	msg := e.Err.Error() + "; nothing from there on was sent."
	if e.Written > 0 {
		msg += fmt.Sprintf(" The %s rows written before it stay recorded.", format.Thousands(e.Written))
	}
	msg += " To push the input as it is now, start over: " + e.StartOver
	if e.Append && e.Written > 0 {
		msg += fmt.Sprintf(" (it appends every row again, after the %s already written; %s rewrites the table instead)",
			format.Thousands(e.Written), field.Or(e.Fields).Setting(field.Mode, ModeReplace))
	}
	return msg
}

func (e *InputChangedError) Unwrap() error { return e.Err }

// inputChanged makes a write that the input's change stopped an
// *InputChangedError; any other error is returned as is.
func inputChanged(j job, w *writer.Writer, err error) error {
	var ce *source.ChangedError
	if !errors.As(err, &ce) {
		return err
	}
	return &InputChangedError{Err: ce, Written: w.AckedRows(), StartOver: j.StartOverHint, Append: j.Target.Mode == ModeAppend,
		Fields: j.Fields}
}
