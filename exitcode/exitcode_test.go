package exitcode

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type coded struct {
	code Code
	err  error
}

func (e *coded) Error() string  { return fmt.Sprintf("coded %d", e.code) }
func (e *coded) Unwrap() error  { return e.err }
func (e *coded) ExitCode() Code { return e.code }

type multi []error

func (m multi) Error() string   { return "several" }
func (m multi) Unwrap() []error { return m }

func TestOf(t *testing.T) {
	plain := errors.New("plain")
	tests := []struct {
		name   string
		err    error
		want   Code
		placed bool
	}{
		{"nil", nil, OK, true},
		{"plain error", plain, Failure, false},
		{"wrapped plain error", fmt.Errorf("read: %w", plain), Failure, false},
		{"usage", &coded{code: Usage}, Usage, true},
		{"invalid", &coded{code: Invalid}, Invalid, true},
		{"sign-in", &coded{code: SignIn}, SignIn, true},
		{"refused", &coded{code: Refused}, Refused, true},
		{"stopped", &coded{code: Stopped}, Stopped, true},
		{"a coder that says OK", &coded{code: OK}, OK, true},
		{"a coder that says Failure", &coded{code: Failure}, Failure, true},
		{"wrapped coder", fmt.Errorf("create dataset %q: %w", "Orders", &coded{code: Refused}), Refused, true},
		{"twice wrapped coder", fmt.Errorf("a: %w", fmt.Errorf("b: %w", &coded{code: Invalid})), Invalid, true},
		{"the outermost coder wins", &coded{code: Invalid, err: &coded{code: Refused}}, Invalid, true},
		{"a coder in a joined error", errors.Join(plain, &coded{code: SignIn}), SignIn, true},
		{"a coder in a multi-error", multi{plain, &coded{code: Stopped}}, Stopped, true},
		{"canceled", context.Canceled, Interrupted, true},
		{"wrapped canceled", fmt.Errorf("export: %w", context.Canceled), Interrupted, true},
		{"canceled inside a coder", &coded{code: Usage, err: context.Canceled}, Interrupted, true},
		{"deadline is not an interrupt", context.DeadlineExceeded, Failure, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
			got, placed := Lookup(tt.err)
			if got != tt.want || placed != tt.placed {
				t.Errorf("Lookup(%v) = %d, %v; want %d, %v", tt.err, got, placed, tt.want, tt.placed)
			}
		})
	}
}

var all = map[Code]int{OK: 0, Failure: 1, Usage: 2, Invalid: 3, SignIn: 4, Refused: 5, Stopped: 6, Interrupted: 130}

// The numbers are docs/cli.md's contract: scripts test them.
func TestNumbers(t *testing.T) {
	for code, want := range all {
		if int(code) != want {
			t.Errorf("code %d, want %d", int(code), want)
		}
	}
}

// docs/cli.md's table lists exactly these codes.
func TestDocumentedTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`docs/cli.md has no "## Exit codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	documented := map[int]bool{}
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(cells[1])); err == nil {
			documented[n] = true
		}
	}
	want := map[int]bool{}
	for _, n := range all {
		want[n] = true
	}
	if !maps.Equal(documented, want) {
		t.Errorf("docs/cli.md documents codes %v, the package has %v", slices.Sorted(maps.Keys(documented)), slices.Sorted(maps.Keys(want)))
	}
}
