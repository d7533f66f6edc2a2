package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// The done-when with the real OS keyring (Secret Service through
// go-keyring): add, groups without secrets (also after another home added
// and removed an account of the same name), remove leaves nothing. It skips
// where no keyring is usable, unless PBIWB_REQUIRE_KEYRING=1 (.ci/run). Not
// parallel: it uses the OS keyring, which tests without a fixture reach too.
func TestRealKeyringAddGroupsRemove(t *testing.T) {
	ctx := context.Background()
	if err := keystore.Probe(ctx, keystore.NewKeyring(keystore.ProbeTimeout)); err != nil {
		if os.Getenv("PBIWB_REQUIRE_KEYRING") == "1" {
			t.Fatalf("PBIWB_REQUIRE_KEYRING=1 but the OS keyring is not usable: %v", err)
		}
		t.Skipf("skipping: no usable OS keyring here (%v). On Linux run it under "+
			"dbus-run-session -- sh -c 'echo pw | gnome-keyring-daemon --unlock --components=secrets; go test ./cli'", err)
	}
	f := newFixture(t)
	var r [6]byte
	_, _ = rand.Read(r[:])
	prefix := "pbiwb-test-" + hex.EncodeToString(r[:]) + ":" // never touches real accounts
	keyring := keystore.NewKeyring(keystore.DefaultTimeout)
	f.deps.openStore = func(dirs home.Dirs, insecure bool) *keystore.Store {
		return keystore.Open(dirs, keyring, keystore.WithServicePrefix(prefix))
	}
	dirs, _ := home.Resolve(f.home)
	t.Cleanup(func() {
		_, _ = keystore.Open(dirs, keyring, keystore.WithServicePrefix(prefix)).Remove(context.Background(), "demo")
	})

	add := append([]string{"accounts", "add", "demo"}, demoUserFlags...)
	if code, _, stderr := f.run(demoPasswordEnv, add...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	// The same name added and removed in another home leaves this one's.
	scratch := t.TempDir()
	scratchDirs, _ := home.Resolve(scratch)
	t.Cleanup(func() {
		_, _ = keystore.Open(scratchDirs, keyring, keystore.WithServicePrefix(prefix)).Remove(context.Background(), "demo")
	})
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"--home", scratch}, add...)...); code != exitcode.OK {
		t.Fatalf("accounts add in another home: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := f.run(nil, "--home", scratch, "accounts", "remove", "demo"); code != exitcode.OK {
		t.Fatalf("accounts remove in another home: exit %d\n%s", code, stderr)
	}
	f.prompter = failingPrompter{t}
	f.tokens.Store(0)
	code, stdout, stderr := f.run(nil, "groups", "--account", "demo")
	if code != exitcode.OK || !strings.Contains(stdout, demo.WorkspaceExecutive) {
		t.Fatalf("groups: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := f.tokens.Load(); n != 0 {
		t.Errorf("%d token requests; want the cache from the keyring to serve", n)
	}
	if code, _, stderr := f.run(nil, "accounts", "remove", "demo"); code != exitcode.OK {
		t.Fatalf("remove: exit %d\n%s", code, stderr)
	}
	svc := keystore.Open(dirs, keyring, keystore.WithServicePrefix(prefix)).Service("demo")
	for _, k := range keystore.Kinds {
		for _, key := range []string{string(k), string(k) + "#0", string(k) + "#1"} {
			if _, err := keyring.Get(ctx, svc, key); !errors.Is(err, keystore.ErrNotFound) {
				t.Errorf("%s/%s after remove: %v, want not found", svc, key, err)
			}
		}
	}
}
