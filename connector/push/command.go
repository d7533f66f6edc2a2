package push

import (
	"strings"
)

// CommandLine is the `pbiwb push` command that does what req asks, for the
// wizard's last screen and the resume hint: global is the global and
// credential flags (Services.Invocation, e.g. "--sandbox URL --account
// NAME"), already quoted; they go after "push", where both kinds are read.
// Every value is shell-quoted (POSIX sh) where it needs it.
func CommandLine(global string, req Request) string {
	parts := []string{"pbiwb", "push"}
	if g := strings.TrimSpace(global); g != "" {
		parts = append(parts, g)
	}
	parts = append(parts,
		"--input", ShellQuote(req.Input),
		"--group", ShellQuote(req.Group),
		"--dataset", ShellQuote(req.Dataset),
		"--table", ShellQuote(req.Table))
	if req.Mode != "" && req.Mode != ModeReplace {
		parts = append(parts, "--mode", ShellQuote(req.Mode))
	}
	if req.Retention != "" && req.Retention != RetentionNone {
		parts = append(parts, "--retention", ShellQuote(req.Retention))
	}
	for _, c := range req.Columns {
		parts = append(parts, "--column", ShellQuote(c))
	}
	if req.Resume {
		parts = append(parts, "--resume")
	}
	if req.Restart {
		parts = append(parts, "--restart")
	}
	return strings.Join(parts, " ")
}

// ShellQuote quotes s for a POSIX shell: as it is when it holds only
// characters no shell treats specially, else in single quotes.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
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
