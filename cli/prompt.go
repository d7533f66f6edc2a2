package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// secretReader asks the user for one secret without echoing it.
type secretReader interface {
	ReadSecret(ctx context.Context, prompt string) (string, error)
}

// ttySecretReader returns the prompt for env, or nil when stdin is not a
// terminal (then a missing secret is a usage error naming its variable).
func ttySecretReader(env Env) secretReader {
	f, ok := env.Stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	return &ttyReader{in: f, out: env.Stderr}
}

// ttyReader reads from a terminal with echo off (term.ReadPassword).
type ttyReader struct {
	in  *os.File
	out io.Writer // where the prompt goes: stderr, so stdout stays scriptable
}

// errPromptInterrupted is what ReadSecret returns when ctx ends (Ctrl-C).
var errPromptInterrupted = errors.New("prompt interrupted")

func (r *ttyReader) ReadSecret(ctx context.Context, prompt string) (string, error) {
	fd := int(r.in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	fmt.Fprint(r.out, prompt)
	type answer struct {
		b   []byte
		err error
	}
	done := make(chan answer, 1)
	// ReadPassword cannot be cancelled; on Ctrl-C (ctx done) the terminal is
	// restored here and the process exits, leaving the read behind.
	go func() {
		b, err := term.ReadPassword(fd)
		done <- answer{b, err}
	}()
	select {
	case a := <-done:
		fmt.Fprintln(r.out) // the user's Enter was not echoed
		if a.err != nil {
			return "", fmt.Errorf("reading from the terminal: %w", a.err)
		}
		return string(a.b), nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(r.out)
		return "", errors.Join(errPromptInterrupted, ctx.Err())
	}
}
