package keystore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSecretsOfEveryKindUnderItemLimits(t *testing.T) {
	for _, limit := range []int{WindowsMaxValue, MacOSMaxValue} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			b := NewMemoryBackend(limit)
			s := Open(tempDirs(t), b)
			ctx := ctxT(t)
			want := testSecrets("a")
			saved, err := s.Save(ctx, testAccount("demo"), want)
			if err != nil {
				t.Fatal(err)
			}
			if saved.Storage != StorageMemory || saved.Created.IsZero() || saved.LastUsed.IsZero() {
				t.Fatalf("store-set fields not filled in: %+v", saved)
			}
			for k, v := range want {
				got, err := s.Secret(ctx, "demo", k)
				if err != nil || got != v {
					t.Fatalf("%s: got %d bytes, %v", k, len(got), err)
				}
			}
			for _, it := range b.Items() {
				if it.Service != s.Service("demo") {
					t.Fatalf("item outside the account's service: %+v", it)
				}
			}
			if _, err := s.Remove(ctx, "demo"); err != nil {
				t.Fatal(err)
			}
			if items := b.Items(); len(items) != 0 {
				t.Fatalf("Remove left %v", items)
			}
		})
	}
}

func TestConfigFileHoldsNoSecretAndIsPrivate(t *testing.T) {
	dirs := tempDirs(t)
	s := Open(dirs, NewMemoryBackend(WindowsMaxValue))
	ctx := ctxT(t)
	secrets := testSecrets("leak-check")
	a := testAccount("demo")
	a.HomeAccountID = "uid.utid"
	a.Extra = map[string]string{"lastGroup": "Sales Analytics"}
	if _, err := s.Save(ctx, a, secrets); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range secrets {
		probe := v
		if len(probe) > 40 {
			probe = probe[:40]
		}
		if strings.Contains(string(b), probe) {
			t.Fatalf("accounts.json contains the %s", k)
		}
	}
	for _, want := range []string{`"name": "demo"`, `"homeAccountId": "uid.utid"`, `"storage": "memory"`, "Sales Analytics"} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("accounts.json lacks %s:\n%s", want, b)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	assertMode(t, s.ConfigPath(), 0o600)
	assertMode(t, dirs.Config, 0o700|os.ModeDir)
	leftovers, _ := filepath.Glob(filepath.Join(dirs.Config, "*.tmp"))
	if len(leftovers) > 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Fatalf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

func TestAccountNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"demo", true}, {"contoso-prod", true}, {"a.b_c-9", true}, {"X", true}, {strings.Repeat("a", 64), true},
		{"", false}, {strings.Repeat("a", 65), false}, {"-flag", false}, {".hidden", false},
		{"with space", false}, {"colon:x", false}, {"slash/x", false}, {"émile", false},
	} {
		err := ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "1 to 64 letters, digits") {
			t.Errorf("message does not say the rule: %v", err)
		}
	}
	s := Open(tempDirs(t), NewMemoryBackend(0))
	a := testAccount("bad name")
	if _, err := s.Save(ctxT(t), a, nil); err == nil {
		t.Fatal("Save accepted a bad name")
	}
	a = testAccount("demo")
	a.Auth = "magic"
	if _, err := s.Save(ctxT(t), a, nil); err == nil || !strings.Contains(err.Error(), "device-code") {
		t.Fatalf("bad auth method: %v", err)
	}
}

func TestListMostRecentlyUsedFirst(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := Open(tempDirs(t), NewMemoryBackend(0), WithClock(clock))
	ctx := ctxT(t)
	for _, n := range []string{"alpha", "bravo", "charlie"} {
		now = now.Add(time.Minute)
		if _, err := s.Save(ctx, testAccount(n), nil); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	must(t, s.Touch(ctx, "alpha"))
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "alpha,charlie,bravo" {
		t.Fatalf("order %v", names)
	}
	if err := s.Touch(ctx, "nobody"); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("Touch of a missing account: %v", err)
	}
}

func TestSaveSemantics(t *testing.T) {
	b := NewMemoryBackend(WindowsMaxValue)
	s := Open(tempDirs(t), b)
	ctx := ctxT(t)
	all := testSecrets("one")
	created, err := s.Save(ctx, testAccount("demo"), all)
	must(t, err)

	// Absent kinds stay, present ones change, empty ones go.
	_, err = s.Save(ctx, testAccount("demo"), Secrets{Password: "new-password", DomoClientSecret: ""})
	must(t, err)
	expectSecret(t, s, "demo", Password, "new-password")
	expectSecret(t, s, "demo", ClientSecret, all[ClientSecret])
	expectSecret(t, s, "demo", TokenCache, all[TokenCache])
	expectNoSecret(t, s, "demo", DomoClientSecret)

	// Same name, other case: the same account (Windows compares without case).
	a := testAccount("DEMO")
	a.HomeAccountID = "h"
	again, err := s.Save(ctx, a, nil)
	must(t, err)
	if !again.Created.Equal(created.Created) {
		t.Fatal("Created changed on update")
	}
	list, _ := s.List()
	if len(list) != 1 || list[0].Name != "DEMO" {
		t.Fatalf("accounts %+v", list)
	}

	// A new sign-in identity drops the tokens of the old one.
	a.Username = "adele@contoso.example"
	_, err = s.Save(ctx, a, nil)
	must(t, err)
	expectNoSecret(t, s, "demo", TokenCache)
	expectSecret(t, s, "demo", Password, "new-password")

	// A new account starts with only the secrets given, whatever was left
	// in the keyring under its name.
	must(t, b.Set(ctx, s.Service("fresh"), "password", "stale"))
	_, err = s.Save(ctx, testAccount("fresh"), Secrets{ClientSecret: "cs"})
	must(t, err)
	expectNoSecret(t, s, "fresh", Password)

	// Update keeps secrets and store-owned fields.
	must(t, s.Update(ctx, "fresh", func(a *Account) { a.HomeAccountID = "uid.utid"; a.Storage = "bogus"; a.Name = "other" }))
	got, err := s.Get("fresh")
	if err != nil || got.HomeAccountID != "uid.utid" || got.Storage != StorageMemory {
		t.Fatalf("after Update: %+v %v", got, err)
	}
	expectSecret(t, s, "fresh", ClientSecret, "cs")

	// SetSecret on a missing account or kind.
	if err := s.SetSecret(ctx, "ghost", Password, "x"); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("SetSecret on a missing account: %v", err)
	}
	if err := s.SetSecret(ctx, "fresh", Kind("pin"), "x"); err == nil {
		t.Fatal("SetSecret accepted an unknown kind")
	}
}

func expectSecret(t *testing.T, s *Store, name string, k Kind, want string) {
	t.Helper()
	got, err := s.Secret(ctxT(t), name, k)
	if err != nil || got != want {
		t.Fatalf("%s of %s: %d bytes, %v", k, name, len(got), err)
	}
}

func expectNoSecret(t *testing.T, s *Store, name string, k Kind) {
	t.Helper()
	_, err := s.Secret(ctxT(t), name, k)
	var nf *SecretNotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("%s of %s: err = %v, want not found", k, name, err)
	}
	if !strings.Contains(err.Error(), "has no "+k.label()+" saved") {
		t.Fatalf("message: %v", err)
	}
}

func TestFailedNewAccountLeavesNothing(t *testing.T) {
	b := newFault(WindowsMaxValue)
	s := Open(tempDirs(t), b)
	ctx := ctxT(t)
	failAt := func(key string, err error) {
		b.failSet = func(k string) error {
			if k == key {
				return err
			}
			return nil
		}
	}
	failAt("token-cache#2", &TooBigError{Size: ChunkSize, Max: 100})
	_, err := s.Save(ctx, testAccount("demo"), testSecrets("x"))
	if !errors.Is(err, ErrValueTooBig) || !strings.Contains(err.Error(), `save account "demo": save the token cache`) {
		t.Fatalf("err = %v", err)
	}
	if items := b.Items(); len(items) != 0 {
		t.Fatalf("a failed new account left %v", items)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("a failed new account was listed: %+v", list)
	}

	// A keyring that stops answering is not asked to roll back (it would
	// time out once per kind); the next Save of the name starts afresh.
	failAt("token-cache#2", &KeyringError{Op: "saving a secret to", Timeout: 10 * time.Second})
	_, err = s.Save(ctx, testAccount("demo"), testSecrets("x"))
	if !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), "did not answer within 10s") {
		t.Fatalf("err = %v", err)
	}
	b.failSet = nil
	_, err = s.Save(ctx, testAccount("demo"), Secrets{ClientSecret: "cs"})
	must(t, err)
	if items := b.Items(); len(items) != 1 || items[0].Key != "client-secret" {
		t.Fatalf("leftovers of the failed save survived: %v", items)
	}
}

func TestRemove(t *testing.T) {
	b := newFault(MacOSMaxValue)
	s := Open(tempDirs(t), b)
	ctx := ctxT(t)
	_, err := s.Save(ctx, testAccount("demo"), testSecrets("r"))
	must(t, err)
	_, err = s.Save(ctx, testAccount("keep"), testSecrets("k"))
	must(t, err)

	// Keyring locked half-way: the account stays, the error lists what is left.
	b.failDelete = func(k string) error {
		if strings.HasPrefix(k, "token-cache") {
			return errLocked
		}
		return nil
	}
	found, err := s.Remove(ctx, "demo")
	var re *RemoveError
	if !found || !errors.As(err, &re) || !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("found=%v err=%v", found, err)
	}
	if len(re.Items) == 0 || !strings.Contains(err.Error(), s.Service("demo")+" token-cache") || !strings.Contains(err.Error(), "removing it again") {
		t.Fatalf("RemoveError does not list what is left: %v", err)
	}
	if _, err := s.Get("demo"); err != nil {
		t.Fatalf("account dropped although secrets remain: %v", err)
	}

	b.failDelete = nil
	found, err = s.Remove(ctx, "demo")
	if !found || err != nil {
		t.Fatalf("second Remove: found=%v err=%v", found, err)
	}
	for _, it := range b.Items() {
		if it.Service == s.Service("demo") {
			t.Fatalf("left behind: %+v", it)
		}
	}
	if _, err := s.Get("demo"); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("Get after Remove: %v", err)
	}
	expectSecret(t, s, "keep", TokenCache, testSecrets("k")[TokenCache])

	// Idempotent.
	found, err = s.Remove(ctx, "demo")
	if found || err != nil {
		t.Fatalf("third Remove: found=%v err=%v", found, err)
	}
}

func TestConcurrentSavesInOneProcess(t *testing.T) {
	s := Open(tempDirs(t), NewMemoryBackend(WindowsMaxValue))
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Save(ctx, testAccount(fmt.Sprintf("acct%02d", i)), Secrets{Password: "p"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if list, _ := s.List(); len(list) != 16 {
		t.Fatalf("%d accounts saved, want 16", len(list))
	}
}

func TestDamagedConfigFile(t *testing.T) {
	dirs := tempDirs(t)
	s := Open(dirs, NewMemoryBackend(0))
	must(t, os.MkdirAll(dirs.Config, 0o700))
	must(t, os.WriteFile(s.ConfigPath(), []byte("{not json"), 0o600))
	if _, err := s.List(); err == nil || !strings.Contains(err.Error(), s.ConfigPath()) {
		t.Fatalf("damaged file: %v", err)
	}
	must(t, os.WriteFile(s.ConfigPath(), []byte(`{"version": 9, "accounts": []}`), 0o600))
	if _, err := s.List(); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("future version: %v", err)
	}
}
