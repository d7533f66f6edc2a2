package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
)

// pbiwbBinary builds the binary for a test that runs it (the build cache
// makes the second build of a run a link only).
func pbiwbBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "pbiwb")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/pbiwb/pbiwb").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitFor polls cond every 5ms for up to limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > limit {
			t.Fatalf("waited %s for %s", limit, what)
		}
	}
}

// The report: two pushes of one target, a new dataset, at once, each
// from its own home. The first reads its input from a pipe that the test
// holds open, so it is surely running; the second exits 2 before creating
// or writing anything, naming the first (pid, start, run id). The first
// then ends as if alone: one dataset of that name, every row once.
func TestPushSecondOfATargetIsRefused(t *testing.T) {
	t.Parallel()
	const n = 30_000
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "Twice", "--table", "T"}

	stdin, feed := io.Pipe()
	env, _, firstErr := f.env(demoPasswordEnv)
	env.Stdin = stdin
	done := make(chan exitcode.Code, 1)
	go func() {
		done <- Main(context.Background(), append([]string{"--sandbox", f.sb.URL(), "--home", f.home},
			pushArgs(append(target, "--input", "-")...)...), env)
	}()
	io.WriteString(feed, "id,label\n")
	waitFor(t, time.Minute, "the first push to read its input", func() bool {
		return strings.Contains(firstErr.String(), "Reading and checking")
	})
	var first history.Record
	if h := f.history(); len(h) > 0 {
		first = h[0]
	} else {
		t.Error("the first push is not in the history while it reads its input")
	}

	other := &fixture{t: t, sb: f.sb, home: t.TempDir(), backend: f.backend, deps: f.deps}
	code, _, stderr := other.run(demoPasswordEnv, pushArgs(append(target, "--input", writeIDs(t, t.TempDir(), 10))...)...)
	if code != exitcode.Usage {
		t.Errorf("the second push: exit %d, want 2\n%s", code, stderr)
	}
	for _, want := range []string{"pid " + strconv.Itoa(os.Getpid()), "run " + first.ID, "started ", `dataset "Twice"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the second push does not name the first (%q):\n%s", want, stderr)
		}
	}
	if ids := f.state().DatasetIDs(demo.WorkspaceSales, "Twice"); len(ids) != 0 {
		t.Errorf("datasets created while the first push reads its input: %v", ids)
	}

	w := bufio.NewWriter(feed)
	for i := range n {
		w.WriteString(strconv.Itoa(i) + ",row " + strconv.Itoa(i) + "\n")
	}
	w.Flush()
	feed.Close()
	if code := <-done; code != exitcode.OK {
		t.Fatalf("the first push: exit %d\n%s", code, firstErr.String())
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Twice"), "T"), n)
}

// The wizard's push goes through the same lock, and says so clearly.
func TestWizardPushRefusedWhileAnotherPushWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	done := make(chan exitcode.Code, 1)
	_, _, err := pushCSV(t, f, testCtx(t), "Busy", func() {
		// A slow headless push of the same target, from another home, is
		// writing when the wizard's push starts.
		f.faults(t, `{"latency":"300ms"}`)
		other := &fixture{t: t, sb: f.sb, home: t.TempDir(), backend: f.backend, deps: f.deps}
		path := writeIDs(t, t.TempDir(), 60_000)
		go func() {
			code, _, _ := other.run(demoPasswordEnv, pushArgs("--group", demo.WorkspaceSales, "--dataset", "Busy", "--table", "T", "--input", path)...)
			done <- code
		}()
		waitFor(t, time.Minute, "the headless push to write", func() bool {
			return f.counters(demo.WorkspaceSales, "Busy")["rowsAccepted"] > 0
		})
	})
	var ec exitcode.Coder
	if !errors.As(err, &ec) || ec.ExitCode() != exitcode.Usage || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(err.Error(), "wait until that push ends") {
		t.Errorf("the wizard's push beside another: %v, want exit 2 naming it", err)
	}
	f.faults(t, `{}`)
	if code := <-done; code != exitcode.OK {
		t.Errorf("the headless push: exit %d", code)
	}
}

// unwritableHome is a home no push can write to, also as root (which
// permissions do not stop): a path under a regular file.
func unwritableHome(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(file, "home")
}

// A home that cannot keep the checkpoint stops the push before any request
// (exit 2, naming the directory and the fix); the sandbox has no dataset.
// doctor says so too.
func TestPushUnwritableHomeWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
	f.home = unwritableHome(t)
	code, _, stderr := f.run(demoPasswordEnv, pushArgs("--group", demo.WorkspaceSales, "--dataset", "NoHome", "--table", "T",
		"--input", writeIDs(t, t.TempDir(), 10))...)
	if code != exitcode.Usage || !strings.Contains(stderr, filepath.Dir(f.home)) || !strings.Contains(stderr, "--home DIR (or PBIWB_HOME)") {
		t.Errorf("push into an unwritable home: exit %d, want 2 naming the directory and the fix\n%s", code, stderr)
	}
	if ids := f.state().DatasetIDs(demo.WorkspaceSales, "NoHome"); len(ids) != 0 {
		t.Errorf("the push created the dataset: %v", ids)
	}

	_, got, _ := f.doctorJSON(t, demoPasswordEnv, demoUserFlags...)
	if r := got[doctor.CheckHome]; r.Status != doctor.Fail || !strings.Contains(r.Found, filepath.Dir(f.home)) || !strings.Contains(r.Fix, "--home DIR") {
		t.Errorf("doctor on an unwritable home: %+v", r)
	}
	f.home = t.TempDir()
	if _, got, _ := f.doctorJSON(t, demoPasswordEnv, demoUserFlags...); got[doctor.CheckHome].Status != doctor.Pass {
		t.Errorf("doctor on a writable home: %+v", got[doctor.CheckHome])
	}
}

// The report: kill -9 while the input is read, then --resume (as a
// retry loop would) starts from the first row and says so; the killed run is
// in the history.
func TestPushResumeAfterKillDuringScan(t *testing.T) {
	t.Parallel()
	bin := pbiwbBinary(t)
	const n = 400_000
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
	path := writeIDs(t, t.TempDir(), n)
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "ScanKilled", "--table", "T", "--input", path, "--mode", "append"}
	f.mustPush("--group", demo.WorkspaceSales, "--dataset", "ScanKilled", "--table", "T", "--input", writeIDs(t, t.TempDir(), 0))

	cmd := exec.Command(bin, append([]string{"--sandbox", f.sb.URL(), "--home", f.home}, pushArgs(target...)...)...)
	cmd.Env = append(os.Environ(), EnvPassword+"="+demo.Password, "PBIWB_HOME=", "PBIWB_SANDBOX=")
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(errPipe)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "Reading and checking") {
			break
		}
	}
	cmd.Process.Kill() // SIGKILL, as the scan begins
	go io.Copy(io.Discard, errPipe)
	cmd.Wait()
	if got := f.counters(demo.WorkspaceSales, "ScanKilled")["rowsAccepted"]; got != 0 {
		t.Logf("the kill came after %d rows were written: this round tests a plain resume", got)
	}
	killed := f.history()[0]
	if killed.PID != cmd.Process.Pid || killed.Outcome != outcome.Interrupted || killed.Input != path {
		t.Fatalf("the killed run's record: %+v", killed)
	}

	_, stderr := f.mustPush(append(target, "--resume")...)
	if !strings.Contains(stderr, "starting from the first row") && !strings.Contains(stderr, "resumed") {
		t.Errorf("the resume does not say where it starts:\n%s", stderr)
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "ScanKilled"), "T"), n)

	// Once more, as a retry loop would: nothing to write, exit 0.
	_, stderr = f.mustPush(append(target, "--resume")...)
	if done := f.history()[1]; !strings.Contains(stderr, "nothing to write: run "+done.ID) {
		t.Errorf("a --resume after success does not name the run that wrote the rows (%s):\n%s", done.ID, stderr)
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "ScanKilled"), "T"), n)
}
