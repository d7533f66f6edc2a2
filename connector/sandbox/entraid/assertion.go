package entraid

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1" // #nosec: the x5t header is a SHA-1 thumbprint by definition (RFC 7515 §4.1.7)
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Certificate credentials (private_key_jwt): the client sends
// client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
// and client_assertion, a JWT signed with the key of a certificate registered
// on the app. MSAL Go v1.10.1 signs it PS256 with an x5t#S256 header (RS256
// with x5t for ADFS); aud is the token endpoint, iss and sub the client ID,
// exp ten minutes ahead. The sandbox checks them in Entra ID's order: the
// thumbprint names a registered certificate (AADSTS700027, key not found), the
// certificate has not expired (700027, key expired: on the sandbox clock), the
// signature (700027), iss and sub (700021), aud (700027, UNCONFIRMED) and the
// time range (700024).

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// registeredCert is a certificate registered on an app, with its thumbprints.
type registeredCert struct {
	cert   *x509.Certificate
	sha1   []byte
	sha256 []byte
}

// parsedCerts parses the PEM files registered on the apps once.
var parsedCerts = sync.OnceValue(func() map[string][]registeredCert {
	m := map[string][]registeredCert{}
	for id, a := range apps {
		for _, p := range a.certs {
			for rest := p; ; {
				var b *pem.Block
				b, rest = pem.Decode(rest)
				if b == nil {
					break
				}
				if b.Type != "CERTIFICATE" {
					continue
				}
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					panic("entraid: a demo certificate does not parse: " + err.Error())
				}
				s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
				m[id] = append(m[id], registeredCert{cert: c, sha1: s1[:], sha256: s256[:]})
			}
		}
	}
	return m
})

// checkAssertion authenticates a client by its assertion.
func (s *Server) checkAssertion(r *http.Request, a *app) *aadError {
	f := r.PostForm
	if f.Get("client_assertion_type") != assertionType {
		return fail(http.StatusBadRequest, "invalid_request", 700023,
			"client_assertion_type must be '%s'; got '%s'.", assertionType, f.Get("client_assertion_type"))
	}
	raw := f.Get("client_assertion")
	parts := strings.Split(raw, ".")
	if raw == "" || len(parts) != 3 {
		return errMalformedAssertion()
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string       `json:"aud"`
		Iss string       `json:"iss"`
		Sub string       `json:"sub"`
		Exp json.Number  `json:"exp"`
		Nbf *json.Number `json:"nbf"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &claims) != nil {
		return errMalformedAssertion()
	}

	// The certificate: by its SHA-256 thumbprint, else its SHA-1 one.
	want, sum := hdr.X5tS256, func(c registeredCert) []byte { return c.sha256 }
	if want == "" {
		want, sum = hdr.X5t, func(c registeredCert) []byte { return c.sha1 }
	}
	tp := decodeThumbprint(want)
	var found *registeredCert
	for _, c := range parsedCerts()[a.id] {
		if len(tp) > 0 && string(sum(c)) == string(tp) {
			found = &c
			break
		}
	}
	if found == nil {
		return fail(http.StatusUnauthorized, "invalid_client", 700027,
			"The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal to see configured keys for app Id '%s'.]",
			strings.ToUpper(hex.EncodeToString(tp)), a.id)
	}
	now := s.cfg.Clock.Now()
	if now.After(found.cert.NotAfter) || now.Before(found.cert.NotBefore) {
		return fail(http.StatusUnauthorized, "invalid_client", 700027,
			"Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s']",
			strings.ToUpper(hex.EncodeToString(tp)), found.cert.NotBefore.UTC().Format("01/02/2006 15:04:05"),
			found.cert.NotAfter.UTC().Format("01/02/2006 15:04:05"))
	}
	if !verifySignature(found.cert, hdr.Alg, parts[0]+"."+parts[1], sig) {
		return fail(http.StatusUnauthorized, "invalid_client", 700027,
			"Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '%s']",
			strings.ToUpper(hex.EncodeToString(tp)))
	}
	if !strings.EqualFold(claims.Iss, a.id) || !strings.EqualFold(claims.Sub, a.id) {
		return fail(http.StatusUnauthorized, "invalid_client", 700021,
			"Client assertion application identifier doesn't match 'client_id' parameter.")
	}
	if !audienceIsTokenEndpoint(r, claims.Aud) {
		return fail(http.StatusUnauthorized, "invalid_client", 700027,
			"Client assertion failed signature validation. [Reason - The audience '%s' is not this tenant's token endpoint.]", claims.Aud)
	}
	exp, errExp := claims.Exp.Int64()
	nbf := int64(0)
	if claims.Nbf != nil {
		nbf, _ = claims.Nbf.Int64()
	}
	const skew = 5 * time.Minute
	if errExp != nil || now.After(time.Unix(exp, 0).Add(skew)) || now.Add(skew).Before(time.Unix(nbf, 0)) {
		return fail(http.StatusUnauthorized, "invalid_client", 700024,
			"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.",
			now.UTC().Format("2006-01-02T15:04:05Z"), time.Unix(nbf, 0).UTC().Format("2006-01-02T15:04:05Z"),
			time.Unix(exp, 0).UTC().Format("2006-01-02T15:04:05Z"))
	}
	return nil
}

func errMalformedAssertion() *aadError {
	return fail(http.StatusUnauthorized, "invalid_client", 50027,
		"JWT token is invalid or malformed: the client assertion is not a signed JWT.")
}

// decodeThumbprint reads a thumbprint in base64url, as RFC 7515 says, or in
// standard base64, as MSAL Go v1.10.1 writes it (Entra accepts both).
func decodeThumbprint(s string) []byte {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

func verifySignature(c *x509.Certificate, alg, signed string, sig []byte) bool {
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return false
	}
	h := sha256.Sum256([]byte(signed))
	switch alg {
	case "PS256":
		return rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	case "RS256":
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
	}
	return false
}

// audienceIsTokenEndpoint accepts the v2.0 or v1 token endpoint of the
// request's tenant (by GUID or domain) on this host.
func audienceIsTokenEndpoint(r *http.Request, aud string) bool {
	u, err := url.Parse(aud)
	if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Host, r.Host) {
		return false
	}
	p := strings.Split(strings.Trim(u.Path, "/"), "/")
	rp := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if !(len(p) == 4 && p[1] == "oauth2" && p[2] == "v2.0" && p[3] == "token") &&
		!(len(p) == 3 && p[1] == "oauth2" && p[2] == "token") {
		return false
	}
	k1, t1 := resolveTenant(p[0])
	k2, t2 := resolveTenant(rp[0])
	return k1 == k2 && t1 == t2 && (k1 == tenantSpecific || strings.EqualFold(p[0], rp[0]))
}
