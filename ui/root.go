package ui

import (
	"context"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/exitcode"
)

// Model is the wizard's root: it owns navigation (a stack of screens, so back
// returns to a screen as the user left it), the answers gathered so far, and
// the exit code. Screens never call each other: they send typed messages
// that the root turns into transitions.
type Model struct {
	c       *Common
	prefill Credentials
	stack   []screen

	account AccountSummary
	req     Request

	exitCode exitcode.Code
	farewell string // printed after the program ends
	pushing  bool   // a push is running: Ctrl-C asks first
}

// Transitions the screens ask for.
type (
	addAccountMsg struct {
		fill Credentials
		err  error // why a saved account could not be opened, shown on its field
	}
	accountReadyMsg struct{ account AccountSummary }
	inputReadyMsg   struct {
		report    InputReport
		overrides map[string]string
	}
	detailsReadyMsg struct{ req Request }
	startPushMsg    struct{ req Request }
	pushFinishedMsg struct {
		res Result
		err error
	}
)

// New builds the wizard's root model. ctx bounds every backend call.
func New(ctx context.Context, b Backend, o Options) *Model {
	c := &Common{ctx: ctx, backend: b, styles: NewStyles(o.NoColor), keys: DefaultKeyMap(), width: 80, height: 24,
		readDir: o.readDir, running: &tracker{}, flags: o.Flags, command: cmdline.Quote(append([]string{"pbiwb"}, o.Flags...)), inputSuggestion: o.InputSuggestion, location: o.location}
	m := &Model{c: c, prefill: o.Prefill}
	m.stack = []screen{newAccounts(c)}
	return m
}

// Init starts the first screen.
func (m *Model) Init() tea.Cmd { return m.top().Init() }

func (m *Model) top() screen { return m.stack[len(m.stack)-1] }

// push shows a new screen.
func (m *Model) push(s screen) tea.Cmd {
	m.stack = append(m.stack, s)
	return s.Init()
}

// Update routes: global keys and transitions here, the rest to the top screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+c" && !m.pushing {
			m.exitCode = exitcode.Interrupted
			if d, ok := m.top().(*done); ok { // the push is over: its own outcome
				m.exitCode, m.farewell = d.code(), d.farewell()
			}
			return m, tea.Quit
		}
	case backMsg:
		if len(m.stack) > 1 && !m.pushing {
			m.stack = m.stack[:len(m.stack)-1]
			if a, ok := m.top().(*accounts); ok {
				return m, a.Init() // an account may have been saved meanwhile
			}
		}
		return m, nil
	case quitMsg:
		m.exitCode, m.farewell = msg.code, msg.farewell
		return m, tea.Quit
	case addAccountMsg:
		fill := msg.fill
		if fill.TenantID == "" && fill.ClientID == "" {
			fill = m.prefill
		}
		return m, m.push(newCredentials(m.c, fill, msg.err))
	case accountReadyMsg:
		m.account = msg.account
		return m, m.push(newInput(m.c, msg.account.Name, msg.account.HasDomo))
	case inputReadyMsg:
		m.req = Request{Account: m.account.Name, Input: msg.report.Input, Sheet: msg.report.Sheet, Columns: msg.overrides}
		return m, m.push(newDetails(m.c, m.req, msg.report))
	case detailsReadyMsg:
		m.req = msg.req
		return m, m.push(newReview(m.c, msg.req))
	case startPushMsg:
		m.req, m.pushing = msg.req, true
		return m, m.push(newPushScreen(m.c, msg.req))
	case pushFinishedMsg:
		m.pushing = false
		d := newDone(m.c, m.req, msg.res, msg.err)
		m.stack = []screen{d} // nothing to go back to once rows were written
		return m, d.Init()
	case troubleshootMsg:
		if m.pushing {
			return m, nil
		}
		return m, m.push(newTroubleshoot(m.c, msg.target))
	case historyMsg:
		return m, m.push(newHistory(m.c, msg.account))
	case runDetailMsg:
		return m, m.push(newRunDetail(m.c, msg.id, msg.account))
	case resumeRunMsg:
		m.account, m.req, m.pushing = msg.account, msg.req, true
		return m, m.push(newPushScreen(m.c, msg.req))
	case newRunMsg:
		m.stack = m.stack[:0]
		m.pushing = false
		return m, m.push(newAccounts(m.c))
	}
	s, cmd := m.top().Update(msg)
	m.stack[len(m.stack)-1] = s
	return m, cmd
}

// View draws the header, the top screen and its help line, filling the
// window so the help line sits on the last row.
func (m *Model) View() tea.View {
	c, s := m.c, m.c.styles
	top := m.top()
	head := s.Title.Render("pbiwb") + s.Hint.Render(" · Power BI writeback")
	step := s.Step.Render(top.Title())
	if lipglossWidth(head)+1+lipglossWidth(step) > c.width {
		head = s.Title.Render("pbiwb") // a narrow window keeps the step's title
	}
	gap := max(c.width-lipglossWidth(head)-lipglossWidth(step), 1)
	lines := []string{truncate(head+strings.Repeat(" ", gap)+step, c.width), ""}

	body := strings.Split(top.View(), "\n")
	room := max(c.height-3, 1)
	if len(body) > room {
		body = body[:room]
	}
	for i := range body {
		body[i] = truncate(body[i], c.width)
	}
	lines = append(lines, body...)
	for len(lines) < c.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, truncate(top.Help(), c.width))

	v := tea.NewView(strings.Join(lines, "\n"))
	v.AltScreen = true
	v.WindowTitle = "pbiwb · " + top.Title()
	return v
}

// ExitCode is the code the wizard ended with: 0 after a verified push or a
// plain quit from the Done screen, 130 after Ctrl-C, a push failure's code.
func (m *Model) ExitCode() exitcode.Code { return m.exitCode }

// Farewell is the text to print once the screen is gone.
func (m *Model) Farewell() string { return m.farewell }
