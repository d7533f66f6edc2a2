package ui

import (
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// A sign-in failure offers ctrl+t; the checks show ✓, ✗ with the fix, and
// skipped; esc returns to the form as it was.
func TestTroubleshootFromSignInFailure(t *testing.T) {
	fb := newFakeBackend()
	c := demoCredentials()
	c.ClientID = "11111111-2222-4333-8444-555555555555"
	m := credentialsRoot(t, fb, c)
	press(t, m, "enter")
	if !strings.Contains(m.top().Help(), "ctrl+t troubleshoot") {
		t.Fatalf("help after a failure = %q", m.top().Help())
	}
	press(t, m, "ctrl+t")
	ts, ok := m.top().(*troubleshoot)
	if !ok {
		t.Fatalf("screen is %T, want *troubleshoot", m.top())
	}
	if ts.target.Credentials == nil || ts.target.Credentials.ClientID != c.ClientID {
		t.Errorf("target = %+v; want the typed credentials", ts.target)
	}
	requireGolden(t, m)
	press(t, m, "esc")
	cr, ok := m.top().(*credentials)
	if !ok || cr.get(FieldClientID).advice == "" {
		t.Fatalf("after esc the screen is %T (advice kept: %v)", m.top(), ok)
	}
}

// Each check appears as it finishes, with the spinner below while the rest run.
func TestTroubleshootShowsChecksAsTheyFinish(t *testing.T) {
	fb := newFakeBackend()
	fb.checkGate = make(chan struct{})
	defer close(fb.checkGate)
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	ts := newTroubleshoot(m.c, Target{Account: "sandbox"})
	m.stack = append(m.stack, ts)
	settleUntil(t, m, ts.Init(), func() bool { return len(ts.results) == 2 })
	if !ts.busy.active() {
		t.Fatal("the checks ended while the third was held")
	}
	requireGolden(t, m)
}

// From a failed push, t troubleshoots the whole target; back returns to Done.
func TestTroubleshootFromDone(t *testing.T) {
	fb := newFakeBackend()
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	req := salesRequest()
	req.Table = "Missing"
	send(t, m, pushFinishedMsg{Result{RowsWritten: 0}, errors.New("POST rows: 404 table not found")})
	m.req = req
	m.stack = []screen{newDone(m.c, req, Result{}, errors.New("POST rows: 404 table not found"))}
	press(t, m, "t")
	ts, ok := m.top().(*troubleshoot)
	if !ok {
		t.Fatalf("screen is %T, want *troubleshoot", m.top())
	}
	if ts.target.WorkspaceID != demo.WorkspaceSalesID || ts.target.Table != "Missing" || ts.target.Input != req.Input {
		t.Errorf("target = %+v", ts.target)
	}
	requireGolden(t, m)
	press(t, m, "esc")
	if _, ok := m.top().(*done); !ok {
		t.Fatalf("after esc the screen is %T, want *done", m.top())
	}
}

// The Accounts screen troubleshoots the highlighted account; a small window
// scrolls.
func TestTroubleshootFromAccountsScrolls(t *testing.T) {
	fb := newFakeBackend()
	fb.accounts = []AccountSummary{{Name: "sandbox", Method: MethodPassword, Username: demo.Username}}
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	press(t, m, "ctrl+t")
	ts, ok := m.top().(*troubleshoot)
	if !ok || ts.target.Account != "sandbox" {
		t.Fatalf("screen %T, target %+v", m.top(), ts)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 10})
	before := screenText(m)
	if !strings.Contains(before, "more lines") {
		t.Fatalf("a 10-line window should say more lines follow:\n%s", before)
	}
	press(t, m, "end")
	if after := screenText(m); after == before || !strings.Contains(after, "All checks passed.") {
		t.Errorf("end did not reach the end:\n%s", after)
	}
}

func TestTroubleshootWithoutAccount(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	settle(t, m, m.Init())
	press(t, m, "ctrl+t") // on "+ Add a new account"
	if got := screenText(m); !strings.Contains(got, "✗ The checks could not run: no account to check") {
		t.Errorf("screen:\n%s", got)
	}
}
