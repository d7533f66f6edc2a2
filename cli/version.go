package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/pbiwb/pbiwb/exitcode"
)

// Version and Commit are stamped by the release build (tools/release):
//
//	go build -ldflags "-X github.com/pbiwb/pbiwb/cli.Version=v1.2.3 -X github.com/pbiwb/pbiwb/cli.Commit=SHA"
//
// Unstamped, the version is the module's as `go install …@v1.2.3` records
// it (else "dev"), and the commit the one the Go toolchain records when it
// builds in a git checkout.
var (
	Version = "dev"
	Commit  = ""
)

func runVersion(_ context.Context, _ Globals, args []string, env Env) error {
	if len(args) > 0 {
		return exit(exitcode.Usage, "version takes no arguments")
	}
	info, ok := debug.ReadBuildInfo()
	version, commit := buildStamp(Version, Commit, info, ok)
	fmt.Fprintf(env.Stdout, "pbiwb %s\ncommit %s\n%s %s/%s\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// buildStamp is the version and commit to print: the stamped ones first,
// then what the build info holds.
func buildStamp(version, commit string, info *debug.BuildInfo, ok bool) (string, string) {
	if !ok {
		info = &debug.BuildInfo{}
	}
	if version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		version = info.Main.Version
	}
	if commit == "" {
		commit = "unknown"
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return version, commit
}
