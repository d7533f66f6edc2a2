package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// One keyring (f.backend) serves two homes, as the OS keyring serves every
// --home of a user: adding and removing demo in a scratch home leaves the
// other home's demo signing in from its saved tokens.
func TestScratchHomeLeavesAnotherHomesAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	scratch := t.TempDir()
	add := append([]string{"accounts", "add", "demo"}, demoUserFlags...)
	if code, _, stderr := f.run(demoPasswordEnv, add...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"--home", scratch}, add...)...); code != exitcode.OK {
		t.Fatalf("accounts add in the scratch home: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := f.run(nil, "--home", scratch, "accounts", "remove", "demo"); code != exitcode.OK {
		t.Fatalf("accounts remove in the scratch home: exit %d\n%s", code, stderr)
	}
	f.prompter = failingPrompter{t}
	f.tokens.Store(0)
	if code, stdout, stderr := f.run(nil, "groups", "--account", "demo"); code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceExecutive) {
		t.Fatalf("groups in the first home: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := f.tokens.Load(); n != 0 {
		t.Errorf("%d token requests; want the first home's saved tokens to serve", n)
	}
}

// An account a previous pbiwb saved in a --home (secrets under the shared
// "pbiwb:demo", no record of it in accounts.json) still signs in, from its
// saved tokens, with no action; its secrets are copied into the home's own
// entry and the shared one is left for the default home.
func TestOldAccountOfAHomeStillSignsIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	dirs, err := home.Resolve(f.home)
	if err != nil {
		t.Fatal(err)
	}
	own := keystore.Open(dirs, f.backend).Service("demo")
	asSavedByOldVersion(t, f, own, keystore.DefaultServicePrefix+"demo")

	f.prompter = failingPrompter{t}
	f.tokens.Store(0)
	if code, stdout, stderr := f.run(nil, "groups", "--account", "demo"); code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceExecutive) {
		t.Fatalf("groups: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := f.tokens.Load(); n != 0 {
		t.Errorf("%d token requests; want the saved tokens to serve", n)
	}
	services := map[string]int{}
	for _, it := range f.items() {
		services[it.Service]++
	}
	if services[own] == 0 || services[keystore.DefaultServicePrefix+"demo"] == 0 {
		t.Fatalf("after the first use: %v; want the home's own entry and the shared one", services)
	}
}

// asSavedByOldVersion moves the secrets of service from to service to and
// drops the record of the service from accounts.json.
func asSavedByOldVersion(t *testing.T, f *fixture, from, to string) {
	t.Helper()
	ctx := context.Background()
	for _, it := range f.items() {
		if it.Service != from {
			continue
		}
		v, err := f.backend.Get(ctx, it.Service, it.Key)
		if err == nil {
			err = f.backend.Set(ctx, to, it.Key, v)
		}
		if err == nil {
			err = f.backend.Delete(ctx, it.Service, it.Key)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(f.configPath())
	if err != nil {
		t.Fatal(err)
	}
	var cf map[string]any
	if err := json.Unmarshal(b, &cf); err != nil {
		t.Fatal(err)
	}
	for _, a := range cf["accounts"].([]any) {
		delete(a.(map[string]any), "keyringService")
	}
	if b, err = json.Marshal(cf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.configPath(), b, 0o600); err != nil {
		t.Fatal(err)
	}
}
