package ui

import (
	"slices"
	"strings"
)

// commandLine is the `pbiwb push` equivalent of a request, for scripts and
// schedules. Secrets never appear: the saved account carries them.
func commandLine(command string, r Request) string {
	args := []string{command, "push"}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, shellQuote(v))
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
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
