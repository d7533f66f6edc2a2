// Package doctor is pbiwb's guided troubleshooting: the seed's checklist
// ("make sure authentication remains valid, review the configuration, review
// the connector's history, look for API limits") as ordered checks that each
// say what was checked, what was found and, when it fails, the fix.
//
// Checks are data (Check) and Run is the runner, so that `pbiwb doctor` and
// the wizard's Troubleshoot screen show the same checks: the command prints
// each Result as it arrives, a screen can render them as a list. A check
// whose prerequisite did not pass is reported as skipped, naming what it
// needs, instead of failing again for the same cause.
package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/redact"
)

// Status is the outcome of one check.
type Status string

// The statuses, as --json spells them.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check's outcome, for people and for --json.
type Result struct {
	Name   string `json:"name"`  // stable identifier, e.g. "sign-in"
	Title  string `json:"title"` // what was checked, e.g. "Sign-in to Entra ID"
	Status Status `json:"status"`
	Found  string `json:"found"`         // what was found
	Fix    string `json:"fix,omitempty"` // what to do, when Status is Fail
	// Details are further lines: columns of a table, runs of the history,
	// notes that did not fail the check.
	Details []string `json:"details,omitempty"`
}

// Check is one step of the checklist.
type Check struct {
	Name  string
	Title string
	// Needs names the checks that must pass before this one can run.
	Needs []string
	// NotAsked, when set, means the check does not apply to this set-up (no
	// --group given, say); it is reported skipped with this text.
	NotAsked string
	// Timeout bounds Run (DefaultTimeout when zero).
	Timeout time.Duration
	Run     func(ctx context.Context) Result
}

// DefaultTimeout bounds one check: long enough for a slow sign-in, short
// enough that a silent host does not look like a hang.
const DefaultTimeout = 45 * time.Second

// Run runs the checks in order and calls report with each result as soon as
// it is known (report may be nil). It returns every result. A check runs only
// when every check it needs passed; otherwise it is skipped, naming them.
func Run(ctx context.Context, checks []Check, report func(Result)) []Result {
	status := map[string]Status{}
	var out []Result
	for _, c := range checks {
		r := runOne(ctx, c, status).redacted()
		r.Name, r.Title = c.Name, c.Title
		status[c.Name] = r.Status
		out = append(out, r)
		if report != nil {
			report(r)
		}
	}
	return out
}

func runOne(ctx context.Context, c Check, status map[string]Status) Result {
	if c.NotAsked != "" {
		return Result{Status: Skip, Found: c.NotAsked}
	}
	var missing []string
	for _, n := range c.Needs {
		if status[n] != Pass {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return Result{Status: Skip, Found: "skipped (needs: " + strings.Join(missing, ", ") + ")"}
	}
	if err := ctx.Err(); err != nil {
		return Result{Status: Skip, Found: "skipped (interrupted)"}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r := c.Run(cctx)
	if r.Status == "" {
		r.Status = Pass
	}
	if r.Status == Fail && cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		r.Found += fmt.Sprintf(" (gave up after %s)", timeout)
	}
	return r
}

// Failed counts the failed results.
func Failed(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Status == Fail {
			n++
		}
	}
	return n
}

// redacted is r with every secret the process holds and every credential a
// server echoed masked: a check may quote an error, a history record, an
// identifier typed in the wrong field.
func (r Result) redacted() Result {
	r.Found, r.Fix = redact.String(r.Found), redact.String(r.Fix)
	if len(r.Details) > 0 {
		details := make([]string, len(r.Details))
		for i, d := range r.Details {
			details[i] = redact.String(d)
		}
		r.Details = details
	}
	return r
}

func pass(found string, details ...string) Result {
	return Result{Status: Pass, Found: found, Details: details}
}

func fail(found, fix string, details ...string) Result {
	return Result{Status: Fail, Found: found, Fix: fix, Details: details}
}

func skip(found string) Result { return Result{Status: Skip, Found: found} }
