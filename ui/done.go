package ui

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// done is the last screen: the verified row count, the run's history entry
// and what to do next; or, after a failed push, what went wrong and how to
// resume.
type done struct {
	c   *Common
	req Request
	res Result
	err error
}

type newRunMsg struct{}

func newDone(c *Common, req Request, res Result, err error) *done {
	return &done{c: c, req: req, res: res, err: err}
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
	switch k.String() {
	case "q", "enter", "esc":
		code, farewell := d.code(), d.farewell()
		return d, func() tea.Msg { return quitMsg{code, farewell} }
	case "n":
		return d, func() tea.Msg { return newRunMsg{} }
	case "t", "ctrl+t":
		return d, troubleshootCmd(requestTarget(d.req))
	case "h", "ctrl+o":
		account := d.req.Account
		return d, func() tea.Msg { return historyMsg{account} }
	}
	return d, nil
}

func (d *done) farewell() string {
	if d.err != nil {
		return resumeAdvice(d.c.flags, "✗ The push stopped: "+d.err.Error()+".", d.req)
	}
	out := fmt.Sprintf("✓ %s written and verified in %s › %s › %s.", format.Count(d.res.RowsWritten, "row"), d.req.WorkspaceName, d.req.Dataset, d.req.Table)
	if d.res.RunID != "" {
		out += "\n  History: " + d.c.command + " history " + d.res.RunID
	}
	return out
}

func (d *done) View() string {
	s, w := d.c.styles, d.c.width
	q, r := d.req, d.res
	var lines []string
	if d.err != nil {
		lines = append(lines, s.Error.Render(wrap("✗ The push stopped: "+d.err.Error(), w)))
		var fe FieldError
		if errors.As(d.err, &fe) && fe.Advice() != "" {
			lines = append(lines, s.Advice.Render(wrap("  "+fe.Advice(), w)))
		}
		lines = append(lines, "", wrap(fmt.Sprintf("%s were written before it stopped and stay in the table; the checkpoint is saved, so a resume writes only what is missing:", format.Count(r.RowsWritten, "row")), w))
		rq := q
		rq.Resume = true
		lines = append(lines, indent(commandBlock(d.c.flags, rq, w-2), "  "))
		if r.RunID != "" {
			lines = append(lines, "", "The run is in the history with its errors and RequestIds:", "  "+d.c.command+" history "+r.RunID)
		}
		return strings.Join(lines, "\n")
	}
	verified := s.OK.Render(fmt.Sprintf("✓ %s written and verified: the table holds %s.", format.Count(r.RowsWritten, "row"), format.Count(r.RowsVerified, "row")))
	if r.RowsVerified != r.RowsWritten && q.Mode == "replace" {
		verified = s.Warn.Render(fmt.Sprintf("! %s written, but the table holds %s: another writer may share it.", format.Count(r.RowsWritten, "row"), format.Thousands(r.RowsVerified)))
	}
	lines = append(lines, verified,
		truncate(fmt.Sprintf("  %s › %s › %s · %s · %s · %s", q.WorkspaceName, q.Dataset, q.Table, format.Count(r.Batches, "batch"), format.Count(r.Retries, "retry"), format.Duration(r.Elapsed)), w),
		"")
	if r.RunID != "" {
		lines = append(lines, "Recorded in the history as run "+s.Selected.Render(r.RunID)+":", "  "+d.c.command+" history "+r.RunID, "")
	}
	lines = append(lines, s.Selected.Render("What next"),
		indent(wrap(fmt.Sprintf("• In Power BI, open the workspace %s: the dataset %s is ready for reports.", q.WorkspaceName, q.Dataset), w-4), "  "),
		"  • Run the same writeback from a script or a schedule:",
		indent(commandBlock(d.c.flags, q, w-4), "    "))
	return strings.Join(lines, "\n")
}

func (d *done) Help() string {
	k, s := d.c.keys, d.c.styles
	if d.err != nil {
		return s.helpLine(d.c.width, keyHelp(k.Troubleshoot, "t", "troubleshoot"), keyHelp(k.History, "h", "history"), keyHelp(k.Next, "q/enter", "quit"), k.New)
	}
	return s.helpLine(d.c.width, keyHelp(k.Next, "q/enter", "quit"), k.New, keyHelp(k.History, "h", "history"))
}
