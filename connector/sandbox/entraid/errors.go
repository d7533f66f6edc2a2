package entraid

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// aadError is an Entra ID error response body, shaped as login.microsoftonline.com
// shapes it (error, error_description beginning "AADSTS<code>: ", error_codes,
// timestamp, trace_id, correlation_id, error_uri, and suberror where Entra sends one).
type aadError struct {
	Status      int    `json:"-"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
	Timestamp   string `json:"timestamp"`
	TraceID     string `json:"trace_id"`
	Correlation string `json:"correlation_id"`
	URI         string `json:"error_uri"`
	SubError    string `json:"suberror,omitempty"`
}

// fail builds an aadError; the description gets its "AADSTS<code>: " prefix here.
func fail(status int, errName string, code int, format string, args ...any) *aadError {
	return &aadError{
		Status:      status,
		Error:       errName,
		Description: "AADSTS" + strconv.Itoa(code) + ": " + fmt.Sprintf(format, args...),
		Codes:       []int{code},
	}
}

func (e *aadError) withSub(sub string) *aadError { e.SubError = sub; return e }

// The classic mistakes, with Entra ID's wording (its error-code reference and
// live messages quoted in public issues; see docs/sources.md, MSAL: errors).

func errTenantNotFound(tenant string) *aadError {
	return fail(http.StatusBadRequest, "invalid_request", 90002,
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)
}

func errAppNotFound(clientID string, t *tenant) *aadError {
	dir := "organizations"
	if t != nil {
		dir = t.domain
	}
	return fail(http.StatusBadRequest, "unauthorized_client", 700016,
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, dir)
}

func errBadSecret(clientID string) *aadError {
	return fail(http.StatusUnauthorized, "invalid_client", 7000215,
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)
}

func errSecretExpired(clientID string) *aadError {
	return fail(http.StatusUnauthorized, "invalid_client", 7000222,
		"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", clientID)
}

func errNeedSecret() *aadError {
	return fail(http.StatusUnauthorized, "invalid_client", 7000218,
		"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
}

func errMissingParam(name string) *aadError {
	return fail(http.StatusBadRequest, "invalid_request", 900144,
		"The request body must contain the following parameter: '%s'.", name)
}

func errUnsupportedGrant(grant string) *aadError {
	return fail(http.StatusBadRequest, "unsupported_grant_type", 70003,
		"The app requested an unsupported grant type '%s'.", grant)
}

func errGrantOnCommon() *aadError {
	return fail(http.StatusBadRequest, "invalid_request", 9001023,
		"The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.")
}

func errUserNotFound(t *tenant) *aadError {
	dir := "organizations"
	if t != nil {
		dir = t.id
	}
	return fail(http.StatusBadRequest, "invalid_grant", 50034,
		"The user account {EUII Hidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.", dir)
}

func errBadPassword() *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 50126,
		"Error validating credentials due to invalid username or password.")
}

func errMFARequired() *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 50076,
		"Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.", powerBIAppID).withSub("basic_action")
}

// errDeviceCodeBlocked is the strict tenant's answer to a device code poll.
// UNCONFIRMED: Entra's 53003 description does not always name the policy; the
// sandbox names it (docs/sandbox.md) so the advice can be checked against it.
func errDeviceCodeBlocked() *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 53003,
		"Access has been blocked by Conditional Access policies. The access policy does not allow token issuance. Policy: '%s'.", blockedDeviceCodePolicy).withSub("message_only")
}

// errDeviceNotManaged is the answer to any interactive sign-in of a user
// under a device-based policy. Entra's sign-in logs word 530033's failure
// reason "Remote device flow blocked due to device based conditional access"
// (docs/sources.md, Entra: sign-in in real tenants). UNCONFIRMED: the token
// endpoint's exact error_description, and that browser and password sign-ins
// from an unmanaged device answer 530033 too (Entra may answer 53000 or
// 53001 there); the sandbox answers 530033 to every method, naming the
// policy, so the one advice can be checked for each (docs/sandbox.md).
func errDeviceNotManaged() *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 530033,
		"Remote device flow blocked due to device based conditional access. A conditional access policy requires device authentication, and the properties of this device cannot be asserted. Policy: '%s'.", managedDevicePolicy).withSub("message_only")
}

func errConsentRequired(a *app) *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 65001,
		"The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", a.id, a.name).withSub("consent_required")
}

func errScopeNotDefault(scope string) *aadError {
	return fail(http.StatusBadRequest, "invalid_scope", 1002012,
		"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
}

func errResourceNotFound(resource string, t *tenant) *aadError {
	dir := demoTenant.domain
	if t != nil {
		dir = t.domain
	}
	return fail(http.StatusBadRequest, "invalid_resource", 500011,
		"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, dir)
}

func errPending() *aadError {
	return fail(http.StatusBadRequest, "authorization_pending", 70016,
		"OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
}

func errDeviceCodeExpired() *aadError {
	return fail(http.StatusBadRequest, "expired_token", 70019, "Verification code expired.")
}

func errRefreshTokenInvalid() *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 70008,
		"The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
}

func errRefreshTokenOtherClient() *aadError {
	return fail(http.StatusBadRequest, "invalid_grant", 70000,
		"Provided grant is invalid or malformed. The refresh token was issued to a different client.")
}

// write sends e with its status, completing the fields Entra fills per request.
func (s *Server) write(w http.ResponseWriter, r *http.Request, e *aadError) {
	e.Timestamp = s.cfg.Clock.Now().UTC().Format("2006-01-02 15:04:05Z")
	e.TraceID = newGUID()
	e.Correlation = r.Header.Get("client-request-id")
	if e.Correlation == "" {
		e.Correlation = newGUID()
	}
	e.URI = "https://" + r.Host + "/error?code=" + strconv.Itoa(e.Codes[0])
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
