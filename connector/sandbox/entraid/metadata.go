package entraid

import (
	"net/http"
	"net/url"
	"strings"
)

// openIDConfiguration serves the tenant's OIDC discovery document with every
// endpoint on the request's own host. MSAL validates only issuer (its host must
// equal the authority's), authorization_endpoint and token_endpoint.
func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request, seg string) {
	kind, ten := resolveTenant(seg)
	if kind == tenantUnknown {
		s.write(w, r, errTenantNotFound(seg))
		return
	}
	base := "https://" + r.Host
	// Entra names tenant-specific endpoints by GUID whichever way the tenant was
	// addressed; /common and /organizations keep their name and a {tenantid}
	// placeholder in the issuer.
	var t, issuerTenant string
	if kind == tenantSpecific {
		t, issuerTenant = ten.id, ten.id
	} else {
		t, issuerTenant = strings.ToLower(seg), "{tenantid}"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/" + t + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + t + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + issuerTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                base + "/" + t + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + t + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + t + "/oauth2/v2.0/logout",
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
			"cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
			"preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"kerberos_endpoint":     base + "/" + t + "/kerberos",
		"tenant_region_scope":   "EU",
		"cloud_instance_name":   "microsoftonline.com",
		"cloud_graph_host_name": "graph.windows.net",
		"msgraph_host":          "graph.microsoft.com",
		"rbac_url":              "https://pas.windows.net",
	})
}

// instanceDiscovery answers MSAL's authority validation for this host (it is
// only called when instance discovery is on and the host routes here). Like
// Entra ID, it refuses an authorization_endpoint on a host it does not serve.
func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	ae := r.URL.Query().Get("authorization_endpoint")
	u, err := url.Parse(ae)
	if ae == "" || err != nil {
		s.write(w, r, fail(http.StatusBadRequest, "invalid_request", 90014,
			"The required field 'authorization_endpoint' is missing from the credential. Ensure that you have all the necessary parameters for the login request."))
		return
	}
	if !strings.EqualFold(u.Host, r.Host) {
		s.write(w, r, fail(http.StatusBadRequest, "invalid_instance", 50049, "Unknown or invalid instance."))
		return
	}
	t := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 2)[0]
	if t == "" {
		t = "common"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": "https://" + r.Host + "/" + t + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": r.Host,
			"preferred_cache":   r.Host,
			"aliases":           []string{r.Host},
		}},
	})
}

// userRealm tells MSAL how a user signs in before the password grant. The demo
// domain is Managed (cloud passwords); any other domain is Unknown, as Entra
// answers for a domain no tenant has verified (MSAL then fails with "unknown
// account type" before sending the password).
func (s *Server) userRealm(w http.ResponseWriter, r *http.Request, upn string) {
	domain := upn
	if i := strings.LastIndex(upn, "@"); i >= 0 {
		domain = upn[i+1:]
	}
	body := map[string]any{
		"ver":                 "1.0",
		"account_type":        "Unknown",
		"domain_name":         domain,
		"cloud_instance_name": "microsoftonline.com",
		"cloud_audience_urn":  "urn:federation:MicrosoftOnline",
	}
	if t := domainTenant(domain); t != nil {
		body["account_type"] = "Managed"
		body["domain_name"] = t.domain
		body["namespace_type"] = "Managed"
	}
	writeJSON(w, http.StatusOK, body)
}
