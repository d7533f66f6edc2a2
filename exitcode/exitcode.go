// Package exitcode is pbiwb's one table of exit codes (docs/cli.md, "Exit
// codes") and its one mapping from an error to its code. The command line, the
// wizard and the push engine all end with these numbers; they are a contract
// with scripts and never change.
//
// An error says its own code by implementing Coder; Of finds the outermost one
// in the chain. Packages that define errors a user can end with implement it
// beside the type, so no other place has to list them.
package exitcode

import (
	"context"
	"errors"
)

// Code is a process exit code of docs/cli.md.
type Code int

// The codes; each comment is the code's meaning in docs/cli.md's table.
const (
	// OK: done; for a push, every input row written exactly once and the row
	// count verified.
	OK Code = 0
	// Failure: unexpected failure (also: doctor found a failing check;
	// history found no run of that id).
	Failure Code = 1
	// Usage: usage error: bad flag, missing required value, conflicting
	// options, a saved account used against the wrong cloud, a push already
	// running to the same target.
	Usage Code = 2
	// Invalid: invalid input or target schema (bad CSV, type error, over a
	// Power BI limit): nothing was written.
	Invalid Code = 3
	// SignIn: sign-in failed (Entra ID or Domo); the message names the
	// credential and the fix.
	SignIn Code = 4
	// Refused: Power BI refused (no access to the workspace, read-only
	// workspace, not a push dataset, ...).
	Refused Code = 5
	// Stopped: stopped part-way (network, repeated server errors, quota,
	// throttling past --max-throttle-wait): a checkpoint exists; --resume
	// continues (an input edited during the push: the message gives the
	// --restart command instead).
	Stopped Code = 6
	// Interrupted: interrupted (Ctrl-C, SIGINT, SIGTERM): the checkpoint is
	// saved; --resume continues.
	Interrupted Code = 130
)

// Coder is an error that knows the exit code it ends a command with.
type Coder interface {
	error
	ExitCode() Code
}

// Of is err's exit code: OK for nil; Interrupted when err is (or wraps)
// context.Canceled, whatever wraps it; else the code of the outermost Coder in
// err's chain; else Failure.
func Of(err error) Code {
	code, _ := Lookup(err)
	return code
}

// Lookup is Of, with ok false when nothing in err's chain placed it (the code
// is then Failure): a face may word such an error itself.
func Lookup(err error) (code Code, ok bool) {
	var c Coder
	switch {
	case err == nil:
		return OK, true
	case errors.Is(err, context.Canceled):
		return Interrupted, true
	case errors.As(err, &c):
		return c.ExitCode(), true
	}
	return Failure, false
}
