package push

import (
	"io"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
)

// The engine's top-level API, which both faces (the wizard and `pbiwb push`)
// call: Prepare reads and validates the whole input and resolves the target
// without writing anything; Plan.Report says what a push would do (the dry
// run); Plan.Run does it.

// Modes and retentions as the flags spell them.
const (
	ModeReplace = "replace"
	ModeAppend  = "append"

	RetentionNone = "none"
	RetentionFIFO = "fifo"
)

// Request is one push as a user asks for it: the flags of `pbiwb push`, the
// fields of the wizard's Details screen.
type Request struct {
	// Input is a file's path (CSV, TSV, Excel, Parquet, JSON Lines), "-"
	// for stdin, or "domo:GUID".
	Input string `json:"input"`
	// Format is how the file is read (source.ParseFormat: csv, tsv, xlsx,
	// parquet, jsonl); "" picks it by the file's extension.
	Format string `json:"format,omitempty"`
	// Sheet is the workbook's sheet to read; "" is its first.
	Sheet string `json:"sheet,omitempty"`
	// Group is the workspace's name or ID ("My workspace" for the personal one).
	Group   string `json:"group"`
	Dataset string `json:"dataset"`
	Table   string `json:"table"`
	// Mode is ModeReplace (the default when empty) or ModeAppend.
	Mode string `json:"mode"`
	// Retention is RetentionNone (default) or RetentionFIFO; it applies when
	// the dataset is created (Power BI fixes it then).
	Retention string `json:"retention,omitempty"`
	// Columns force column types: "NAME=TYPE" each (--column).
	Columns []string `json:"columns,omitempty"`
	// Resume continues the interrupted push of the same input and target.
	Resume bool `json:"resume,omitempty"`
	// Restart discards the checkpoint an interrupted push left, and starts
	// over (an append would otherwise refuse to run: it would write again the
	// rows the interrupted run wrote).
	Restart bool `json:"restart,omitempty"`
	// AssumeSent and AssumeLost, only with Resume, settle the batches whose
	// answer was lost when the table's rows cannot be counted (or counting
	// cannot tell): AssumeSent takes them as written (never sent again),
	// AssumeLost as not written (sent again). pbiwb never guesses which.
	AssumeSent bool `json:"assumeSent,omitempty"`
	AssumeLost bool `json:"assumeLost,omitempty"`
	// MaxThrottleWait is the throttling budget (--max-throttle-wait): the
	// push stops, resumable, rather than wait longer on Power BI's 429s.
	// Zero is DefaultMaxThrottleWait.
	MaxThrottleWait time.Duration `json:"maxThrottleWait,omitempty"`
}

// Services are what the engine talks to.
type Services struct {
	PowerBI *powerbi.Client
	// Domo reads a "domo:GUID" input; nil when the identity has no Domo API
	// client (a Domo input then fails with ErrNoDomo).
	Domo source.DomoAPI
	// Dirs holds checkpoints and history (home.Resolve).
	Dirs home.Dirs
	// Stdin is read for Input "-".
	Stdin io.Reader
	// Invocation is the global and credential flags of the command lines the
	// engine suggests (the resume hint), as words, e.g. --sandbox URL
	// --account NAME (cmdline.Push.Flags). Never secrets.
	Invocation []string
	// Clock is the time of pacing and progress; nil is the system clock.
	Clock clock.Clock
	// TempDir holds the copy of an input that cannot be read twice (stdin, a
	// pipe, a Domo export) during the run; "" is the home's (Dirs.Spool).
	TempDir string
	// Tenant (its ID or domain) and User (the signed-in user or app) name
	// who writes, for the target's lock: the tenant is part of the target,
	// and My workspace, which has no ID, is the user's own.
	Tenant, User string
	// LockDir holds the targets' locks; "" is DefaultLockDir(), shared by
	// every home of this user on the machine.
	LockDir string
	// Fields names the settings the engine's messages advise ("push again
	// with the mode set to replace", "run without resume", the input's
	// findings, Power BI's refusals) in the face's terms: the command line's
	// flags, the wizard's fields. nil is field.Plain.
	Fields field.Namer
}

// UsageError is a request that cannot be carried out as given (a bad flag
// value, a missing one, a checkpoint in the way): exit 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitCode is exit 2.
func (e *UsageError) ExitCode() exitcode.Code { return exitcode.Usage }

// TargetError is a workspace, dataset or table that cannot take the push:
// Code is 3 when the user must change the target or the input (nothing was
// written), 5 when Power BI refuses (no access, read-only, not a push
// dataset).
type TargetError struct {
	Code exitcode.Code
	Msg  string
	Err  error // the underlying error, if any
}

func (e *TargetError) Error() string { return e.Msg }
func (e *TargetError) Unwrap() error { return e.Err }

// ExitCode is Code.
func (e *TargetError) ExitCode() exitcode.Code { return e.Code }

// ErrNoDomo: a Domo input without a Domo API client.
var ErrNoDomo error = &field.Error{Field: field.DomoClientID, Rule: field.Missing,
	Msg: "a Domo input needs a Domo API client: its client ID and its secret"}

// ErrCheckpointExists: an interrupted append into this table left a
// checkpoint; running it again from the start would write its rows twice.
var ErrCheckpointExists error = &field.Error{Field: field.Resume, With: field.Restart, Rule: field.Missing,
	Msg: "an interrupted push of this input into this table left a checkpoint: resume it to write only what is " +
		"missing, or restart to discard it and start over (an append that starts over writes again the rows the " +
		"interrupted run wrote)"}

// normalize checks the request's values and fills in defaults. Its errors
// are *field.Error (or field.Errors for every missing field): the faces name
// the field their own way.
func (r Request) normalize() (Request, map[string]schema.Type, error) {
	var missing field.Errors
	for _, f := range []struct {
		id field.ID
		v  string
	}{{field.Input, r.Input}, {field.Group, r.Group}, {field.Dataset, r.Dataset}, {field.Table, r.Table}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, &field.Error{Field: f.id, Rule: field.Missing})
		}
	}
	if len(missing) > 0 {
		return r, nil, missing
	}
	switch strings.ToLower(r.Mode) {
	case "", ModeReplace:
		r.Mode = ModeReplace
	case ModeAppend:
		r.Mode = ModeAppend
	default:
		return r, nil, &field.Error{Field: field.Mode, Rule: field.Invalid, Value: r.Mode, Msg: "use replace or append"}
	}
	switch strings.ToLower(r.Retention) {
	case "", RetentionNone:
		r.Retention = RetentionNone
	case RetentionFIFO, "basicfifo":
		r.Retention = RetentionFIFO
	default:
		return r, nil, &field.Error{Field: field.Retention, Rule: field.Invalid, Value: r.Retention, Msg: "use none or fifo"}
	}
	switch {
	case r.MaxThrottleWait < 0:
		return r, nil, &field.Error{Field: field.MaxThrottleWait, Rule: field.Invalid, Value: r.MaxThrottleWait.String(),
			Msg: "give a positive duration, such as 30m or 2h"}
	case r.MaxThrottleWait == 0:
		r.MaxThrottleWait = DefaultMaxThrottleWait
	}
	if r.Resume && r.Restart {
		return r, nil, &field.Error{Field: field.Resume, Rule: field.Conflict, With: field.Restart, Msg: "contradict each other: give one"}
	}
	switch {
	case r.AssumeSent && r.AssumeLost:
		return r, nil, &field.Error{Field: field.AssumeSent, Rule: field.Conflict, With: field.AssumeLost, Msg: "contradict each other: give one"}
	case r.AssumeSent && !r.Resume:
		return r, nil, &field.Error{Field: field.AssumeSent, Rule: field.Conflict, With: field.Resume,
			Msg: "go together: the first says what became of the batches a stopped run left with an unknown outcome, which only a resume settles"}
	case r.AssumeLost && !r.Resume:
		return r, nil, &field.Error{Field: field.AssumeLost, Rule: field.Conflict, With: field.Resume,
			Msg: "go together: the first says what became of the batches a stopped run left with an unknown outcome, which only a resume settles"}
	}
	var cols map[string]schema.Type
	for _, c := range r.Columns {
		name, t, err := schema.ParseColumn(c)
		if err != nil {
			return r, nil, &field.Error{Field: field.Column, Rule: field.Invalid, Value: c, Msg: err.Error(), Err: err}
		}
		if cols == nil {
			cols = map[string]schema.Type{}
		}
		if _, dup := cols[name]; dup {
			return r, nil, &field.Error{Field: field.Column, Rule: field.Duplicate, Value: name, Msg: "is given twice"}
		}
		cols[name] = t
	}
	return r, cols, nil
}

// retention is the service's enum value of r.Retention.
func (r Request) retention() schema.Retention {
	if r.Retention == RetentionFIFO {
		return schema.RetentionFIFO
	}
	return schema.RetentionNone
}
