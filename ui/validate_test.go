package ui

import (
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(string) error
		in    string
		ok    bool
	}{
		{"guid", checkGUID, "00000000-0000-4000-8000-0000000a99e1", true},
		{"guid upper", checkGUID, "1B2C3D4E-0000-4000-8000-0000000A99E1", true},
		{"guid short", checkGUID, "1b2c3d4e-0000-4000-8000", false},
		{"guid empty is for submit", checkGUID, "", true},
		{"tenant guid", checkTenant, "00000000-0000-4000-8000-00000000c0de", true},
		{"tenant domain", checkTenant, "contoso.onmicrosoft.com", true},
		{"tenant word", checkTenant, "contoso", false},
		{"upn", checkUPN, "admin@contoso.example", true},
		{"upn no domain", checkUPN, "admin", false},
		{"upn bad domain", checkUPN, "admin@contoso", false},
		{"upn space", checkUPN, "ad min@contoso.com", false},
		{"secret value", checkSecret, "sandbox-secret-value", true},
		{"secret ID pasted", checkSecret, "00000000-0000-4000-8000-00000005ec1d", false},
		{"table", checkTableName, "Sales Orders_2026 #1", true},
		{"table unicode", checkTableName, "Ventes été", true},
		{"table dot", checkTableName, "sales.orders", false},
		{"table slash", checkTableName, "a/b", false},
		{"table too long", checkTableName, strings.Repeat("a", 101), false},
		// The engine's rules (names.CheckTableName): UTF-16 units, no U+FFFE.
		{"table 50 emoji", checkTableName, strings.Repeat("😀", 50), true},
		{"table 51 emoji", checkTableName, strings.Repeat("😀", 51), false},
		{"table U+FFFE", checkTableName, "a\uFFFE", false},
		{"upn guest", checkUPN, "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com", true},
		{"account", checkAccountName, "prod-eu.1", true},
		{"account space", checkAccountName, "my account", false},
		{"dataset newline", checkDatasetName, "a\nb", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.check(tc.in); (err == nil) != tc.ok {
				t.Errorf("%q: err = %v, want ok=%v", tc.in, err, tc.ok)
			}
		})
	}
}

func TestInputRef(t *testing.T) {
	for in, want := range map[string]string{
		"845305D8-DA3D-4107-A9D6-13EF3F86D4A4": "domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4",
		" data/stores.csv ":                    "data/stores.csv",
		"-":                                    "-",
	} {
		if got := inputRef(in); got != want {
			t.Errorf("inputRef(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	r := Request{Account: "prod", Input: "/data/it's here.csv", WorkspaceName: "Sales Analytics", Dataset: "Orders", Table: "T",
		Mode: "append", Retention: "fifo", Columns: map[string]string{"zip": "String", "amount": "Decimal"}, Resume: true}
	want := `pbiwb push --account prod --input '/data/it'\''s here.csv' --group 'Sales Analytics' --dataset Orders --table T --mode append --retention fifo --column amount=Decimal --column zip=String --resume`
	if got := commandLine(nil, r); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	block := commandBlock(nil, r, 40)
	for _, l := range splitLines(block) {
		if lipglossWidth(l) > 40 {
			t.Errorf("line wider than 40: %q", l)
		}
	}
}

// An account used without saving it is named by the flags the plan gave,
// after the global ones, instead of an --account no command would find.
func TestCommandLineUnsavedAccount(t *testing.T) {
	r := Request{Account: "demo", AccountFlags: []string{"--tenant", "T", "--client-id", "C", "--auth", "device-code"},
		Input: "a.csv", WorkspaceName: "W", Dataset: "D", Table: "T"}
	want := `pbiwb push --home /h --tenant T --client-id C --auth device-code --input a.csv --group W --dataset D --table T`
	if got := commandLine([]string{"--home", "/h"}, r); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range s {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
