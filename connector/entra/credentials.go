package entra

import (
	"fmt"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/names"
)

// Method is how a Session signs in.
type Method string

// The sign-in methods (the --auth values of docs/cli.md).
const (
	// MethodPassword is the seed's flow: an Azure AD username and password
	// (resource owner password credentials), optionally with the app's client
	// secret, which is then proved by an app-only request.
	MethodPassword Method = "password"
	// MethodBrowser signs in in the system's browser: authorization code
	// with PKCE and a redirect to http://localhost:PORT (MSAL Go's interactive
	// flow), which passes MFA and Conditional Access as az login does.
	MethodBrowser Method = "browser"
	// MethodDeviceCode signs in in a browser (works with MFA).
	MethodDeviceCode Method = "device-code"
	// MethodServicePrincipal is the app itself (client credentials).
	MethodServicePrincipal Method = "service-principal"
)

// Methods lists the methods in the order a user is offered them.
var Methods = []Method{MethodBrowser, MethodPassword, MethodDeviceCode, MethodServicePrincipal}

// Credentials identify who signs in. ClientSecret and Password are secrets:
// String and GoString leave them out, and no error of this package contains them.
type Credentials struct {
	TenantID string // Directory (tenant) ID, or a verified domain such as contoso.com
	ClientID string // Application (client) ID of the app registration
	Username string // user principal name (password; optional for device code and browser, a login hint there)
	Method   Method

	ClientSecret string // required for service-principal, unless Certificate; optional for password
	Password     string // required for password
	// Certificate is a service principal's certificate and private key,
	// the bytes of a PEM or PFX file, instead of ClientSecret; a PFX's
	// password is CertificatePassword. Both are secrets.
	Certificate         []byte
	CertificatePassword string
}

// String describes c without its secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("{tenant %s, client %s, user %q, method %s, client secret %s, password %s, certificate %s}",
		c.TenantID, c.ClientID, c.Username, c.Method, given(c.ClientSecret), given(c.Password), given(string(c.Certificate)))
}

// GoString is String, so %#v does not print the secrets either.
func (c Credentials) GoString() string { return "entra.Credentials" + c.String() }

func given(s string) string {
	if s == "" {
		return "not given"
	}
	return "given"
}

// FieldError is one invalid credential field, named as the user knows it.
type FieldError struct {
	Field   field.ID // field.TenantID, ClientID, Username, ClientSecret, Password or AuthMethod
	Message string
}

func (e FieldError) Error() string { return string(e.Field) + ": " + e.Message }

// FieldErrors is what New returns when ValidateCredentials finds problems.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return "invalid credentials: " + strings.Join(msgs, "; ")
}

// ExitCode: credentials that fail the checks are a usage error (exit 2).
func (es FieldErrors) ExitCode() exitcode.Code { return exitcode.Usage }

// isGUID reports whether s has the 8-4-4-4-12 hex shape of Entra IDs.
func isGUID(s string) bool { return names.IsGUID(s) }

// ValidateCredentials checks c before any call to Entra ID: GUID client ID,
// tenant GUID or domain, UPN username, and the secrets each method needs.
// It returns nil when c is usable.
func ValidateCredentials(c Credentials) []FieldError {
	var errs []FieldError
	add := func(f field.ID, format string, args ...any) {
		errs = append(errs, FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	switch c.Method {
	case MethodBrowser, MethodPassword, MethodDeviceCode, MethodServicePrincipal:
	case "":
		add(field.AuthMethod, "missing: choose browser, password, device-code or service-principal")
	default:
		add(field.AuthMethod, "%q is not one of browser, password, device-code, service-principal", string(c.Method))
	}

	switch t := strings.TrimSpace(c.TenantID); {
	case t == "":
		add(field.TenantID, "missing: copy the Directory (tenant) ID from Azure portal → Microsoft Entra ID → Overview")
	case strings.EqualFold(t, "common"), strings.EqualFold(t, "organizations"), strings.EqualFold(t, "consumers"):
		add(field.TenantID, "%q is not a tenant: these sign-ins need your own Directory (tenant) ID or domain (Azure portal → Microsoft Entra ID → Overview)", t)
	case isGUID(t), names.IsDomain(t):
	default:
		add(field.TenantID, "%s is neither a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 nor a domain such as contoso.com%s",
			shown(field.TenantID, t), notRepeated(field.TenantID, t, "a secret"))
	}

	switch id := strings.TrimSpace(c.ClientID); {
	case id == "":
		add(field.ClientID, "missing: copy the Application (client) ID from Azure portal → Microsoft Entra ID → App registrations → <app> → Overview")
	case !isGUID(id):
		add(field.ClientID, "%s is not a GUID%s: copy the Application (client) ID from Azure portal → Microsoft Entra ID → App registrations → <app> → Overview",
			shown(field.ClientID, id), notRepeated(field.ClientID, id, "the client secret"))
	}

	u := strings.TrimSpace(c.Username)
	switch {
	case u == "" && c.Method == MethodPassword:
		add(field.Username, "missing: the user principal name, such as alice@contoso.com")
	case u != "" && c.Method != MethodServicePrincipal && !names.IsUPN(u):
		add(field.Username, "%s is not a user principal name (name@domain, the domain one of the tenant's, such as alice@contoso.com)%s", shown(field.Username, u), notRepeated(field.Username, u, "the password"))
	}

	switch c.Method {
	case MethodPassword:
		if c.Password == "" {
			add(field.Password, "missing")
		}
	case MethodServicePrincipal:
		switch {
		case c.ClientSecret == "" && len(c.Certificate) == 0:
			add(field.ClientSecret, "missing: a service principal signs in with the app's client secret (its Value, from Certificates & secrets), or with a certificate")
		case c.ClientSecret != "" && len(c.Certificate) > 0:
			add(field.Certificate, "given with a client secret: a service principal signs in with one of them; leave the other out")
		}
	}
	if len(c.Certificate) > 0 && c.Method != MethodServicePrincipal && c.Method != "" {
		add(field.Certificate, "only a service principal signs in with a certificate (auth method service-principal)")
	}
	return errs
}

// shown is how a field error names the value: quoted, or "the value given"
// when it may be a secret typed in the wrong field (redact.LooksLikeSecret).
func shown(f field.ID, v string) string {
	if redact.LooksLikeSecret(f, v) {
		return "the value given"
	}
	return fmt.Sprintf("%q", v)
}

// notRepeated says why a value was not shown, naming the secret it may be.
func notRepeated(f field.ID, v, secret string) string {
	if !redact.LooksLikeSecret(f, v) {
		return ""
	}
	return " (it is not repeated here: it may be " + secret + ", typed in the wrong field)"
}

// normalize trims the non-secret fields (pasted IDs often carry spaces).
func (c Credentials) normalize() Credentials {
	c.TenantID = strings.TrimSpace(c.TenantID)
	c.ClientID = strings.ToLower(strings.TrimSpace(c.ClientID))
	c.Username = strings.TrimSpace(c.Username)
	return c
}
