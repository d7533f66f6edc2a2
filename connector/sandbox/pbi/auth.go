package pbi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// Delegated scopes (docs/sources.md, Power BI: scopes). A user token needs one of an operation's
// scopes; app-only tokens carry none and are governed by workspace membership.
var (
	scopeWorkspaceRead = []string{"Workspace.Read.All", "Workspace.ReadWrite.All"}
	scopeDatasetRead   = []string{"Dataset.Read.All", "Dataset.ReadWrite.All"}
	scopeDatasetWrite  = []string{"Dataset.ReadWrite.All"}
)

// authenticate verifies the bearer token. On failure it has answered and
// returns ok == false: 403 with an empty body and X-PowerBI-Error-Info:
// InvalidToken for a missing, forged, foreign-tenant or wrong-audience token
// (the demo and strict tenants are the sandbox's own, sharing its workspaces);
// 403 TokenExpired with its documented body for an expired one.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (token.Claims, bool) {
	h := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(h, "Bearer ")
	if !found {
		tok, found = strings.CutPrefix(h, "bearer ")
	}
	if !found || strings.TrimSpace(tok) == "" {
		invalidToken(w)
		return token.Claims{}, false
	}
	c, err := s.cfg.Signer.Verify(strings.TrimSpace(tok), s.cfg.Clock.Now())
	switch {
	case errors.Is(err, token.ErrExpired):
		w.Header().Set("X-PowerBI-Error-Info", "TokenExpired")
		codeError(w, http.StatusForbidden, "TokenExpired", "Access token has expired, resubmit with a new access token")
		return c, false
	case err != nil:
		invalidToken(w)
		return c, false
	}
	if !isPowerBIAudience(c.Audience) ||
		(!strings.EqualFold(c.TenantID, demo.TenantID) && !strings.EqualFold(c.TenantID, demo.StrictTenantID)) {
		invalidToken(w)
		return c, false
	}
	return c, true
}

// isPowerBIAudience accepts the Power BI API resource of any cloud, as the
// sandbox's Entra ID issues tokens for whichever one the client asks for
// (the same rule as entraid's isPowerBIResource).
func isPowerBIAudience(aud string) bool {
	a := strings.ToLower(strings.TrimRight(aud, "/"))
	if a == demo.PowerBIResource {
		return true
	}
	return strings.HasPrefix(a, "https://") && strings.HasSuffix(a, "/powerbi/api") &&
		(strings.Contains(a, "analysis.windows.net") || strings.Contains(a, "analysis.usgovcloudapi.net") ||
			strings.Contains(a, "analysis.chinacloudapi.cn"))
}

func invalidToken(w http.ResponseWriter) {
	w.Header().Set("X-PowerBI-Error-Info", "InvalidToken")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusForbidden)
}

// requireScope answers 401 when a user token lacks every scope in any.
func requireScope(w http.ResponseWriter, c token.Claims, op string, any []string) bool {
	if c.IsApp() || len(any) == 0 || c.HasScope(any...) {
		return true
	}
	w.Header().Set("X-PowerBI-Error-Info", "InsufficientScope")
	codeError(w, http.StatusUnauthorized, "PowerBINotAuthorizedException",
		"%s requires the delegated permission %s in the access token (it has: %q). Add the permission to the app registration, grant consent, and sign in again.",
		op, strings.Join(any, " or "), c.Scope)
	return false
}

// canAccess reports whether the token's identity may use workspace w; on
// false it has answered 401.
func canAccess(w http.ResponseWriter, c token.Claims, ws *workspace) bool {
	if ws.ID == "" { // My workspace
		if c.IsApp() {
			notAuthorized(w, "", "Service principals cannot use My workspace: create the dataset in a workspace where the service principal is a Member or Admin.")
			return false
		}
		return true
	}
	if ws.Members[demo.WorkspaceMember(c.ObjectID)] {
		return true
	}
	who := "the signed-in user"
	if c.IsApp() {
		who = "the service principal"
	}
	notAuthorized(w, "GroupNotAccessible", fmt.Sprintf("Workspace %s is not accessible to %s: add it to the workspace as a Member or Admin.", ws.ID, who))
	return false
}

// canWrite answers 401 for a write to a read-only workspace.
func canWrite(w http.ResponseWriter, ws *workspace) bool {
	if !ws.ReadOnly {
		return true
	}
	notAuthorized(w, "", fmt.Sprintf("Workspace %q is read-only for you (Viewer): ask an admin for the Contributor, Member or Admin role.", ws.Name))
	return false
}
