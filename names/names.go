// Package names holds the rules for the names and identifiers a person types
// — GUIDs, tenant domains, user principal names, account names, Power BI
// table and dataset names — so that the wizard's fields (ui) and the engine's
// checks (connector, keystore) accept exactly the same values. It is pure:
// no I/O, and it imports nothing of this module.
package names

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	// guidRE is the 8-4-4-4-12 hex form, any case, without braces: the form
	// Entra ID, Power BI and Domo show and take.
	guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// domainRE is a DNS name of at least two labels, each of 1 to 63
	// letters, digits or inner hyphens, ending in a 2-to-63-letter TLD.
	domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}$`)
	// accountRE: see IsAccountName.
	accountRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (upper or
// lower case; braces and surrounding spaces are not part of it).
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// IsDomain reports whether s is a DNS domain name such as
// contoso.onmicrosoft.com (a tenant's verified domain).
func IsDomain(s string) bool { return domainRE.MatchString(s) }

// IsUPN reports whether s is an Entra ID user principal name: local@domain,
// one '@', a non-empty local part without spaces, and a domain that is a DNS
// name with a dot (IsDomain). Entra ID requires the domain part to be one of
// the tenant's verified domains, and a verified domain is always such a name
// (at least contoso.onmicrosoft.com), so admin@contoso cannot sign in. The
// local part is not checked further: guests have UPNs such as
// alice_fabrikam.com#EXT#@contoso.onmicrosoft.com.
func IsUPN(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.ContainsFunc(local, isSpace) && IsDomain(domain)
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0xA0
}

// MaxAccountName is the longest account name, in bytes (ASCII only).
const MaxAccountName = 64

// IsAccountName reports whether s is a valid pbiwb account name: 1 to 64
// letters, digits, '.', '_' or '-', starting with a letter or digit, so it
// is easy to type after --account and never looks like a flag.
func IsAccountName(s string) bool { return accountRE.MatchString(s) }

// MaxTableName is the swagger's {1,100} on Table.name, in UTF-16 code units.
const MaxTableName = 100

// TableNameRule is the rule a table name breaks.
type TableNameRule int

// The table-name rules, in the order CheckTableName applies them.
const (
	TableNameEmpty       TableNameRule = iota + 1 // no characters
	TableNameInvalidUTF8                          // bytes that are not UTF-8
	TableNameTooLong                              // more than MaxTableName UTF-16 code units
	TableNameCharacters                           // characters the pattern excludes
)

// TableNameError is a table name Power BI would refuse, and why.
type TableNameError struct {
	Name     string
	Rule     TableNameRule
	Length   int    // UTF-16 code units, for TableNameTooLong
	Excluded []rune // each excluded character once, in order of appearance, for TableNameCharacters
}

func (e *TableNameError) Error() string {
	switch e.Rule {
	case TableNameEmpty:
		return "table name is empty"
	case TableNameInvalidUTF8:
		return "table name is not valid UTF-8"
	case TableNameTooLong:
		return "table name is too long"
	}
	return "table name contains characters Power BI does not allow"
}

// CheckTableName applies the swagger pattern of Table.name (docs/sources.md,
// Power BI: creating a push dataset):
// 1 to 100 characters; of ASCII only tab, LF, CR, space, # - 0-9 @ A-Z ^ _
// a-z ~ and DEL; any non-ASCII character except U+FFFE and U+FFFF.
// Characters are counted as UTF-16 code units, as .NET does (UNCONFIRMED; it
// is the stricter count, so it never lets through a name the service would
// refuse for length): a character outside the BMP counts two. Spaces at the
// ends are allowed and kept. It returns nil or a *TableNameError.
func CheckTableName(name string) error {
	switch {
	case name == "":
		return &TableNameError{Name: name, Rule: TableNameEmpty}
	case !utf8.ValidString(name):
		return &TableNameError{Name: name, Rule: TableNameInvalidUTF8}
	}
	if n := UTF16Len(name); n > MaxTableName {
		return &TableNameError{Name: name, Rule: TableNameTooLong, Length: n}
	}
	var excluded []rune
	for _, r := range name {
		if !TableNameRune(r) && !containsRune(excluded, r) {
			excluded = append(excluded, r)
		}
	}
	if len(excluded) > 0 {
		return &TableNameError{Name: name, Rule: TableNameCharacters, Excluded: excluded}
	}
	return nil
}

// TableNameRune reports whether r may appear in a table name.
func TableNameRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == ' ' || r == '#' || r == '-' || r == '@' || r == '^' || r == '_':
		return true
	case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return true
	case r >= '~' && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// UTF16Len counts the UTF-16 code units of s, .NET's string length (an
// invalid byte counts one, as its replacement character would).
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// DatasetNameOK reports whether s is a dataset name the wizard lets through:
// Power BI's Dataset.name has no pattern, so the only rule is no tabs or line
// breaks (a name must fit on one line of the screens and the history). The
// engine leaves dataset names to Power BI.
func DatasetNameOK(s string) bool { return !strings.ContainsAny(s, "\t\r\n") }
