package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/pbiwb/pbiwb/exitcode"
)

// usageError turns a flag parse error into exit 2 (the flag package has
// already printed the problem and the usage); -h is exit 0.
func usageError(err error) error {
	if err == flag.ErrHelp {
		return &exitError{code: exitcode.OK, err: errSilent}
	}
	return &exitError{code: exitcode.Usage, err: errSilent}
}

// printFlags lists fs's flags as the ecosystem writes them (gh, kubectl,
// docker): "--name ARG" with its text below, and the default when it is not
// the zero value. It replaces the flag package's "-name" listing; the flags
// still parse with one dash or two. When completing (env.flagSink), it hands
// fs over instead of printing.
func printFlags(env Env, fs *flag.FlagSet) {
	if env.flagSink != nil {
		env.flagSink(fs)
		return
	}
	w := fs.Output()
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" && !isBoolFlag(f) {
			line += " " + arg
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			if strings.ContainsAny(d, " \"") {
				d = strconv.Quote(d)
			}
			text += " (default " + d + ")"
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, text)
	})
}

// defaultUsage is the usage of a flag set with no text of its own.
func defaultUsage(env Env, fs *flag.FlagSet, synopsis string) func() {
	return func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n", synopsis)
		printFlags(env, fs)
	}
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
