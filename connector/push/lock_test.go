package push

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

var helperKey = lockKey{APIBase: "https://sandbox.test", Tenant: "t", Workspace: "w", Dataset: "D", Table: "t"}

// TestLockHelperProcess is not a test: TestLockOfAKilledPushIsTakenOver runs
// it in a child process, which takes a target's lock and waits to be killed.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("PBIWB_TEST_LOCK_DIR")
	if dir == "" {
		t.Skip("a helper process")
	}
	if _, err := lockTarget(dir, helperKey, LockHolder{PID: os.Getpid(), RunID: "helper-run", Target: "the helper's"}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Hour)
}

// A push killed with kill -9 leaves its lock file saying it holds the lock;
// while it lives a second push is refused, naming it; once it is dead, the
// OS has released its lock and the next push takes it over.
func TestLockOfAKilledPushIsTakenOver(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("kill -9")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "PBIWB_TEST_LOCK_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("the helper: %q", line)
	}

	me := LockHolder{PID: os.Getpid(), RunID: "my-run", Target: "mine"}
	_, err = lockTarget(dir, helperKey, me)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != cmd.Process.Pid || le.Holder.RunID != "helper-run" {
		t.Fatalf("while the helper holds the lock: %v", err)
	}

	cmd.Process.Signal(os.Kill)
	cmd.Wait()
	l, err := lockTarget(dir, helperKey, me)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	path := l.f.Name()
	if h := readHolder(path); h == nil || h.PID != os.Getpid() || h.RunID != "my-run" {
		t.Errorf("the lock file after the takeover: %+v", h)
	}
	l.release()
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("released, the lock file still says %s", b)
	}
}

// The lock directory is the user's own: one that others may write to is
// made private, one that is not a directory is refused.
func TestLockDirIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	dir := t.TempDir() + "/locks"
	os.Mkdir(dir, 0o777)
	os.Chmod(dir, 0o777)
	if err := privateDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("the lock directory is %v, want 0700", fi.Mode().Perm())
	}
	link := t.TempDir() + "/link"
	os.Symlink(dir, link)
	if err := privateDir(link); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a link as the lock directory: %v", err)
	}
}
