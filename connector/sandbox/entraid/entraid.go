// Package entraid emulates the Entra ID (Azure AD) v2 endpoints exactly as MSAL
// Go v1.10.1 calls them, for the sandbox's demo tenant (connector/sandbox/demo):
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /common/discovery/instance?api-version=1.1&authorization_endpoint=…
//	GET  /common/UserRealm/{upn}?api-version=1.0
//	GET|POST /{tenant}/oauth2/v2.0/authorize the browser sign-in page (authorize.go)
//	POST /{tenant}/oauth2/v2.0/token        grants password, client_credentials,
//	                                         device_code (or its URN), refresh_token,
//	                                         authorization_code; client secrets and
//	                                         certificate assertions (assertion.go)
//	POST /{tenant}/oauth2/v2.0/devicecode
//	GET|POST /common/oauth2/deviceauth       the browser step of the device code flow
//
// {tenant} is a tenant's GUID or its domain (the demo tenant, or the strict
// tenant whose Conditional Access refuses the password grant and device code),
// or "organizations" / "common" where Entra ID accepts them. Access tokens are signed by the
// sandbox's token.Signer so its Power BI side can verify them.
//
// The browser step: the device code response's verification_uri is
// https://HOST/common/oauth2/deviceauth. Opening it shows a form; a test or a
// trainer can also approve directly with
//
//	POST /common/oauth2/deviceauth  user_code=…&username=…&password=…
//
// (form or query parameters). The sandbox performs no second factor there: the
// MFA user signs in with its password alone, which is the point of the device
// code advice for that user.
//
// Token lifetime: expires_in is cfg.TokenLifetime in seconds. MSAL caches an
// access token only when it has more than 5 minutes left, so with a lifetime of
// 5 minutes or less every AcquireTokenSilent redeems the refresh token (a new
// token request each time) — handy to test refresh, costly for a long push.
package entraid

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// Config configures the emulator.
type Config struct {
	Clock         *simtime.Clock
	Signer        *token.Signer
	TokenLifetime time.Duration // default one hour
}

// Server is the Entra ID emulator. It is safe for concurrent use.
type Server struct {
	cfg Config

	mu        sync.Mutex
	refresh   map[string]*grant      // refresh token → what it may be redeemed for
	devices   map[string]*deviceFlow // device_code → pending device flow
	userCodes map[string]*deviceFlow // user_code → the same flows
	codes     map[string]*authCode   // authorization code → what it was issued for
}

// grant is what a refresh token stands for.
type grant struct {
	clientID string
	user     *user
	issued   time.Time
}

// maxRefreshTokens bounds memory: Entra keeps older refresh tokens valid after
// a refresh, so the map only grows; past this size the oldest are forgotten.
const maxRefreshTokens = 10000

// New builds the emulator in its demo state.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = simtime.New(1)
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = time.Hour
	}
	s := &Server{cfg: cfg}
	s.Reset()
	return s
}

// Reset returns to the demo state: every refresh token and device code issued
// so far stops working.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = map[string]*grant{}
	s.devices = map[string]*deviceFlow{}
	s.userCodes = map[string]*deviceFlow{}
	s.codes = map[string]*authCode{}
}

// ServeHTTP routes by path; anything that is not an Entra ID v2 endpoint MSAL
// uses answers 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" && parts[3] == "openid-configuration":
		s.openIDConfiguration(w, r, parts[0])
	case len(parts) == 3 && parts[0] == "common" && parts[1] == "discovery" && parts[2] == "instance":
		s.instanceDiscovery(w, r)
	case len(parts) == 3 && parts[0] == "common" && parts[1] == "UserRealm":
		s.userRealm(w, r, parts[2])
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token":
		s.token(w, r, parts[0])
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "authorize":
		s.authorize(w, r, parts[0])
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "devicecode":
		s.deviceCode(w, r, parts[0])
	case len(parts) == 3 && parts[0] == "common" && parts[1] == "oauth2" && parts[2] == "deviceauth":
		s.deviceAuth(w, r)
	default:
		http.NotFound(w, r)
	}
}

// readForm parses a POSTed form body (bounded), as the token endpoints need.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		s.write(w, r, fail(http.StatusBadRequest, "invalid_request", 900561,
			"The endpoint only accepts POST requests. Received a %s request.", r.Method))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.write(w, r, fail(http.StatusBadRequest, "invalid_request", 9002313,
			"Invalid request. Request is malformed or invalid."))
		return false
	}
	return true
}
