// Package cmdline is the one place that knows `pbiwb push`'s flags by name
// and writes a push as a command line: the argv a script would run and the
// same words shell-quoted for people (format.ShellQuote). The engine's
// hints (resume, run again, --restart), the wizard's Review and Done
// screens and `pbiwb history` all render through Push, and cli defines its
// flag set with the names below, so renaming a push flag is one change here.
//
// It imports nothing of connector/, so the ui may use it too.
package cmdline

import (
	"errors"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/format"
)

// The names of `pbiwb push`'s flags (docs/cli.md), without their dashes.
const (
	Input           = "input"
	Format          = "format"
	Sheet           = "sheet"
	Group           = "group"
	Dataset         = "dataset"
	Table           = "table"
	Mode            = "mode"
	Retention       = "retention"
	Column          = "column"
	MaxThrottleWait = "max-throttle-wait"
	RequestTimeout  = "request-timeout"
	Resume          = "resume"
	Restart         = "restart"
	AssumeSent      = "assume-sent"
	AssumeLost      = "assume-lost"
	DryRun          = "dry-run"
	JSON            = "json"
	Account         = "account"
)

// The values a push takes when a flag is not given; the line leaves them out.
const (
	DefaultMode      = "replace"
	DefaultRetention = "none"
)

// Push is one `pbiwb push` as its flags say it. Empty and zero fields, and
// the defaults above, are left out of the line (give MaxThrottleWait only
// when it is not the default). Secrets never belong here: they come from the
// environment or the keyring.
//
// The history keeps a run's Push as JSON (connector/history.Request), so a
// new push option is a field here, with its tag, and a flag in Args; the
// tags are the stored names: never rename one. Resume and Restart are how
// one run was asked, not what it writes, so the history leaves them out.
type Push struct {
	// Flags are the global and identity flags that go first, as words
	// (e.g. --sandbox URL --home DIR --tenant ID, a non-default
	// --request-timeout); never a secret.
	Flags []string `json:"flags,omitempty"`
	// Account is --account: the saved account that runs the push.
	Account   string   `json:"account,omitempty"`
	Input     string   `json:"input"`
	Format    string   `json:"format,omitempty"` // --format, when the extension is not the format
	Sheet     string   `json:"sheet,omitempty"`  // --sheet: a workbook's sheet
	Group     string   `json:"group"`
	Dataset   string   `json:"dataset"`
	Table     string   `json:"table"`
	Mode      string   `json:"mode,omitempty"`
	Retention string   `json:"retention,omitempty"`
	Columns   []string `json:"columns,omitempty"` // "NAME=TYPE" each (--column)
	// MaxThrottleWait is a non-default --max-throttle-wait; zero is the default.
	MaxThrottleWait time.Duration `json:"maxThrottleWait,omitempty"`
	Resume          bool          `json:"-"`
	Restart         bool          `json:"-"`
	// AssumeSent and AssumeLost go with Resume: what became of the batches
	// whose answer was lost, when rows cannot be counted (how one run was
	// asked, like Resume: the history leaves them out).
	AssumeSent bool `json:"-"`
	AssumeLost bool `json:"-"`
}

// Args is the argv of the push after the program's name: "push", then the
// flags, each value a word of its own (unquoted).
func (p Push) Args() []string {
	args := append([]string{"push"}, p.Flags...)
	add := func(name, v string) {
		if v != "" {
			args = append(args, "--"+name, v)
		}
	}
	add(Account, p.Account)
	add(Input, p.Input)
	add(Format, p.Format)
	add(Sheet, p.Sheet)
	add(Group, p.Group)
	add(Dataset, p.Dataset)
	add(Table, p.Table)
	if !strings.EqualFold(p.Mode, DefaultMode) {
		add(Mode, p.Mode)
	}
	if !strings.EqualFold(p.Retention, DefaultRetention) {
		add(Retention, p.Retention)
	}
	for _, c := range p.Columns {
		args = append(args, "--"+Column, c)
	}
	if p.MaxThrottleWait > 0 {
		add(MaxThrottleWait, p.MaxThrottleWait.String())
	}
	if p.Resume {
		args = append(args, "--"+Resume)
	}
	if p.Restart {
		args = append(args, "--"+Restart)
	}
	if p.AssumeSent {
		args = append(args, "--"+AssumeSent)
	}
	if p.AssumeLost {
		args = append(args, "--"+AssumeLost)
	}
	return args
}

// Line is the command for people, on one line: "pbiwb" and Args, each word
// shell-quoted where it needs it.
func (p Push) Line() string {
	return Quote(append([]string{"pbiwb"}, p.Args()...))
}

// Quote joins words into one line, each shell-quoted where it needs it.
func Quote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = format.ShellQuote(w)
	}
	return strings.Join(q, " ")
}

// Split is the words of a POSIX command line that uses spaces, single
// quotes and backslashes only (what Line and format.ShellQuote write), with
// the quoting removed.
func Split(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("an unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
