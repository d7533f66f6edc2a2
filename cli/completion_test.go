package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// completeIn runs `pbiwb __complete words...` with home as PBIWB_HOME.
func completeIn(t *testing.T, homeDir string, words ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, IsTerminal: func() bool { return false },
		Getenv: func(k string) string {
			if k == "PBIWB_HOME" {
				return homeDir
			}
			return ""
		}}
	if code := Main(context.Background(), append([]string{completeCommand}, words...), env); code != exitcode.OK {
		t.Fatalf("__complete %q: exit %d: %s", words, code, errOut.String())
	}
	if errOut.Len() > 0 {
		t.Errorf("__complete %q wrote to stderr: %s", words, errOut.String())
	}
	if out.Len() == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

func TestComplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dirs, err := home.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := keystore.Open(dirs, keystore.NewMemoryBackend(0))
	for _, name := range []string{"finance", "Fabrikam"} {
		if _, err := store.Save(context.Background(), keystore.Account{Name: name, TenantID: "t", ClientID: "c", Auth: "service-principal"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	rememberWorkspaces(dirs, "finance", []powerbi.Group{{Name: "Sales Analytics"}, {Name: "Finance"}})
	rememberWorkspaces(dirs, "", []powerbi.Group{{Name: "Operations"}})

	for _, tt := range []struct {
		words []string
		want  []string
	}{
		{[]string{""}, []string{"push", "doctor", "history", "accounts", "groups", "datasets", "sandbox", "version", "completion"}},
		{[]string{"pu"}, []string{"push"}},
		{[]string{"push", "--acc"}, []string{"--account"}},
		{[]string{"push", "-dry"}, nil}, // flags complete as --name
		{[]string{"push", "--dry"}, []string{"--dry-run"}},
		{[]string{"push", "--account", ""}, []string{"Fabrikam", "finance"}},
		{[]string{"push", "--account", "fi"}, []string{"finance"}},
		{[]string{"push", "--account=f"}, []string{"--account=Fabrikam", "--account=finance"}},
		{[]string{"push", "--account", "=", "fa"}, []string{"Fabrikam"}}, // bash splits at "="
		{[]string{"push", "--mode", ""}, []string{"replace", "append"}},
		{[]string{"push", "--retention", "f"}, []string{"fifo"}},
		{[]string{"groups", "--auth", "d"}, []string{"device-code"}},
		{[]string{"--home", dir, "doctor", "--cloud", "us"}, []string{"usgov", "usgovhigh", "usgovdod"}},
		{[]string{"push", "--account", "finance", "--group", ""}, []string{powerbi.MyWorkspaceName, "Sales Analytics", "Finance"}},
		{[]string{"push", "--group", "s"}, nil}, // no account: the last list seen (Operations)
		{[]string{"push", "--group", "o"}, []string{"Operations"}},
		{[]string{"push", "--input", ""}, nil}, // a file: the shell's completion
		{[]string{"push", "--dry-run", ""}, nil},
		{[]string{"accounts", ""}, []string{"list", "add", "remove"}},
		{[]string{"accounts", "remove", ""}, []string{"Fabrikam", "finance"}},
		{[]string{"accounts", "remove", "finance", ""}, nil},
		{[]string{"accounts", "add", "x", "--insec"}, []string{"--insecure-storage"}},
		{[]string{"sandbox", "--time"}, []string{"--time-scale"}},
		{[]string{"datasets", "--sch"}, []string{"--schema"}},
		{[]string{"datasets", "--group", "o"}, []string{"Operations"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
		{[]string{"--home", ""}, nil},
	} {
		got := completeIn(t, dir, tt.words...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("complete %q = %q, want %q", tt.words, got, tt.want)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	for _, sh := range shells {
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		if code := Main(context.Background(), []string{"completion", sh}, env); code != exitcode.OK || !strings.Contains(out.String(), "pbiwb __complete") {
			t.Errorf("completion %s: exit %d\n%s%s", sh, code, out.String(), errOut.String())
		}
	}
	var errOut bytes.Buffer
	env := Env{Stdout: &bytes.Buffer{}, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := Main(context.Background(), []string{"completion", "tcsh"}, env); code != exitcode.Usage || !strings.Contains(errOut.String(), "bash, zsh, fish, powershell") {
		t.Errorf("completion tcsh: exit %d\n%s", code, errOut.String())
	}
}

// Every command's help lists its flags as --name, never -name.
func TestHelpShowsDoubleDashFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"push", "--help"}, {"groups", "--help"}, {"doctor", "--help"}, {"history", "--help"},
		{"accounts", "add", "--help"}, {"accounts", "list", "--help"}, {"sandbox", "--help"}} {
		var errOut bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &errOut, Getenv: func(string) string { return "" }, IsTerminal: func() bool { return false }}
		if code := Main(context.Background(), args, env); code != exitcode.OK {
			t.Errorf("%q: exit %d", args, code)
		}
		help := errOut.String()
		if !strings.Contains(help, "\n  --") {
			t.Errorf("%q lists no --flag:\n%s", args, help)
		}
		for _, line := range strings.Split(help, "\n") {
			if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") {
				t.Errorf("%q: %q", args, line)
			}
		}
	}
}
