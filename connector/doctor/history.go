package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// historyRuns is how many recent runs the history check reads at most.
const historyRuns = 50

// checkHistory reviews the runs of the last Config.Recent: a run that failed,
// stopped or was interrupted, unless a later run of the same target
// succeeded, and any run that met 429s (Power BI's throttling despite the
// pacing: another writer shares the dataset's quota). Pacing waits alone
// are normal and are only mentioned.
func (d *Doctor) checkHistory(ctx context.Context) Result {
	runs, err := d.cfg.History.List(historyRuns)
	if err != nil {
		return fail("cannot read the history: "+err.Error(), "Check that the history directory "+d.cfg.History.Dir+" is readable by your user.")
	}
	if len(runs) == 0 {
		return pass("no runs recorded yet")
	}
	since := d.cfg.Now().Add(-d.cfg.Recent)
	var problems, details []string
	var fix []string
	settled := map[string]bool{} // targets with a later successful run
	recent := 0
	for _, r := range runs { // newest first
		if r.Start.Before(since) {
			break
		}
		recent++
		key := targetKey(r)
		label := fmt.Sprintf("run %s (%s, %s → %s)", r.ID, r.Start.Local().Format(time.DateTime), r.Input, targetText(r.Target))
		if r.Throttled > 0 {
			answers := "throttling answers"
			if r.Throttled == 1 {
				answers = "throttling answer"
			}
			problems = append(problems, fmt.Sprintf("%s met %d %s (429)", label, r.Throttled, answers))
			fix = appendOnce(fix, "Power BI throttled runs although pbiwb paces itself: another program (or an overlapping pbiwb run) writes to the same dataset and shares its limits "+
				"(120 POSTs a minute, 1,000,000 rows an hour). Space the runs apart or stop the other writer; pbiwb waits as Power BI asks.")
		}
		if waits := waitText(r.Waits); waits != "" {
			details = append(details, label+" waited: "+waits)
		}
		switch r.Outcome {
		case outcome.Succeeded:
			settled[key] = true
		case outcome.Failed, outcome.Stopped, outcome.Interrupted, outcome.Unknown:
			if settled[key] {
				details = append(details, label+" "+string(r.Outcome)+", but a later run of the same target succeeded")
				continue
			}
			problems = append(problems, fmt.Sprintf("%s %s%s", label, r.Outcome, exitText(r.ExitCode)))
			details = append(details, errorLines(r)...)
			if r.ResumeHint != "" {
				fix = appendOnce(fix, "Continue the interrupted run with: "+r.ResumeHint)
			}
			if r.Outcome == outcome.Failed {
				fix = appendOnce(fix, "Fix what the run's error says (pbiwb history RUN-ID shows every detail), then run it again.")
			}
		}
	}
	if recent == 0 {
		return pass(fmt.Sprintf("no runs in the last %s (%s recorded)", format.Duration(d.cfg.Recent), format.Count(len(runs), "older run")))
	}
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "), strings.Join(fix, " "), details...)
	}
	return pass(fmt.Sprintf("%s in the last %s, none failed or was throttled", format.Count(recent, "run"), format.Duration(d.cfg.Recent)), details...)
}

// errorLines are a run's errors with their RequestIds, the last few.
func errorLines(r history.Record) []string {
	errs := r.Errors
	if len(errs) > 5 {
		errs = errs[len(errs)-5:]
	}
	var out []string
	for _, e := range errs {
		s := "  error"
		if e.Status != 0 {
			s += fmt.Sprintf(" %d", e.Status)
		}
		if e.Code != "" {
			s += " " + e.Code
		}
		s += ": " + e.Message
		if e.RequestID != "" {
			s += " (RequestId " + e.RequestID + ")"
		}
		out = append(out, s)
	}
	if r.Note != "" {
		out = append(out, "  "+r.Note)
	}
	return out
}

func targetKey(r history.Record) string {
	t := r.Target
	return strings.Join([]string{t.APIBase, t.WorkspaceID, t.DatasetID, t.DatasetName, t.Table}, "\x00")
}

func targetText(t history.Target) string {
	ws := t.WorkspaceName
	if ws == "" {
		ws = t.WorkspaceID
	}
	ds := t.DatasetName
	if ds == "" {
		ds = t.DatasetID
	}
	return strings.Join(nonEmpty(ws, ds, t.Table), " / ")
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func waitText(w map[string]history.WaitTotal) string {
	if len(w) == 0 {
		return ""
	}
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d× %s", push.WaitLabel(k), w[k].Count, format.Seconds(w[k].Seconds)))
	}
	return strings.Join(parts, ", ")
}

func exitText(code exitcode.Code) string {
	if code < 0 {
		return ""
	}
	return fmt.Sprintf(" (exit %d)", code)
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
