package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/format"
)

// troubleshoot runs the doctor's checks for what the user has chosen so far
// and shows each one as it finishes: ✓, ✗ with what was found and the fix,
// or skipped with what it needs. Back returns to the screen it came from.
type troubleshoot struct {
	c       *Common
	target  Target
	busy    busy
	results []CheckResult
	err     error
	ended   bool
	scroll  scroller
	ch      chan CheckResult
	errc    chan error // Troubleshoot's error, read once ch is closed
}

type (
	// troubleshootMsg asks the root to open the Troubleshoot screen.
	troubleshootMsg struct{ target Target }
	checkResultMsg  struct {
		gen int
		r   CheckResult
	}
	checksDoneMsg struct {
		gen int
		err error
	}
)

// troubleshootCmd is what a screen returns for the troubleshoot key.
func troubleshootCmd(t Target) tea.Cmd {
	return func() tea.Msg { return troubleshootMsg{t} }
}

func newTroubleshoot(c *Common, t Target) *troubleshoot {
	return &troubleshoot{c: c, target: t, busy: newBusy(c.styles)}
}

func (ts *troubleshoot) Title() string { return "Troubleshoot" }

func (ts *troubleshoot) Init() tea.Cmd {
	ctx, gen, tick := ts.busy.start(ts.c, "Running the next check…")
	ts.results, ts.err, ts.ended = nil, nil, false
	ts.ch, ts.errc = make(chan CheckResult, 4), make(chan error, 1)
	ch, errc, b, t := ts.ch, ts.errc, ts.c.backend, ts.target
	run := func() tea.Msg {
		errc <- b.Troubleshoot(ctx, t, ch)
		close(ch)
		return nil
	}
	return tea.Batch(tick, run, ts.listen(gen))
}

// listen delivers the next result; once the channel is closed (every result
// delivered), the end of the checks with their error.
func (ts *troubleshoot) listen(gen int) tea.Cmd {
	ch, errc := ts.ch, ts.errc
	return func() tea.Msg {
		if r, ok := <-ch; ok {
			return checkResultMsg{gen, r}
		}
		return checksDoneMsg{gen, <-errc}
	}
}

func (ts *troubleshoot) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case checkResultMsg:
		if !ts.busy.current(msg.gen) {
			return ts, nil
		}
		ts.results = append(ts.results, msg.r)
		return ts, ts.listen(msg.gen)
	case checksDoneMsg:
		if !ts.busy.current(msg.gen) {
			return ts, nil
		}
		ts.busy.done()
		ts.err, ts.ended = msg.err, true
		return ts, nil
	case tea.KeyPressMsg:
		k := ts.c.keys
		switch {
		case keyIs(msg, k.Back):
			ts.busy.stop()
			return ts, back
		case keyIs(msg, k.Retry) && !ts.busy.active():
			return ts, ts.Init()
		}
		ts.scroll.key(msg.String(), ts.c.bodyHeight())
		return ts, nil
	}
	return ts, ts.busy.update(msg)
}

// failed counts the failed checks.
func (ts *troubleshoot) failed() int {
	n := 0
	for _, r := range ts.results {
		if r.Status == CheckFail {
			n++
		}
	}
	return n
}

func (ts *troubleshoot) View() string {
	s, w := ts.c.styles, ts.c.width
	lines := []string{truncate("Checking "+targetText(ts.target), w), ""}
	for _, r := range ts.results {
		lines = append(lines, checkLines(s, r, w)...)
	}
	switch {
	case ts.busy.active():
		lines = append(lines, ts.busy.view(s, w))
	case ts.err != nil:
		lines = append(lines, s.Error.Render(wrap("✗ The checks could not run: "+ts.err.Error(), w)))
	case ts.ended && ts.failed() == 0:
		lines = append(lines, "", s.OK.Render("All checks passed."))
	case ts.ended:
		lines = append(lines, "", s.Error.Render(fmt.Sprintf("%s failed; each ✗ above says what to do.", format.Count(ts.failed(), "check"))))
	}
	return strings.Join(ts.scroll.window(s, lines, ts.c.bodyHeight()), "\n")
}

// targetText says what is being checked, in one line.
func targetText(t Target) string {
	parts := []string{"no account"}
	switch {
	case t.Credentials != nil && t.Credentials.Name != "":
		parts[0] = "the credentials of " + t.Credentials.Name
	case t.Credentials != nil:
		parts[0] = "the credentials typed"
	case t.Account != "":
		parts[0] = "account " + t.Account
	}
	if ws := firstOf(t.WorkspaceName, t.WorkspaceID); ws != "" {
		parts = append(parts, strings.Join(nonEmpty(ws, t.Dataset, t.Table), " › "))
	}
	if t.Input != "" {
		parts = append(parts, "input "+t.Input)
	}
	return strings.Join(parts, " · ")
}

// checkLines draws one result: its mark and title, then what was found, the
// fix and the details, indented.
func checkLines(s *Styles, r CheckResult, w int) []string {
	var head string
	switch r.Status {
	case CheckPass:
		head = s.OK.Render("✓ ") + r.Title
	case CheckFail:
		head = s.Error.Render("✗ " + r.Title)
	default:
		head = s.Hint.Render("- " + r.Title + " (skipped)")
	}
	lines := []string{truncate(head, w)}
	add := func(style func(...string) string, text string) {
		if text != "" {
			lines = append(lines, indent(style(wrap(text, w-4)), "    "))
		}
	}
	if r.Status == CheckSkip {
		add(s.Hint.Render, r.Found)
	} else {
		add(plain, r.Found)
	}
	if r.Status == CheckFail {
		add(s.Advice.Render, "Fix: "+r.Fix)
	}
	for _, d := range r.Details {
		add(s.Hint.Render, d)
	}
	return lines
}

func (ts *troubleshoot) Help() string {
	k, s, w := ts.c.keys, ts.c.styles, ts.c.width
	if ts.busy.active() {
		return s.helpLine(w, keyHelp(k.Up, "↑/↓", "scroll"), keyHelp(k.Back, "esc", "stop and go back"), k.Quit)
	}
	return s.helpLine(w, keyHelp(k.Up, "↑/↓", "scroll"), k.PageUp, keyHelp(k.Retry, "ctrl+r", "run again"), k.Back, k.Quit)
}

// plain renders text as it is, where another branch styles it.
func plain(text ...string) string { return strings.Join(text, " ") }

// firstOf is the first non-empty string.
func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func nonEmpty(list ...string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// requestTarget is what a request has chosen, to troubleshoot.
func requestTarget(r Request) Target {
	return Target{Account: r.Account, WorkspaceID: r.WorkspaceID, WorkspaceName: r.WorkspaceName,
		Dataset: r.Dataset, Table: r.Table, Input: r.Input}
}
