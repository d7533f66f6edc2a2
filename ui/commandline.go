package ui

import (
	"slices"
	"strings"

	"github.com/pbiwb/pbiwb/format"
)

// commandLine is the `pbiwb push` equivalent of a request, for scripts and
// schedules, on one line. Secrets never appear: the saved account carries them.
func commandLine(command string, r Request) string {
	return strings.Join(commandArgs(command, r), " ")
}

// commandBlock is the same command broken into lines of at most width
// columns with shell continuations, so it can be copied from the screen and
// pasted into a shell as it is (never broken inside a value).
func commandBlock(command string, r Request, width int) string {
	return packArgs(commandArgs(command, r), width)
}

// packArgs lays out a command's words (the command, its subcommand, then
// flags each with its value) in lines of at most width columns.
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

// commandArgs are the words of the command line, values shell-quoted.
func commandArgs(command string, r Request) []string {
	args := []string{command, "push"}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, format.ShellQuote(v))
		}
	}
	add("--account", r.Account)
	add("--input", r.Input)
	group := r.WorkspaceName
	if group == "" {
		group = r.WorkspaceID
	}
	add("--group", group)
	add("--dataset", r.Dataset)
	add("--table", r.Table)
	add("--mode", r.Mode)
	if r.Retention != "" && r.Retention != "none" {
		add("--retention", r.Retention)
	}
	names := make([]string, 0, len(r.Columns))
	for n := range r.Columns {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		add("--column", n+"="+r.Columns[n])
	}
	if r.Resume {
		args = append(args, "--resume")
	}
	return args
}

// splitCommand splits a shell-quoted command line (as shellQuote writes
// values) into its words, keeping their quotes, so packArgs can break it
// between words only.
func splitCommand(line string) []string {
	var words []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && !quoted && i+1 < len(line):
			cur.WriteByte(c)
			i++
			cur.WriteByte(line[i])
		case c == '\'':
			quoted = !quoted
			cur.WriteByte(c)
		case c == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}
