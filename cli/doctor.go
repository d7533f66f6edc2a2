package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// runDoctor is `pbiwb doctor`: every check of connector/doctor, printed as it
// completes. Exit 0 when every check that ran passed, 1 otherwise.
func runDoctor(ctx context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb doctor", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cf := addCredFlags(fs, true)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: pbiwb doctor [--account NAME | --tenant ID --client-id ID [--username UPN] --auth METHOD]
                    [--group G] [--dataset D] [--table T] [--input domo:GUID|FILE] [--json]

Runs every check a writeback depends on — network, account and secrets, sign-in,
permissions, the input, the workspace, dataset and table, recent runs — and
prints ✓ or ✗ for each, with the fix for each failure. Exit 0 when all pass.

`)
		printFlags(env, fs)
	}
	group := fs.String("group", "", "check this workspace (`NAME or ID`)")
	dataset := fs.String("dataset", "", "check this dataset (`NAME or ID`) of --group")
	table := fs.String("table", "", "check this `TABLE` of --dataset")
	input := fs.String("input", "", "check this input: domo:GUID or a CSV `FILE`")
	asJSON := fs.Bool("json", false, "print a JSON array of checks {name, title, status, found, fix, details}")
	if err := parseCredFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return exit(exitcode.Usage, "doctor takes no arguments (got %q)", fs.Arg(0))
	case *dataset != "" && *group == "":
		return exit(exitcode.Usage, "--dataset needs --group: a dataset is looked up in its workspace")
	case *table != "" && *dataset == "":
		return exit(exitcode.Usage, "--table needs --dataset")
	}
	cfg, err := doctorConfig(ctx, g, cf, env)
	if err != nil {
		return commandError(err)
	}
	cfg.Group, cfg.Dataset, cfg.Table, cfg.Input = *group, *dataset, *table, *input

	var report func(doctor.Result)
	if !*asJSON {
		fmt.Fprintln(env.Stdout, doctorHeading(cfg))
		p := doctorPrinter{w: env.Stdout, color: doctorColor(env)}
		report = p.print
	}
	results := doctor.New(cfg).Run(ctx, report)
	if ctx.Err() != nil {
		return exit(exitcode.Interrupted, "interrupted")
	}
	failed := doctor.Failed(results)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(env.Stdout)
		if failed == 0 {
			fmt.Fprintln(env.Stdout, "All checks passed.")
		} else {
			fmt.Fprintf(env.Stdout, "%d %s failed; each ✗ above says what to do.\n", failed, doctorPlural(failed, "check", "checks"))
		}
	}
	if failed > 0 {
		return &exitError{code: exitcode.Failure, err: errSilent}
	}
	return nil
}

// doctorConfig resolves the identity the way other commands do, except that
// what other commands refuse at once (secrets missing from the keyring, a
// sandbox that does not answer) is left for the checks to report.
func doctorConfig(ctx context.Context, g Globals, cf *credFlags, env Env) (doctor.Config, error) {
	cfg := doctor.Config{Face: cliFace{}}
	if cf.account != "" && cf.unsaved() {
		return cfg, exit(exitcode.Usage, "give either --account NAME or --tenant/--client-id/--username/--auth, not both")
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return cfg, err
	}
	cfg.Home = &dirs
	cfg.History = history.New(dirs.History())
	if env.IsTerminal != nil && env.IsTerminal() {
		cfg.Prompt = deviceCodePrompt(env.Stderr)
		if name, _, why := browserCommand(env.Getenv); name != "" {
			cfg.Browser = browserOpener(env, env.Stderr)
		} else {
			cfg.NoBrowser = why
		}
	} else {
		cfg.NoBrowser = "no terminal (stdin and stdout must both be one)"
	}

	cloudName := cf.cloud
	if cf.unsaved() {
		c := cf.credentials()
		c.ClientSecret = env.Getenv(EnvClientSecret)
		if c.Method == entra.MethodPassword {
			c.Password = env.Getenv(EnvPassword)
		}
		cert, err := cf.readCertificate()
		if err != nil {
			return cfg, err
		}
		if cert != nil {
			c.Certificate, c.CertificatePassword, c.ClientSecret = cert, env.Getenv(EnvCertificatePassword), ""
		}
		cfg.Unsaved = &c
		for _, v := range []string{EnvClientSecret, EnvPassword, EnvCertificatePassword, EnvDomoClientID, EnvDomoClientSecret} {
			if env.Getenv(v) != "" {
				cfg.EnvSet = append(cfg.EnvSet, v)
			}
		}
		cfg.DomoClientID = cf.domoClientID
		if cfg.DomoClientID == "" {
			cfg.DomoClientID = env.Getenv(EnvDomoClientID)
		}
		cfg.DomoClientSecret = env.Getenv(EnvDomoClientSecret)
	} else {
		store := env.deps.openStore(dirs, false)
		name := cf.account
		if name == "" {
			list, err := store.List()
			if err != nil {
				return cfg, err
			}
			if len(list) > 0 {
				name = list[0].Name
				fmt.Fprintf(env.Stderr, "Checking account %s (used last; pass --account NAME to choose another).\n", name)
			}
		}
		if name == "" {
			cfg.NoIdentity = "Add an account with `pbiwb accounts add NAME --tenant ID --client-id ID [--username UPN] --auth METHOD`, " +
				"or pass unsaved credentials --tenant ID --client-id ID [--username UPN] --auth METHOD with secrets in " +
				EnvClientSecret + " / " + EnvPassword + "."
		} else {
			a, err := store.Get(name)
			if errors.Is(err, keystore.ErrNotFound) {
				return cfg, unknownAccount(store, name, exitcode.Usage)
			}
			if err != nil {
				return cfg, err
			}
			if err := refuseSandboxFor(g, a); err != nil {
				return cfg, err
			}
			if a.Insecure() {
				fmt.Fprintf(env.Stderr, keystore.InsecureWarning+"\n", store.InsecurePath())
			}
			cfg.Account, cfg.Store, cloudName = &a, store, a.Cloud
		}
	}

	// A sandbox that does not answer is a finding, not a usage error.
	if g.Sandbox && g.SandboxURL != "" {
		ep, err := env.deps.sandboxEndpoints(ctx, g.SandboxURL)
		if err != nil {
			u := strings.TrimRight(g.SandboxURL, "/")
			ep = cloud.Endpoints{Name: cloudSandbox, AuthorityHost: u, APIBase: u, DomoBase: u, Sandbox: true}
			cfg.EndpointsErr = err
		}
		cfg.Endpoints = ep
		return cfg, nil
	}
	cfg.Endpoints, err = env.deps.endpoints(ctx, g, cloudName)
	return cfg, err
}

// doctorHeading says what is being checked.
func doctorHeading(cfg doctor.Config) string {
	who := "no account"
	switch {
	case cfg.Account != nil:
		who = "account " + cfg.Account.Name
	case cfg.Unsaved != nil:
		who = "unsaved credentials"
	}
	where := "the " + cfg.Endpoints.Name + " cloud"
	if cfg.Endpoints.Sandbox {
		where = "the sandbox at " + cfg.Endpoints.APIBase
	}
	return "pbiwb doctor: " + who + ", " + where
}

// doctorPrinter writes one result as a block: the mark and title, then what
// was found, the fix and details, indented.
type doctorPrinter struct {
	w     io.Writer
	color bool
}

const (
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[31m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

func (p doctorPrinter) print(r doctor.Result) {
	mark, color := "✓", ansiGreen
	switch r.Status {
	case doctor.Fail:
		mark, color = "✗", ansiRed
	case doctor.Skip:
		mark, color = "–", ansiDim
	}
	if p.color {
		mark = color + mark + ansiReset
	}
	fmt.Fprintf(p.w, "%s %s\n", mark, r.Title)
	if r.Status == doctor.Skip {
		fmt.Fprintf(p.w, "    %s\n", r.Found)
		return
	}
	fmt.Fprintf(p.w, "    Found: %s\n", indentLines(r.Found))
	if r.Fix != "" {
		fmt.Fprintf(p.w, "    Fix:   %s\n", indentLines(r.Fix))
	}
	for _, d := range r.Details {
		fmt.Fprintf(p.w, "    · %s\n", strings.TrimSpace(d))
	}
}

// indentLines keeps a multi-line text (Power BI's advice ends with its
// RequestId on a line of its own) under its label.
func indentLines(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n           ")
}

// useColor: colour only on a terminal, and never with NO_COLOR set.
func doctorColor(env Env) bool {
	return env.Getenv("NO_COLOR") == "" && env.IsTerminal != nil && env.IsTerminal()
}

func doctorPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
