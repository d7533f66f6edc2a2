// Package token issues and verifies the sandbox's access tokens: JWT-shaped
// (header.claims.signature, base64url) like Entra ID's, signed with HMAC-SHA256
// under a key the sandbox holds, so its Power BI side can trust what its Entra
// ID side issued and reject anything else.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Claims are the claims of a sandbox access token, named as Entra ID names them.
type Claims struct {
	Issuer    string   `json:"iss"`
	Audience  string   `json:"aud"`
	TenantID  string   `json:"tid"`
	ObjectID  string   `json:"oid"`
	AppID     string   `json:"appid"`
	UPN       string   `json:"upn,omitempty"`
	Name      string   `json:"name,omitempty"`
	Scope     string   `json:"scp,omitempty"`   // delegated permissions, space separated (user tokens)
	Roles     []string `json:"roles,omitempty"` // application permissions (app-only tokens)
	IDType    string   `json:"idtyp"`           // "user" or "app"
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	Expires   int64    `json:"exp"`
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

// Errors from Verify.
var (
	ErrMalformed = errors.New("token is malformed")
	ErrSignature = errors.New("token signature is invalid")
	ErrExpired   = errors.New("token has expired")
)

// Signer signs and verifies tokens with one key.
type Signer struct{ key []byte }

// NewSigner returns a signer for key (at least 32 random bytes in practice).
func NewSigner(key []byte) *Signer { return &Signer{key: append([]byte(nil), key...)} }

var header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign returns the compact JWT for c.
func (s *Signer) Sign(c Claims) string {
	body, _ := json.Marshal(c) // Claims has only marshalable fields
	payload := header + "." + base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// Verify checks the signature and expiry of tok at time now and returns its claims.
func (s *Signer) Verify(tok string, now time.Time) (Claims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(sig, s.mac(parts[0]+"."+parts[1])) {
		return Claims{}, ErrSignature
	}
	c, err := Parse(tok)
	if err != nil {
		return Claims{}, err
	}
	if now.Unix() >= c.Expires {
		return c, ErrExpired
	}
	return c, nil
}

// Parse decodes the claims of tok without checking its signature (as a client
// may, to read tid or exp).
func Parse(tok string) (Claims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(body, &c); err != nil {
		return Claims{}, ErrMalformed
	}
	return c, nil
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
