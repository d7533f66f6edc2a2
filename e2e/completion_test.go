package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// `source <(pbiwb completion bash)`, then Tab after `pbiwb push --acc` and
// after `pbiwb push --account `, as bash calls the completion function.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the completion test runs it")
	}
	bin := buildPBIWB(t)
	dir := t.TempDir()
	dirs, err := home.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := keystore.Open(dirs, keystore.NewMemoryBackend(0))
	for _, name := range []string{"finance", "ops"} {
		if _, err := store.Save(context.Background(), keystore.Account{Name: name, TenantID: "t", ClientID: "c", Auth: "service-principal"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// COMP_WORDS as bash splits the line; the function fills COMPREPLY.
	script := `source <(pbiwb completion bash)
tab() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _pbiwb; echo "[$*] ${COMPREPLY[*]}"; }
tab pbiwb push --acc
tab pbiwb push --account ''
tab pbiwb push --account f
tab pbiwb push --mode ''
tab pbiwb gr
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "PBIWB_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := `[pbiwb push --acc] --account
[pbiwb push --account ] finance ops
[pbiwb push --account f] finance
[pbiwb push --mode ] replace append
[pbiwb gr] groups
`
	if string(out) != want {
		t.Errorf("bash completion:\n%s\nwant\n%s", out, want)
	}
	if strings.Contains(string(out), "command not found") {
		t.Error("the completion function did not find pbiwb on PATH")
	}
}
