package ui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
)

// busy is one async backend request in flight, behind a spinner: its
// generation (replies with another are stale and dropped), its cancel, and
// any device-code prompt it relayed.
type busy struct {
	sp     spinner.Model
	label  string
	gen    int
	cancel context.CancelFunc
	prompt string // device-code message, verbatim
}

func newBusy(s *Styles) busy {
	return busy{sp: spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(s.Spinner))}
}

func (b *busy) active() bool { return b.cancel != nil }

// start begins a request: it returns the context and generation to hand to
// the command, and the spinner's first tick.
func (b *busy) start(c *Common, label string) (context.Context, int, tea.Cmd) {
	b.stop()
	ctx, cancel := context.WithCancel(c.ctx)
	b.label, b.cancel, b.gen, b.prompt = label, cancel, c.nextGen(), ""
	return ctx, b.gen, b.sp.Tick
}

// stop cancels the request (if any) and forgets it: its reply will be stale.
func (b *busy) stop() {
	if b.cancel != nil {
		b.cancel()
	}
	b.cancel = nil
	b.gen = -1
	b.prompt = ""
}

// current reports whether a reply of generation gen is the awaited one.
func (b *busy) current(gen int) bool { return b.active() && gen == b.gen }

// done marks the awaited reply as arrived.
func (b *busy) done() {
	b.cancel()
	b.cancel = nil
	b.prompt = ""
}

// update advances the spinner while busy.
func (b *busy) update(msg tea.Msg) tea.Cmd {
	if t, ok := msg.(spinner.TickMsg); ok && b.active() {
		var cmd tea.Cmd
		b.sp, cmd = b.sp.Update(t)
		return cmd
	}
	return nil
}

func (b *busy) view(s *Styles, width int) string {
	out := strings.TrimRight(b.sp.View(), " ") + " " + b.label
	if b.prompt != "" {
		// A URL on a line of its own (the browser sign-in's) is left out of
		// the box, which would frame its pieces, and shown in lines of the
		// screen's width; c copies it whole (promptURL).
		var text []string
		url := b.promptURL()
		for _, l := range strings.Split(b.prompt, "\n") {
			if url != "" && strings.TrimSpace(l) == url {
				text = append(text, "(the address below; c copies it)")
				continue
			}
			text = append(text, l)
		}
		out += "\n\n" + s.Box.Width(min(width, 78)).Render(strings.Join(text, "\n"))
		for rest := url; rest != ""; {
			n := min(len(rest), max(width, 20))
			out += "\n" + rest[:n]
			rest = rest[n:]
		}
	}
	return out
}

// promptURL is the URL on a line of its own in the prompt, or "".
func (b *busy) promptURL() string {
	for _, l := range strings.Split(b.prompt, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "https://") && !strings.Contains(t, " ") {
			return t
		}
	}
	return ""
}

// Device-code prompts relayed from a sign-in.
type deviceCodeMsg struct {
	gen  int
	text string
}

func (b *busy) waitPrompt(ch <-chan string, gen int) tea.Cmd {
	return forward(ch, func(t string) tea.Msg { return deviceCodeMsg{gen, t} })
}

// onPrompt shows a relayed prompt and waits for the next one.
func (b *busy) onPrompt(msg deviceCodeMsg, ch <-chan string) tea.Cmd {
	if !b.current(msg.gen) {
		return nil
	}
	b.prompt = msg.text
	return b.waitPrompt(ch, msg.gen)
}
