package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// A sign-in that succeeded with advice (public client flows off: the client
// secret was used) hands the advice to the wizard.
func TestWizardSignInNotes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := demoPrefill()
	c.ClientID = demo.ClientIDNoPublicFlow
	acc, err := f.wizard().SignIn(testCtx(t), c, nil)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if !strings.Contains(strings.ToLower(strings.Join(acc.Notes, " ")), "public client") {
		t.Errorf("Notes = %q; want the public client flows advice", acc.Notes)
	}
}

// The scan's warnings (a column read as String because of a late value)
// reach the Input screen.
func TestWizardInspectWarnings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.wizard()
	if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("id,code\n")
	for i := range 50 {
		sb.WriteString(strings.Repeat("1", 1) + "," + string(rune('0'+i%10)) + "\n")
	}
	sb.WriteString("2,A7\n")
	path := filepath.Join(t.TempDir(), "late.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := b.InspectInput(testCtx(t), "sandbox", path, "", nil)
	if err != nil {
		t.Fatalf("InspectInput: %v", err)
	}
	if len(rep.Findings) != 0 || len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], `"code"`) {
		t.Errorf("report = %+v; want no findings and a warning about column code", rep)
	}
}
