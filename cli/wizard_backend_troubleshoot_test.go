package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/ui"
)

// troubleshoot collects every result Troubleshoot sends, by check name.
func troubleshoot(t *testing.T, b *wizardBackend, target ui.Target) (map[string]ui.CheckResult, []string) {
	t.Helper()
	ch := make(chan ui.CheckResult, 32)
	errc := make(chan error, 1)
	go func() {
		errc <- b.Troubleshoot(testCtx(t), target, ch)
		close(ch)
	}()
	got := map[string]ui.CheckResult{}
	var order []string
	for r := range ch {
		got[r.Name] = r
		order = append(order, r.Name)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Troubleshoot: %v", err)
	}
	return got, order
}

func TestWizardTroubleshootHealthy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.wizard()
	if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveAccount(testCtx(t), demoPrefill()); err != nil {
		t.Fatal(err)
	}
	// A saved account, from a new wizard (the Accounts screen's ctrl+t).
	got, order := troubleshoot(t, f.wizard(), ui.Target{Account: "sandbox", WorkspaceID: demo.WorkspaceSalesID, Input: "domo:" + demo.DomoDataSetID})
	for _, name := range []string{"network", "account", "sign-in", "permissions", "input", "workspace"} {
		if r, ok := got[name]; !ok || r.Status != ui.CheckPass {
			t.Errorf("check %s = %+v; want it to pass", name, r)
		}
	}
	for _, r := range got {
		if r.Status == ui.CheckFail {
			t.Errorf("check %s failed on a healthy set-up: %s (fix: %s)", r.Name, r.Found, r.Fix)
		}
	}
	if len(order) == 0 || order[0] != "network" {
		t.Errorf("checks in order %v; the network comes first", order)
	}
}

func TestWizardTroubleshootBroken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	secretID := demoPrefill()
	secretID.ClientSecret = demo.SecretID
	mfa := demoPrefill()
	mfa.Username = demo.MFAUsername
	for _, tc := range []struct {
		name    string
		signIn  bool // sign in with the demo identities first (an unsaved session)
		target  ui.Target
		check   string
		fixHas  string
		skipped string // a check that cannot run after the failure
	}{
		{"secret ID pasted", false, ui.Target{Account: "sandbox", Credentials: &secretID}, "sign-in", "Value", "workspace"},
		{"MFA user", false, ui.Target{Account: "sandbox", Credentials: &mfa}, "sign-in", "device", "permissions"},
		{"no access to the workspace", true, ui.Target{Account: "sandbox", WorkspaceID: demo.WorkspaceHiddenID}, "workspace", "member", "dataset"},
		{"no account", false, ui.Target{}, "account", "account", "sign-in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := f.wizard()
			if tc.signIn {
				if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
					t.Fatal(err)
				}
			}
			if tc.target.WorkspaceID != "" {
				tc.target.Dataset, tc.target.Table = "Any", "T"
			}
			got, _ := troubleshoot(t, b, tc.target)
			r := got[tc.check]
			if r.Status != ui.CheckFail || !strings.Contains(strings.ToLower(r.Fix), strings.ToLower(tc.fixHas)) {
				t.Errorf("check %s = %+v; want a failure whose fix mentions %q", tc.check, r, tc.fixHas)
			}
			if s := got[tc.skipped]; s.Status != ui.CheckSkip {
				t.Errorf("check %s = %+v; want it skipped", tc.skipped, s)
			}
		})
	}
}

// A sandbox that does not answer fails the network check (the wizard's
// workspace list failed): no error, a finding with its fix.
func TestWizardTroubleshootSandboxDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dirs, err := home.Resolve(f.home)
	if err != nil {
		t.Fatal(err)
	}
	b := newWizardBackend(Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:1", Home: f.home}, dirs, f.deps)
	c := demoPrefill()
	got, _ := troubleshoot(t, b, ui.Target{Account: "sandbox", Credentials: &c})
	if r := got["network"]; r.Status != ui.CheckFail || r.Fix == "" {
		t.Errorf("network = %+v; want a failure with a fix", r)
	}
}

// Stopping the checks (esc on the screen) ends Troubleshoot promptly.
func TestWizardTroubleshootCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	c := demoPrefill()
	err := f.wizard().Troubleshoot(ctx, ui.Target{Account: "sandbox", Credentials: &c}, make(chan ui.CheckResult))
	if err == nil {
		t.Error("Troubleshoot with a cancelled context returned no error")
	}
}
