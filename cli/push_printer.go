package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// pushPrinter is the headless face of the event stream (pbiwb push). People get
// progress on stderr and a summary: on a terminal a live status block
// (liveBlock), else plain lines, a few per second at most, each wait once;
// with --json, scripts get every event as one JSON object per line on stdout
// (the last one the summary), and stderr keeps only errors and the summary in
// words.
type pushPrinter struct {
	human    io.Writer
	machine  io.Writer  // nil without --json
	live     *liveBlock // nil unless stderr is a terminal (and no --json)
	interval time.Duration

	mu        sync.Mutex
	last      time.Time     // when the last progress line was printed
	lastRetry time.Time     // when the last retry line was printed
	lastWait  push.WaitInfo // the wait last printed, so a new one shows at once
	err       error
}

// pushPrinterOptions shape a pushPrinter.
type pushPrinterOptions struct {
	JSON bool
	// Interval is the least time between progress lines (default 500ms).
	Interval time.Duration
	// Columns is the width of the terminal stderr is: a live block is drawn
	// there; 0 (not a terminal) prints plain lines.
	Columns func() int
}

// newPushPrinter prints to stderr, and with JSON to stdout.
func newPushPrinter(stderr, stdout io.Writer, o pushPrinterOptions) *pushPrinter {
	p := &pushPrinter{human: stderr, interval: o.Interval}
	if o.JSON {
		p.machine = stdout
	}
	if p.interval <= 0 {
		p.interval = 500 * time.Millisecond
	}
	if !o.JSON && o.Columns != nil && o.Columns() > 0 {
		p.live = newLiveBlock(stderr, o.Columns)
	}
	return p
}

// close removes the live block, if any, before pbiwb's last words.
func (p *pushPrinter) close() {
	if p.live != nil {
		p.keep(p.live.close())
	}
}

// Observe is the pushPrinter's Observer.
func (p *pushPrinter) Observe(e push.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.machine != nil {
		b, err := json.Marshal(e)
		if err == nil {
			_, err = p.machine.Write(append(b, '\n'))
		}
		p.keep(err)
	}
	if p.live != nil {
		p.toLive(e)
		return
	}
	if line := p.line(e); line != "" {
		_, err := io.WriteString(p.human, line+"\n")
		p.keep(err)
	}
}

// warn prints a warning of the plan on stderr, above the live block if
// there is one.
func (p *pushPrinter) warn(w string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := "warning: " + w
	if p.live != nil {
		p.keep(p.live.println(line))
		return
	}
	_, err := io.WriteString(p.human, line+"\n")
	p.keep(err)
}

// toLive shows e in the live block: progress and waits redraw it, the
// rest is printed above it, the summary after it is gone.
func (p *pushPrinter) toLive(e push.Event) {
	var line string
	switch e.Kind {
	case push.KindSummary:
		p.keep(p.live.close())
		if e.Summary != nil {
			_, err := io.WriteString(p.human, pushSummaryText(*e.Summary)+"\n")
			p.keep(err)
		}
		return
	case push.KindProgress, push.KindWait:
		p.live.update(e.Progress)
		return
	case push.KindPhase:
		line = pushPhaseLine(e)
		if e.Phase == push.PhaseWriting {
			p.live.update(e.Progress)
		}
	case push.KindError, push.KindRetry:
		line = p.line(e) // retries are throttled as in plain lines
	}
	if line != "" {
		p.keep(p.live.println(line))
	}
}

// Err is the first write error (a closed pipe, a full disk); the push goes on
// regardless, since its outcome does not depend on being watched, and the
// command reports it when the push is over.
func (p *pushPrinter) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pushPrinter) keep(err error) {
	if p.err == nil {
		p.err = err
	}
}

// line is the human text for an event, or "" when it is throttled away.
func (p *pushPrinter) line(e push.Event) string {
	switch {
	case e.Kind == push.KindError && e.Error != nil:
		return pushErrorLine(*e.Error)
	case e.Kind == push.KindSummary && e.Summary != nil:
		return pushSummaryText(*e.Summary)
	case e.Kind == push.KindRetry && e.Retry == nil:
		return ""
	}
	if p.machine != nil {
		return "" // with --json, progress is on stdout
	}
	switch e.Kind {
	case push.KindPhase:
		p.last = e.Time
		return pushPhaseLine(e)
	case push.KindWait:
		// Each wait once: the writers in flight each report the same wait,
		// a little apart, and one ending reports a last sliver of it.
		w := e.Progress.Wait
		if w == nil {
			return ""
		}
		newReason := w.Reason != p.lastWait.Reason
		later := w.Until.Sub(p.lastWait.Until) >= time.Second && w.Until.Sub(e.Time) >= time.Second
		if newReason && (w.Until.IsZero() || w.Until.Sub(e.Time) >= time.Second) || !newReason && later {
			p.lastWait, p.last = *w, e.Time
			return "waiting " + pushWaitText(*w, e.Time)
		}
		return ""
	}
	// Retries carry RequestIds, so they are throttled apart from progress:
	// a 429 storm prints a few per second, not hundreds.
	last := &p.last
	if e.Kind == push.KindRetry {
		last = &p.lastRetry
	}
	if !last.IsZero() && e.Time.Sub(*last) < p.interval {
		return ""
	}
	*last = e.Time
	if e.Kind == push.KindRetry {
		return pushRetryLine(*e.Retry)
	}
	return pushProgressLine(e.Progress)
}

func pushPhaseLine(e push.Event) string {
	if e.Message != "" {
		return e.Message
	}
	switch e.Phase {
	case push.PhaseValidating:
		return "Reading and checking the input"
	case push.PhaseResolving:
		return "Finding the workspace, dataset and table"
	case push.PhaseDeleting:
		return "Deleting the table's rows (replace)"
	case push.PhaseSettling:
		return "Counting the table's rows to settle batches whose outcome is unknown"
	case push.PhaseWriting:
		return fmt.Sprintf("Writing %s in %s", format.Count(e.Progress.RowsTotal, "row"), format.Count(e.Progress.BatchesTotal, "batch"))
	case push.PhaseVerifying:
		return "Verifying the table's row count"
	}
	return ""
}

func pushProgressLine(p push.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s / %s rows", format.Thousands(p.RowsWritten), format.Thousands(p.RowsTotal))
	if p.RowsTotal > 0 {
		fmt.Fprintf(&b, " (%d%%)", p.RowsWritten*100/p.RowsTotal)
	}
	fmt.Fprintf(&b, " · batch %s/%s · %d in flight · %s rows/s",
		format.Thousands(int64(p.BatchesDone)), format.Thousands(int64(p.BatchesTotal)), p.InFlight, format.Thousands(int64(p.RowsPerSecond+0.5)))
	if p.ETASeconds > 0 {
		b.WriteString(" · ETA " + format.Seconds(p.ETASeconds))
	}
	if p.Retries > 0 {
		b.WriteString(" · " + format.Count(p.Retries, "retry"))
	}
	return b.String() // a wait has its own line
}

func pushWaitText(w push.WaitInfo, now time.Time) string {
	if w.Until.IsZero() {
		return "for a request in flight: " + w.Limit
	}
	return format.Duration(w.Until.Sub(now)) + ": " + w.Limit
}

func pushRetryLine(r push.RetryInfo) string {
	s := fmt.Sprintf("retrying batch %s (attempt %d) in %s: %s", format.Thousands(int64(r.Batch)), r.Attempt,
		format.Seconds(r.DelaySeconds), r.Cause)
	if r.RequestID != "" {
		s += " (RequestId " + r.RequestID + ")"
	}
	return s
}

func pushErrorLine(e push.ErrorInfo) string {
	s := "error: " + e.Message
	var ctx []string
	if e.Batch > 0 {
		ctx = append(ctx, "batch "+format.Thousands(int64(e.Batch)))
	}
	if e.Status > 0 {
		ctx = append(ctx, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.Code != "" {
		ctx = append(ctx, e.Code)
	}
	if e.RequestID != "" {
		ctx = append(ctx, "RequestId "+e.RequestID)
	}
	if len(ctx) > 0 {
		s += " (" + strings.Join(ctx, ", ") + ")"
	}
	return s
}

func pushSummaryText(s push.Summary) string {
	var b strings.Builder
	elapsed := format.Seconds(s.ElapsedSeconds)
	into := ""
	if s.Table != "" {
		into = " into " + s.Table
	}
	switch {
	case s.Outcome == outcome.Succeeded && s.Note != "":
		b.WriteString("Done: " + s.Note)
	case s.Outcome == outcome.Succeeded:
		fmt.Fprintf(&b, "Done: %s in %s written%s in %s", format.Count(s.RowsWritten, "row"),
			format.Count(s.BatchesDone, "batch"), into, elapsed)
		if s.Verified {
			fmt.Fprintf(&b, "; the table holds %s", format.Count(s.TableRows, "row"))
		}
		b.WriteString(".")
		if s.CountNote != "" {
			b.WriteString("\n  " + s.CountNote + ".")
		}
		if s.NotVerified != "" {
			b.WriteString("\n  Written, not verified: " + s.NotVerified + ".")
		}
	default:
		verb := map[outcome.Outcome]string{outcome.Interrupted: "Interrupted", outcome.Stopped: "Stopped"}[s.Outcome]
		if verb == "" {
			verb = "Failed"
		}
		why := ""
		if !s.ResumeAfter.IsZero() {
			why = ": Power BI throttled the push beyond --max-throttle-wait"
		}
		fmt.Fprintf(&b, "%s after %s of %s (%s of %s) in %s%s.", verb, format.Thousands(s.RowsWritten),
			format.Count(s.RowsTotal, "row"), format.Thousands(int64(s.BatchesDone)), format.Count(s.BatchesTotal, "batch"), elapsed, why)
	}
	if s.MinimumSeconds > 0 && s.ElapsedSeconds > 0 && s.Outcome == outcome.Succeeded {
		fmt.Fprintf(&b, "\n  %.1f%% of the fastest the limits allow (%s).", 100*s.MinimumSeconds/s.ElapsedSeconds,
			format.Seconds(s.MinimumSeconds))
	}
	if len(s.Waits) > 0 {
		keys := make([]string, 0, len(s.Waits))
		for k := range s.Waits {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			w := s.Waits[k]
			parts[i] = fmt.Sprintf("%s ×%d (%s)", push.WaitLabel(k), w.Count, format.Seconds(w.Seconds))
		}
		b.WriteString("\n  Waited for " + strings.Join(parts, ", ") + ".")
	}
	if s.Retries > 0 {
		fmt.Fprintf(&b, "\n  %s, %d of them after a 429.", format.Count(s.Retries, "retry"), s.Throttled)
	}
	if s.Outcome != outcome.Succeeded {
		for _, e := range s.Errors {
			b.WriteString("\n  " + pushErrorLine(e))
		}
		switch {
		case s.ResumeHint != "" && !s.ResumeAfter.IsZero():
			b.WriteString("\n  To continue where it stopped, after " + format.WallClock(s.ResumeAfter) + " (when Power BI said it would take requests again): " + s.ResumeHint)
		case s.ResumeHint != "":
			b.WriteString("\n  To continue where it stopped: " + s.ResumeHint)
		}
	}
	return b.String()
}
