package ui

import (
	"maps"
	"slices"
	"strings"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/format"
)

// commandLine is the `pbiwb push` equivalent of a request, for scripts and
// schedules, on one line: flags are the global flags in force (Options.Flags).
// Secrets never appear: the saved account carries them.
func commandLine(flags []string, r Request) string {
	return strings.Join(quoted(commandArgs(flags, r)), " ")
}

// commandBlock is the same command broken into lines of at most width
// columns with shell continuations, so it can be copied from the screen and
// pasted into a shell as it is (never broken inside a value).
func commandBlock(flags []string, r Request, width int) string {
	return packArgs(quoted(commandArgs(flags, r)), width)
}

// quoted is words each shell-quoted where it needs it.
func quoted(words []string) []string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = format.ShellQuote(w)
	}
	return q
}

// packArgs lays out a command's words, already quoted (the command, its
// subcommand, then flags each with its value), in lines of at most width
// columns.
func packArgs(args []string, width int) string {
	if len(args) < 2 {
		return strings.Join(args, " ")
	}
	var lines []string
	line := args[0] + " " + args[1] // command and "push"
	for i := 2; i < len(args); {
		word := args[i]
		if strings.HasPrefix(word, "--") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			word += " " + args[i+1]
			i++
		}
		i++
		if lipglossWidth(line)+1+lipglossWidth(word)+2 > width {
			lines = append(lines, line+" \\")
			line = "  " + word
			continue
		}
		line += " " + word
	}
	return strings.Join(append(lines, line), "\n")
}

// commandArgs are the words of the command line (unquoted), as the one
// builder (cmdline.Push) writes them.
func commandArgs(flags []string, r Request) []string {
	group := r.WorkspaceName
	if group == "" {
		group = r.WorkspaceID
	}
	p := cmdline.Push{Flags: flags, Account: r.Account, Input: r.Input, Sheet: r.Sheet, Group: group, Dataset: r.Dataset,
		Table: r.Table, Mode: r.Mode, Retention: r.Retention, Resume: r.Resume,
		AssumeSent: r.Resume && r.Assume == AssumeSent, AssumeLost: r.Resume && r.Assume == AssumeLost}
	if len(r.AccountFlags) > 0 {
		p.Flags, p.Account = append(slices.Clone(flags), r.AccountFlags...), ""
	}
	for _, n := range slices.Sorted(maps.Keys(r.Columns)) {
		p.Columns = append(p.Columns, n+"="+r.Columns[n])
	}
	return append([]string{"pbiwb"}, p.Args()...)
}
