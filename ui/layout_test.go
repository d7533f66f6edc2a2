package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Every screen fills the window exactly and no line overflows it, at the
// smallest supported size and on resize.
func TestScreensFitTheWindow(t *testing.T) {
	fb := newFakeBackend()
	report, _ := fb.InspectInput(t.Context(), "sandbox", "data/stores.csv", "", nil)
	screens := map[string]func(c *Common) screen{
		"accounts": func(c *Common) screen { return newAccounts(c) },
		"credentials": func(c *Common) screen {
			return newCredentials(c, demoCredentials(), &signInError{"AADSTS50076", FieldUsername, strings.Repeat("long summary ", 10), strings.Repeat("long advice ", 12)})
		},
		"input":   func(c *Common) screen { return newInput(c, "sandbox", true) },
		"details": func(c *Common) screen { return newDetails(c, salesRequest(), report) },
		"review":  func(c *Common) screen { return newReview(c, salesRequest()) },
		"push":    func(c *Common) screen { return newPushScreen(c, salesRequest()) },
		"done": func(c *Common) screen {
			return newDone(c, salesRequest(), Result{RowsWritten: 10, RowsVerified: 10, RunID: "r1"}, nil)
		},
		"troubleshoot": func(c *Common) screen {
			t := requestTarget(salesRequest())
			t.Table = "Missing"
			return newTroubleshoot(c, t)
		},
		"history":    func(c *Common) screen { return newHistory(c, "sandbox") },
		"run detail": func(c *Common) screen { return newRunDetail(c, fakeRuns[1].ID, "sandbox") },
	}
	for name, build := range screens {
		for _, size := range [][2]int{{80, 24}, {60, 16}, {132, 40}} {
			m := newTestRoot(t, fb, testOptions())
			s := build(m.c)
			if p, ok := s.(*pushScreen); ok {
				m.stack = append(m.stack, s)
				p.gen = 7
				m.Update(progressMsg{7, ProgressEvent{RowsWritten: 5, RowsTotal: 10, Wait: &Wait{Reason: strings.Repeat("a reason ", 20), Left: time.Minute},
					Error: &PushError{Message: strings.Repeat("an error ", 20), RequestID: "abc"}}, time.Now()})
			} else {
				show(t, m, s)
			}
			if in, ok := s.(*input); ok {
				in.path.setValue("data/stores.csv")
				send(t, m, keyMsg("enter"))
			}
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			lines := strings.Split(m.View().Content, "\n")
			if len(lines) != size[1] {
				t.Errorf("%s at %v: %d lines", name, size, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%s at %v: line %d is %d wide: %q", name, size, i, w, ansi.Strip(l))
				}
			}
		}
	}
}

func TestStaleRepliesAreDropped(t *testing.T) {
	m, d := detailsRoot(t, newFakeBackend())
	typeText(t, m, "sales")
	press(t, m, "enter")
	old := d.loadingSets.gen
	press(t, m, "up") // back to the group list: the user changes their mind
	press(t, m, "ctrl+u")
	typeText(t, m, "fin")
	press(t, m, "enter")
	m.Update(datasetsMsg{gen: old, list: []string{"Stale"}})
	if d.group.Name != "Finance" || len(d.datasets) != 0 {
		t.Fatalf("group %s, datasets %v: a stale reply was applied", d.group.Name, d.datasets)
	}
}

// With NoColor no screen carries a colour (the caller sets it from NO_COLOR);
// without it, colours are there.
func TestNoColor(t *testing.T) {
	colour := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])[;m]`)
	for _, noColor := range []bool{true, false} {
		o := testOptions()
		o.NoColor, o.Prefill = noColor, demoCredentials()
		m := newTestRoot(t, newFakeBackend(), o)
		settle(t, m, m.Init())
		press(t, m, "enter") // the Credentials screen: inputs, cursor, hints
		got := colour.MatchString(m.View().Content)
		if got == noColor {
			t.Errorf("NoColor=%v: colour codes present = %v", noColor, got)
		}
	}
}
