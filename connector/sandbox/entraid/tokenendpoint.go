package entraid

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

const grantDeviceCodeURN = "urn:ietf:params:oauth:grant-type:device_code"

// token is POST /{tenant}/oauth2/v2.0/token. Order of checks, as Entra ID does
// them: tenant, request shape, client authentication, then the grant itself.
func (s *Server) token(w http.ResponseWriter, r *http.Request, seg string) {
	kind, ten := resolveTenant(seg)
	if kind == tenantUnknown {
		s.write(w, r, errTenantNotFound(seg))
		return
	}
	if !s.readForm(w, r) {
		return
	}
	f := r.PostForm
	grantType := f.Get("grant_type")
	if grantType == "" {
		s.write(w, r, errMissingParam("grant_type"))
		return
	}
	a, e := s.authenticateClient(r, grantType, ten)
	if e != nil {
		s.write(w, r, e)
		return
	}
	switch grantType {
	case "client_credentials":
		e = s.clientCredentials(w, r, a, kind, ten)
	case "password":
		e = s.password(w, r, a, kind, ten)
	case "authorization_code":
		e = s.redeemAuthCode(w, r, a, ten)
	case "device_code", grantDeviceCodeURN:
		e = s.redeemDeviceCode(w, r, a)
	case "refresh_token":
		e = s.redeemRefreshToken(w, r, a)
	default:
		e = errUnsupportedGrant(grantType)
	}
	if e != nil {
		s.write(w, r, e)
	}
}

// authenticateClient identifies the app (client_id in the form or HTTP Basic)
// and checks the secret it presents (client_secret_post or client_secret_basic)
// or its client assertion (private_key_jwt, assertion.go). Without either, only
// a public-client flow on an app that allows it passes: the password and device
// code grants need "Allow public client flows", the authorization code grant a
// redirect URI on the desktop platform (which every demo app but the
// certificate app has).
func (s *Server) authenticateClient(r *http.Request, grantType string, ten *tenant) (*app, *aadError) {
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, sec, ok := basicAuth(r); ok {
		if clientID == "" {
			clientID = id
		}
		if secret == "" {
			secret = sec
		}
	}
	if clientID == "" {
		return nil, errMissingParam("client_id")
	}
	a := apps[strings.ToLower(clientID)]
	if a == nil {
		return nil, errAppNotFound(clientID, ten)
	}
	if r.PostForm.Has("client_assertion") || r.PostForm.Has("client_assertion_type") {
		if secret != "" {
			return nil, fail(http.StatusUnauthorized, "invalid_client", 700025,
				"Client is using more than one client authentication method: send either client_secret or client_assertion.")
		}
		if e := s.checkAssertion(r, a); e != nil {
			return nil, e
		}
		return a, nil
	}
	if secret != "" {
		switch {
		case secret != demo.ClientSecret || a.noSecret: // a wrong value, or the secret's ID pasted
			return nil, errBadSecret(a.id)
		case a.secretExpired:
			return nil, errSecretExpired(a.id)
		}
		return a, nil
	}
	switch {
	case grantType == "authorization_code" && len(a.redirects) > 0:
		return a, nil
	case grantType == "client_credentials" || !a.publicFlows:
		return nil, errNeedSecret()
	}
	return a, nil
}

// basicAuth reads client_secret_basic: both halves are form-URL-encoded
// (RFC 6749 §2.3.1) before base64.
func basicAuth(r *http.Request) (id, secret string, ok bool) {
	id, secret, ok = r.BasicAuth()
	if !ok {
		return "", "", false
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(secret); err == nil {
		secret = v
	}
	return id, secret, true
}

func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, a *app, kind tenantKind, ten *tenant) *aadError {
	if kind != tenantSpecific {
		// UNCONFIRMED: the exact code Entra gives app-only requests on
		// /common or /organizations; the sandbox reuses 9001023's wording.
		return fail(http.StatusBadRequest, "invalid_request", 9001023,
			"The grant type is not supported over the /common or /organizations endpoints. Please use the tenant-specific endpoint.")
	}
	raw := r.PostForm.Get("scope")
	if raw == "" {
		return errMissingParam("scope")
	}
	sr := parseScopes(raw)
	if !sr.isDefault() {
		return errScopeNotDefault(raw)
	}
	if e := checkResource(sr, ten); e != nil {
		return e
	}
	now := s.cfg.Clock.Now()
	at := s.cfg.Signer.Sign(token.Claims{
		Issuer:    "https://sts.windows.net/" + ten.id + "/",
		Audience:  strings.TrimRight(sr.resource, "/"),
		TenantID:  ten.id,
		ObjectID:  a.servicePrincipal(ten),
		AppID:     a.id,
		IDType:    "app",
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		Expires:   now.Add(s.cfg.TokenLifetime).Unix(),
	})
	secs := int(s.cfg.TokenLifetime.Seconds())
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": at,
	})
	return nil
}

func (s *Server) password(w http.ResponseWriter, r *http.Request, a *app, kind tenantKind, ten *tenant) *aadError {
	if kind == tenantCommon {
		return errGrantOnCommon()
	}
	f := r.PostForm
	for _, p := range []string{"username", "password", "scope"} {
		if f.Get(p) == "" {
			return errMissingParam(p)
		}
	}
	u := lookupUser(ten, f.Get("username"))
	if u == nil {
		return errUserNotFound(ten)
	}
	if f.Get("password") != demo.Password {
		return errBadPassword()
	}
	if u.managedDevice {
		return errDeviceNotManaged()
	}
	if u.mfa {
		return errMFARequired()
	}
	return s.issueUserTokens(w, r, a, u, f.Get("scope"))
}

// checkResource accepts only the Power BI API (of any cloud) as the resource.
func checkResource(sr scopeRequest, ten *tenant) *aadError {
	if sr.multiple {
		return fail(http.StatusBadRequest, "invalid_scope", 70011,
			"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid. Requests for multiple resources are not supported.", sr.raw)
	}
	if sr.resource == "" {
		return fail(http.StatusBadRequest, "invalid_scope", 70011,
			"The provided value for the input parameter 'scope' is not valid. The scope %s is not valid. It must name a resource.", sr.raw)
	}
	if !isPowerBIResource(sr.resource) {
		return errResourceNotFound(sr.resource, ten)
	}
	return nil
}

// issueUserTokens answers a successful user sign-in: a delegated access token,
// and — as Entra ID does — a refresh token only when offline_access was asked
// for, an ID token only for openid, client_info when client_info=1.
func (s *Server) issueUserTokens(w http.ResponseWriter, r *http.Request, a *app, u *user, rawScope string) *aadError {
	sr := parseScopes(rawScope)
	if e := checkResource(sr, u.tenant); e != nil {
		return e
	}
	if !a.adminConsent {
		return errConsentRequired(a)
	}
	resource := strings.TrimRight(sr.resource, "/")
	granted, echo := consentedScopes, []string{}
	if !sr.isDefault() {
		granted = nil
		for _, p := range sr.perms {
			if p == ".default" {
				continue
			}
			c := consentedName(p)
			if c == "" {
				return errConsentRequired(a) // a permission nobody granted to this app
			}
			granted = append(granted, c)
		}
	}
	for _, o := range []string{"openid", "profile", "email"} {
		if sr.oidc[o] {
			echo = append(echo, o)
		}
	}
	for _, g := range granted {
		echo = append(echo, resource+"/"+g)
	}
	// Echo exactly what was asked (including .default) so MSAL sees no declined scope.
	for _, p := range sr.perms {
		if p == ".default" {
			echo = append(echo, resource+"/.default")
		}
	}

	now := s.cfg.Clock.Now()
	exp := now.Add(s.cfg.TokenLifetime)
	at := s.cfg.Signer.Sign(token.Claims{
		Issuer:    "https://sts.windows.net/" + u.tenant.id + "/",
		Audience:  resource,
		TenantID:  u.tenant.id,
		ObjectID:  u.objectID,
		AppID:     a.id,
		UPN:       u.upn,
		Name:      u.name,
		Scope:     strings.Join(granted, " "),
		IDType:    "user",
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		Expires:   exp.Unix(),
	})
	secs := int(s.cfg.TokenLifetime.Seconds())
	resp := map[string]any{
		"token_type": "Bearer", "scope": strings.Join(echo, " "),
		"expires_in": secs, "ext_expires_in": secs, "access_token": at,
	}
	if sr.oidc["offline_access"] {
		resp["refresh_token"] = s.newRefreshToken(&grant{clientID: a.id, user: u, issued: now})
	}
	if sr.oidc["openid"] {
		resp["id_token"] = idToken(r.Host, a, u, now.Unix(), exp.Unix())
	}
	if r.PostForm.Get("client_info") == "1" {
		ci, _ := json.Marshal(map[string]string{"uid": u.objectID, "utid": u.tenant.id})
		resp["client_info"] = base64.RawURLEncoding.EncodeToString(ci)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func consentedName(p string) string {
	for _, c := range consentedScopes {
		if strings.EqualFold(c, p) {
			return c
		}
	}
	return ""
}

// idToken is an unsigned (alg none) OIDC ID token: MSAL decodes it for the
// account but never checks a signature.
func idToken(host string, a *app, u *user, iat, exp int64) string {
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"none"}`))
	body, _ := json.Marshal(map[string]any{
		"aud": a.id, "iss": "https://" + host + "/" + u.tenant.id + "/v2.0",
		"iat": iat, "nbf": iat, "exp": exp,
		"name": u.name, "oid": u.objectID, "preferred_username": u.upn,
		"sub": u.objectID, "tid": u.tenant.id, "ver": "2.0",
	})
	return hdr + "." + base64.RawURLEncoding.EncodeToString(body) + "."
}

func (s *Server) newRefreshToken(g *grant) string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	rt := "0.AX" + base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refresh) >= maxRefreshTokens {
		var oldest string
		for k, v := range s.refresh {
			if oldest == "" || v.issued.Before(s.refresh[oldest].issued) {
				oldest = k
			}
		}
		delete(s.refresh, oldest)
	}
	s.refresh[rt] = g
	return rt
}

// redeemRefreshToken: the old refresh token stays valid (as in Entra ID, where
// refresh tokens are not single-use), until Reset.
func (s *Server) redeemRefreshToken(w http.ResponseWriter, r *http.Request, a *app) *aadError {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		return errMissingParam("refresh_token")
	}
	s.mu.Lock()
	g := s.refresh[rt]
	s.mu.Unlock()
	if g == nil {
		return errRefreshTokenInvalid()
	}
	if g.clientID != a.id {
		return errRefreshTokenOtherClient()
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		return errMissingParam("scope")
	}
	return s.issueUserTokens(w, r, a, g.user, scope)
}
