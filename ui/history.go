package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// history lists the recorded runs, newest first: when, outcome, rows,
// duration, mode, target and input. Enter opens a run's details, from which
// an interrupted or stopped run can be resumed.
type history struct {
	c       *Common
	account string // the account a resume uses when the run does not name one
	list    *picker
	busy    busy
	loaded  bool
	runs    int
	err     error
}

type (
	// historyMsg asks the root to open the History screen.
	historyMsg struct{ account string }
	// runDetailMsg asks the root to open one run's details.
	runDetailMsg     struct{ id, account string }
	historyMsgLoaded struct {
		gen  int
		runs []RunSummary
		err  error
	}
)

func newHistory(c *Common, account string) *history {
	return &history{c: c, account: account, list: newPicker(nil), busy: newBusy(c.styles)}
}

func (h *history) Title() string { return "History" }

func (h *history) Init() tea.Cmd {
	ctx, gen, tick := h.busy.start(h.c, "Reading the history…")
	b := h.c.backend
	return tea.Batch(tick, func() tea.Msg {
		runs, err := b.History(ctx)
		return historyMsgLoaded{gen, runs, err}
	})
}

func (h *history) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case historyMsgLoaded:
		if !h.busy.current(msg.gen) {
			return h, nil
		}
		h.busy.done()
		h.loaded, h.err, h.runs = true, msg.err, len(msg.runs)
		h.list.setItems(h.items(msg.runs))
		return h, nil
	case tea.KeyPressMsg:
		k := h.c.keys
		switch {
		case msg.String() == "esc" && h.list.filter != "":
			h.list.update(keyMsgCtrlU)
		case keyIs(msg, k.Back):
			h.busy.stop()
			return h, back
		case keyIs(msg, k.Retry) && !h.busy.active():
			return h, h.Init()
		case keyIs(msg, k.Next):
			if it := h.list.selected(); it != nil {
				id, account := it.value.(RunSummary).ID, h.account
				return h, func() tea.Msg { return runDetailMsg{id, account} }
			}
		case msg.String() == "pgdown", msg.String() == "pgup":
			for range max(h.c.bodyHeight()-5, 1) {
				h.list.update(tea.KeyPressMsg{Code: map[string]rune{"pgdown": tea.KeyDown, "pgup": tea.KeyUp}[msg.String()]})
			}
		default:
			h.list.update(msg)
		}
		return h, nil
	}
	return h, h.busy.update(msg)
}

// items are the runs as rows; the picker keeps their order (newest first).
func (h *history) items(runs []RunSummary) []pickItem {
	items := make([]pickItem, len(runs))
	for i, r := range runs {
		items[i] = pickItem{title: runRow(r, h.c.loc()), detail: runWhere(r), value: r}
	}
	return items
}

// historyColumns is the heading of runRow's columns.
var historyColumns = fmt.Sprintf("%-12s  %-13s %14s %5s  %-7s  %s", "When", "Outcome", "Rows", "Took", "Mode", "Target ← input")

// runRow is a run's fixed-width columns.
func runRow(r RunSummary, loc *time.Location) string {
	rows := format.Thousands(r.RowsWritten)
	if r.RowsTotal > 0 && r.RowsTotal != r.RowsWritten {
		rows += "/" + format.Thousands(r.RowsTotal)
	}
	took := tookText(r.Elapsed)
	mode := r.Mode
	if r.DryRun {
		mode = "dry-run"
	}
	return fmt.Sprintf("%-12s  %-13s %14s %5s  %-7s", r.Start.In(loc).Format("Jan 02 15:04"), outcomeText(r.Outcome), rows, took, mode)
}

// tookText is a run's duration: "—" while unknown, "<1s" for a quick one.
func tookText(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return "<1s"
	}
	return format.Duration(d)
}

// runWhere is where a run wrote and what it read.
func runWhere(r RunSummary) string {
	return strings.Join(nonEmpty(r.Workspace, r.Dataset, r.Table), " › ") + " ← " + r.Input
}

// outcomeText marks an outcome so that it reads without colour.
func outcomeText(o outcome.Outcome) string {
	switch {
	case o == outcome.Succeeded:
		return "✓ " + string(o)
	case o == outcome.Failed:
		return "✗ " + string(o)
	case o.Resumable():
		return "‖ " + string(o)
	case o == outcome.Running:
		return "… " + string(o)
	}
	return "? " + string(o)
}

func (h *history) View() string {
	s, w := h.c.styles, h.c.width
	lines := []string{"Runs recorded on this machine, newest first (pbiwb history lists the same).", ""}
	switch {
	case h.busy.active():
		lines = append(lines, h.busy.view(s, w))
	case h.err != nil:
		lines = append(lines, s.Error.Render(wrap("✗ Could not read the history: "+h.err.Error(), w)), s.Advice.Render("  ctrl+r retries."))
	case h.loaded && h.runs == 0:
		lines = append(lines, s.Hint.Render("No runs yet: each push (and dry run) is recorded here."))
	default:
		lines = append(lines, truncate(s.Hint.Render("  "+historyColumns), w), h.list.view(s, true, w, h.c.bodyHeight()-5))
		if it := h.list.selected(); it != nil {
			lines = append(lines, "", s.Selected.Render(wrap(runWhere(it.value.(RunSummary)), w)))
		}
	}
	return strings.Join(lines, "\n")
}

func (h *history) Help() string {
	k, s, w := h.c.keys, h.c.styles, h.c.width
	if h.busy.active() || h.runs == 0 {
		return s.helpLine(w, k.Retry, k.Back, k.Quit)
	}
	return s.helpLine(w, k.Up, keyHelp(k.Next, "enter", "details"), keyHelp(k.NextItem, "type", "filter"), k.Back, k.Quit)
}
