//go:build linux

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns a pseudo-terminal pair: what the user types goes into
// master, pbiwb reads slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

func echoOn(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// waitEchoOff waits until the reader has turned echo off, so that typing
// starts when a person would.
func waitEchoOff(t *testing.T, f *os.File) {
	t.Helper()
	waitFor(t, patience(t), "echo to turn off", func() bool { return !echoOn(t, f) })
}

// readUntil reads master until marker shows (the terminal's output so far).
func readUntil(t *testing.T, master *os.File, marker string) string {
	t.Helper()
	var got bytes.Buffer
	buf := make([]byte, 256)
	_ = master.SetReadDeadline(time.Now().Add(patience(t)))
	for !strings.Contains(got.String(), marker) {
		n, err := master.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("reading the terminal: %v (so far %q)", err, got.String())
		}
	}
	return got.String()
}

// The terminal tests are not parallel: an interrupted prompt leaves its read
// behind (as the product does when it exits), and that read acts on its
// descriptor's number, which another test's file may take once this one's is
// closed.
func TestTTYReaderEchoOff(t *testing.T) {
	master, slave := openPTY(t)
	var prompt bytes.Buffer
	r := &ttyReader{in: slave, out: &prompt}
	got := make(chan string, 1)
	go func() {
		s, err := r.ReadSecret(context.Background(), "Azure AD password: ")
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	waitEchoOff(t, slave)
	if _, err := master.WriteString("hunter2\n"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "hunter2" {
		t.Errorf("read %q", s)
	}
	if !echoOn(t, slave) {
		t.Error("echo left off after the prompt")
	}
	if _, err := slave.WriteString("END\n"); err != nil {
		t.Fatal(err)
	}
	if screen := readUntil(t, master, "END"); strings.Contains(screen, "hunter2") {
		t.Errorf("the secret was echoed: %q", screen)
	}
	if prompt.String() != "Azure AD password: \n" {
		t.Errorf("prompt output %q", prompt.String())
	}
}

func TestTTYReaderInterrupted(t *testing.T) {
	master, slave := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	r := &ttyReader{in: slave, out: &bytes.Buffer{}}
	done := make(chan error, 1)
	go func() {
		_, err := r.ReadSecret(ctx, "Client secret Value: ")
		done <- err
	}()
	waitEchoOff(t, slave)
	cancel() // Ctrl-C
	if err := <-done; !errors.Is(err, errPromptInterrupted) {
		t.Errorf("got %v, want errPromptInterrupted", err)
	}
	if !echoOn(t, slave) {
		t.Error("echo left off after an interrupted prompt")
	}
	_, _ = master.WriteString("\n") // let the abandoned read finish
}

// Not a terminal: no reader, so accounts add asks for the env variable.
func TestNoPromptWithoutTerminal(t *testing.T) {
	t.Parallel()
	if ttySecretReader(Env{Stdin: strings.NewReader("x")}) != nil {
		t.Error("a reader for a non-file stdin")
	}
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ttySecretReader(Env{Stdin: f}) != nil {
		t.Error("a reader for a regular file")
	}
}
