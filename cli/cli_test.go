package cli

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/exitcode"
)

// testEnv is an Env with vars for its environment and the real services
// (a fixture's f.env has the fixture's).
func testEnv(vars map[string]string) (Env, *syncBuffer, *syncBuffer) {
	out, errb := &syncBuffer{}, &syncBuffer{}
	return Env{
		Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Getenv:     func(k string) string { return vars[k] },
		IsTerminal: func() bool { return false },
		deps:       realDeps(),
	}, out, errb
}

func TestParseGlobals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  map[string]string
		want Globals
		rest []string
	}{
		{args: []string{"--sandbox"}, want: Globals{Sandbox: true, SandboxFrom: "--sandbox"}},
		{args: []string{"--sandbox", "https://127.0.0.1:8443"}, want: Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:8443", SandboxFrom: "--sandbox"}},
		{args: []string{"push", "--sandbox=https://[::1]:1", "--table", "T"}, want: Globals{Sandbox: true, SandboxURL: "https://[::1]:1", SandboxFrom: "--sandbox"}, rest: []string{"push", "--table", "T"}},
		{args: []string{"--home", "/x", "groups"}, want: Globals{Home: "/x"}, rest: []string{"groups"}},
		{args: []string{"groups"}, env: map[string]string{"PBIWB_HOME": "/h", "PBIWB_SANDBOX": "https://127.0.0.1:9"}, want: Globals{Home: "/h", Sandbox: true, SandboxURL: "https://127.0.0.1:9", SandboxFrom: EnvSandbox}, rest: []string{"groups"}},
		{args: []string{"--sandbox", "https://127.0.0.1:8", "groups"}, env: map[string]string{"PBIWB_SANDBOX": "https://127.0.0.1:9"}, want: Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:8", SandboxFrom: "--sandbox"}, rest: []string{"groups"}},
		{args: []string{"--sandbox", "push"}, want: Globals{Sandbox: true, SandboxFrom: "--sandbox"}, rest: []string{"push"}},
		{args: []string{"push", "--", "--sandbox"}, rest: []string{"push", "--", "--sandbox"}},
	}
	for _, tt := range tests {
		g, rest, err := parseGlobals(tt.args, func(k string) string { return tt.env[k] })
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if g != tt.want || !reflect.DeepEqual(rest, tt.rest) {
			t.Errorf("%v: got %+v %q, want %+v %q", tt.args, g, rest, tt.want, tt.rest)
		}
	}
	if _, _, err := parseGlobals([]string{"--home"}, func(string) string { return "" }); err == nil {
		t.Error("--home without a value accepted")
	}
}

func TestMainExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code exitcode.Code
		want string // in stderr
	}{
		{[]string{"bogus"}, exitcode.Usage, `unknown command "bogus"`},
		{[]string{}, exitcode.Usage, "needs a terminal"},
		{[]string{"version", "x"}, exitcode.Usage, "no arguments"},
		{[]string{"sandbox", "--time-scale", "0.5"}, exitcode.Usage, "--time-scale"},
		{[]string{"sandbox", "--nope"}, exitcode.Usage, "flag provided but not defined"},
		{[]string{"help"}, exitcode.OK, "Commands:"},
	}
	for _, tt := range tests {
		env, _, errb := testEnv(nil)
		if code := Main(context.Background(), tt.args, env); code != tt.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, code, tt.code, errb.String())
		}
		if !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%v: stderr %q lacks %q", tt.args, errb.String(), tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	env, out, _ := testEnv(nil)
	if code := Main(context.Background(), []string{"version"}, env); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "pbiwb ") || !strings.Contains(out.String(), "go1.") {
		t.Fatalf("version output %q", out.String())
	}
}

func TestSandboxCommandFirstLine(t *testing.T) {
	t.Parallel()
	env, out, errb := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan exitcode.Code)
	go func() { done <- Main(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--time-scale", "3600"}, env) }()
	waitFor(t, patience(t), "the sandbox's banner", func() bool { return strings.Contains(out.String(), "Press Ctrl-C") })
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(first, "sandbox listening on https://127.0.0.1:") {
		t.Fatalf("first line %q", first)
	}
	for _, want := range []string{"00000000-0000-4000-8000-00000000c0de", "sandbox-secret-value", "admin@contoso.example", "an hour lasts 1s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q", want)
		}
	}
}

// patience is how long a test waits for something that must happen (a line
// printed, a state reached): as long as go test's -timeout leaves, less a
// margin to report it, so a loaded machine only makes the test slower. What
// the code must do within a time of its own is checked against that time.
func patience(t *testing.T) time.Duration {
	if d, ok := t.Deadline(); ok {
		return max(time.Until(d)-30*time.Second, time.Minute)
	}
	return 10 * time.Minute
}

// stopGrace is how long a stopped push gives the POSTs in flight
// (push's DefaultStopGrace; docs/architecture.md, "Interrupts").
const stopGrace = 15 * time.Second

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
