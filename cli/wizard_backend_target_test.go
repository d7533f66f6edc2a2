package cli

import (
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/ui"
)

// My workspace comes first in the wizard's list, as `--group "My workspace"`
// reaches it; for a service principal it is there but unavailable, saying
// why.
func TestWizardWorkspacesMyWorkspaceFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	if _, err := b.SignIn(ctx, demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	ws, err := b.Workspaces(ctx, "sandbox")
	if err != nil || len(ws) < 2 {
		t.Fatalf("Workspaces: %+v, %v", ws, err)
	}
	if want := (ui.Workspace{Name: "My workspace", Personal: true}); ws[0] != want {
		t.Errorf("first workspace %+v, want %+v", ws[0], want)
	}
	if _, err := b.Datasets(ctx, "sandbox", ws[0].ID); err != nil {
		t.Errorf("Datasets of My workspace: %v", err)
	}
	req := pushRequest(ui.Request{Input: "x.csv", WorkspaceID: ws[0].ID, WorkspaceName: ws[0].Name, Dataset: "D", Table: "T"})
	if req.Group != "My workspace" {
		t.Errorf("the push's --group is %q, want \"My workspace\"", req.Group)
	}

	sp := demoPrefill()
	sp.Name, sp.Method, sp.Username, sp.Password = "app", ui.MethodServicePrincipal, "", ""
	if _, err := b.SignIn(ctx, sp, nil); err != nil {
		t.Fatal(err)
	}
	ws, err = b.Workspaces(ctx, "app")
	if err != nil || len(ws) < 2 {
		t.Fatalf("Workspaces of the service principal: %+v, %v", ws, err)
	}
	if !ws[0].Personal || !strings.HasPrefix(ws[0].Unavailable, "a service principal has no My workspace; use a workspace it is a member of") {
		t.Errorf("first workspace of a service principal %+v", ws[0])
	}
	for _, w := range ws[1:] {
		if w.Personal || w.Unavailable != "" {
			t.Errorf("shared workspace %+v", w)
		}
	}
	if ws[1].Name != demo.WorkspaceSales {
		t.Errorf("the service principal sees %q after My workspace, want %q", ws[1].Name, demo.WorkspaceSales)
	}
}
