package domoapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// tokenClaims are the claims of a sandbox Domo access token. Domo's tokens are
// JWTs whose exp pydomo reads to know when to renew, so ours are JWT-shaped
// too (HS256 under the server's key).
type tokenClaims struct {
	ClientID string   `json:"client_id"`
	Customer string   `json:"customer"`
	Role     string   `json:"role"`
	UserID   int64    `json:"userId"`
	Scope    []string `json:"scope"`
	IssuedAt int64    `json:"iat"`
	Expires  int64    `json:"exp"`
	JTI      string   `json:"jti"`
}

// tokenResponse is the documented token body (GET /oauth/token sample).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	Customer    string `json:"customer"`
	Env         string `json:"env"`
	Role        string `json:"role"`
	UserID      int64  `json:"userId"`
	JTI         string `json:"jti"`
}

// serveToken is the client-credentials grant. The SDKs disagree on the method
// (pydomo and Java POST a form, Node and the quickstart's curl GET with a
// query string), so both are accepted; the client authenticates with HTTP
// Basic, as Domo documents.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed", "Request method '"+r.Method+"' not supported")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Domo"`)
		writeError(w, r, http.StatusUnauthorized, "Unauthorized", "Full authentication is required to access this resource")
		return
	}
	client, known := s.clients[id]
	if !known || !hmac.Equal([]byte(secret), []byte(client.secret)) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Domo"`)
		writeError(w, r, http.StatusUnauthorized, "Unauthorized", "Bad credentials")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequest)
	if err := r.ParseForm(); err != nil {
		writeError(w, r, http.StatusBadRequest, "Bad Request", "The request body is not a valid form")
		return
	}
	switch grant := r.Form.Get("grant_type"); grant {
	case "":
		writeError(w, r, http.StatusBadRequest, "Bad Request", "Missing grant type")
		return
	case "client_credentials":
	default:
		writeError(w, r, http.StatusBadRequest, "Bad Request", "Unsupported grant type: "+clip(grant, 64))
		return
	}
	// No scope means every scope granted to the client (pydomo: "scope == None
	// means use all scopes from client"); a scope it lacks is refused.
	scopes := client.scopes
	if requested := strings.Fields(strings.ToLower(r.Form.Get("scope"))); len(requested) > 0 {
		for _, sc := range requested {
			if !slices.Contains(client.scopes, sc) {
				writeJSON(w, http.StatusBadRequest, map[string]string{
					"error":             "invalid_scope",
					"error_description": "Invalid scope: " + clip(sc, 64),
					"scope":             strings.Join(client.scopes, " "),
				})
				return
			}
		}
		scopes = slices.Compact(slices.Sorted(slices.Values(requested)))
	}

	now := s.clock.Now()
	c := tokenClaims{
		ClientID: id, Customer: demoCustomer, Role: "Admin", UserID: demoUserID,
		Scope: scopes, IssuedAt: now.Unix(), Expires: now.Add(tokenLifetimeS * time.Second).Unix(), JTI: newUUID(),
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: s.sign(c), TokenType: "bearer", ExpiresIn: tokenLifetimeS,
		Scope: strings.Join(scopes, " "), Customer: demoCustomer, Env: "sandbox",
		Role: c.Role, UserID: c.UserID, JTI: c.JTI,
	})
}

// Reasons a bearer token is refused.
var (
	errNoToken      = errors.New("no token")
	errTokenGarbled = errors.New("cannot convert access token to JSON") // not a JWT at all
	errTokenInvalid = errors.New("invalid access token")                // a JWT this server did not sign (or signed before a reset)
	errTokenExpired = errors.New("access token expired")
)

// authenticate checks the request's bearer token ("bearer" in any case, as
// pydomo sends it lower-case).
func (s *Server) authenticate(r *http.Request) (tokenClaims, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, found := strings.Cut(h, " ")
	if h == "" || !found || !strings.EqualFold(scheme, "bearer") {
		return tokenClaims{}, errNoToken
	}
	c, err := s.verify(strings.TrimSpace(tok))
	if err != nil {
		return tokenClaims{}, err
	}
	if s.clock.Now().Unix() >= c.Expires {
		return tokenClaims{}, errTokenExpired
	}
	return c, nil
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (s *Server) sign(c tokenClaims) string {
	body, _ := json.Marshal(c) // only marshalable fields
	payload := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

func (s *Server) verify(tok string) (tokenClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return tokenClaims{}, errTokenGarbled
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c tokenClaims
	if err != nil || json.Unmarshal(body, &c) != nil {
		return tokenClaims{}, errTokenGarbled
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, s.mac(parts[0]+"."+parts[1])) {
		return tokenClaims{}, errTokenInvalid
	}
	return c, nil
}

func (s *Server) mac(payload string) []byte {
	s.mu.RLock()
	m := hmac.New(sha256.New, s.key)
	s.mu.RUnlock()
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// clip shortens client-supplied text echoed in an error.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
