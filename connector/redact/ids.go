package redact

import (
	"regexp"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/names"
)

var (
	// Domo's client IDs have the 8-4-4-4-12 shape, though not always hex
	// (its own example is 441e307a-b2a1-4a99-8561-174e5b153fsa).
	guidShapeRE = regexp.MustCompile(`^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$`)
	// A mistyped GUID: hex digits and dashes only, not much longer than one.
	nearGUIDRE = regexp.MustCompile(`^[0-9a-fA-F-]{1,40}$`)
	// upnShapeRE is looser than names.IsUPN on purpose: the question here is
	// whether a value may be a secret, and admin@contoso is a mistyped
	// username, not a password, so it is repeated in the message.
	upnShapeRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	// What an identifier is made of; a secret may hold anything else.
	idCharsRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// LooksLikeSecret reports whether v, given for field f, may be a secret typed
// in the wrong place, and must then not be repeated. The rule:
//
//   - a value equal to a secret this process holds always is;
//   - the tenant ID is a GUID or a domain name (or Entra's common,
//     organizations, consumers), the client ID and the DataSet id are GUIDs,
//     the username is a user principal name (name@domain): any other value
//     is, except a mistyped GUID (hex digits and dashes, at most 40 of them;
//     a Domo secret is 64 hex digits);
//   - a Domo client ID of the 8-4-4-4-12 shape is not; any other is when it
//     is 40 characters or longer (Domo's secrets are 64) or holds characters
//     an ID never has (the sandbox's clients are named, not GUIDs).
func LooksLikeSecret(f field.ID, v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	if Held(v) {
		return true
	}
	switch f {
	case field.TenantID:
		switch strings.ToLower(v) {
		case "common", "organizations", "consumers":
			return false
		}
		return !names.IsGUID(v) && !names.IsDomain(v) && !nearGUIDRE.MatchString(v)
	case field.ClientID, field.DataSetID:
		return !names.IsGUID(v) && !nearGUIDRE.MatchString(v)
	case field.Username:
		return !upnShapeRE.MatchString(v)
	case field.DomoClientID:
		if guidShapeRE.MatchString(v) {
			return false
		}
		return len(v) >= 40 || !idCharsRE.MatchString(v)
	}
	return false
}

// ID is v as messages may show it: v itself, or Mask when it looks like a
// secret (LooksLikeSecret).
func ID(f field.ID, v string) string {
	if LooksLikeSecret(f, v) {
		return Mask
	}
	return v
}

// Quoted is ID in double quotes, or Mask unquoted, so that a message does not
// show "***" as if it were the value typed.
func Quoted(f field.ID, v string) string {
	if LooksLikeSecret(f, v) {
		return Mask
	}
	return `"` + v + `"`
}
