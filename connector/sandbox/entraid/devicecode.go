package entraid

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// deviceFlow is one device code sign-in, from the devicecode request to its
// redemption at the token endpoint.
type deviceFlow struct {
	clientID   string
	tenant     *tenant // nil when asked on /organizations or /common
	deviceCode string
	userCode   string
	scope      string
	expires    time.Time
	user       *user     // set when approved in the browser step
	declined   *aadError // set when the browser step refused (no consent)
	// unmanaged: a user under a device-based policy approved it, which the
	// policy refuses (530033); it outranks the strict tenant's block of
	// the flow, which a poll before the approval meets.
	unmanaged bool
}

const (
	deviceCodeLifetime = 15 * time.Minute // Entra's expires_in: 900
	deviceCodeInterval = 5
	userCodeAlphabet   = "BCDFGHJKLMNPQRSTVWXZ23456789" // no vowels, no look-alikes
)

// deviceCode is POST /{tenant}/oauth2/v2.0/devicecode. Entra ID checks the app
// here but the client authentication (public client flows allowed or not) only
// when the code is polled at the token endpoint.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, seg string) {
	kind, ten := resolveTenant(seg)
	if kind == tenantUnknown {
		s.write(w, r, errTenantNotFound(seg))
		return
	}
	if !s.readForm(w, r) {
		return
	}
	clientID, scope := r.PostForm.Get("client_id"), r.PostForm.Get("scope")
	if clientID == "" {
		s.write(w, r, errMissingParam("client_id"))
		return
	}
	a := apps[strings.ToLower(clientID)]
	if a == nil {
		s.write(w, r, errAppNotFound(clientID, ten))
		return
	}
	if scope == "" {
		s.write(w, r, errMissingParam("scope"))
		return
	}
	if e := checkResource(parseScopes(scope), ten); e != nil {
		s.write(w, r, e)
		return
	}
	now := s.cfg.Clock.Now()
	fl := &deviceFlow{clientID: a.id, tenant: ten, deviceCode: randomCode(), userCode: randomUserCode(),
		scope: scope, expires: now.Add(deviceCodeLifetime)}
	s.mu.Lock()
	for code, old := range s.devices { // forget codes nobody can redeem any more
		if now.After(old.expires) {
			delete(s.devices, code)
			delete(s.userCodes, old.userCode)
		}
	}
	s.devices[fl.deviceCode] = fl
	s.userCodes[fl.userCode] = fl
	s.mu.Unlock()

	uri := "https://" + r.Host + "/common/oauth2/deviceauth"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        fl.userCode,
		"device_code":      fl.deviceCode,
		"verification_uri": uri,
		"expires_in":       int(deviceCodeLifetime.Seconds()),
		"interval":         deviceCodeInterval,
		"message": fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.",
			uri, fl.userCode),
	})
}

// redeemDeviceCode is the token endpoint's device_code grant (MSAL polls it).
func (s *Server) redeemDeviceCode(w http.ResponseWriter, r *http.Request, a *app) *aadError {
	code := r.PostForm.Get("device_code")
	if code == "" {
		return errMissingParam("device_code")
	}
	s.mu.Lock()
	fl := s.devices[code]
	var e *aadError
	switch {
	case fl == nil || fl.clientID != a.id:
		e = fail(http.StatusBadRequest, "bad_verification_code", 70018, "Invalid verification code entered.")
	case s.cfg.Clock.Now().After(fl.expires):
		e = errDeviceCodeExpired()
	case fl.unmanaged:
		e = errDeviceNotManaged()
		delete(s.devices, fl.deviceCode)
		delete(s.userCodes, fl.userCode)
	case (fl.tenant != nil && fl.tenant.strict) || (fl.user != nil && fl.user.tenant.strict):
		// The strict tenant's authentication-flows policy: the first poll
		// is refused, approved or not, and the code is spent.
		e = errDeviceCodeBlocked()
		delete(s.devices, fl.deviceCode)
		delete(s.userCodes, fl.userCode)
	case fl.declined != nil:
		e = fl.declined
	case fl.user == nil:
		e = errPending()
	default: // approved: the code is single-use
		delete(s.devices, fl.deviceCode)
		delete(s.userCodes, fl.userCode)
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		scope = fl.scope
	}
	return s.issueUserTokens(w, r, a, fl.user, scope)
}

// deviceAuth is the browser step: GET without a code shows a form; GET or POST
// with user_code, username and password approves the pending code for that
// user (a test or a trainer can call it directly).
func (s *Server) deviceAuth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		page(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	userCode := normalizeUserCode(r.Form.Get("user_code"))
	if userCode == "" {
		page(w, http.StatusOK, "Enter code", deviceForm)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fl := s.userCodes[userCode]
	switch {
	case fl == nil:
		page(w, http.StatusBadRequest, "Code not recognised",
			"AADSTS70018: That code didn't work. Check the code and try again.")
		return
	case s.cfg.Clock.Now().After(fl.expires):
		page(w, http.StatusBadRequest, "Code expired",
			"AADSTS70019: The code you entered has expired. Get a new code from the device you're trying to sign in to and try again.")
		return
	}
	u := lookupUser(fl.tenant, r.Form.Get("username"))
	switch {
	case u == nil:
		page(w, http.StatusBadRequest, "Sign in", "AADSTS50034: This username may be incorrect. Make sure you typed it correctly.")
		return
	case r.Form.Get("password") != demo.Password:
		page(w, http.StatusBadRequest, "Sign in", "AADSTS50126: Your account or password is incorrect.")
		return
	}
	if u.managedDevice {
		fl.unmanaged = true
		page(w, http.StatusForbidden, "Help us keep your device secure",
			"AADSTS530033: Your sign-in was successful but your admin requires the device requesting access to be managed by "+
				html.EscapeString(u.tenant.domain)+" to access this resource.")
		return
	}
	a := apps[fl.clientID]
	if !a.adminConsent {
		fl.declined = errConsentRequired(a)
		page(w, http.StatusForbidden, "Need admin approval",
			html.EscapeString(a.name)+" needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.")
		return
	}
	fl.user = u
	page(w, http.StatusOK, "Signed in",
		"You have signed in to the "+html.EscapeString(a.name)+" application on your device. You may now close this window.")
}

const deviceForm = `<form method="post">
<label>Code <input name="user_code" autofocus></label><br>
<label>Username <input name="username" value=""></label><br>
<label>Password <input name="password" type="password"></label><br>
<button type="submit">Sign in</button></form>`

// page writes a minimal HTML page; body is trusted HTML built by the caller.
func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s — pbiwb sandbox</title><h1>%s</h1><p>%s</p>\n",
		html.EscapeString(title), html.EscapeString(title), body)
}

func normalizeUserCode(c string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(c)))
}

func randomCode() string {
	var b [64]byte
	_, _ = rand.Read(b[:])
	return "DAQABIQEAAAB" + base64.RawURLEncoding.EncodeToString(b[:])
}

func randomUserCode() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b[:])
}
