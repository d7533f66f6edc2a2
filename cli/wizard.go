package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/ui"
)

// runWizard is `pbiwb` with no command: the wizard on the terminal. With
// --sandbox and no URL it first starts a sandbox in this process (it stops
// with the wizard); with --sandbox URL it uses that one. Either way the demo
// identities are prefilled.
func runWizard(ctx context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { usage(env.Stderr) }
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return exit(exitcode.Usage, "the wizard takes no arguments (got %q); see `pbiwb help`", fs.Arg(0))
	}
	// Checked before starting anything: a script that ran `pbiwb` by mistake
	// gets its answer at once.
	if env.IsTerminal == nil || !env.IsTerminal() {
		return exit(exitcode.Usage, "the wizard needs a terminal (stdin and stdout); for scripts and schedules use `pbiwb push` (see `pbiwb push -h`)")
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return err
	}

	var inProcess string // the address of a sandbox that lives as long as the wizard
	if g.Sandbox && g.SandboxURL == "" {
		srv, err := sandbox.New(sandbox.Options{Addr: "127.0.0.1:0"})
		if err != nil {
			return fmt.Errorf("starting the sandbox: %w", err)
		}
		if err := srv.Start(); err != nil {
			return fmt.Errorf("starting the sandbox: %w", err)
		}
		defer srv.Close()
		g.SandboxURL = srv.URL()
		inProcess = strings.TrimPrefix(g.SandboxURL, "https://")
	}

	opts := ui.Options{
		NoColor: env.Getenv("NO_COLOR") != "",
		In:      env.Stdin,
		Out:     env.Stderr, // the screen goes to stderr, as gum does: stdout stays free
		Flags:   globalFlags(g),
	}
	if g.Sandbox {
		opts.Prefill = demoPrefill()
		opts.InputSuggestion = demo.DomoDataSetID
	}
	b := newWizardBackend(g, dirs, env.deps)
	b.getenv = env.Getenv
	b.inProcessSandbox = inProcess

	// Nothing may write to the terminal behind the wizard's back: a library
	// logging through the standard logger would draw over the screen.
	prev := log.Writer()
	log.SetOutput(io.Discard)
	code, err := env.deps.runUI(ctx, b, opts)
	log.SetOutput(prev)
	b.close()

	if err != nil {
		return exit(exitcode.Failure, "%v", err)
	}
	if code != exitcode.OK {
		return &exitError{code: code, err: errSilent} // the wizard has said why
	}
	return nil
}

// demoPrefill is the sandbox's demo identities (docs/sandbox.md), so the demo is
// a matter of pressing enter.
func demoPrefill() ui.Credentials {
	return ui.Credentials{
		Name: "sandbox", Method: ui.MethodPassword, Cloud: "public",
		TenantID: demo.TenantID, ClientID: demo.ClientID, ClientSecret: demo.ClientSecret,
		Username: demo.Username, Password: demo.Password,
		DomoClientID: demo.DomoClientID, DomoClientSecret: demo.DomoClientSecret,
	}
}
