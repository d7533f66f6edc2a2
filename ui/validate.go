package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pbiwb/pbiwb/names"
)

// isGUID reports whether s is a GUID in its usual 8-4-4-4-12 form.
func isGUID(s string) bool { return names.IsGUID(s) }

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
	if s == "" || isGUID(s) || names.IsDomain(s) {
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
	if !names.IsUPN(s) {
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

// checkAccountName keeps account names easy to type after --account.
func checkAccountName(s string) error {
	if s == "" || names.IsAccountName(s) {
		return nil
	}
	return errors.New("letters, digits, . _ - only (up to 64), starting with a letter or digit")
}

// checkTableName applies Power BI's table-name rules (names.CheckTableName),
// the engine's own: length in UTF-16 code units, so an emoji counts two.
func checkTableName(s string) error {
	if s == "" {
		return nil // required-ness is checked on submit
	}
	var te *names.TableNameError
	if !errors.As(names.CheckTableName(s), &te) {
		return nil
	}
	switch te.Rule {
	case names.TableNameTooLong:
		return fmt.Errorf("at most %d characters (this is %d; an emoji counts two)", names.MaxTableName, te.Length)
	case names.TableNameInvalidUTF8:
		return errors.New("not valid UTF-8")
	}
	return errors.New(`letters, digits, space and # - @ ^ _ ~ only (no . , / : ( ) and the like)`)
}

// checkDatasetName: Power BI takes any non-empty name; keep it printable.
func checkDatasetName(s string) error {
	if !names.DatasetNameOK(s) {
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
