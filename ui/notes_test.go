package ui

import (
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

func TestSignInNotesShownBeforeInput(t *testing.T) {
	fb := newFakeBackend()
	fb.signInNotes = []string{"The app registration does not allow public client flows, so the client secret was used; turn on Authentication › Allow public client flows to sign in without it."}
	m := credentialsRoot(t, fb, demoCredentials())
	press(t, m, "enter")
	if _, ok := m.top().(*credentials); !ok {
		t.Fatalf("screen is %T, want the credentials screen showing the notes", m.top())
	}
	if len(fb.saved) != 1 {
		t.Fatalf("saved = %d accounts, want 1 before the notes", len(fb.saved))
	}
	requireGolden(t, m)
	press(t, m, "enter")
	if _, ok := m.top().(*input); !ok {
		t.Fatalf("after enter the screen is %T, want *input", m.top())
	}
}

func TestInputSuggestionPrefilled(t *testing.T) {
	o := testOptions()
	o.InputSuggestion = demo.DomoDataSetID
	m := newTestRoot(t, newFakeBackend(), o)
	settle(t, m, m.Init())
	in := newInput(m.c, "sandbox", true)
	show(t, m, in)
	if got := in.path.value(); got != demo.DomoDataSetID {
		t.Fatalf("input = %q, want the suggestion", got)
	}
	requireGolden(t, m)
	press(t, m, "ctrl+u")
	if got := in.path.value(); got != "" {
		t.Errorf("after ctrl+u the input is %q, want it cleared", got)
	}
}

func TestInputWarningsShown(t *testing.T) {
	m, _ := inputRoot(t, newFakeBackend())
	typeText(t, m, "data/stores.csv")
	press(t, m, "enter", "down", "left", "down", "right", "enter")
	got := screenText(m)
	if !strings.Contains(got, "No findings") || !strings.Contains(got, `! stores.csv:3999: column 3 ("opened") will be a String`) {
		t.Fatalf("screen lacks the warning:\n%s", got)
	}
	requireGolden(t, m)
}
