package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pbiwb/pbiwb/connector/sandbox"
)

// runWizard is `pbiwb` with no command. Until the wizard lands (issue 6),
// `pbiwb --sandbox` starts an in-process sandbox and shows how to use it.
func runWizard(ctx context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if g.Sandbox && g.SandboxURL == "" {
		fmt.Fprintln(env.Stderr, "The wizard is not built yet (issue 6); starting the sandbox so you can try pbiwb's commands against it.")
		return serveSandbox(ctx, sandbox.Options{Addr: "127.0.0.1:0"}, env.Stdout, true)
	}
	if !env.IsTerminal() {
		return exit(ExitUsage, "the wizard needs a terminal; for scripts use `pbiwb push` (see `pbiwb push -h`)")
	}
	return exit(ExitFailure, "the wizard is not built yet (issue 6); try `pbiwb --sandbox` or `pbiwb sandbox`")
}

func printTour(out io.Writer, url string) {
	fmt.Fprintf(out, `
Try it from another terminal:
  curl -sk %[1]s/_sandbox/state
  pbiwb --sandbox %[1]s version
`, url)
}

// usageError turns a flag parse error into exit 2 (the flag package has
// already printed the problem and the usage).
func usageError(err error) error {
	if err == flag.ErrHelp {
		return &exitError{code: ExitOK, err: errSilent}
	}
	return &exitError{code: ExitUsage, err: errSilent}
}
