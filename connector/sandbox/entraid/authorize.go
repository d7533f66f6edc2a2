package entraid

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// The browser sign-in (authorization code with PKCE), as MSAL Go's
// AcquireTokenInteractive drives it:
//
//	GET  /{tenant}/oauth2/v2.0/authorize?client_id=…&redirect_uri=…&code_challenge=…
//	     → the sign-in page, a form that posts login and passwd to the same URL
//	POST the same URL (query unchanged), login=…&passwd=…
//	     → the code and state sent to redirect_uri: with response_mode=form_post
//	       (what MSAL Go asks for) a page whose form posts them there, as Entra
//	       ID does; otherwise 302 to redirect_uri?code=…&state=…
//	POST /{tenant}/oauth2/v2.0/token grant_type=authorization_code
//	     → redeemed once, with the PKCE verifier and the same redirect_uri
//
// The sandbox asks for no second factor: signing in on the page satisfies the
// strict tenant's MFA requirement, as a real browser sign-in would after the
// second factor.

// authCode is an issued authorization code, kept after its redemption (until
// it expires) so that a second redemption gets AADSTS54005.
type authCode struct {
	clientID    string
	user        *user
	redirectURI string
	scope       string
	challenge   string // "" when the request sent none
	method      string // S256 or plain
	expires     time.Time
	redeemed    bool
}

// authCodeLifetime is how long a code can be redeemed (Entra: about 10 minutes).
const authCodeLifetime = 10 * time.Minute

// authorize serves the authorization endpoint. Errors that cannot be sent
// back to the app (unknown tenant or app, a redirect URI the app did not
// register) are shown on the page, as Entra ID does; the others go back to
// redirect_uri as error and error_description.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, seg string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	kind, ten := resolveTenant(seg)
	q := r.URL.Query()
	if kind == tenantUnknown {
		errorPage(w, errTenantNotFound(seg))
		return
	}
	a := apps[strings.ToLower(q.Get("client_id"))]
	switch {
	case q.Get("client_id") == "":
		errorPage(w, errMissingParam("client_id"))
		return
	case a == nil:
		errorPage(w, errAppNotFound(q.Get("client_id"), ten))
		return
	case !a.redirectRegistered(q.Get("redirect_uri")):
		errorPage(w, errRedirectNotRegistered(q.Get("redirect_uri"), a))
		return
	}
	back := redirectBack{uri: q.Get("redirect_uri"), state: q.Get("state"), mode: q.Get("response_mode")}
	method := q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		back.fail(w, r, fail(http.StatusBadRequest, "unsupported_response_type", 700054,
			"response_type '%s' is not enabled for the application; the sandbox supports 'code'.", q.Get("response_type")))
		return
	case q.Get("scope") == "":
		back.fail(w, r, errMissingParam("scope"))
		return
	case q.Get("code_challenge") != "" && method == "":
		method = "plain"
	}
	if method != "" && method != "S256" && method != "plain" {
		back.fail(w, r, fail(http.StatusBadRequest, "invalid_request", 501491,
			"Invalid code_challenge_method '%s': it must be S256 or plain.", method))
		return
	}
	if e := checkResource(parseScopes(q.Get("scope")), ten); e != nil {
		back.fail(w, r, e)
		return
	}
	if r.Method == http.MethodGet {
		signInPage(w, http.StatusOK, "", q.Get("login_hint"))
		return
	}

	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		signInPage(w, http.StatusBadRequest, "The form could not be read.", "")
		return
	}
	login := r.PostForm.Get("login")
	u := lookupUser(ten, login)
	switch {
	case u == nil:
		signInPage(w, http.StatusOK, "AADSTS50034: This username may be incorrect. Make sure you typed it correctly.", login)
		return
	case r.PostForm.Get("passwd") != demo.Password:
		signInPage(w, http.StatusOK, "AADSTS50126: Your account or password is incorrect.", login)
		return
	case u.managedDevice:
		// The sign-in succeeds, the device policy refuses it: Entra sends
		// the error back to the app (UNCONFIRMED: error "access_denied").
		e := errDeviceNotManaged()
		e.Error = "access_denied"
		back.fail(w, r, e)
		return
	case !a.adminConsent:
		back.fail(w, r, fail(http.StatusBadRequest, "access_denied", 65001,
			"The user or administrator has not consented to use the application with ID '%s' named '%s'. An admin must grant consent for the tenant.", a.id, a.name))
		return
	}
	c := &authCode{clientID: a.id, user: u, redirectURI: back.uri, scope: q.Get("scope"),
		challenge: q.Get("code_challenge"), method: method, expires: s.cfg.Clock.Now().Add(authCodeLifetime)}
	code := "1.AX" + randomCode()
	s.mu.Lock()
	now := s.cfg.Clock.Now()
	for k, old := range s.codes { // forget codes nobody can redeem any more
		if now.After(old.expires) {
			delete(s.codes, k)
		}
	}
	s.codes[code] = c
	s.mu.Unlock()
	back.send(w, r, url.Values{"code": {code}})
}

// redeemAuthCode is the token endpoint's authorization_code grant.
func (s *Server) redeemAuthCode(w http.ResponseWriter, r *http.Request, a *app, ten *tenant) *aadError {
	f := r.PostForm
	for _, p := range []string{"code", "redirect_uri"} {
		if f.Get(p) == "" {
			return errMissingParam(p)
		}
	}
	if !a.redirectRegistered(f.Get("redirect_uri")) {
		return errRedirectNotRegistered(f.Get("redirect_uri"), a)
	}
	c, e := s.spendCode(f, a, ten)
	if e != nil {
		return e
	}
	scope := f.Get("scope")
	if scope == "" {
		scope = c.scope
	}
	return s.issueUserTokens(w, r, a, c.user, scope)
}

// spendCode checks a redemption and marks the code redeemed when it passes.
func (s *Server) spendCode(f url.Values, a *app, ten *tenant) (*authCode, *aadError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[f.Get("code")]
	switch {
	case c == nil || c.clientID != a.id || (ten != nil && c.user.tenant != ten):
		return nil, fail(http.StatusBadRequest, "invalid_grant", 70000,
			"Provided grant is invalid or malformed. The authorization code was not issued to this client in this tenant.")
	case s.cfg.Clock.Now().After(c.expires):
		return nil, errRefreshTokenInvalid() // Entra's 70008 covers expired codes too
	case c.redeemed:
		return nil, fail(http.StatusBadRequest, "invalid_grant", 54005,
			"OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case !sameRedirect(c.redirectURI, f.Get("redirect_uri")):
		return nil, fail(http.StatusBadRequest, "invalid_grant", 500112,
			"The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", f.Get("redirect_uri"), c.redirectURI)
	}
	if e := checkVerifier(c, f.Get("code_verifier")); e != nil {
		return nil, e
	}
	c.redeemed = true
	return c, nil
}

// checkVerifier checks PKCE (RFC 7636). UNCONFIRMED which of Entra's two PKCE
// codes answers which case: the sandbox gives 50148 when no verifier comes for
// a code that had a challenge, 501481 when the verifier does not match.
func checkVerifier(c *authCode, verifier string) *aadError {
	if c.challenge == "" {
		return nil
	}
	if verifier == "" {
		return fail(http.StatusBadRequest, "invalid_grant", 50148,
			"The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.")
	}
	want := verifier
	if c.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) != 1 {
		return fail(http.StatusBadRequest, "invalid_grant", 501481,
			"The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	}
	return nil
}

// redirectRegistered reports whether uri matches one of the app's redirect
// URIs. For http://localhost Entra ignores the port (RFC 8252 §7.3): any port,
// the same path.
func (a *app) redirectRegistered(uri string) bool {
	for _, reg := range a.redirects {
		if sameRedirect(reg, uri) {
			return true
		}
	}
	return false
}

// sameRedirect compares redirect URIs; two loopback URIs differ only by port.
func sameRedirect(reg, uri string) bool {
	ru, err1 := url.Parse(reg)
	u, err2 := url.Parse(uri)
	if err1 != nil || err2 != nil || uri == "" {
		return false
	}
	if ru.Scheme == "http" && ru.Hostname() == "localhost" && u.Scheme == "http" && u.Hostname() == "localhost" {
		return strings.TrimSuffix(ru.Path, "/") == strings.TrimSuffix(u.Path, "/") && u.RawQuery == "" &&
			(ru.Port() == "" || ru.Port() == u.Port())
	}
	return reg == uri
}

func errRedirectNotRegistered(uri string, a *app) *aadError {
	return fail(http.StatusBadRequest, "invalid_request", 50011,
		"The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", uri, a.id)
}

// redirectBack sends the authorization response to the app's redirect URI.
type redirectBack struct{ uri, state, mode string }

func (b redirectBack) fail(w http.ResponseWriter, r *http.Request, e *aadError) {
	b.send(w, r, url.Values{"error": {e.Error}, "error_description": {e.Description}})
}

func (b redirectBack) send(w http.ResponseWriter, r *http.Request, v url.Values) {
	if b.state != "" {
		v.Set("state", b.state)
	}
	switch b.mode {
	case "form_post":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		var fields strings.Builder
		for k, vs := range v {
			fmt.Fprintf(&fields, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", html.EscapeString(k), html.EscapeString(vs[0]))
		}
		fmt.Fprintf(w, "<!doctype html><title>Working… — pbiwb sandbox</title>\n"+
			"<body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"%s\">\n%s"+
			"<noscript><button type=\"submit\">Continue</button></noscript></form></body>\n",
			html.EscapeString(b.uri), fields.String())
	case "fragment":
		http.Redirect(w, r, b.uri+"#"+v.Encode(), http.StatusFound)
	default:
		sep := "?"
		if strings.Contains(b.uri, "?") {
			sep = "&"
		}
		http.Redirect(w, r, b.uri+sep+v.Encode(), http.StatusFound)
	}
}

// signInPage is the authorization endpoint's form; it posts to the same URL.
func signInPage(w http.ResponseWriter, status int, problem, login string) {
	body := ""
	if problem != "" {
		body = `<p class="error">` + html.EscapeString(problem) + "</p>\n"
	}
	body += `<form method="post">
<label>Email, phone, or Skype <input name="login" value="` + html.EscapeString(login) + `" autofocus></label><br>
<label>Password <input name="passwd" type="password"></label><br>
<button type="submit">Sign in</button></form>`
	page(w, status, "Sign in to your account", body)
}

// errorPage shows an error that cannot go back to the app.
func errorPage(w http.ResponseWriter, e *aadError) {
	page(w, e.Status, "Sorry, but we're having trouble signing you in.", html.EscapeString(e.Description))
}
