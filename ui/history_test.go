package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

func historyRoot(t *testing.T, fb *fakeBackend) *Model {
	t.Helper()
	o := testOptions()
	o.location = time.UTC
	fb.accounts = []AccountSummary{{Name: "sandbox", Method: MethodPassword, Username: demo.Username, HasDomo: true}}
	m := newTestRoot(t, fb, o)
	settle(t, m, m.Init())
	press(t, m, "ctrl+o")
	if _, ok := m.top().(*history); !ok {
		t.Fatalf("after ctrl+o the screen is %T, want *history", m.top())
	}
	return m
}

func TestHistoryScreen(t *testing.T) {
	m := historyRoot(t, newFakeBackend())
	requireGolden(t, m)
}

func TestHistoryRunDetails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		downs int
	}{{"succeeded", 0}, {"interrupted", 1}, {"failed", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			m := historyRoot(t, newFakeBackend())
			for range tc.downs {
				press(t, m, "down")
			}
			press(t, m, "enter")
			if _, ok := m.top().(*runDetail); !ok {
				t.Fatalf("screen is %T, want *runDetail", m.top())
			}
			requireGolden(t, m)
		})
	}
}

// r on an interrupted run signs in with its account and runs the same
// request with Resume on the Push screen, to Done.
func TestHistoryResumeInterruptedRun(t *testing.T) {
	fb := newFakeBackend()
	m := historyRoot(t, fb)
	press(t, m, "down", "enter", "r")
	d, ok := m.top().(*done)
	if !ok {
		t.Fatalf("after r the screen is %T, want the push to have ended on *done", m.top())
	}
	if !d.req.Resume || d.req.Account != "sandbox" || d.req.Table != "Stores" || d.req.Mode != "append" || d.err != nil {
		t.Errorf("resumed request = %+v, err %v", d.req, d.err)
	}
	if fb.pushes != 1 {
		t.Errorf("pushes = %d, want 1", fb.pushes)
	}
}

func TestHistoryFailedRunIsNotResumable(t *testing.T) {
	fb := newFakeBackend()
	m := historyRoot(t, fb)
	press(t, m, "down", "down", "enter", "r")
	if _, ok := m.top().(*runDetail); !ok || fb.pushes != 0 {
		t.Fatalf("screen %T, pushes %d", m.top(), fb.pushes)
	}
	if got := screenText(m); !strings.Contains(got, "Only an interrupted or stopped run can be resumed.") {
		t.Errorf("screen:\n%s", got)
	}
}

// The Done screen opens the history; esc returns to Done.
func TestHistoryFromDone(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	settle(t, m, m.Init())
	m.stack = []screen{newDone(m.c, salesRequest(), Result{RowsWritten: 3000, RowsVerified: 3000, RunID: "20261127-213000.000-a1b2"}, nil)}
	press(t, m, "h")
	h, ok := m.top().(*history)
	if !ok || h.account != "sandbox" {
		t.Fatalf("screen %T", m.top())
	}
	press(t, m, "esc")
	if _, ok := m.top().(*done); !ok {
		t.Fatalf("after esc the screen is %T, want *done", m.top())
	}
}

// A recorded command's words are quoted one by one and never broken inside
// a value.
func TestPackArgsKeepsQuotedWords(t *testing.T) {
	words := []string{"pbiwb", "push", "--account", "sandbox", "--group", "Sales Analytics", "--dataset", "Bob's data", "--resume"}
	got := packArgs(quoted(words), 30)
	want := "pbiwb push --account sandbox \\\n  --group 'Sales Analytics' \\\n  --dataset 'Bob'\\''s data' \\\n  --resume"
	if got != want {
		t.Errorf("packArgs =\n%s\nwant\n%s", got, want)
	}
}
