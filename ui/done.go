package ui

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// done is the last screen: the verified row count (or why it could not be
// verified), the run's history entry and what to do next; or, after a
// failed push, what went wrong and how to resume. A push stopped on batches
// whose outcome pbiwb cannot tell asks, before it resumes, which is true.
type done struct {
	c      *Common
	req    Request
	res    Result
	err    error
	ask    assumeQuestion
	scroll scroller
}

type newRunMsg struct{}

func newDone(c *Common, req Request, res Result, err error) *done {
	d := &done{c: c, req: req, res: res, err: err}
	if err != nil {
		d.ask.u = res.Unsettled
	}
	return d
}

func (d *done) Title() string { return "7/7 Done" }

func (d *done) Init() tea.Cmd { return nil }

// code is the exit code the wizard ends with from here (docs/cli.md).
func (d *done) code() exitcode.Code { return exitcode.Of(d.err) }

func (d *done) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return d, nil
	}
	if d.ask.open {
		if choice := d.ask.key(k); choice != "" {
			req := d.req
			req.Resume, req.Assume = true, choice
			return d, func() tea.Msg { return startPushMsg{req} }
		}
		return d, nil
	}
	switch k.String() {
	case "q", "enter", "esc":
		code, farewell := d.code(), d.farewell()
		return d, func() tea.Msg { return quitMsg{code, farewell} }
	case "n":
		return d, func() tea.Msg { return newRunMsg{} }
	case "r":
		if d.ask.u != nil {
			d.ask.open = true
		}
		return d, nil
	case "t", "ctrl+t":
		return d, troubleshootCmd(requestTarget(d.req))
	case "h", "ctrl+o":
		account := d.req.Account
		return d, func() tea.Msg { return historyMsg{account} }
	}
	d.scroll.key(k.String(), d.c.bodyHeight())
	return d, nil
}

// nothingWritten reports whether the push failed before writing a row and
// left no checkpoint: there is nothing to resume.
func (d *done) nothingWritten() bool {
	return d.err != nil && d.res.NothingToResume && d.res.RowsWritten == 0
}

func (d *done) farewell() string {
	if u := d.ask.u; u != nil {
		return "✗ The push stopped: " + unsettledStop(*u) + ".\n" + assumeCommands(d.c.flags, d.req, 76)
	}
	if d.err != nil && d.nothingWritten() {
		return "✗ The push stopped: " + d.err.Error() + ".\n  None of the input's rows were written."
	}
	if d.err != nil {
		return resumeAdvice(d.c.flags, "✗ The push stopped: "+d.err.Error()+".", d.req)
	}
	out := fmt.Sprintf("✓ %s written and verified in %s › %s › %s.", format.Count(d.res.RowsWritten, "row"), d.req.WorkspaceName, d.req.Dataset, d.req.Table)
	if d.res.NotVerified != "" {
		out = fmt.Sprintf("✓ %s written in %s › %s › %s, not verified: %s.", format.Count(d.res.RowsWritten, "row"), d.req.WorkspaceName, d.req.Dataset, d.req.Table, d.res.NotVerified)
	}
	if d.res.RunID != "" {
		out += "\n  History: " + d.c.command + " history " + d.res.RunID
	}
	return out
}

// assumeCommands are the two commands that resume a push stopped on
// unsettled batches, one for each answer, for a shell.
func assumeCommands(flags []string, r Request, width int) string {
	r.Resume = true
	r.Assume = AssumeSent
	sent := commandBlock(flags, r, width-4)
	r.Assume = AssumeLost
	lost := commandBlock(flags, r, width-4)
	return "The checkpoint is saved. Look in Power BI whether those rows are in the table, then run one of these.\n" +
		"  If they landed:\n" + indent(sent, "    ") + "\n  If they did not:\n" + indent(lost, "    ")
}

func (d *done) View() string {
	s, w := d.c.styles, d.c.width
	if d.ask.open {
		return d.ask.view(s, w)
	}
	q, r := d.req, d.res
	var lines []string
	if d.err != nil {
		if u := d.ask.u; u != nil {
			lines = append(lines, s.Error.Render(wrap("✗ The push stopped: "+unsettledStop(*u)+".", w)))
			if u.Why != "" {
				lines = append(lines, s.Advice.Render(indent(wrap(u.Why+".", w-2), "  ")))
			}
			lines = append(lines, "", wrap(fmt.Sprintf("%s were written before it stopped and stay in the table; the checkpoint is saved. "+
				"r resumes it once you say whether those rows landed. From a shell, if they landed:", format.Count(r.RowsWritten, "row")), w))
			rq := q
			rq.Resume, rq.Assume = true, AssumeSent
			lines = append(lines, indent(commandBlock(d.c.flags, rq, w-2), "  "), "if they did not:")
			rq.Assume = AssumeLost
			lines = append(lines, indent(commandBlock(d.c.flags, rq, w-2), "  "))
		} else {
			lines = append(lines, s.Error.Render(wrap("✗ The push stopped: "+d.err.Error(), w)))
			var fe FieldError
			if errors.As(d.err, &fe) && fe.Advice() != "" {
				lines = append(lines, s.Advice.Render(wrap("  "+fe.Advice(), w)))
			}
			if d.nothingWritten() {
				// Stopped before writing (the target refused, the schema
				// change lost rows): there is nothing to resume.
				lines = append(lines, "", wrap("None of the input's rows were written. Once what the error says is fixed, push again (n starts a new writeback).", w))
			} else {
				lines = append(lines, "", wrap(fmt.Sprintf("%s were written before it stopped and stay in the table; the checkpoint is saved, so a resume writes only what is missing:", format.Count(r.RowsWritten, "row")), w))
				rq := q
				rq.Resume, rq.Assume = true, "" // an answer holds for the batches it was given about, not for later ones
				lines = append(lines, indent(commandBlock(d.c.flags, rq, w-2), "  "))
			}
		}
		if r.RunID != "" {
			lines = append(lines, "", "The run is in the history with its errors and RequestIds:", "  "+d.c.command+" history "+r.RunID)
		}
		return strings.Join(d.scroll.window(s, lines, d.c.bodyHeight()), "\n")
	}
	verified := s.OK.Render(fmt.Sprintf("✓ %s written and verified: the table holds %s.", format.Count(r.RowsWritten, "row"), format.Count(r.RowsVerified, "row")))
	switch {
	case r.NotVerified != "":
		verified = s.Warn.Render(wrap(fmt.Sprintf("! %s written, not verified: every batch was acknowledged, but the table's rows could not be counted.", format.Count(r.RowsWritten, "row")), w))
	case r.RowsVerified != r.RowsWritten && q.Mode == "replace" && r.CountNote == "":
		verified = s.Warn.Render(fmt.Sprintf("! %s written, but the table holds %s: another writer may share it.", format.Count(r.RowsWritten, "row"), format.Thousands(r.RowsVerified)))
	}
	lines = append(lines, verified,
		truncate(fmt.Sprintf("  %s › %s › %s · %s · %s · %s", q.WorkspaceName, q.Dataset, q.Table, format.Count(r.Batches, "batch"), format.Count(r.Retries, "retry"), format.Duration(r.Elapsed)), w))
	if r.NotVerified != "" {
		lines = append(lines, s.Advice.Render(indent(wrap(r.NotVerified+". Compare the table's row count in Power BI with what you expect.", w-2), "  ")))
	}
	if r.CountNote != "" {
		lines = append(lines, s.Hint.Render(indent(wrap(r.CountNote+".", w-2), "  ")))
	}
	lines = append(lines, "")
	if r.RunID != "" {
		lines = append(lines, "Recorded in the history as run "+s.Selected.Render(r.RunID)+":", "  "+d.c.command+" history "+r.RunID, "")
	}
	again := q
	again.Resume, again.Assume = false, "" // the writeback itself, not how this run continued another
	lines = append(lines, s.Selected.Render("What next"),
		indent(wrap(fmt.Sprintf("• In Power BI, open the workspace %s: the dataset %s is ready for reports.", q.WorkspaceName, q.Dataset), w-4), "  "),
		"  • Run the same writeback from a script or a schedule:",
		indent(commandBlock(d.c.flags, again, w-4), "    "))
	return strings.Join(d.scroll.window(s, lines, d.c.bodyHeight()), "\n")
}

func (d *done) Help() string {
	k, s, w := d.c.keys, d.c.styles, d.c.width
	switch {
	case d.ask.open:
		return d.ask.help(s, w, k)
	case d.ask.u != nil:
		return s.helpLine(w, keyHelp(k.Resume, "r", "resume (asks first)"), keyHelp(k.Troubleshoot, "t", "troubleshoot"), keyHelp(k.History, "h", "history"), keyHelp(k.Next, "q/enter", "quit"), k.New)
	case d.err != nil:
		return s.helpLine(w, keyHelp(k.Troubleshoot, "t", "troubleshoot"), keyHelp(k.History, "h", "history"), keyHelp(k.Next, "q/enter", "quit"), k.New)
	}
	return s.helpLine(w, keyHelp(k.Next, "q/enter", "quit"), k.New, keyHelp(k.History, "h", "history"))
}
