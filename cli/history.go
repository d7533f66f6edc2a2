package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/home"
)

// defaultHistoryLast is how many runs `pbiwb history` lists without --last.
const defaultHistoryLast = 20

// runHistory is `pbiwb history [--json] [--last N] [RUN-ID]`.
func runHistory(_ context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb history", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: pbiwb history [--json] [--last N] [RUN-ID]

Lists past runs of pbiwb push, newest first; with RUN-ID (or a unique start of
it), shows one run in detail: its errors with Power BI's RequestIds, waits,
retries, and the command that continues an interrupted run.

`)
		printFlags(env, fs)
	}
	asJSON := fs.Bool("json", false, "print JSON (an array of runs, or one run)")
	last := fs.Int("last", defaultHistoryLast, "list the last `N` runs (0 for all)")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(err)
	}
	if len(positional) > 1 {
		return exit(exitcode.Usage, "history takes at most one RUN-ID (got %q)", strings.Join(positional, " "))
	}
	if *last < 0 {
		return exit(exitcode.Usage, "--last must be 0 (all) or more, not %d", *last)
	}
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return err
	}
	store := history.New(dirs.History())
	if len(positional) == 1 {
		return histShow(store, positional[0], *asJSON, env)
	}
	runs, err := store.List(*last)
	if err != nil {
		return err
	}
	if *asJSON {
		if runs == nil {
			runs = []history.Record{}
		}
		return histJSON(env.Stdout, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintf(env.Stderr, "No runs recorded yet (in %s): every `pbiwb push` records its run here.\n", store.Dir)
		return nil
	}
	return historyTable(env.Stdout, runs)
}

func histJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// historyTable is the list: when, input, target, mode, rows, duration, outcome.
func historyTable(w io.Writer, runs []history.Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tWHEN\tINPUT\tTARGET\tMODE\tROWS\tDURATION\tOUTCOME")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, histWhen(r.Start), histShorten(r.Input, 44),
			histShorten(histTarget(r.Target), 50), histMode(r), histRows(r), histDuration(r), histOutcome(r))
	}
	return tw.Flush()
}

func histWhen(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

func histMode(r history.Record) string {
	m := r.Mode
	if m == "" {
		m = "-"
	}
	if r.DryRun {
		m += " (dry run)"
	}
	if r.Resumed {
		m += " (resumed)"
	}
	return m
}

func histRows(r history.Record) string {
	if r.RowsTotal > 0 && r.RowsWritten != r.RowsTotal {
		return fmt.Sprintf("%s/%s", format.Thousands(r.RowsWritten), format.Thousands(r.RowsTotal))
	}
	return format.Thousands(r.RowsWritten)
}

func histDuration(r history.Record) string {
	end := r.End
	if end.IsZero() {
		end = r.Updated
	}
	if end.Before(r.Start) {
		return "-"
	}
	return format.Duration(end.Sub(r.Start))
}

func histOutcome(r history.Record) string {
	s := string(r.Outcome)
	if r.Throttled > 0 {
		s += fmt.Sprintf(" (%d×429)", r.Throttled)
	}
	return s
}

func histTarget(t history.Target) string {
	ws := t.WorkspaceName
	if ws == "" {
		ws = t.WorkspaceID
	}
	ds := t.DatasetName
	if ds == "" {
		ds = t.DatasetID
	}
	var parts []string
	for _, p := range []string{ws, ds, t.Table} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " / ")
}

func histShorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// showRun prints one run; an unknown id is exit 1 with the ids that come
// closest.
func histShow(store *history.Store, id string, asJSON bool, env Env) error {
	r, err := store.Get(id)
	if errors.Is(err, history.ErrNotFound) {
		all, lerr := store.List(0)
		if lerr != nil {
			return lerr
		}
		if len(all) == 0 {
			return exit(exitcode.Failure, "no run %q: no runs are recorded yet (in %s)", id, store.Dir)
		}
		return exit(exitcode.Failure, "no run %q; closest: %s (pbiwb history lists them all)", id, strings.Join(histCloseIDs(id, all), ", "))
	}
	if err != nil {
		return exit(exitcode.Failure, "%v", err)
	}
	if asJSON {
		return histJSON(env.Stdout, r)
	}
	histDetail(env.Stdout, r)
	return nil
}

// closeIDs are up to five run ids nearest id: fewest edits between id and an
// id's start of the same length (a typo in a prefix), then newest first.
func histCloseIDs(id string, runs []history.Record) []string {
	type cand struct {
		id   string
		dist int
		i    int
	}
	var cs []cand
	for i, r := range runs {
		p := r.ID
		if len(p) > len(id) {
			p = p[:len(id)]
		}
		cs = append(cs, cand{r.ID, histEditDistance(strings.ToLower(id), strings.ToLower(p)), i})
	}
	sort.SliceStable(cs, func(a, b int) bool {
		if cs[a].dist != cs[b].dist {
			return cs[a].dist < cs[b].dist
		}
		return cs[a].i < cs[b].i
	})
	var out []string
	for _, c := range cs {
		if len(out) == 5 {
			break
		}
		out = append(out, c.id)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b (bytes: run ids
// are ASCII).
func histEditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// runDetail prints every field a support conversation needs.
func histDetail(w io.Writer, r history.Record) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, a...)) }
	ended := string(r.Outcome)
	if r.ExitCode >= 0 {
		ended += fmt.Sprintf(" (exit %d)", r.ExitCode)
	}
	line("Run", "%s", r.ID)
	line("Outcome", "%s", ended)
	if r.Note != "" {
		line("Note", "%s", r.Note)
	}
	line("Started", "%s", r.Start.Local().Format(time.DateTime+" MST"))
	if !r.End.IsZero() {
		line("Ended", "%s (%s)", r.End.Local().Format(time.DateTime+" MST"), histDuration(r))
	} else {
		line("Last update", "%s", r.Updated.Local().Format(time.DateTime+" MST"))
	}
	line("Input", "%s", r.Input)
	t := r.Target
	line("Workspace", "%s", histIDName(t.WorkspaceName, t.WorkspaceID))
	line("Dataset", "%s", histIDName(t.DatasetName, t.DatasetID))
	line("Table", "%s", histDash(t.Table))
	if t.APIBase != "" {
		line("API", "%s", t.APIBase)
	}
	line("Mode", "%s", histMode(r))
	line("Rows", "%s of %s written; %s of %s", format.Thousands(r.RowsWritten), format.Thousands(r.RowsTotal), format.Thousands(r.BatchesDone), format.Count(r.BatchesTotal, "batch"))
	verified := "no"
	switch {
	case r.Verified:
		verified = "yes (the table's row count matched)"
	case r.NotVerified != "":
		verified = "no — written, not verified: " + r.NotVerified
	}
	line("Verified", "%s", verified)
	if r.CountNote != "" {
		line("Count", "%s", r.CountNote)
	}
	if u := r.Unsettled; u != nil {
		line("Unsettled", "%s got no answer, and pbiwb cannot tell whether their rows landed: %s", unsettledBatches(u.Batches), u.Why)
	}
	line("Retries", "%d", r.Retries)
	line("Throttled", "%d (429 answers)", r.Throttled)
	if len(r.Waits) == 0 {
		line("Waits", "none")
	} else {
		keys := make([]string, 0, len(r.Waits))
		for k := range r.Waits {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			label := ""
			if i == 0 {
				label = "Waits"
			}
			wt := r.Waits[k]
			line(label, "%s: %s, %s in all", push.WaitLabel(k), format.Count(wt.Count, "wait"), format.Seconds(wt.Seconds))
		}
	}
	if r.Host != "" {
		line("Host", "%s (pid %d)", r.Host, r.PID)
	}
	tw.Flush()
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nErrors (%d):\n", len(r.Errors))
		for _, e := range r.Errors {
			head := "  "
			if !e.Time.IsZero() {
				head += e.Time.Local().Format(time.TimeOnly) + " "
			}
			if e.Status != 0 {
				head += fmt.Sprintf("%d ", e.Status)
			}
			if e.Code != "" {
				head += e.Code + " "
			}
			fmt.Fprintf(w, "%s%s\n", head, strings.TrimSpace(e.Message))
			if e.RequestID != "" {
				fmt.Fprintf(w, "    RequestId %s (quote it to Microsoft support)\n", e.RequestID)
			}
		}
	}
	if sent, lost := assumeLines(r); sent != "" {
		fmt.Fprintf(w, "\nContinue this run once you know whether those rows are in the table (look in Power BI); if they landed:\n  %s\n"+
			"if they did not:\n  %s\n", sent, lost)
	} else if line := continueLine(r); line != "" {
		fmt.Fprintf(w, "\nContinue this run with:\n  %s\n", line)
	}
}

// unsettledBatches names batches and their input rows, as the push's stop does.
func unsettledBatches(bs []history.UnsettledBatch) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("batch %s (input rows %s–%s)", format.Thousands(int64(b.Batch)), format.Thousands(b.FirstRow),
			format.Thousands(b.FirstRow+int64(b.Rows)-1))
	}
	return strings.Join(parts, ", ")
}

// assumeLines are the two commands that continue a run stopped on
// unsettled batches, one for each answer; "" when it is not such a run.
func assumeLines(r history.Record) (sent, lost string) {
	if r.Unsettled == nil || !r.Outcome.Resumable() || r.Request == nil || r.Request.Input == "-" {
		return "", ""
	}
	p := r.Request.Push
	p.Resume, p.AssumeSent = true, true
	sent = p.Line()
	p.AssumeSent, p.AssumeLost = false, true
	return sent, p.Line()
}

// continueLine is the command that continues a stopped or interrupted run:
// the one the engine rendered when the run ended (it knew then whether a
// checkpoint was left), else the run's request with --resume.
func continueLine(r history.Record) string {
	if !r.Outcome.Resumable() || r.DryRun {
		return ""
	}
	if r.ResumeHint != "" {
		return r.ResumeHint
	}
	if r.Request == nil || r.Request.Input == "-" {
		return ""
	}
	p := r.Request.Push
	p.Resume = true
	return p.Line()
}

func histIDName(name, id string) string {
	switch {
	case name != "" && id != "":
		return name + " (" + id + ")"
	case name != "":
		return name
	}
	return histDash(id)
}

func histDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
