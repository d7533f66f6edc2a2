package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/home"
)

// repeated is a flag that may be given several times (--column).
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// pushFlags are `pbiwb push`'s own flags (docs/cli.md).
type pushFlags struct {
	req            push.Request
	dryRun         bool
	asJSON         bool
	requestTimeout time.Duration
}

// requestTimeoutFlag registers --request-timeout, for the commands that sign
// in or call Power BI or Domo: each request is given up on after DURATION
// without progress, so nothing hangs on a server that never answers.
func requestTimeoutFlag(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("request-timeout", powerbi.DefaultRequestTimeout,
		"give up an Entra ID, Power BI or Domo request after `DURATION` without an answer (or with a transfer stalled); an unanswered POST is settled by counting rows")
}

// positive refuses a zero or negative duration flag (exit 2).
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return exit(exitcode.Usage, "%s %v: give a positive duration, such as 90s, 5m or 2h", flag, d)
	}
	return nil
}

// pushFlagSet is `pbiwb push`'s flag set, writing into cf and pf; the flag
// names are cmdline's, which renders the command lines the engine and the
// wizard show, so a rename is one change there. The caller copies columns
// and timeout into pf after parsing.
func pushFlagSet(env Env) (fs *flag.FlagSet, cf *credFlags, pf *pushFlags, columns *repeated, timeout *time.Duration) {
	fs = flag.NewFlagSet("pbiwb push", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cf = addCredFlags(fs, true)
	pf, columns = &pushFlags{}, new(repeated)
	fs.StringVar(&pf.req.Group, cmdline.Group, "", "the workspace's `NAME-or-ID` (\"My workspace\" for the personal one)")
	fs.StringVar(&pf.req.Dataset, cmdline.Dataset, "", "push dataset `NAME` (created when the workspace has none of that name)")
	fs.StringVar(&pf.req.Table, cmdline.Table, "", "table `NAME`")
	fs.StringVar(&pf.req.Input, cmdline.Input, "", "a CSV, TSV, Excel (.xlsx), Parquet or JSON Lines file `PATH`, - for stdin, or domo:GUID for a Domo DataSet")
	fs.StringVar(&pf.req.Format, cmdline.Format, "", "read the input as `FORMAT`: csv, tsv, xlsx, parquet or jsonl (default: by the file's extension, else CSV or TSV by its first line)")
	fs.StringVar(&pf.req.Sheet, cmdline.Sheet, "", "the workbook's sheet `NAME` to read (default: its first sheet)")
	fs.StringVar(&pf.req.Mode, cmdline.Mode, push.ModeReplace, "`replace` (delete the table's rows, then write) or append")
	fs.StringVar(&pf.req.Retention, cmdline.Retention, push.RetentionNone, "retention of a new dataset: `none` or fifo (200,000 rows kept)")
	fs.Var(columns, cmdline.Column, "force a column's type, `NAME=TYPE` (Int64, Double, Decimal, Boolean, Datetime, String); repeatable")
	fs.BoolVar(&pf.dryRun, cmdline.DryRun, false, "read and validate the whole input, resolve the target, print the plan and its ETA; write nothing")
	fs.BoolVar(&pf.req.Resume, cmdline.Resume, false, "continue the interrupted push of the same input and target from its checkpoint")
	fs.BoolVar(&pf.req.Restart, cmdline.Restart, false, "discard the checkpoint of an interrupted push and start over")
	fs.BoolVar(&pf.req.AssumeSent, cmdline.AssumeSent, false, "with --resume, when rows cannot be counted: the batches whose answer was lost landed (not sent again)")
	fs.BoolVar(&pf.req.AssumeLost, cmdline.AssumeLost, false, "with --resume, when rows cannot be counted: the batches whose answer was lost did not land (sent again)")
	timeout = requestTimeoutFlag(fs)
	fs.DurationVar(&pf.req.MaxThrottleWait, cmdline.MaxThrottleWait, push.DefaultMaxThrottleWait,
		"stop (exit 6, --resume continues) when Power BI's 429s ask to wait longer than `DURATION`, or hold the push back that long")
	fs.BoolVar(&pf.asJSON, cmdline.JSON, false, "progress as JSON lines on stdout and a final JSON summary (with --dry-run: the plan as one JSON document)")
	return fs, cf, pf, columns, timeout
}

// runPush is `pbiwb push`: one input into one push-dataset table, headless.
func runPush(ctx context.Context, g Globals, args []string, env Env) error {
	fs, cf, pf, columns, timeout := pushFlagSet(env)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: pbiwb push --group NAME-or-ID --dataset NAME --table NAME --input PATH|-|domo:GUID [flags]
            [--account NAME | --tenant ID --client-id ID [--username UPN] --auth METHOD]

Writes one input into one push-dataset table, every row exactly once, as fast as
Power BI's limits allow. The whole input is checked before anything is written.
The input is a CSV or TSV file, an Excel workbook (--sheet NAME, default the first),
a Parquet file or JSON Lines, by its extension or --format.
Unsaved credentials take their secrets from PBIWB_CLIENT_SECRET and PBIWB_PASSWORD;
a Domo input needs PBIWB_DOMO_CLIENT_ID and PBIWB_DOMO_CLIENT_SECRET (or an account
saved with --domo-client-id).

Exit codes: 0 done and verified · 2 usage · 3 invalid input or target (nothing written)
· 4 sign-in failed · 5 Power BI refused · 6 stopped part-way (--resume continues)
· 130 interrupted (--resume continues) · 1 anything else.

`)
		printFlags(env, fs)
	}
	if err := parseCredFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return exit(exitcode.Usage, "push takes no arguments (got %q); give the input with --input", fs.Arg(0))
	}
	pf.req.Columns = *columns
	pf.requestTimeout = *timeout
	if err := positive("--request-timeout", pf.requestTimeout); err != nil {
		return err
	}
	if err := positive("--max-throttle-wait", pf.req.MaxThrottleWait); err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ flag, v string }{{"--group", pf.req.Group}, {"--dataset", pf.req.Dataset}, {"--table", pf.req.Table}, {"--input", pf.req.Input}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return exit(exitcode.Usage, "push needs %s (see pbiwb push -h)", strings.Join(missing, ", "))
	}
	if pf.dryRun && (pf.req.Resume || pf.req.Restart) {
		return exit(exitcode.Usage, "--dry-run writes nothing, so it takes neither --resume nor --restart")
	}
	if pf.req.Format != "" {
		f, err := source.ParseFormat(pf.req.Format)
		if err != nil {
			return exit(exitcode.Usage, "--format %s: %v", pf.req.Format, err)
		}
		pf.req.Format = string(f)
	}
	if pf.req.Sheet != "" {
		f := source.Format(pf.req.Format)
		if f == "" {
			f = source.FormatOf(pf.req.Input)
		}
		if f != source.XLSX {
			return exit(exitcode.Usage, "--sheet %s: only an Excel workbook has sheets, and --input %s is not read as one (give --format xlsx if it is)", pf.req.Sheet, pf.req.Input)
		}
	}
	if pf.req.Input == "-" && env.Stdin == nil {
		return exit(exitcode.Usage, "--input - reads standard input, which is not available")
	}
	return pushCommand(ctx, g, cf, *pf, env)
}

func pushCommand(ctx context.Context, g Globals, cf *credFlags, pf pushFlags, env Env) error {
	cf.requestTimeout = pf.requestTimeout
	id, err := cf.resolve(ctx, g, env)
	if err != nil {
		return commandError(err)
	}
	if err := id.ready(ctx, env); err != nil {
		return commandError(err)
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return commandError(err)
	}
	inv := invocation(g, cf)
	if pf.requestTimeout != powerbi.DefaultRequestTimeout {
		inv = append(inv, "--"+cmdline.RequestTimeout, pf.requestTimeout.String()) // the resume command keeps it
	}
	svc := push.Services{
		PowerBI: powerbi.New(id.Endpoints, id.Session, powerbi.WithRetry(env.deps.pushReadRetry),
			powerbi.WithRequestTimeout(pf.requestTimeout)),
		Dirs:       dirs,
		Stdin:      env.Stdin,
		Invocation: inv,
		Fields:     flagFace{}, // the engine's advice names push's flags: "--mode replace", "--resume"
	}
	svc.Tenant, svc.User = id.who(cf)
	if strings.HasPrefix(pf.req.Input, "domo:") {
		cid, secret, ok, err := id.Domo(ctx, env.Getenv)
		if err != nil {
			return commandError(err)
		}
		if !ok {
			how := fmt.Sprintf("set %s and %s", EnvDomoClientID, EnvDomoClientSecret)
			if id.Account != nil {
				how = fmt.Sprintf("save the Domo API client with the account (pbiwb accounts add %s ... --domo-client-id ID, secret from %s or the prompt), or %s",
					id.Account.Name, EnvDomoClientSecret, how)
			}
			return exit(exitcode.Usage, "--input %s is a Domo DataSet, and reading it needs a Domo API client: %s", pf.req.Input, how)
		}
		svc.Domo = domo.New(id.Endpoints, cid, secret, domo.WithRequestTimeout(pf.requestTimeout))
	}

	// Progress: words on stderr; with --json, events on stdout. A dry run
	// with --json prints one document, so its phases stay in words.
	printer := newPushPrinter(env.Stderr, env.Stdout, pushPrinterOptions{JSON: pf.asJSON && !pf.dryRun, Columns: liveColumns(env)})
	defer printer.close()
	prepare := push.PrepareRun // records the run and takes the target's lock
	if pf.dryRun {
		prepare = push.Prepare // writes nothing: neither
	}
	plan, err := prepare(ctx, svc, pf.req, printer.Observe)
	if plan != nil {
		defer plan.Close()
	}
	if pf.dryRun {
		return dryRun(plan, err, pf, env)
	}
	if err != nil {
		return prepareFailed(pf, err, env)
	}
	// The plan's warnings (a checkpoint discarded, a retention that does
	// not apply, the end of push-dataset creation) are said before writing,
	// as the dry run and the wizard's Review say them.
	for _, w := range plan.Report().Warnings {
		printer.warn(w)
	}
	sum, err := plan.Run(ctx, printer.Observe)
	if err == nil {
		// The push went on while its output could not be written (a closed
		// pipe, a full disk); a script reading --json must not take the
		// silence for success.
		if werr := printer.Err(); werr != nil {
			return exit(exitcode.Failure, "the push finished (%s), but writing its progress and summary failed: %v; `pbiwb history` shows the run",
				format.Count(sum.RowsWritten, "row")+" written", werr)
		}
		return nil
	}
	// The printer's summary has said what happened and how to go on.
	return &exitError{code: sum.ExitCode, err: errSilent}
}

// liveColumns is the width of the terminal stderr is, for the live status
// block; nil (plain lines) when it is none, or TERM says it cannot move the
// cursor.
func liveColumns(env Env) func() int {
	if env.StderrColumns == nil || env.StderrColumns() <= 0 || env.Getenv("TERM") == "dumb" {
		return nil
	}
	return env.StderrColumns
}

// prepareFailed reports an error of PrepareRun (which recorded it in the
// history): exit code, and with --json a summary line on stdout.
func prepareFailed(pf pushFlags, err error, env Env) error {
	mapped := engineError(err)
	code := exitcode.Of(mapped)
	if code == exitcode.Usage {
		return mapped
	}
	if code == exitcode.Interrupted {
		mapped = exit(exitcode.Interrupted, "interrupted before anything was written")
	}
	sum := push.FailedSummary(pf.req, err)
	sum.ExitCode = code
	if pf.asJSON {
		ev := push.Event{Kind: push.KindSummary, Time: time.Now(), Phase: push.PhaseDone, Summary: &sum}
		b, _ := json.Marshal(ev)
		fmt.Fprintln(env.Stdout, string(b))
	}
	return mapped
}

// engineError is an error of Prepare or PrepareRun with its exit code. The
// engine words its own errors for the command line already; a sign-in
// failure of the token source, and an error that places itself at no code,
// get commandError's words.
func engineError(err error) error {
	var (
		ae  *entra.Error
		fes entra.FieldErrors
	)
	if code, placed := exitcode.Lookup(err); placed && !errors.As(err, &ae) && !errors.As(err, &fes) {
		return &exitError{code: code, err: err}
	}
	return commandError(err)
}

// dryRun prints the plan (words on stdout, or one JSON document), and the
// findings when the input or target breaks a rule (exit 3).
func dryRun(plan *push.Plan, err error, pf pushFlags, env Env) error {
	if plan == nil {
		return engineError(err)
	}
	r := plan.Report()
	if pf.asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(r); werr != nil {
			return exit(exitcode.Failure, "write the plan: %v", werr)
		}
	} else if werr := r.WriteText(env.Stdout); werr != nil {
		return exit(exitcode.Failure, "write the plan: %v", werr)
	}
	if err != nil {
		code := exitcode.Of(err)
		if pf.asJSON {
			return &exitError{code: code, err: err}
		}
		// The findings are in the plan just printed.
		fmt.Fprintf(env.Stderr, "pbiwb: the input or target breaks Power BI's rules in %s; nothing would be written (exit %d)\n", format.Count(findingsTotal(r), "place"), code)
		return &exitError{code: code, err: errSilent}
	}
	return nil
}

func findingsTotal(r push.PlanReport) int {
	if r.Findings == nil {
		return 0
	}
	return r.Findings.Total
}

// who is the tenant and the user (or app) of the identity, for the target's
// lock.
func (id *identity) who(cf *credFlags) (tenant, user string) {
	if a := id.Account; a != nil {
		user = a.Username
		if user == "" {
			user = a.ClientID
		}
		return a.TenantID, user
	}
	user = cf.username
	if user == "" {
		user = cf.clientID
	}
	return cf.tenant, user
}

// invocation is the flags a suggested command repeats after "pbiwb push",
// as words: the global flags and the identity's flags, never a secret.
func invocation(g Globals, cf *credFlags) []string {
	words := globalFlags(g)
	switch {
	case cf.account != "":
		words = append(words, "--"+cmdline.Account, cf.account)
	case cf.unsaved():
		words = append(words, identityFlags(cf.tenant, cf.clientID, cf.username, cf.auth, cf.domoClientID, cf.cloud)...)
		if cf.certificate != "" { // a path, not a secret: the file holds the key
			words = append(words, "--certificate", cf.certificate)
		}
	}
	return words
}

// identityFlags name an unsaved identity on a command line, as push takes
// it (its secrets never: they come from the environment); empty values and
// the public cloud are left out.
func identityFlags(tenant, clientID, username, auth, domoClientID, cloudName string) []string {
	var words []string
	for _, f := range []struct{ name, v string }{{"--tenant", tenant}, {"--client-id", clientID}, {"--username", username}, {"--auth", auth}, {"--domo-client-id", domoClientID}} {
		if f.v != "" {
			words = append(words, f.name, f.v)
		}
	}
	if cloudName != "" && cloudName != "public" {
		words = append(words, "--cloud", cloudName)
	}
	return words
}

// globalFlags are the global flags in force as words, so that a command line
// shown to people reaches the same sandbox and the same home.
func globalFlags(g Globals) []string {
	var words []string
	if g.Sandbox && g.SandboxURL != "" {
		words = append(words, "--sandbox", g.SandboxURL)
	}
	if g.Home != "" {
		words = append(words, "--home", g.Home)
	}
	return words
}
