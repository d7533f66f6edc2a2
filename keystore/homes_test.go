package keystore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/home"
)

// Two homes of one user share the OS keyring. These tests run against the
// memory backend (standing for it) and against the real one where usable.

// forEachKeyring runs fn with the memory backend and with the OS keyring;
// prefix is the service prefix the stores must use.
func forEachKeyring(t *testing.T, fn func(t *testing.T, b Backend, prefix string)) {
	t.Run("memory", func(t *testing.T) { fn(t, NewMemoryBackend(WindowsMaxValue), DefaultServicePrefix) })
	t.Run("os-keyring", func(t *testing.T) {
		b, prefix := realKeyringBackend(t)
		fn(t, b, prefix)
	})
}

// twoHomes makes the user's default home (through the environment, as
// home.Resolve finds it) and another one, as with --home DIR.
func twoHomes(t *testing.T) (def, other home.Dirs) {
	root := t.TempDir()
	for k, v := range map[string]string{
		"HOME": root, "XDG_CONFIG_HOME": filepath.Join(root, "config"), "XDG_STATE_HOME": filepath.Join(root, "state"),
		"AppData": filepath.Join(root, "config"), "LOCALAPPDATA": filepath.Join(root, "state"),
	} {
		t.Setenv(k, v)
	}
	def, err := home.Resolve("")
	must(t, err)
	other, err = home.Resolve(filepath.Join(root, "scratch"))
	must(t, err)
	return def, other
}

// saveAsOldVersion saves an account as pbiwb did before homes had their own
// keyring entries: secrets under the shared "pbiwb:<name>", no record of it.
func saveAsOldVersion(t *testing.T, dirs home.Dirs, b Backend, prefix, name string, secrets Secrets) {
	t.Helper()
	ctx := ctxT(t)
	for k, v := range secrets {
		must(t, setValue(ctx, b, prefix+name, string(k), v))
	}
	path := filepath.Join(dirs.Config, AccountsFileName)
	cf, err := readConfig(path)
	must(t, err)
	a := testAccount(name)
	a.Storage, a.Created, a.LastUsed = b.Kind(), time.Now().UTC(), time.Now().UTC()
	cf.Accounts = append(cf.Accounts, a)
	must(t, os.MkdirAll(dirs.Config, 0o700))
	must(t, writeConfig(path, cf))
}

func expectSecrets(t *testing.T, s *Store, name string, want Secrets) {
	t.Helper()
	for _, k := range Kinds {
		expectSecret(t, s, name, k, want[k])
	}
}

// cleanupServices deletes what a test left in the OS keyring.
func cleanupServices(t *testing.T, b Backend, services ...string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, svc := range services {
			for _, k := range Kinds {
				_, _, _ = deleteValue(ctx, b, svc, string(k))
			}
		}
	})
}

func TestHomesKeepTheirOwnSecrets(t *testing.T) {
	forEachKeyring(t, func(t *testing.T, b Backend, prefix string) {
		defDirs, otherDirs := twoHomes(t)
		def := Open(defDirs, b, WithServicePrefix(prefix))
		other := Open(otherDirs, b, WithServicePrefix(prefix))
		cleanupServices(t, b, def.Service("demo"), other.Service("demo"))
		ctx := ctxT(t)

		// The default home's name stays readable; another home's is its own.
		if got := def.Service("Demo"); got != prefix+"demo" {
			t.Fatalf("default home's service: %q", got)
		}
		if got := other.Service("demo"); !strings.HasPrefix(got, prefix+"home-") || !strings.HasSuffix(got, ":demo") {
			t.Fatalf("other home's service: %q", got)
		}
		if again := Open(otherDirs, b, WithServicePrefix(prefix)); again.Service("demo") != other.Service("demo") {
			t.Fatal("a home's service name is not stable")
		}

		defSecrets, scratch := testSecrets("real"), testSecrets("scratch")
		_, err := def.Save(ctx, testAccount("demo"), defSecrets)
		must(t, err)
		_, err = other.Save(ctx, testAccount("demo"), scratch)
		must(t, err)
		expectSecrets(t, def, "demo", defSecrets)
		expectSecrets(t, other, "demo", scratch)

		if found, err := other.Remove(ctx, "demo"); !found || err != nil {
			t.Fatalf("Remove in the other home: %v %v", found, err)
		}
		expectSecrets(t, def, "demo", defSecrets)

		_, err = other.Save(ctx, testAccount("demo"), scratch)
		must(t, err)
		if found, err := def.Remove(ctx, "demo"); !found || err != nil {
			t.Fatalf("Remove in the default home: %v %v", found, err)
		}
		expectSecrets(t, other, "demo", scratch)
	})
}

// An account saved by the previous pbiwb in the default home keeps working
// with no action, and another home's add and remove leave it alone.
func TestOldDefaultHomeAccountKeepsWorking(t *testing.T) {
	forEachKeyring(t, func(t *testing.T, b Backend, prefix string) {
		defDirs, otherDirs := twoHomes(t)
		defSecrets := testSecrets("real")
		saveAsOldVersion(t, defDirs, b, prefix, "demo", defSecrets)
		def := Open(defDirs, b, WithServicePrefix(prefix))
		other := Open(otherDirs, b, WithServicePrefix(prefix))
		cleanupServices(t, b, prefix+"demo", other.Service("demo"))
		ctx := ctxT(t)

		expectSecrets(t, def, "demo", defSecrets)
		if got, err := def.TokenCache("demo").Load(ctx); err != nil || string(got) != defSecrets[TokenCache] {
			t.Fatalf("token cache: %d bytes, %v", len(got), err)
		}
		_, err := other.Save(ctx, testAccount("demo"), testSecrets("scratch"))
		must(t, err)
		_, err = other.Remove(ctx, "demo")
		must(t, err)
		expectSecrets(t, def, "demo", defSecrets)
	})
}

// An old account of another home, with no namesake in the default home,
// moves into the home's own entry on first use; the shared entry stays for
// the default home to remove.
func TestOldAccountOfAnotherHomeIsAdopted(t *testing.T) {
	forEachKeyring(t, func(t *testing.T, b Backend, prefix string) {
		defDirs, otherDirs := twoHomes(t)
		mine := testSecrets("scheduled")
		saveAsOldVersion(t, otherDirs, b, prefix, "prod", mine)
		other := Open(otherDirs, b, WithServicePrefix(prefix))
		cleanupServices(t, b, prefix+"prod", other.Service("prod"))
		ctx := ctxT(t)

		expectSecrets(t, other, "prod", mine)
		if v, err := getValue(ctx, b, other.Service("prod"), string(Password), nil); err != nil || v != mine[Password] {
			t.Fatalf("the home's own entry after adoption: %v", err)
		}
		cfg, err := os.ReadFile(other.ConfigPath())
		must(t, err)
		if !strings.Contains(string(cfg), other.Service("prod")) {
			t.Fatalf("accounts.json does not record the adopted service:\n%s", cfg)
		}
		// Adopted once: a deleted secret does not come back from the shared entry.
		must(t, other.SetSecret(ctx, "prod", DomoClientSecret, ""))
		expectNoSecret(t, other, "prod", DomoClientSecret)
		expectSecret(t, Open(otherDirs, b, WithServicePrefix(prefix)), "prod", Password, mine[Password])

		must2(other.Remove(ctx, "prod"))(t)
		if v, err := getValue(ctx, b, prefix+"prod", string(Password), nil); err != nil || v != mine[Password] {
			t.Fatalf("Remove in another home touched the shared entry: %v", err)
		}
		// The default home owns the shared name: its remove clears it.
		def := Open(defDirs, b, WithServicePrefix(prefix))
		if found, err := def.Remove(ctx, "prod"); !found || err != nil {
			t.Fatalf("default home's Remove of the leftover: %v %v", found, err)
		}
		if _, err := getValue(ctx, b, prefix+"prod", string(Password), nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("shared entry after the default home's Remove: %v", err)
		}
	})
}

// Two homes had demo under the old shared name: it is the default home's.
// The other home does not take it (it could be the default home's defSecrets
// credentials), says to add the account again, and never deletes it.
func TestOldNamesakesStayWithTheDefaultHome(t *testing.T) {
	forEachKeyring(t, func(t *testing.T, b Backend, prefix string) {
		defDirs, otherDirs := twoHomes(t)
		defSecrets := testSecrets("real")
		saveAsOldVersion(t, otherDirs, b, prefix, "demo", testSecrets("scratch"))
		saveAsOldVersion(t, defDirs, b, prefix, "demo", defSecrets) // written last
		def := Open(defDirs, b, WithServicePrefix(prefix))
		other := Open(otherDirs, b, WithServicePrefix(prefix))
		cleanupServices(t, b, prefix+"demo", other.Service("demo"))
		ctx := ctxT(t)

		_, err := other.Secret(ctx, "demo", Password)
		var nf *SecretNotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), "add the account again in this home") {
			t.Fatalf("the other home's password: %v", err)
		}
		assertNoSecret(t, "message", err.Error(), defSecrets)
		if got, err := other.TokenCache("demo").Load(ctx); err != nil || got != nil {
			t.Fatalf("the other home's token cache: %d bytes, %v", len(got), err)
		}
		must2(other.Remove(ctx, "demo"))(t)
		expectSecrets(t, def, "demo", defSecrets)

		scratch := testSecrets("scratch-again")
		_, err = other.Save(ctx, testAccount("demo"), scratch)
		must(t, err)
		expectSecrets(t, other, "demo", scratch)
		expectSecrets(t, def, "demo", defSecrets)
	})
}

// A copy of a home reads the original's secrets once, then is on its own:
// removing the account there leaves the original intact.
func TestCopiedHomeDoesNotShareSecrets(t *testing.T) {
	forEachKeyring(t, func(t *testing.T, b Backend, prefix string) {
		_, otherDirs := twoHomes(t)
		orig := Open(otherDirs, b, WithServicePrefix(prefix))
		copyDirs := home.Dirs{Config: otherDirs.Config + "-copy", State: otherDirs.State + "-copy"}
		cp := Open(copyDirs, b, WithServicePrefix(prefix))
		cleanupServices(t, b, orig.Service("demo"), cp.Service("demo"))
		ctx := ctxT(t)

		secrets := testSecrets("orig")
		_, err := orig.Save(ctx, testAccount("demo"), secrets)
		must(t, err)
		must(t, os.MkdirAll(copyDirs.Config, 0o700))
		cfg, err := os.ReadFile(orig.ConfigPath())
		must(t, err)
		must(t, os.WriteFile(cp.ConfigPath(), cfg, 0o600))

		expectSecrets(t, cp, "demo", secrets)
		must2(cp.Remove(ctx, "demo"))(t)
		expectSecrets(t, orig, "demo", secrets)
	})
}

// The --insecure-storage file is in the home: per home already.
func TestInsecureFileIsPerHome(t *testing.T) {
	defDirs, otherDirs := twoHomes(t)
	def := Open(defDirs, NewFileBackend(defDirs))
	other := Open(otherDirs, NewFileBackend(otherDirs))
	ctx := ctxT(t)
	defSecrets := testSecrets("real")
	_, err := def.Save(ctx, testAccount("demo"), defSecrets)
	must(t, err)
	_, err = other.Save(ctx, testAccount("demo"), testSecrets("scratch"))
	must(t, err)
	must2(other.Remove(ctx, "demo"))(t)
	expectSecrets(t, def, "demo", defSecrets)
}

// must2 checks the error of a (value, error) call.
func must2[T any](_ T, err error) func(*testing.T) {
	return func(t *testing.T) { t.Helper(); must(t, err) }
}
