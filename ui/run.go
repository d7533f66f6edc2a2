package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/pbiwb/pbiwb/exitcode"
)

// Options configure Run.
type Options struct {
	// Prefill fills the Credentials screen of a new account (the demo
	// identities under --sandbox).
	Prefill Credentials
	// NoColor draws without colour; the caller reads NO_COLOR.
	NoColor bool
	// In and Out are the terminal (Out is stderr in the CLI, so stdout stays
	// free). Nil means os.Stdin and os.Stderr.
	In  io.Reader
	Out io.Writer
	// Flags are the global flags in force as words (--sandbox URL, --home
	// DIR), so the command lines the wizard shows reach the same sandbox and
	// home; none by default.
	Flags []string
	// InputSuggestion prefills the Input screen's field (the demo Domo
	// DataSet ID under --sandbox); the user may clear it.
	InputSuggestion string

	readDir  func(string) ([]fs.DirEntry, error) // tests only
	location *time.Location                      // tests only (time.Local otherwise)
}

// stopGrace bounds how long Run waits, after the screen is gone, for a
// cancelled push to save its checkpoint.
const stopGrace = 30 * time.Second

// Run runs the wizard until the user finishes or quits and returns the exit
// code of docs/cli.md: 0 after a verified push, 130 when interrupted (a push
// stopped with its checkpoint saved), a failed push's own code. err is set
// only when the terminal could not be driven.
func Run(ctx context.Context, b Backend, o Options) (exitcode.Code, error) {
	if o.In == nil {
		o.In = os.Stdin
	}
	if o.Out == nil {
		o.Out = os.Stderr
	}
	if o.readDir == nil {
		o.readDir = os.ReadDir
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	m := New(ctx, b, o)
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(o.In), tea.WithOutput(o.Out)}
	if o.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	final, err := tea.NewProgram(m, opts...).Run()

	// The screen is gone: stop whatever still runs, and let a push save its
	// checkpoint before the process exits.
	cancel()
	interruptedPush := m.pushing
	m.c.running.wait(stopGrace)

	if fm, ok := final.(*Model); ok {
		m = fm
	}
	switch {
	case errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		if interruptedPush {
			fmt.Fprintln(o.Out, resumeAdvice(m.c.flags, "Interrupted.", m.req))
		}
		return exitcode.Interrupted, nil
	case err != nil:
		return exitcode.Failure, fmt.Errorf("the wizard could not drive the terminal: %w", err)
	}
	if m.farewell != "" {
		fmt.Fprintln(o.Out, m.farewell)
	}
	return m.exitCode, nil
}

// resumeAdvice says how to continue a stopped push.
func resumeAdvice(flags []string, head string, r Request) string {
	// Never the answer of the run that stopped: batches left unanswered
	// since then are another question.
	r.Resume, r.Assume = true, ""
	return head + " The checkpoint is saved; to write only what is missing, run:\n" + indent(commandBlock(flags, r, 76), "  ")
}
