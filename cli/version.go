package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/pbiwb/pbiwb/exitcode"
)

// Version is set at build time: go build -ldflags "-X github.com/pbiwb/pbiwb/cli.Version=v1.2.3".
var Version = "dev"

func runVersion(_ context.Context, _ Globals, args []string, env Env) error {
	if len(args) > 0 {
		return exit(exitcode.Usage, "version takes no arguments")
	}
	commit := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	fmt.Fprintf(env.Stdout, "pbiwb %s\ncommit %s\n%s %s/%s\n", Version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
