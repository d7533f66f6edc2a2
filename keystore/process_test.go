package keystore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/home"
)

// TestMain lets the test binary act as a second pbiwb process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("KEYSTORE_TEST_WRITER_DIR"); dir != "" {
		os.Exit(writer(dir, os.Getenv("KEYSTORE_TEST_WRITER_TAG")))
	}
	os.Exit(m.Run())
}

const writerSaves = 15

// writer saves accounts <tag>00.. and touches them, as another process would.
func writer(dir, tag string) int {
	s := Open(home.Dirs{Config: dir, State: dir}, NewFileBackend(home.Dirs{Config: dir}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range writerSaves {
		name := tag + strconv.Itoa(i)
		if _, err := s.Save(ctx, testAccount(name), Secrets{Password: "pw-" + name}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := s.Touch(ctx, name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// Two processes saving at once lose nothing: the lock serialises the
// read-modify-write of accounts.json and of the secrets file.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for _, tag := range []string{"a", "b", "c"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KEYSTORE_TEST_WRITER_DIR="+dir, "KEYSTORE_TEST_WRITER_TAG="+tag)
		cmd.Stderr = os.Stderr
		must(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer: %v", err)
		}
	}
	s := Open(home.Dirs{Config: dir, State: dir}, NewFileBackend(home.Dirs{Config: dir}))
	list, err := s.List()
	must(t, err)
	if len(list) != 3*writerSaves {
		t.Fatalf("%d accounts, want %d", len(list), 3*writerSaves)
	}
	for _, a := range list {
		expectSecret(t, s, a.Name, Password, "pw-"+a.Name)
	}
}
