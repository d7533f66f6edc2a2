package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/format"
)

// review shows the dry run's plan (what will be created, deleted and
// written, the ETA under the limits) and the equivalent command line.
type review struct {
	c    *Common
	req  Request
	busy busy
	plan *PlanReport
	err  error
}

type plannedMsg struct {
	gen  int
	plan PlanReport
	err  error
}

func newReview(c *Common, req Request) *review {
	return &review{c: c, req: req, busy: newBusy(c.styles)}
}

func (r *review) Title() string { return "5/7 Review" }

func (r *review) Init() tea.Cmd {
	ctx, gen, tick := r.busy.start(r.c, "Planning: reading the input and resolving the target (a dry run)…")
	b, req := r.c.backend, r.req
	r.err = nil
	return tea.Batch(tick, func() tea.Msg {
		p, err := b.Plan(ctx, req)
		return plannedMsg{gen, p, err}
	})
}

func (r *review) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case plannedMsg:
		if !r.busy.current(msg.gen) {
			return r, nil
		}
		r.busy.done()
		r.err = msg.err
		if msg.err == nil {
			r.plan = &msg.plan
			r.req.AccountFlags = msg.plan.AccountFlags
		}
		return r, nil
	case tea.KeyPressMsg:
		switch k := msg.String(); {
		case k == "esc" || k == "shift+tab":
			r.busy.stop()
			return r, back
		case keyIs(msg, r.c.keys.Troubleshoot) && !r.busy.active():
			return r, troubleshootCmd(requestTarget(r.req))
		case k == "ctrl+r" && !r.busy.active():
			return r, r.Init()
		case k == "enter" && r.plan != nil && !r.busy.active():
			req := r.req
			return r, func() tea.Msg { return startPushMsg{req} }
		}
		return r, nil
	}
	return r, r.busy.update(msg)
}

func (r *review) command() string {
	if r.plan != nil && r.plan.Command != "" {
		return wrap(r.plan.Command, r.c.width-2)
	}
	return commandBlock(r.c.flags, r.req, r.c.width-2)
}

func (r *review) View() string {
	s, w, q := r.c.styles, r.c.width, r.req
	lines := []string{
		fmt.Sprintf("  %-10s %s", "Input", q.Input),
		fmt.Sprintf("  %-10s %s › %s › %s", "Target", q.WorkspaceName, q.Dataset, q.Table),
		fmt.Sprintf("  %-10s %s", "Mode", q.Mode),
		"",
	}
	switch {
	case r.busy.active():
		lines = append(lines, r.busy.view(s, w))
	case r.err != nil:
		lines = append(lines, s.Error.Render(wrap("✗ The dry run failed: "+r.err.Error(), w)), s.Advice.Render("  ctrl+r retries; ctrl+t troubleshoots; esc goes back to change the answers."))
	case r.plan != nil:
		p := r.plan
		lines = append(lines, s.Selected.Render("The plan (a dry run: nothing is written until you press enter)"))
		for _, a := range p.Actions {
			lines = append(lines, truncate("  • "+a, w))
		}
		lines = append(lines, fmt.Sprintf("  %s in %s; about %s under Power BI's limits", format.Count(p.Rows, "row"), format.Count(p.Batches, "batch"), format.Duration(p.ETA)))
		for _, warn := range p.Warnings {
			// Wrapped, not cut: a warning's end is often what to do.
			ws := strings.Split(wrap(warn, max(w-4, 20)), "\n")
			for i, l := range ws {
				mark := "    "
				if i == 0 {
					mark = "  ! "
				}
				lines = append(lines, s.Warn.Render(mark+l))
			}
		}
		lines = append(lines, "", s.Hint.Render("The same writeback from a script or a schedule:"),
			indent(r.command(), "  "))
	}
	return strings.Join(lines, "\n")
}

func (r *review) Help() string {
	k, s := r.c.keys, r.c.styles
	if r.plan != nil && !r.busy.active() {
		return s.helpLine(r.c.width, keyHelp(k.Next, "enter", "push"), k.Back, k.Quit)
	}
	if r.err != nil {
		return s.helpLine(r.c.width, k.Retry, k.Troubleshoot, k.Back, k.Quit)
	}
	return s.helpLine(r.c.width, k.Retry, k.Back, k.Quit)
}
