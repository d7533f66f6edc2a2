package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// pushScreen runs the writeback and shows its progress: rows and batches,
// the current wait with its reason and a countdown, retries, throughput,
// ETA and errors with their RequestId. Ctrl-C asks first, then stops the
// push cleanly (its checkpoint saved) and says how to resume.
type pushScreen struct {
	c      *Common
	req    Request
	gen    int
	cancel context.CancelFunc
	events chan ProgressEvent

	ev         ProgressEvent
	received   time.Time // when ev arrived, for the wait's countdown
	now        time.Time // the latest clock tick
	errs       []PushError
	notes      []pushNote // the plan's warnings and the steps, oldest first
	confirming bool
	stopping   bool
	ticking    bool // a clock tick is scheduled (only while waiting)
}

type (
	progressMsg struct {
		gen int
		ev  ProgressEvent
		at  time.Time
	}
	pushDoneMsg struct {
		gen int
		res Result
		err error
	}
	clockMsg struct {
		gen int
		at  time.Time
	}
)

const keptErrors = 3

// pushNote is a line the Push screen keeps: a warning of the plan, or a
// step the push began (as `pbiwb push` prints them).
type pushNote struct {
	text    string
	warning bool
}

// keptNotes bounds the notes kept; the view shows the newest that fit.
const keptNotes = 8

func newPushScreen(c *Common, req Request) *pushScreen {
	return &pushScreen{c: c, req: req}
}

func (p *pushScreen) Title() string { return "6/7 Push" }

func (p *pushScreen) Init() tea.Cmd {
	ctx, cancel := context.WithCancel(p.c.ctx)
	p.cancel, p.gen = cancel, p.c.nextGen()
	p.events = make(chan ProgressEvent, 16)
	events, gen, b, req, running := p.events, p.gen, p.c.backend, p.req, p.c.running
	run := func() tea.Msg {
		running.begin()
		defer running.end()
		res, err := b.Push(ctx, req, events)
		close(events)
		return pushDoneMsg{gen, res, err}
	}
	return tea.Batch(run, p.listen())
}

func (p *pushScreen) listen() tea.Cmd {
	gen := p.gen
	return forward(p.events, func(ev ProgressEvent) tea.Msg { return progressMsg{gen, ev, time.Now()} })
}

// tick schedules the next clock tick for the wait's countdown, one at a time
// and only while waiting.
func (p *pushScreen) tick() tea.Cmd {
	if p.ticking || p.ev.Wait == nil {
		return nil
	}
	p.ticking = true
	gen := p.gen
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return clockMsg{gen, t} })
}

func (p *pushScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case progressMsg:
		if msg.gen != p.gen {
			return p, nil
		}
		p.ev, p.received, p.now = msg.ev, msg.at, msg.at
		if n := msg.ev.Warning; n != "" {
			p.note(pushNote{n, true})
		}
		// Once stopping, the Status row says what happens; the engine's
		// words then speak of a second Ctrl-C, which the wizard ignores.
		if n := msg.ev.Step; n != "" && !p.stopping {
			p.note(pushNote{n, false})
		}
		if e := msg.ev.Error; e != nil {
			p.errs = append(p.errs, *e)
			if len(p.errs) > keptErrors {
				p.errs = p.errs[len(p.errs)-keptErrors:]
			}
		}
		return p, tea.Batch(p.listen(), p.tick())
	case clockMsg:
		if msg.gen != p.gen {
			return p, nil
		}
		p.now, p.ticking = msg.at, false
		return p, p.tick()
	case pushDoneMsg:
		if msg.gen != p.gen {
			return p, nil
		}
		p.gen = -1 // later ticks and events are stale
		if p.stopping && msg.err != nil {
			farewell := resumeAdvice(p.c.flags, fmt.Sprintf("Stopped after %s of %s.", format.Count(msg.res.RowsWritten, "row"), format.Thousands(p.ev.RowsTotal)), p.req)
			return p, func() tea.Msg { return quitMsg{exitcode.Interrupted, farewell} }
		}
		return p, func() tea.Msg { return pushFinishedMsg{msg.res, msg.err} }
	case tea.KeyPressMsg:
		p.key(msg)
	}
	return p, nil
}

func (p *pushScreen) note(n pushNote) {
	p.notes = append(p.notes, n)
	if len(p.notes) > keptNotes {
		p.notes = p.notes[len(p.notes)-keptNotes:]
	}
}

// notesView is the newest notes that fit in room lines, oldest first.
func (p *pushScreen) notesView(w, room int) []string {
	s := p.c.styles
	var out []string
	used := 0
	for i := len(p.notes) - 1; i >= 0; i-- {
		n := p.notes[i]
		text := wrap("• "+n.text, w-2)
		if n.warning {
			text = s.Warn.Render(wrap("! "+n.text, w-2))
		}
		h := strings.Count(text, "\n") + 1
		if used+h > room {
			break
		}
		used += h
		out = append([]string{indent(text, "  ")}, out...)
	}
	return out
}

func (p *pushScreen) key(msg tea.KeyPressMsg) {
	k := p.c.keys
	switch {
	case p.stopping:
	case msg.String() == "ctrl+c" && p.confirming, p.confirming && keyIs(msg, k.Yes):
		p.stopping, p.confirming = true, false
		p.cancel()
	case msg.String() == "ctrl+c":
		p.confirming = true
	case p.confirming && keyIs(msg, k.No):
		p.confirming = false
	}
}

func (p *pushScreen) View() string {
	s, w, e := p.c.styles, p.c.width, p.ev
	q := p.req
	lines := []string{
		truncate(fmt.Sprintf("Writing %s → %s › %s › %s (%s)", q.Input, q.WorkspaceName, q.Dataset, q.Table, q.Mode), w),
		"",
	}
	pct := 0.0
	if e.RowsTotal > 0 {
		pct = float64(e.RowsWritten) / float64(e.RowsTotal)
	}
	lines = append(lines, s.bar(pct, max(w-7, 10))+fmt.Sprintf(" %3.0f%%", pct*100), "")
	row := func(label, value string) { lines = append(lines, fmt.Sprintf("  %-10s %s", label, value)) }
	row("Rows", format.Thousands(e.RowsWritten)+" / "+format.Thousands(e.RowsTotal))
	row("Batches", fmt.Sprintf("%s / %s · %d in flight", format.Thousands(e.BatchesDone), format.Thousands(e.BatchesTotal), e.InFlight))
	switch {
	case p.stopping:
		row("Status", s.Warn.Render("stopping: waiting for the batches in flight, saving the checkpoint…"))
	case e.Wait != nil:
		left := e.Wait.Left - p.now.Sub(p.received)
		row("Waiting", s.Warn.Render(format.Duration(left)))
		lines = append(lines, indent(s.Warn.Render(wrap(e.Wait.Reason, w-13)), strings.Repeat(" ", 13)))
	case e.RowsTotal == 0:
		row("Status", "preparing the target…")
	default:
		row("Status", "sending")
	}
	retries := format.Thousands(e.Retries)
	if e.Throttled > 0 {
		retries += fmt.Sprintf(" · %s met (Power BI said: too many requests)", format.Count(e.Throttled, "429"))
	}
	row("Retries", retries)
	speed := "—"
	if e.RowsPerSecond > 0 {
		eta := "unknown"
		if e.ETA >= 0 {
			eta = format.Duration(e.ETA)
		}
		speed = fmt.Sprintf("%s rows/s · ETA %s", format.Thousands(int64(e.RowsPerSecond)), eta)
	}
	row("Speed", speed)
	var errs []string
	if len(p.errs) > 0 {
		errs = append(errs, "", "Errors met (retried unless the push stops):")
		for _, pe := range p.errs {
			errs = append(errs, indent(s.Error.Render(wrap("✗ "+pe.Message, w-4)), "  "))
			if pe.RequestID != "" {
				errs = append(errs, "    "+s.Hint.Render("RequestId "+pe.RequestID))
			}
		}
	}
	// The notes get the rows the rest leaves (the confirmation box too).
	room := p.c.bodyHeight() - len(strings.Split(strings.Join(append(lines, errs...), "\n"), "\n")) - 1
	if p.confirming {
		room -= 6
	}
	if notes := p.notesView(w, room); len(notes) > 0 {
		lines = append(append(lines, ""), notes...)
	}
	lines = append(lines, errs...)
	if p.confirming {
		lines = append(lines, "", s.Box.Width(min(w, 80)).Render(
			"Stop the push? Rows written so far stay in the table, and the checkpoint lets --resume write only the rest.\n\n"+
				"y  stop cleanly     n  keep going"))
	}
	return strings.Join(lines, "\n")
}

func (p *pushScreen) Help() string {
	k, s := p.c.keys, p.c.styles
	if p.confirming {
		return s.helpLine(p.c.width, keyHelp(k.Yes, "y", "stop"), keyHelp(k.No, "n", "keep going"))
	}
	return s.helpLine(p.c.width, keyHelp(k.Quit, "ctrl+c", "stop (asks first)"))
}
