package ui

import (
	"context"
	"io"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// testFS is what path completion sees in tests.
var testFS = fstest.MapFS{
	"data/stores.csv":      {Data: []byte("store,zip\n")},
	"data/stores-2025.csv": {Data: []byte("store,zip\n")},
	"data/archive/old.csv": {Data: []byte("a\n")},
	"data/.hidden.csv":     {Data: []byte("a\n")},
	"orders.csv":           {Data: []byte("id\n")},
}

func testReadDir(dir string) ([]fs.DirEntry, error) { return fs.ReadDir(testFS, cleanDir(dir)) }

func cleanDir(dir string) string {
	for len(dir) > 1 && dir[len(dir)-1] == '/' {
		dir = dir[:len(dir)-1]
	}
	return dir
}

func testOptions() Options {
	return Options{NoColor: true, readDir: testReadDir}
}

// newTestRoot is the wizard at 80×24 without colour, over fb.
func newTestRoot(t *testing.T, fb *fakeBackend, o Options) *Model {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(ctx, fb, o)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m
}

// settle runs cmd and every command that follows, the way Bubble Tea would
// (each in its own goroutine), feeding their messages back into m until
// nothing is left. Spinner frames and clock ticks are dropped so it ends.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	settleUntil(t, m, cmd, nil)
}

// settleUntil is settle that stops early, once until reports true after a
// message; the commands still running are abandoned.
func settleUntil(t *testing.T, m *Model, cmd tea.Cmd, until func() bool) {
	t.Helper()
	msgs := make(chan tea.Msg, 64)
	pending := 0
	run := func(c tea.Cmd) {
		if c == nil {
			return
		}
		pending++
		go func() { msgs <- c() }()
	}
	run(cmd)
	deadline := time.After(patience)
	if until != nil && pending == 0 {
		t.Fatal("nothing ran, so the condition cannot become true")
	}
	for pending > 0 {
		select {
		case msg := <-msgs:
			pending--
			switch msg := msg.(type) {
			case nil, spinner.TickMsg, clockMsg, tea.QuitMsg:
			case tea.BatchMsg:
				for _, c := range msg {
					run(c)
				}
			default:
				_, c := m.Update(msg)
				run(c)
				if until != nil && until() {
					return
				}
			}
		case <-deadline:
			t.Fatalf("commands still pending after 5s: %d", pending)
		}
	}
	if until != nil {
		t.Fatal("all commands ended and the condition never became true")
	}
}

// send delivers one message and settles what follows.
func send(t *testing.T, m *Model, msg tea.Msg) {
	t.Helper()
	_, cmd := m.Update(msg)
	settle(t, m, cmd)
}

// press sends keys by name: "enter", "tab", "shift+tab", "esc", "ctrl+c", "up", …
func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		send(t, m, keyMsg(k))
	}
}

// typeText types s one rune at a time.
func typeText(t *testing.T, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	codes := map[string]tea.KeyPressMsg{
		"enter":     {Code: tea.KeyEnter},
		"tab":       {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
		"esc":       {Code: tea.KeyEscape},
		"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
		"ctrl+r":    {Code: 'r', Mod: tea.ModCtrl},
		"ctrl+u":    {Code: 'u', Mod: tea.ModCtrl},
		"up":        {Code: tea.KeyUp},
		"down":      {Code: tea.KeyDown},
		"left":      {Code: tea.KeyLeft},
		"right":     {Code: tea.KeyRight},
		"backspace": {Code: tea.KeyBackspace},
		"pgdown":    {Code: tea.KeyPgDown},
	}
	if k, ok := codes[k]; ok {
		return k
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screenText is the screen as a person sees it, without escape codes.
func screenText(m *Model) string { return ansi.Strip(m.View().Content) }

// requireGolden compares the screen with testdata/<test name>.golden
// (`go test ./ui -update` rewrites it).
func requireGolden(t *testing.T, m *Model) {
	t.Helper()
	golden.RequireEqual(t, screenText(m))
}

// show puts s on top of the wizard and runs its Init.
func show(t *testing.T, m *Model, s screen) {
	t.Helper()
	m.stack = append(m.stack, s)
	settle(t, m, s.Init())
}

// salesRequest is a filled-in request for the later screens.
func salesRequest() Request {
	return Request{Account: "sandbox", Input: "domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4", WorkspaceID: "00000000-0000-4000-8000-00000000a001",
		WorkspaceName: "Sales Analytics", Dataset: "Sales Orders", Table: "Sales_Orders", Mode: "replace"}
}

// patience bounds every wait for what takes milliseconds (a screen to show,
// a program to end): a guard against a hang, never a timing, so it is far
// above what a loaded machine needs.
const patience = 30 * time.Second

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
