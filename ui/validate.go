package ui

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	guidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRe = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,}$`)
	// Power BI's table-name pattern (the swagger's Table.name): 1–100
	// characters; of ASCII only tab, LF, CR, space, # - 0-9 @ A-Z ^ _ a-z ~.
	tableNameRe = regexp.MustCompile("^[\t\n\r #\\-0-9@A-Z^_a-z~\u007f-\U0010FFFF]{1,100}$")
)

// isGUID reports whether s is a GUID in its usual 8-4-4-4-12 form.
func isGUID(s string) bool { return guidRe.MatchString(s) }

// checkGUID validates an application (client) ID.
func checkGUID(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil // required-ness is checked on submit
	case !isGUID(s):
		return errors.New("not a GUID (like 1b2c3d4e-…-…); copy it from the app's Overview page")
	}
	return nil
}

// checkTenant validates a tenant: its Directory (tenant) ID, or a verified
// domain such as contoso.onmicrosoft.com.
func checkTenant(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || isGUID(s) || domainRe.MatchString(s) {
		return nil
	}
	return errors.New("neither a GUID nor a domain; use the Directory (tenant) ID")
}

// checkUPN validates a user principal name (name@domain).
func checkUPN(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(local, " \t") || !domainRe.MatchString(domain) {
		return errors.New("not a user principal name like name@contoso.com")
	}
	return nil
}

// checkSecret catches the commonest mistake: pasting the secret's ID (a GUID)
// instead of its Value (AADSTS7000215).
func checkSecret(s string) error {
	if isGUID(strings.TrimSpace(s)) {
		return errors.New("this looks like the secret's ID; copy its Value instead")
	}
	return nil
}

var accountNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// checkAccountName keeps account names easy to type after --account.
func checkAccountName(s string) error {
	if s == "" || accountNameRe.MatchString(s) {
		return nil
	}
	return errors.New("letters, digits, . _ - only (up to 64), starting with a letter or digit")
}

// checkTableName applies Power BI's table-name rules.
func checkTableName(s string) error {
	switch {
	case s == "":
		return nil
	case utf8.RuneCountInString(s) > 100:
		return errors.New("at most 100 characters")
	case !tableNameRe.MatchString(s):
		return errors.New(`letters, digits, space and # - @ ^ _ ~ only (no . , / : ( ) and the like)`)
	}
	return nil
}

// checkDatasetName: Power BI takes any non-empty name; keep it printable.
func checkDatasetName(s string) error {
	if strings.ContainsAny(s, "\t\r\n") {
		return errors.New("no tabs or line breaks")
	}
	return nil
}

// inputRef turns what the user typed on the Input screen into --input's
// value: a bare GUID is a Domo DataSet, anything else a path.
func inputRef(s string) string {
	s = strings.TrimSpace(s)
	if isGUID(s) {
		return "domo:" + strings.ToLower(s)
	}
	return s
}
