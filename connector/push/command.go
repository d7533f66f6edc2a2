package push

import (
	"strings"

	"github.com/pbiwb/pbiwb/format"
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
		"--input", format.ShellQuote(req.Input),
		"--group", format.ShellQuote(req.Group),
		"--dataset", format.ShellQuote(req.Dataset),
		"--table", format.ShellQuote(req.Table))
	if req.Mode != "" && req.Mode != ModeReplace {
		parts = append(parts, "--mode", format.ShellQuote(req.Mode))
	}
	if req.Retention != "" && req.Retention != RetentionNone {
		parts = append(parts, "--retention", format.ShellQuote(req.Retention))
	}
	for _, c := range req.Columns {
		parts = append(parts, "--column", format.ShellQuote(c))
	}
	if req.MaxThrottleWait > 0 && req.MaxThrottleWait != DefaultMaxThrottleWait {
		parts = append(parts, "--max-throttle-wait", req.MaxThrottleWait.String())
	}
	if req.Resume {
		parts = append(parts, "--resume")
	}
	if req.Restart {
		parts = append(parts, "--restart")
	}
	return strings.Join(parts, " ")
}
