package cli

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/exitcode"
)

// runSandboxCommand runs `pbiwb sandbox args...` until its banner is out and
// returns its first stdout line and its stderr.
func runSandboxCommand(t *testing.T, args ...string) (first, stderr string) {
	t.Helper()
	pr, pw := io.Pipe()
	errb := &syncBuffer{}
	env := Env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: errb, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan exitcode.Code)
	go func() {
		done <- Main(ctx, append([]string{"sandbox"}, args...), env)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for i := 0; sc.Scan(); i++ {
		if i == 0 {
			first = sc.Text()
		}
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	return first, errb.String()
}

// TestSandboxSaysWhereItListens: on every interface, the first line names
// that address (not the loopback one), and stderr warns that the sandbox and
// its public demo secrets are within the network's reach, with the URL pbiwb
// uses here; on loopback, no warning.
func TestSandboxSaysWhereItListens(t *testing.T) {
	t.Parallel()
	first, stderr := runSandboxCommand(t, "--addr", "0.0.0.0:0")
	port, ok := strings.CutPrefix(first, "sandbox listening on https://0.0.0.0:")
	if !ok {
		t.Fatalf("first line %q, want the address listened on", first)
	}
	for _, want := range []string{"every network interface", "reachable from the network", "demo secrets", "public",
		"--sandbox https://127.0.0.1:" + port, "--addr 127.0.0.1:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}

	first, stderr = runSandboxCommand(t, "--addr", "127.0.0.1:0")
	if !strings.HasPrefix(first, "sandbox listening on https://127.0.0.1:") || stderr != "" {
		t.Errorf("loopback: first line %q, stderr %q; want no warning", first, stderr)
	}
}
