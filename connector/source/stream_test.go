//go:build unix

package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// fifo makes a named pipe and writes content into it from a goroutine, as
// `mkfifo f; producer > f &` would: the writer opens it once, writes, closes.
func fifo(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.WriteString(content)
	}()
	return path
}

// A named pipe is read once, and the second pass reads the copy: before,
// the second pass opened the FIFO again and waited forever for a writer.
func TestNamedPipeIsReadOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "%d,n%d\n", i, i)
	}
	path := fifo(t, b.String())
	src := File(path, nil)
	if src.Reopenable {
		t.Fatal("a FIFO is not reopenable")
	}
	lim := schema.DocumentedLimits()
	lim.MaxRowsPerPost = 1000
	ctx := context.Background() // a hang (as before) fails at go test's -timeout
	p, err := Scan(ctx, src, Options{Limits: lim, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 2 { // the plan's pass and the writer's
		batches, rows := collect(t, p, 0)
		if len(batches) != 3 || len(rows) != 3000 || rows[2999]["name"] != "n2999" {
			t.Fatalf("%d batches, %d rows", len(batches), len(rows))
		}
	}
	if _, err := src.Open(ctx); err == nil || !strings.Contains(err.Error(), "read a second time") {
		t.Fatalf("a second open: %v, want a refusal (never a wait)", err)
	}
}

// A process substitution's /dev/fd/N is a pipe: read once too. Before, the
// second pass failed with "read /dev/fd/N again: EOF".
func TestDevFdPipeIsReadOnce(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no /dev/fd here: %v", err)
	}
	go func() {
		w.WriteString("a\tb\n1\tx\n2\ty\n")
		w.Close()
	}()
	ctx := context.Background() // a hang (as before) fails at go test's -timeout
	p, err := Scan(ctx, File(path, nil), Options{Limits: schema.DocumentedLimits(), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, rows := collect(t, p, 0); len(rows) != 2 || rows[1]["b"] != "y" || p.Delimiter != '\t' {
		t.Fatalf("rows %v, delimiter %q", rows, p.Delimiter)
	}
}

// A FIFO nobody writes to: the open waits, and an interrupt ends the wait.
func TestNamedPipeWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "never")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	t.Cleanup(func() {
		// Let the abandoned open return (it then closes what it got).
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Scan(ctx, File(path, nil), Options{Limits: schema.DocumentedLimits(), TempDir: t.TempDir()})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A writer that opened the FIFO, wrote some rows and then goes silent
// without closing: the read waits, and an interrupt ends it too.
func TestNamedPipeReadEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silent")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	// 300 rows of 1 KB: more than the pipe holds, so the write returning
	// means the reader is reading; fewer than the 1,024 rows after which
	// the scan looks at ctx itself, so only the read can notice it.
	rows := "a\n" + strings.Repeat(strings.Repeat("x", 1023)+"\n", 300)
	wrote := make(chan *os.File, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			f.WriteString(rows) // and then nothing, never closing
		}
		wrote <- f
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Scan(ctx, File(path, nil), Options{Limits: schema.DocumentedLimits(), TempDir: t.TempDir()})
		done <- err
	}()
	f := <-wrote
	if f == nil {
		t.Fatal("the writer could not open the FIFO")
	}
	defer f.Close()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDirectoryInput(t *testing.T) {
	_, err := Scan(context.Background(), File(t.TempDir(), nil), Options{})
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("err = %v", err)
	}
}
