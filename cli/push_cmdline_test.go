package cli

import (
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/push"
)

// parsePushLine parses a command line as `pbiwb push` does: the global
// flags, then push's own flag set.
func parsePushLine(t *testing.T, args []string) (Globals, *credFlags, *pushFlags, time.Duration) {
	t.Helper()
	g, rest, err := parseGlobals(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) == 0 || rest[0] != "push" {
		t.Fatalf("not a push: %q", rest)
	}
	fs, cf, pf, columns, timeout := pushFlagSet(Env{Stderr: io.Discard})
	if err := parseCredFlags(fs, rest[1:]); err != nil {
		t.Fatalf("parse %q: %v", rest, err)
	}
	if fs.NArg() > 0 {
		t.Fatalf("left over: %q", fs.Args())
	}
	pf.req.Columns = *columns
	return g, cf, pf, *timeout
}

// The builder's argv, and its text read back as a shell would, parse with
// the real flag set into the request it was built from.
func TestPushCommandLineRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    cmdline.Push
		want push.Request
	}{
		{"defaults", cmdline.Push{Input: "a.csv", Group: "g", Dataset: "d", Table: "t"},
			push.Request{Input: "a.csv", Group: "g", Dataset: "d", Table: "t", Mode: push.ModeReplace, Retention: push.RetentionNone,
				MaxThrottleWait: push.DefaultMaxThrottleWait}},
		{"spaces, quotes, unicode, every flag", cmdline.Push{Account: "démo", Input: "/data/Q3 'final' orders.csv", Group: "Ventes été",
			Dataset: `say "hi"`, Table: "a\\b", Mode: push.ModeAppend, Retention: push.RetentionFIFO,
			Columns: []string{"Unit price=Decimal", "zip=String"}, MaxThrottleWait: 2 * time.Hour, Resume: true},
			push.Request{Input: "/data/Q3 'final' orders.csv", Group: "Ventes été", Dataset: `say "hi"`, Table: "a\\b",
				Mode: push.ModeAppend, Retention: push.RetentionFIFO, Columns: []string{"Unit price=Decimal", "zip=String"},
				MaxThrottleWait: 2 * time.Hour, Resume: true}},
		{"restart", cmdline.Push{Input: "domo:845305d8-0000-4000-8000-000000000000", Group: "My workspace", Dataset: "d", Table: "t", Restart: true},
			push.Request{Input: "domo:845305d8-0000-4000-8000-000000000000", Group: "My workspace", Dataset: "d", Table: "t",
				Mode: push.ModeReplace, Retention: push.RetentionNone, MaxThrottleWait: push.DefaultMaxThrottleWait, Restart: true}},
	}
	for _, tt := range tests {
		tt.p.Flags = []string{"--sandbox", "https://127.0.0.1:8443", "--home", "/tmp/a home", "--request-timeout", "5m0s"}
		words, err := cmdline.Split(tt.p.Line())
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{tt.p.Args(), words[1:]} {
			g, cf, pf, timeout := parsePushLine(t, args)
			if !reflect.DeepEqual(pf.req, tt.want) {
				t.Errorf("%s: %q parsed as\n %+v\nwant %+v", tt.name, args, pf.req, tt.want)
			}
			if cf.account != tt.p.Account || g.SandboxURL != "https://127.0.0.1:8443" || g.Home != "/tmp/a home" || timeout != 5*time.Minute {
				t.Errorf("%s: account %q, sandbox %q, home %q, timeout %v", tt.name, cf.account, g.SandboxURL, g.Home, timeout)
			}
		}
	}
}

// invocation repeats the identity's flags, and never a secret (they come
// from the environment or the keyring), so a suggested line parses back.
func TestInvocationParses(t *testing.T) {
	t.Parallel()
	g := Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:8443", Home: "/tmp/h"}
	cf := &credFlags{tenant: "contoso.com", clientID: "c1", username: "alice@contoso.com", auth: "password", cloud: "usgov"}
	p := cmdline.Push{Flags: invocation(g, cf), Input: "a.csv", Group: "g", Dataset: "d", Table: "t"}
	if err := refuseSecretFlags(p.Args()); err != nil {
		t.Fatalf("the line carries a secret flag: %v", err)
	}
	_, got, _, _ := parsePushLine(t, p.Args())
	if got.tenant != cf.tenant || got.clientID != cf.clientID || got.username != cf.username || got.auth != cf.auth || got.cloud != cf.cloud {
		t.Errorf("identity parsed back as %+v, want %+v", got, cf)
	}
}
