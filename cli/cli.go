// Package cli is pbiwb's command line: it parses the global flags, picks the
// command, builds the pieces from connector and keystore, and turns errors
// into messages and the exit codes of docs/cli.md. main.go only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pbiwb/pbiwb/exitcode"
)

// Env is what a command may touch of the outside world; tests supply their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// IsTerminal reports whether stdin and stdout are both terminals.
	IsTerminal func() bool
	// StderrColumns is the width of the terminal stderr is, 0 when stderr
	// is no terminal (piped, in CI); nil is 0. pbiwb push draws a live
	// status block there only on a terminal.
	StderrColumns func() int

	deps *deps // the services; nil: the real ones (realDeps)
	// flagSink, when set, receives the flag sets a command's usage would
	// print, instead of printing them: completion learns the flags there.
	flagSink func(*flag.FlagSet)
}

// OSEnv is the process's real environment.
func OSEnv() Env {
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:        os.Getenv,
		IsTerminal:    func() bool { return isTerminal(os.Stdin) && isTerminal(os.Stdout) },
		StderrColumns: func() int { return columns(os.Stderr) },
		deps:          realDeps(),
	}
}

// Globals are the flags every command accepts (docs/cli.md, "Global flags").
type Globals struct {
	Sandbox    bool   // --sandbox given
	SandboxURL string // its URL, or "" to start one in-process
	// SandboxFrom names what asked for the sandbox ("--sandbox" or
	// "PBIWB_SANDBOX"), for messages.
	SandboxFrom string
	Home        string // --home or PBIWB_HOME
}

// EnvSandbox is the environment variable with a running sandbox's URL.
const EnvSandbox = "PBIWB_SANDBOX"

// exitError carries an exit code with the message to print.
type exitError struct {
	code exitcode.Code
	err  error
}

func (e *exitError) Error() string           { return e.err.Error() }
func (e *exitError) Unwrap() error           { return e.err }
func (e *exitError) ExitCode() exitcode.Code { return e.code }

// exit wraps err (or a formatted message) with an exit code.
func exit(code exitcode.Code, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, g Globals, args []string, env Env) error
}

func commands() []command {
	return []command{
		{"push", "write one input into one push-dataset table", runPush},
		{"doctor", "check sign-in, access and limits, with a fix for each failure", runDoctor},
		{"history", "list past runs, or show one run in detail", runHistory},
		{"accounts", "list, add or remove saved accounts", runAccounts},
		{"groups", "list the workspaces an account can see", runGroups},
		{"datasets", "list the push datasets an account can see, or print one's definition", runDatasets},
		{"sandbox", "run the Entra ID + Power BI + Domo emulator", runSandbox},
		{"version", "print version, commit and Go version", runVersion},
		{"completion", "print a shell completion script: bash, zsh, fish or powershell", runCompletion},
	}
}

// Main runs pbiwb with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) exitcode.Code {
	env = env.withDeps()
	if len(args) > 0 && args[0] == completeCommand {
		return report(runComplete(ctx, args[1:], env), env.Stderr)
	}
	g, rest, err := parseGlobals(args, env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "pbiwb: %v\n", err)
		return exitcode.Usage
	}
	if len(rest) > 0 && (rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help") {
		usage(env.Stderr)
		return exitcode.OK
	}
	run := runWizard
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		found := false
		for _, c := range commands() {
			if c.name == rest[0] {
				run, rest, found = c.run, rest[1:], true
				break
			}
		}
		if !found {
			fmt.Fprintf(env.Stderr, "pbiwb: unknown command %q\n\n", rest[0])
			usage(env.Stderr)
			return exitcode.Usage
		}
	}
	return report(run(ctx, g, rest, env), env.Stderr)
}

// report prints err for a person and returns its exit code.
func report(err error, stderr io.Writer) exitcode.Code {
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.Of(err)
	if errors.Is(err, errSilent) {
		return code
	}
	// The last net: no secret this process holds, no credential a server
	// echoed, and no error longer than any message of pbiwb's own. The
	// engine's field errors are worded with the flags.
	fmt.Fprintf(stderr, "pbiwb: %s\n", redactedText(errors.New(cliText(err))))
	return code
}

// maxErrorText bounds an error as pbiwb shows it: server text is cut to
// redact.MaxMessage where it is read, but an error may quote several.
const maxErrorText = 16 << 10

// errSilent marks an error already explained to the user.
var errSilent = errors.New("already reported")

// parseGlobals takes --sandbox [URL] and --home DIR from anywhere before "--".
// --sandbox takes a URL only when the next word is one, so `pbiwb --sandbox`
// alone starts an in-process sandbox.
func parseGlobals(args []string, getenv func(string) string) (Globals, []string, error) {
	g := Globals{Home: getenv("PBIWB_HOME")}
	if u := getenv(EnvSandbox); u != "" {
		g.Sandbox, g.SandboxURL, g.SandboxFrom = true, u, EnvSandbox
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			name = ""
		}
		switch name {
		case "sandbox":
			g.Sandbox, g.SandboxURL, g.SandboxFrom = true, "", "--sandbox"
			if hasVal {
				g.SandboxURL = val
			} else if i+1 < len(args) && looksLikeURL(args[i+1]) {
				g.SandboxURL = args[i+1]
				i++
			}
		case "home":
			if hasVal {
				g.Home = val
			} else if i+1 < len(args) {
				g.Home = args[i+1]
				i++
			} else {
				return g, nil, errors.New("--home needs a directory")
			}
		default:
			rest = append(rest, a)
		}
	}
	return g, rest, nil
}

func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

func usage(w io.Writer) {
	fmt.Fprint(w, `pbiwb — write a Domo DataSet or a CSV file into a Power BI push dataset

Usage:
  pbiwb [--sandbox [URL]] [--home DIR]     the wizard (needs a terminal)
  pbiwb <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Global flags:
  --sandbox [URL]   use a running sandbox at URL (env PBIWB_SANDBOX); with no URL the wizard starts one
  --home DIR        where config, history and checkpoints live (env PBIWB_HOME)

Run 'pbiwb <command> --help' for a command's flags; 'pbiwb completion --help' for shell completion.
`)
}
