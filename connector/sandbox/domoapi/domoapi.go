// Package domoapi emulates the part of the Domo Platform API a Domo input needs:
// the client-credentials token endpoint, DataSet metadata and the CSV export.
// It serves the demo DataSets of docs/sandbox.md, generated deterministically so
// that tests elsewhere can compare what landed in Power BI value for value
// (see SalesOrders).
//
// Behaviour docs/sources.md marks UNCONFIRMED, and what this emulator chose:
//   - Token lifetime: expires_in 3599 (documented sample), measured on the
//     sandbox clock and not shortened by --time-scale (the time scale is for
//     quota windows; a client caching a token for expires_in must keep working).
//   - Error bodies on JSON endpoints: Domo's envelope {status,statusReason,
//     message,toe[,path]} for bad client credentials (401 "Bad credentials"),
//     missing or unsupported grant (400), a missing token (401, with the
//     observed statusReason "Internal Server Error"), unknown DataSet (404
//     "Not Found") and a DataSet the client may not read (the observed
//     400 "Infrastructure problem (403): Access is denied"). A garbled, unknown
//     or expired token answers Spring OAuth2's {"error":"invalid_token",...}
//     (observed), a token without the data scope 403 insufficient_scope and a
//     scope the client was never granted 400 invalid_scope (Spring's shapes).
//   - Errors on the CSV export when the request accepts only text/csv (as every
//     SDK sends): Domo's gateway cannot render its JSON error for that Accept
//     and answers 406 with a Jetty HTML page whose "Caused by" names the real
//     error (observed for a missing token; assumed for the other errors).
//     Without Accept: text/csv the same errors come as JSON.
//   - CSV values: DATE as yyyy-MM-dd, DATETIME as yyyy-MM-ddTHH:mm:ss in UTC
//     without a zone (as the query API sample), LONG as plain integers, DOUBLE
//     and DECIMAL as plain decimals without exponent; NULL is an empty
//     unquoted field and the empty string is "" (documented import dialect).
//   - A DataSet id that is not a GUID answers 404 like an unknown one.
package domoapi

import (
	"crypto/rand"
	"net/http"
	"strings"
	"sync"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
)

// The second demo Domo client: valid credentials, but granted only the "user"
// scope, so reading a DataSet is refused (the advice: give the client "data").
const (
	ClientIDUserScopeOnly = "sandbox-domo-client-user-only"
	// Its secret is demo.DomoClientSecret.
)

// Seeded DataSets besides demo.DomoDataSetID.
const (
	// RestrictedDataSetID exists but the demo Domo client's user neither owns
	// nor co-owns it: reading it answers Domo's 400 "Infrastructure problem
	// (403): Access is denied", the case of the seed's rule that the writeback
	// owner must own or co-own the input DataSet.
	RestrictedDataSetID   = "6f1c2b9e-3d4a-4e8b-9a1f-5c7d2e8b0a13"
	RestrictedDataSetName = "Payroll 2026 (restricted)"

	// LargeDataSetID is "Sales Orders" at a million rows, to try a long push
	// (with --time-scale) and streaming in constant memory.
	LargeDataSetID   = "0b7e4c1a-92d3-4f6e-8a5b-d1c3e7f90b24"
	LargeDataSetName = "Sales Orders History"
)

// The Domo user behind the demo clients, and the owner of the restricted set.
const (
	demoUserID      = 964382593
	demoUserName    = "Sandbox Admin"
	demoCustomer    = "sandbox"
	otherOwnerID    = 1829451003
	otherOwnerName  = "Finance Team"
	tokenLifetimeS  = 3599
	maxTokenRequest = 64 << 10
)

// Config configures the emulator.
type Config struct {
	Clock *simtime.Clock
}

// Server is the Domo API emulator. It is safe for concurrent use.
type Server struct {
	clock    *simtime.Clock
	clients  map[string]apiClient
	datasets map[string]*Table

	mu  sync.RWMutex
	key []byte // signs access tokens; replaced by Reset so old tokens stop working
}

// apiClient is a registered Domo API client (Admin → Authentication → Client).
type apiClient struct {
	secret string
	scopes []string
}

// New builds the emulator in its demo state.
func New(cfg Config) *Server {
	clock := cfg.Clock
	if clock == nil {
		clock = simtime.New(1)
	}
	s := &Server{
		clock: clock,
		clients: map[string]apiClient{
			demo.DomoClientID:     {secret: demo.DomoClientSecret, scopes: []string{"data", "user"}},
			ClientIDUserScopeOnly: {secret: demo.DomoClientSecret, scopes: []string{"user"}},
		},
		datasets: map[string]*Table{},
	}
	for _, t := range []*Table{SalesOrders(), restricted(), largeSalesOrders()} {
		s.datasets[t.ID] = t
	}
	s.Reset()
	return s
}

// Reset returns to the demo state: every token issued so far becomes unknown.
// The DataSets are generated and read-only, so they need no reset.
func (s *Server) Reset() {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go ≥ 1.24)
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// ServeHTTP routes the Domo API paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/oauth/token":
		s.serveToken(w, r)
	case strings.HasPrefix(p, "/v1/datasets/"):
		rest := strings.TrimPrefix(p, "/v1/datasets/")
		id, sub, _ := strings.Cut(rest, "/")
		switch sub {
		case "":
			s.serveMetadata(w, r, id)
		case "data":
			s.serveData(w, r, id)
		default:
			writeError(w, r, http.StatusNotFound, "Not Found", "No route for "+p)
		}
	default:
		writeError(w, r, http.StatusNotFound, "Not Found", "No route for "+p)
	}
}
