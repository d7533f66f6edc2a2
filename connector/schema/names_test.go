package schema

import (
	"strings"
	"testing"
)

func TestCheckTableName(t *testing.T) {
	tests := []struct {
		name string
		err  string // "" when valid
	}{
		{"Sales", ""},
		{"Sales 2024 #1 - Q1_@^~", ""},
		{"Ventes été 😀", ""},
		{strings.Repeat("a", 100), ""},
		{strings.Repeat("a", 101), "101 characters"},
		{strings.Repeat("😀", 50), ""},
		{strings.Repeat("😀", 51), "102 characters"},
		{"", "is empty"},
		{"sales.orders", `'.'`},
		{"a/b", `'/'`},
		{"a,b;c", `',', ';'`},
		{"x\x01", `'\x01'`},
		{"bad\xff", "UTF-8"},
		{"a\uFFFE", `'\ufffe'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckTableName(tt.name)
			if tt.err == "" {
				if len(got) != 0 {
					t.Fatalf("CheckTableName(%q) = %v, want no finding", tt.name, got)
				}
				return
			}
			if len(got) != 1 || got[0].Rule != RuleTableName || !strings.Contains(got[0].Message, tt.err) {
				t.Fatalf("CheckTableName(%q) = %v, want a %s finding containing %q", tt.name, got, RuleTableName, tt.err)
			}
		})
	}
}

func TestCheckColumnNames(t *testing.T) {
	l := DocumentedLimits()
	many := make([]string, 76)
	for i := range many {
		many[i] = "c" + strings.Repeat("x", i)
	}
	tests := []struct {
		name   string
		names  []string
		rule   Rule
		column int
		msg    string
	}{
		{"ok", []string{"a", "B", "c d"}, "", 0, ""},
		{"76 columns", many, RuleColumnCount, 0, "76 columns"},
		{"empty", []string{"a", ""}, RuleColumnNameEmpty, 2, "empty"},
		{"blank", []string{" ", "a"}, RuleColumnNameEmpty, 1, "empty"},
		{"duplicate", []string{"id", "name", "id"}, RuleColumnNameDup, 3, "column 1"},
		{"duplicate case", []string{"Id", "ID"}, RuleColumnNameDup, 2, "regardless of case"},
		{"control", []string{"a\x02"}, RuleColumnName, 1, "control"},
		{"utf8", []string{"a\xff"}, RuleInvalidUTF8, 1, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckColumnNames(tt.names, l)
			if tt.rule == "" {
				if len(got) != 0 {
					t.Fatalf("got %v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].Rule != tt.rule || got[0].Column != tt.column || !strings.Contains(got[0].Message, tt.msg) {
				t.Fatalf("got %v, want one %s finding at column %d containing %q", got, tt.rule, tt.column, tt.msg)
			}
		})
	}
}

func TestParseColumn(t *testing.T) {
	tests := []struct {
		in   string
		name string
		typ  Type
		err  string
	}{
		{"zip=String", "zip", String, ""},
		{"amount=decimal", "amount", Decimal, ""},
		{"a=b=Int64", "a=b", Int64, ""},
		{"when=DateTime", "when", Datetime, ""},
		{"ok=bool", "ok", Boolean, ""},
		{"n=int", "n", Int64, ""},
		{"zip", "", Unknown, "NAME=TYPE"},
		{"=String", "", Unknown, "name is empty"},
		{"x=Money", "", Unknown, "unknown column type"},
	}
	for _, tt := range tests {
		name, typ, err := ParseColumn(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "--") {
				t.Errorf("ParseColumn(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || name != tt.name || typ != tt.typ {
			t.Errorf("ParseColumn(%q) = %q, %v, %v", tt.in, name, typ, err)
		}
	}
}

func TestFromDomo(t *testing.T) {
	want := map[string]Type{"STRING": String, "LONG": Int64, "DOUBLE": Double, "DECIMAL": Decimal, "DATE": Datetime, "DATETIME": Datetime, "long": Int64}
	for in, w := range want {
		if got, err := FromDomo(in); err != nil || got != w {
			t.Errorf("FromDomo(%q) = %v, %v; want %v", in, got, err, w)
		}
	}
	if _, err := FromDomo("BOOLEAN"); err == nil {
		t.Error("FromDomo(BOOLEAN) should fail: Domo documents no such type")
	}
}

func TestTypeText(t *testing.T) {
	for _, typ := range []Type{Int64, Double, Decimal, Boolean, Datetime, String} {
		b, err := typ.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Type
		if err := back.UnmarshalText(b); err != nil || back != typ {
			t.Errorf("%v → %s → %v, %v", typ, b, back, err)
		}
	}
	if _, err := Unknown.MarshalText(); err == nil {
		t.Error("Unknown should not marshal")
	}
}
