package field

import (
	"errors"
	"fmt"
	"testing"
)

func flag(f ID) string {
	return map[ID]string{Mode: "--mode", Resume: "--resume", Restart: "--restart", Input: "--input", Table: "--table",
		ClientSecret: "PBIWB_CLIENT_SECRET"}[f]
}

func TestPhrase(t *testing.T) {
	cause := errors.New("cause")
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&Error{Field: Mode, Rule: Invalid, Value: "upsert", Msg: "use replace or append"}, `--mode "upsert": use replace or append`},
		{&Error{Field: Resume, Rule: Conflict, With: Restart, Msg: "contradict each other: give one"}, "--resume and --restart contradict each other: give one"},
		{&Error{Field: ClientSecret, Rule: Invalid, Value: "s3cret", Msg: "too short"}, "PBIWB_CLIENT_SECRET: too short"},
		{&Error{Field: Table, Rule: Missing}, "missing --table"},
		{&Error{Field: Resume, With: Restart, Rule: Missing, Msg: "a checkpoint is in the way"}, "missing --resume or --restart: a checkpoint is in the way"},
		{Errors{{Field: Input, Rule: Missing}, {Field: Table, Rule: Missing}}, "missing --input, --table"},
		{Errors{{Field: Input, Rule: Missing}, {Field: Mode, Rule: Invalid, Value: "x", Msg: "use replace or append", Err: cause}},
			`missing --input; --mode "x": use replace or append`},
	} {
		var got string
		switch e := tt.err.(type) {
		case *Error:
			got = e.Phrase(flag)
		case Errors:
			got = e.Phrase(flag)
		}
		if got != tt.want {
			t.Errorf("Phrase = %q, want %q", got, tt.want)
		}
	}
	e := &Error{Field: Mode, Rule: Invalid, Value: "x", Msg: "use replace or append", Err: cause}
	if e.Error() != `mode "x": use replace or append` || !errors.Is(e, cause) {
		t.Errorf("Error() = %q, Is(cause) = %v", e.Error(), errors.Is(e, cause))
	}
}

type labels struct{ Plain }

func (labels) Name(f ID) string { return "the " + string(f) + " (Details)" }
func (labels) Noun(f ID) string { return string(f) }

func TestNoun(t *testing.T) {
	for _, tt := range []struct {
		n    Namer
		want string
	}{
		{Plain{}, "choose another dataset name"},
		{labels{}, "choose another dataset name"},
		{flagNamer{}, "choose another --dataset name"},
		{nil, "choose another dataset name"},
	} {
		if got := "choose another " + Noun(Or(tt.n), Dataset) + " name"; got != tt.want {
			t.Errorf("%T: %q, want %q", tt.n, got, tt.want)
		}
	}
}

type cliNames struct{}

func (cliNames) Name(f ID) string {
	return map[ID]string{Cloud: "--cloud", Resume: "--resume", Sandbox: "--sandbox URL", Mode: "--mode"}[f]
}
func (c cliNames) Setting(f ID, v string) string { return c.Name(f) + " " + v }
func (cliNames) Typed() bool                     { return true }

type screenNames struct{}

func (screenNames) Name(f ID) string                { return "the " + string(f) + " (Screen)" }
func (s screenNames) Setting(f ID, v string) string { return s.Name(f) + " set to " + v }

func TestRender(t *testing.T) {
	for _, tt := range []struct {
		tmpl                string
		typed, screen, none string
	}{
		{"check {cloud}, or use {mode=replace}", "check --cloud, or use --mode replace",
			"check the cloud (Screen), or use the mode (Screen) set to replace", "check cloud, or use mode replace"},
		{"`{resume}` continues; `pbiwb push {resume}` too; `pbiwb groups` lists", "`--resume` continues; `pbiwb push --resume` too; `pbiwb groups` lists",
			"the resume (Screen) continues; the resume (Screen) too; `pbiwb groups` lists", "resume continues; resume too; `pbiwb groups` lists"},
		{"Check {cloud} (or the {sandbox URL})", "Check --cloud (or the --sandbox URL)",
			"Check the cloud (Screen) (or the sandbox URL (Screen))", "Check cloud (or the sandbox URL)"},
		{"no references {here", "no references {here", "no references {here", "no references {here"},
	} {
		if got := Render(tt.tmpl, cliNames{}); got != tt.typed {
			t.Errorf("typed: Render(%q) = %q, want %q", tt.tmpl, got, tt.typed)
		}
		if got := Render(tt.tmpl, screenNames{}); got != tt.screen {
			t.Errorf("screen: Render(%q) = %q, want %q", tt.tmpl, got, tt.screen)
		}
		if got := Render(tt.tmpl, nil); got != tt.none {
			t.Errorf("plain: Render(%q) = %q, want %q", tt.tmpl, got, tt.none)
		}
	}
}

type flagNamer struct{}

func (flagNamer) Name(f ID) string              { return "--" + string(f) }
func (flagNamer) Setting(f ID, v string) string { return "--" + string(f) + " " + v }

type timeout struct{}

func (timeout) Error() string { return "nothing arrived (request timeout)" }
func (timeout) Phrase(name func(ID) string) string {
	return "nothing arrived (" + name("request timeout") + ")"
}

// Phrased words any error in the chain that names fields.
func TestPhrasedPhraser(t *testing.T) {
	err := fmt.Errorf("post rows: %w", timeout{})
	got := Phrased(err, func(ID) string { return "--request-timeout" })
	if got != "post rows: nothing arrived (--request-timeout)" {
		t.Errorf("Phrased = %q", got)
	}
}
