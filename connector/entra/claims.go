package entra

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Claims are the access-token claims pbiwb reads, named as Entra ID names
// them. Only what the doctor reports is kept.
type Claims struct {
	TenantID string   `json:"tid"`
	UPN      string   `json:"upn,omitempty"`
	Scope    string   `json:"scp,omitempty"`   // delegated permissions, space separated (user tokens)
	Roles    []string `json:"roles,omitempty"` // application permissions (app-only tokens)
	IDType   string   `json:"idtyp"`           // "user" or "app"
	Expires  int64    `json:"exp"`
}

// ErrMalformedToken is returned by ParseClaims for anything that is not a
// compact JWT with a JSON claims part.
var ErrMalformedToken = errors.New("the token is not a JWT")

// ParseClaims decodes the claims of an access token without checking its
// signature: a client may read its own token (to see its scopes or expiry),
// but must not trust it for anything else.
func ParseClaims(tok string) (Claims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, ErrMalformedToken
	}
	body, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, ErrMalformedToken
	}
	var c Claims
	if err := json.Unmarshal(body, &c); err != nil {
		return Claims{}, ErrMalformedToken
	}
	return c, nil
}

// IsApp reports whether the token is app-only (client credentials).
func (c Claims) IsApp() bool { return c.IDType == "app" }

// HasScope reports whether the delegated scope list contains any of names
// (case-insensitive, as Entra ID treats permission names).
func (c Claims) HasScope(names ...string) bool {
	for _, have := range strings.Fields(c.Scope) {
		for _, want := range names {
			if strings.EqualFold(have, want) {
				return true
			}
		}
	}
	return false
}
