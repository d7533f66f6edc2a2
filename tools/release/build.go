package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const modulePath = "github.com/pbiwb/pbiwb"

// defaultTargets are the platforms a release covers.
var defaultTargets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// stamp is what a release build writes into the binary and its archives.
type stamp struct {
	Version string
	Commit  string
	Time    time.Time // the commit's: every archived file carries it
}

type target struct{ OS, Arch string }

func (t target) String() string { return t.OS + "/" + t.Arch }

// A version goes into file names and a linker flag: no spaces, no quotes.
var versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+-]*$`)

// stampOf fills in what was not given from git: the version from `git
// describe`, the commit and its time from HEAD. SOURCE_DATE_EPOCH, when set,
// overrides the time, as reproducible builds expect.
func stampOf(ctx context.Context, root, version, commit string) (stamp, error) {
	s := stamp{Version: version, Commit: commit}
	var err error
	if s.Version == "" {
		if s.Version, err = git(ctx, root, "describe", "--tags", "--always", "--dirty"); err != nil {
			return s, fmt.Errorf("no -version given and %w", err)
		}
	}
	if !versionRE.MatchString(s.Version) {
		return s, fmt.Errorf("-version %q: use letters, digits and . _ + - only, such as v1.2.3", s.Version)
	}
	if s.Commit == "" {
		if s.Commit, err = git(ctx, root, "rev-parse", "HEAD"); err != nil {
			return s, fmt.Errorf("no -commit given and %w", err)
		}
	}
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		if epoch, err = git(ctx, root, "log", "-1", "--format=%ct"); err != nil {
			epoch = "0"
		}
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return s, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", epoch)
	}
	s.Time = time.Unix(sec, 0).UTC()
	return s, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s failed: %v %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func parseTargets(list string) ([]target, error) {
	var ts []target
	for _, w := range strings.Split(list, ",") {
		os, arch, ok := strings.Cut(strings.TrimSpace(w), "/")
		if !ok || os == "" || arch == "" {
			return nil, fmt.Errorf("-targets: %q is not OS/ARCH (such as linux/amd64)", w)
		}
		ts = append(ts, target{os, arch})
	}
	return ts, nil
}

// buildArchive builds pbiwb for t and packs it with the README and docs/
// into out: pbiwb_VERSION_OS_ARCH.tar.gz, or .zip for Windows.
func buildArchive(ctx context.Context, root, out string, s stamp, t target) (string, error) {
	tmp, err := os.MkdirTemp("", "pbiwb-release-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	exe := "pbiwb"
	if t.OS == "windows" {
		exe += ".exe"
	}
	bin := filepath.Join(tmp, exe)
	ldflags := fmt.Sprintf("-s -w -X %[1]s/cli.Version=%[2]s -X %[1]s/cli.Commit=%[3]s", modulePath, s.Version, s.Commit)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.OS, "GOARCH="+t.Arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, b)
	}
	name := fmt.Sprintf("pbiwb_%s_%s_%s", s.Version, t.OS, t.Arch)
	files := []archived{{name + "/" + exe, bin, 0o755}, {name + "/README.md", filepath.Join(root, "README.md"), 0o644}}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		return "", errors.New("no docs/*.md to ship beside the binary")
	}
	for _, d := range docs {
		files = append(files, archived{name + "/docs/" + filepath.Base(d), d, 0o644})
	}
	if t.OS == "windows" {
		path := filepath.Join(out, name+".zip")
		return path, writeZip(path, files, s.Time)
	}
	path := filepath.Join(out, name+".tar.gz")
	return path, writeTarGz(path, files, s.Time)
}
