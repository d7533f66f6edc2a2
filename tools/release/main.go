// Command release builds pbiwb's release archives: one per platform admins
// use (linux, macOS and Windows on amd64 and arm64), each holding the
// binary stamped with the version and commit, the README and the reference
// in docs/, and a SHA256SUMS file over them.
//
//	go run ./tools/release -version v1.2.3            # into dist/
//	go run ./tools/release -targets linux/amd64 -out /tmp/dist
//
// It needs only Go (the archives are written with archive/tar and
// archive/zip), so any machine that builds pbiwb can cut a release. The
// archives are reproducible: every file in them carries the commit's time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	version := fs.String("version", "", "the version to stamp (default: `git describe --tags --always --dirty`)")
	commit := fs.String("commit", "", "the commit to stamp (default: git rev-parse HEAD)")
	out := fs.String("out", "dist", "the directory that receives the archives and SHA256SUMS")
	targets := fs.String("targets", strings.Join(defaultTargets, ","), "comma-separated OS/ARCH pairs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	s, err := stampOf(ctx, root, *version, *commit)
	if err != nil {
		return err
	}
	ts, err := parseTargets(*targets)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var archives []string
	for _, t := range ts {
		path, err := buildArchive(ctx, root, *out, s, t)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		fmt.Println("built", path)
		archives = append(archives, path)
	}
	sums := filepath.Join(*out, "SHA256SUMS")
	if err := writeSums(sums, archives); err != nil {
		return err
	}
	fmt.Println("wrote", sums)
	return nil
}

// moduleRoot is the directory of pbiwb's go.mod: the release is built from
// there wherever the command is run.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside pbiwb's module (%s): run it from a clone", modulePath)
		}
		dir = parent
	}
}
