package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/format"
)

// runDetail is one recorded run in full: its numbers, waits, errors with
// their RequestIds, and, for an interrupted or stopped run, a key that
// resumes it (after signing in with the run's account).
type runDetail struct {
	c       *Common
	id      string
	account string // used when the run does not name its account
	busy    busy
	run     *RunDetail
	err     error // loading the run, or signing in to resume it
	notice  string
	scroll  scroller
	prompts chan string
	// ask is open while the user says what became of a stopped run's
	// unsettled batches; assume is the answer the resume carries.
	ask    assumeQuestion
	assume string
}

type (
	runLoadedMsg struct {
		gen int
		run RunDetail
		err error
	}
	resumeSignedInMsg struct {
		gen     int
		account AccountSummary
		err     error
	}
	// resumeRunMsg asks the root to run req (a resume) on the Push screen.
	resumeRunMsg struct {
		account AccountSummary
		req     Request
	}
)

func newRunDetail(c *Common, id, account string) *runDetail {
	return &runDetail{c: c, id: id, account: account, busy: newBusy(c.styles)}
}

func (d *runDetail) Title() string { return "History › " + d.id }

func (d *runDetail) Init() tea.Cmd {
	ctx, gen, tick := d.busy.start(d.c, "Reading run "+d.id+"…")
	b, id := d.c.backend, d.id
	return tea.Batch(tick, func() tea.Msg {
		r, err := b.Run(ctx, id)
		return runLoadedMsg{gen, r, err}
	})
}

// resumable reports whether the run stopped part-way with a request to go on.
func (d *runDetail) resumable() bool {
	return d.run != nil && d.run.Resume != nil && d.run.Outcome.Resumable()
}

func (d *runDetail) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case runLoadedMsg:
		if !d.busy.current(msg.gen) {
			return d, nil
		}
		d.busy.done()
		d.err = msg.err
		if msg.err == nil {
			d.run = &msg.run
			d.ask.u = msg.run.Unsettled
		}
		return d, nil
	case resumeSignedInMsg:
		if !d.busy.current(msg.gen) {
			return d, nil
		}
		d.busy.done()
		if msg.err != nil {
			d.err = fmt.Errorf("signing in as %s to resume: %w", msg.account.Name, msg.err)
			return d, nil
		}
		req := *d.run.Resume
		req.Account, req.Resume, req.Assume = msg.account.Name, true, d.assume
		acc := msg.account
		return d, func() tea.Msg { return resumeRunMsg{acc, req} }
	case deviceCodeMsg:
		return d, d.busy.onPrompt(msg, d.prompts)
	case tea.KeyPressMsg:
		return d, d.key(msg)
	}
	return d, d.busy.update(msg)
}

func (d *runDetail) key(msg tea.KeyPressMsg) tea.Cmd {
	k := d.c.keys
	d.notice = ""
	if d.ask.open {
		if choice := d.ask.key(msg); choice != "" {
			d.assume = choice
			return d.resume()
		}
		return nil
	}
	switch {
	case keyIs(msg, k.Back):
		d.busy.stop()
		return back
	case d.busy.active():
		return nil
	case keyIs(msg, k.Resume) && d.resumable() && d.ask.u != nil:
		// pbiwb cannot tell what became of the unsettled batches: ask.
		d.ask.open = true
		return nil
	case keyIs(msg, k.Resume) && d.resumable():
		return d.resume()
	case keyIs(msg, k.Resume) && d.run != nil:
		d.notice = "Only an interrupted or stopped run can be resumed."
		if d.run.ResumeNote != "" {
			d.notice = d.run.ResumeNote
		}
		return nil
	case keyIs(msg, k.Troubleshoot) && d.run != nil:
		t := Target{Account: d.accountName(), WorkspaceName: d.run.Workspace, Dataset: d.run.Dataset, Table: d.run.Table, Input: d.run.Input}
		if r := d.run.Resume; r != nil {
			t = requestTarget(*r)
			t.Account = d.accountName()
		}
		return troubleshootCmd(t)
	}
	d.scroll.key(msg.String(), d.c.bodyHeight())
	return nil
}

// accountName is the account a resume signs in with: the run's, else the
// one chosen in the wizard.
func (d *runDetail) accountName() string {
	if d.run != nil && d.run.Resume != nil && d.run.Resume.Account != "" {
		return d.run.Resume.Account
	}
	return d.account
}

func (d *runDetail) resume() tea.Cmd {
	name := d.accountName()
	if name == "" {
		d.notice = "The run does not record its account: go back to the first screen, highlight the account, and open the history with ctrl+o."
		return nil
	}
	d.err = nil
	ctx, gen, tick := d.busy.start(d.c, "Signing in as "+name+" to resume…")
	d.prompts = make(chan string, 1)
	prompts, b := d.prompts, d.c.backend
	return tea.Batch(tick, d.busy.waitPrompt(prompts, gen), func() tea.Msg {
		defer close(prompts)
		acc, err := b.OpenAccount(ctx, name, prompts)
		if acc.Name == "" {
			acc.Name = name
		}
		return resumeSignedInMsg{gen, acc, err}
	})
}

func (d *runDetail) View() string {
	s, w := d.c.styles, d.c.width
	var lines []string
	if d.ask.open {
		return d.ask.view(s, w)
	}
	switch {
	case d.busy.active() && d.run == nil:
		return d.busy.view(s, w)
	case d.run == nil && d.err != nil:
		return s.Error.Render(wrap("✗ Could not read run "+d.id+": "+d.err.Error(), w))
	case d.run != nil:
		lines = d.runLines()
	}
	switch {
	case d.busy.active():
		lines = append(lines, "", d.busy.view(s, w))
	case d.err != nil:
		lines = append(lines, "", s.Error.Render(wrap("✗ "+d.err.Error(), w)), s.Advice.Render("  ctrl+t troubleshoots this account and target."))
	}
	if d.notice != "" {
		lines = append(lines, "", s.Warn.Render(wrap(d.notice, w)))
	}
	return strings.Join(d.scroll.window(s, lines, d.c.bodyHeight()), "\n")
}

// runLines is the run's record, for people.
func (d *runDetail) runLines() []string {
	s, w, r := d.c.styles, d.c.width, d.run
	row := func(label, value string) string { return truncate(fmt.Sprintf("  %-9s %s", label, value), w) }
	when := r.Start.In(d.c.loc()).Format("2006-01-02 15:04:05")
	if r.Elapsed > 0 {
		when += " · took " + tookText(r.Elapsed)
	}
	mode := r.Mode
	if r.DryRun {
		mode += " (dry run)"
	}
	if r.Resumed {
		mode += " · resumed from a checkpoint"
	}
	outcome := outcomeText(r.Outcome)
	if r.ExitCode >= 0 && !r.Running {
		outcome += fmt.Sprintf(" (exit %d)", r.ExitCode)
	}
	rows := format.Thousands(r.RowsWritten) + " / " + format.Thousands(r.RowsTotal)
	switch {
	case r.Verified:
		rows += " · verified"
	case r.NotVerified != "":
		rows += " · written, not verified"
	}
	retries := format.Thousands(r.Retries)
	if r.Throttled > 0 {
		retries += fmt.Sprintf(" · throttled (429) %s", format.Count(r.Throttled, "time"))
	}
	lines := []string{
		row("When", when), row("Input", r.Input), row("Target", strings.Join(nonEmpty(r.Workspace, r.Dataset, r.Table), " › ")),
		row("Mode", mode), row("Outcome", outcome), row("Rows", rows),
		row("Batches", format.Thousands(r.BatchesDone)+" / "+format.Thousands(r.BatchesTotal)), row("Retries", retries),
	}
	if r.Note != "" {
		lines = append(lines, indent(s.Hint.Render(wrap(r.Note, w-12)), strings.Repeat(" ", 12)))
	}
	if r.NotVerified != "" {
		lines = append(lines, indent(s.Advice.Render(wrap("Not verified: "+r.NotVerified+".", w-12)), strings.Repeat(" ", 12)))
	}
	if r.CountNote != "" {
		lines = append(lines, indent(s.Hint.Render(wrap(r.CountNote+".", w-12)), strings.Repeat(" ", 12)))
	}
	if u := r.Unsettled; u != nil {
		lines = append(lines, "", s.Warn.Render(wrap("It stopped because "+unsettledStop(*u)+".", w)))
		if u.Why != "" {
			lines = append(lines, s.Advice.Render(indent(wrap(u.Why+".", w-2), "  ")))
		}
	}
	if len(r.Waits) > 0 {
		lines = append(lines, "", "Waits:")
		for _, wt := range r.Waits {
			lines = append(lines, truncate(fmt.Sprintf("  %s: %s, %s in all", wt.Reason, format.Count(wt.Count, "wait"), format.Duration(wt.Total)), w))
		}
	}
	if len(r.Errors) > 0 {
		lines = append(lines, "", "Errors (give the RequestId to support):")
		for _, e := range r.Errors {
			head := "✗ "
			if !e.Time.IsZero() {
				head += e.Time.In(d.c.loc()).Format(time.TimeOnly) + " "
			}
			if e.Status > 0 {
				head += fmt.Sprintf("HTTP %d: ", e.Status)
			}
			lines = append(lines, indent(s.Error.Render(wrap(head+e.Message, w-4)), "  "))
			if e.RequestID != "" {
				lines = append(lines, "    "+s.Hint.Render("RequestId "+e.RequestID))
			}
		}
	}
	switch {
	case d.resumable() && r.Unsettled != nil:
		lines = append(lines, "", s.Selected.Render(wrap("r resumes it once you say whether those rows landed: only the rows not yet written are sent.", w)))
		if r.ResumeNote != "" {
			lines = append(lines, s.Hint.Render(wrap(r.ResumeNote, w)))
		}
	case d.resumable():
		lines = append(lines, "", s.Selected.Render("r resumes it: only the rows not yet written are sent."))
		if r.ResumeNote != "" {
			lines = append(lines, s.Hint.Render(wrap(r.ResumeNote, w)))
		}
	case r.Outcome.Resumable() && r.ResumeNote != "":
		lines = append(lines, "", s.Warn.Render(wrap("It cannot be resumed from here: "+r.ResumeNote, w)))
	}
	switch {
	case len(r.Command) > 0 && r.Unsettled != nil && slices.Contains(r.Command, "--"+cmdline.Resume):
		// The same run, with the answer: one command for each.
		lines = append(lines, "", s.Hint.Render("The commands that continue it, if those rows landed:"),
			indent(packArgs(quoted(append(slices.Clone(r.Command), "--"+cmdline.AssumeSent)), w-2), "  "),
			s.Hint.Render("if they did not:"),
			indent(packArgs(quoted(append(slices.Clone(r.Command), "--"+cmdline.AssumeLost)), w-2), "  "))
	case len(r.Command) > 0:
		lines = append(lines, "", s.Hint.Render("The command that continues it:"), indent(packArgs(quoted(r.Command), w-2), "  "))
	}
	return lines
}

func (d *runDetail) Help() string {
	k, s, w := d.c.keys, d.c.styles, d.c.width
	if d.busy.active() {
		return s.helpLine(w, keyHelp(k.Back, "esc", "cancel"), k.Quit)
	}
	if d.ask.open {
		return d.ask.help(s, w, k)
	}
	if d.resumable() && d.ask.u != nil {
		return s.helpLine(w, keyHelp(k.Resume, "r", "resume (asks first)"), keyHelp(k.Up, "↑/↓", "scroll"), k.Troubleshoot, k.Back, k.Quit)
	}
	if d.resumable() {
		return s.helpLine(w, k.Resume, keyHelp(k.Up, "↑/↓", "scroll"), k.Troubleshoot, k.Back, k.Quit)
	}
	return s.helpLine(w, keyHelp(k.Up, "↑/↓", "scroll"), k.Troubleshoot, k.Back, k.Quit)
}
