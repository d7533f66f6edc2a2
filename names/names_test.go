package names

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestIsGUID(t *testing.T) {
	for in, want := range map[string]bool{
		"845305d8-da3d-4107-a9d6-13ef3f86d4a4":   true,
		"845305D8-DA3D-4107-A9D6-13EF3F86D4A4":   true,  // upper case, as the Azure portal shows some
		"{845305d8-da3d-4107-a9d6-13ef3f86d4a4}": false, // braces: the engine has never taken them
		" 845305d8-da3d-4107-a9d6-13ef3f86d4a4":  false, // callers trim
		"845305d8da3d4107a9d613ef3f86d4a4":       false,
		"845305d8-da3d-4107-a9d6-13ef3f86d4a":    false,
		"845305d8-da3d-4107-a9d6-13ef3f86d4ag":   false,
		"":                                       false,
	} {
		if got := IsGUID(in); got != want {
			t.Errorf("IsGUID(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsDomainAndUPN(t *testing.T) {
	for in, want := range map[string]bool{
		"contoso.onmicrosoft.com": true,
		"CONTOSO.COM":             true,
		"contoso":                 false,
		"-contoso.com":            false,
		"contoso.c":               false,
		"":                        false,
	} {
		if got := IsDomain(in); got != want {
			t.Errorf("IsDomain(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]bool{
		"admin@contoso.example":                           true,
		"Ada.Lovelace@Contoso.COM":                        true,
		"alice_fabrikam.com#EXT#@contoso.onmicrosoft.com": true,
		"admin@contoso":                                   false, // no verified domain is dotless
		"admin":                                           false,
		"@contoso.com":                                    false,
		"ad min@contoso.com":                              false,
		"a@b@contoso.com":                                 false,
		"admin@contoso.com ":                              false, // callers trim
		"":                                                false,
	} {
		if got := IsUPN(in); got != want {
			t.Errorf("IsUPN(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsAccountName(t *testing.T) {
	for in, want := range map[string]bool{
		"demo":                  true,
		"prod-eu.1":             true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"-demo":                 false, // would read as a flag
		".demo":                 false,
		"my account":            false,
		"été":                   false,
		"":                      false,
	} {
		if got := IsAccountName(in); got != want {
			t.Errorf("IsAccountName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestCheckTableName(t *testing.T) {
	tests := []struct {
		name     string
		rule     TableNameRule // 0 when valid
		length   int
		excluded []rune
	}{
		{name: "Sales"},
		{name: "Sales 2024 #1 - Q1_@^~"},
		{name: "Ventes été 😀"},
		{name: " Orders "}, // spaces at the ends are kept and allowed
		{name: "\t"},
		{name: "a\x7f"}, // DEL is in the pattern's range
		{name: strings.Repeat("a", 100)},
		{name: strings.Repeat("a", 101), rule: TableNameTooLong, length: 101},
		// A surrogate pair counts two: 50 fit exactly, 99 ASCII and one more do not.
		{name: strings.Repeat("😀", 50)},
		{name: strings.Repeat("😀", 51), rule: TableNameTooLong, length: 102},
		{name: strings.Repeat("a", 98) + "😀"},
		{name: strings.Repeat("a", 99) + "😀", rule: TableNameTooLong, length: 101},
		// 100 BMP characters of three bytes each: counted as 100, not 300.
		{name: strings.Repeat("é", 100)},
		{name: "", rule: TableNameEmpty},
		{name: "bad\xff", rule: TableNameInvalidUTF8},
		{name: "sales.orders", rule: TableNameCharacters, excluded: []rune{'.'}},
		{name: "a,b;c,", rule: TableNameCharacters, excluded: []rune{',', ';'}},
		{name: "x\x01", rule: TableNameCharacters, excluded: []rune{1}},
		{name: "a\uFFFE", rule: TableNameCharacters, excluded: []rune{0xFFFE}},
		{name: "a\uFFFF", rule: TableNameCharacters, excluded: []rune{0xFFFF}},
		{name: "a\uFFFD"},
	}
	for _, tt := range tests {
		err := CheckTableName(tt.name)
		if tt.rule == 0 {
			if err != nil {
				t.Errorf("CheckTableName(%q) = %v, want nil", tt.name, err)
			}
			continue
		}
		var te *TableNameError
		if !errors.As(err, &te) {
			t.Errorf("CheckTableName(%q) = %v, want a *TableNameError", tt.name, err)
			continue
		}
		if te.Rule != tt.rule || te.Length != tt.length || !slices.Equal(te.Excluded, tt.excluded) || te.Name != tt.name {
			t.Errorf("CheckTableName(%q) = %+v, want rule %d length %d excluded %q", tt.name, te, tt.rule, tt.length, tt.excluded)
		}
	}
}

func TestDatasetNameOK(t *testing.T) {
	for in, want := range map[string]bool{"Orders": true, " Orders 2026 (EU) ": true, "a\nb": false, "a\tb": false, "": true} {
		if got := DatasetNameOK(in); got != want {
			t.Errorf("DatasetNameOK(%q) = %v, want %v", in, got, want)
		}
	}
}
