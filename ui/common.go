package ui

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/pbiwb/pbiwb/exitcode"
)

// Common is shared by every screen (soft-serve's pattern): the backend, the
// context every backend call runs under, styles, keys and the window size.
type Common struct {
	ctx     context.Context
	backend Backend
	styles  *Styles
	keys    *KeyMap
	width   int
	height  int
	gen     int // the last generation handed out; see nextGen

	running *tracker // pushes in flight
	flags   []string // the global flags in force (Options.Flags)
	command string   // how the user runs pbiwb, quoted: "pbiwb", "pbiwb --sandbox URL"
	// inputSuggestion prefills the Input screen (Options.InputSuggestion).
	inputSuggestion string
	// location is where times are shown (time.Local outside tests).
	location *time.Location

	// readDir lists a directory for path completion (os.ReadDir outside tests).
	readDir func(dir string) ([]fs.DirEntry, error)
}

// nextGen hands out a generation for an async request. Replies carry it back,
// and a screen drops any reply whose generation is not the one it waits for:
// the user went back, retried, or changed their mind meanwhile.
func (c *Common) nextGen() int {
	c.gen++
	return c.gen
}

// bodyHeight is the height left for a screen between header and help line.
func (c *Common) bodyHeight() int { return max(c.height-4, 6) }

// Messages a screen sends to the root, which owns navigation.
type (
	backMsg struct{}
	// quitMsg ends the program with an exit code and a farewell printed after
	// the screen is gone.
	quitMsg struct {
		code     exitcode.Code
		farewell string
	}
)

func back() tea.Msg { return backMsg{} }

// screen is one step of the wizard. Only the root returns a tea.View.
type screen interface {
	Init() tea.Cmd
	Update(tea.Msg) (screen, tea.Cmd)
	View() string
	Help() string // the key help line
	Title() string
}

// forward waits for the next message on ch and wraps it; it returns nil when
// ch is closed (Bubble Tea drops nil messages).
func forward[T any](ch <-chan T, wrap func(T) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		v, ok := <-ch
		if !ok {
			return nil
		}
		return wrap(v)
	}
}

// --- text helpers ---

func lipglossWidth(s string) int { return lipgloss.Width(s) }

// wrap breaks text to width columns (ANSI-aware).
func wrap(s string, width int) string {
	if width < 10 {
		width = 10
	}
	return ansi.Wrap(s, width, " ")
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// truncate cuts s to width columns with an ellipsis.
func truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// tracker counts running pushes so Run can wait, after the screen is gone,
// for a cancelled push to save its checkpoint. It is not model state: push
// commands call begin/end from their own goroutines.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (t *tracker) begin() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// wait returns once nothing runs, or after d.
func (t *tracker) wait(d time.Duration) {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	ch := t.idle
	t.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(d):
	}
}

// loc is the time zone times are shown in.
func (c *Common) loc() *time.Location {
	if c.location == nil {
		return time.Local
	}
	return c.location
}
