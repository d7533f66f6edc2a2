package entra

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/exitcode"
)

// Error is a sign-in failure explained for a person: what Entra ID refused
// (Code is the AADSTS number, 0 when Entra ID did not answer), which
// credential is at fault (Field), and what to do, with the Azure portal path
// (Fix). It never contains a secret.
type Error struct {
	Code       int      // AADSTS code; 0 for transport and local failures
	OAuthError string   // Entra's "error" value, e.g. invalid_client
	Field      field.ID // the credential at fault (a credential field, field.AppRegistration), or ""
	Summary    string
	// Fix is what to do, naming the settings it refers to plainly ("auth
	// method device-code"); FixIn names them as a face does.
	Fix           string
	CorrelationID string // quote it to an administrator (Entra ID sign-in logs)
	Err           error  // the underlying MSAL or transport error

	fix string // Fix with its references to settings: {auth method=device-code}, {cloud}
	// setting is a setting fix tells to change; a face that has no such
	// setting (its Namer gives the ID back) gets fixWithout instead.
	setting    field.ID
	fixWithout string
}

// withFix sets e's fix from tmpl, whose {ID} and {ID=value} references name
// the settings (field IDs) it refers to (field.Render), and returns e.
func (e *Error) withFix(tmpl string) *Error {
	e.fix = tmpl
	e.Fix = field.Render(tmpl, field.Plain{})
	return e
}

// FixIn is the Fix with the settings it refers to named by n: "--auth
// device-code" on the command line, the field's label in the wizard.
func (e *Error) FixIn(n field.Namer) string {
	if e.fix == "" {
		return e.Fix
	}
	if e.setting != "" && n.Name(e.setting) == string(e.setting) {
		return field.Render(e.fixWithout, n)
	}
	return field.Render(e.fix, n)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sign-in failed")
	if e.Code != 0 {
		fmt.Fprintf(&b, " (AADSTS%d)", e.Code)
	}
	b.WriteString(": ")
	b.WriteString(e.Summary)
	if e.Fix != "" {
		b.WriteString(" Fix: ")
		b.WriteString(e.Fix)
	}
	if e.CorrelationID != "" {
		b.WriteString(" (correlation ID " + e.CorrelationID + ")")
	}
	return redact.String(b.String())
}

func (e *Error) Unwrap() error { return e.Err }

// MethodRefused reports whether the tenant's policy refused the sign-in
// method itself (MFA a password cannot give, Conditional Access blocking the
// flow or the device): another method may pass where this one cannot, so a
// face can show which methods the tenant refused.
func (e *Error) MethodRefused() bool {
	switch e.Code {
	case 50076, 50079, 50158, 53003, 530033, 530035, 530032:
		return true
	}
	return false
}

// ExitCode: a sign-in failure (exit 4).
func (e *Error) ExitCode() exitcode.Code { return exitcode.SignIn }

// ErrInteractionRequired is wrapped by the Error Token returns when the saved
// sign-in can no longer be renewed without the user (device code sign-in whose
// refresh token expired or was revoked): run SignIn again.
var ErrInteractionRequired = errors.New("interactive sign-in required")

// advice is what to tell a person about one AADSTS code.
type advice struct {
	field        field.ID
	summary, fix string
	interaction  bool // the saved sign-in is gone: SignIn again
}

const (
	portalApp      = "Azure portal → Microsoft Entra ID → App registrations → <app>"
	portalUsers    = "Azure portal → Microsoft Entra ID → Users"
	newSecretFix   = portalApp + " → Certificates & secrets → New client secret, then copy its Value (shown only once) into pbiwb."
	publicFlowsFix = portalApp + " → Authentication → Advanced settings → Allow public client flows → Yes → Save."
	// deviceCodeFix leads out of a refused password sign-in: to the browser
	// first, which passes MFA and the Conditional Access policies that block
	// device code (issue 12; docs/sources.md, Entra: sign-in in real tenants).
	deviceCodeFix = "Sign in in the browser ({auth method=browser}): it can do MFA and passes the Conditional Access policies tenants commonly set. Device code ({auth method=device-code}) also does MFA where the tenant allows it. For unattended runs, use a service principal ({auth method=service-principal})."
	caAdmins      = "Only an administrator (Conditional Access Administrator or Security Administrator) can change the policy: they see which one in Azure portal → Microsoft Entra ID → Monitoring → Sign-in logs (quote the correlation ID) and can exclude you or this app under Security → Conditional Access."
	// managedDeviceFix leads out of a device-based policy the browser met
	// (AADSTS530033): another device, this one registered, or no user.
	managedDeviceFix = "Run pbiwb on a device your organisation manages (joined or registered in Microsoft Entra ID, or compliant in Intune), or ask your IT department to register this one. For unattended runs, use a service principal ({auth method=service-principal}): device policies do not apply to it."
	signInAgainFix   = "Sign in again (pbiwb accounts add, or the wizard); the saved tokens were cleared."
	// restartBrowserFix: the exchange was tampered with or replayed.
	restartBrowserFix = "Start the sign-in again and finish it in the browser that pbiwb opened; if it happens again, something between the browser and pbiwb (a proxy, another program on the localhost port) interferes."
	consentFix        = portalApp + " → API permissions → Add a permission → Power BI Service → Delegated permissions: Dataset.ReadWrite.All and Workspace.Read.All → Add, then Grant admin consent for <tenant> (an administrator must do this)."
)

// SPRestrictions are the Power BI conditions a service principal must meet,
// beyond a valid secret (shown in Result.Notes and in service-principal errors).
const SPRestrictions = "Power BI accepts a service principal only when a Fabric administrator enables Admin portal → Tenant settings → Developer settings → \"Service principals can use Fabric APIs\" for it (or a security group containing it), " +
	"and only in workspaces where it was added as Member or Admin (workspace → Manage access); a service principal has no My workspace."

var adviceByCode = map[int]advice{
	7000215: {field.ClientSecret, "Entra ID rejected the client secret: it is not the value of a current secret of this app. The usual cause is pasting the secret's ID (a GUID) instead of its Value.",
		portalApp + " → Certificates & secrets: copy the Value column of the secret, not the Secret ID. The Value is shown only right after creation; if it is lost, choose New client secret and copy its Value.", false},
	7000222: {field.ClientSecret, "The client secret has expired.", newSecretFix, false},
	7000218: {field.AppRegistration, "The app registration does not allow public client flows, so a username-and-password or device-code sign-in without the client secret is refused.",
		publicFlowsFix + " Or, for username and password, also enter the app's client secret.", false},
	700025: {field.ClientSecret, "This app registration is a public client, so it must not be sent a client secret.",
		"Leave the client secret empty for this app, or use an app registration with a client secret (" + portalApp + " → Certificates & secrets).", false},
	700016: {field.ClientID, "No application with this client ID exists in this tenant.",
		"Copy the Application (client) ID from " + portalApp + " → Overview, and check that the Directory (tenant) ID on the same page is the tenant you entered.", false},
	90002: {field.TenantID, "No tenant with this ID or domain exists in this cloud.",
		"Copy the Directory (tenant) ID from Azure portal → Microsoft Entra ID → Overview, and check {cloud} (a US Government or China tenant is not in the public cloud).", false},
	9001023: {field.TenantID, "This sign-in is not supported on /common or /consumers.",
		"Enter your Directory (tenant) ID (Azure portal → Microsoft Entra ID → Overview) or a verified domain as the tenant.", false},
	50126: {field.Password, "The username or password is incorrect.",
		"Check the password by signing in at https://portal.azure.com. An administrator can reset it: " + portalUsers + " → <user> → Reset password. Accounts that sign in through another identity provider (federated) or without a password cannot use this method: " + deviceCodeFix, false},
	50034: {field.Username, "This user does not exist in the tenant.",
		"Check the user principal name in " + portalUsers + " → <user> → User principal name, and that the tenant is the user's home tenant. A guest must first be invited: " + portalUsers + " → New user → Invite external user.", false},
	50053: {field.Username, "The account is locked: too many wrong passwords, or sign-ins from a suspicious IP address.",
		"Wait for the lock to lift (usually a few minutes) and check the password; an administrator can see why in Azure portal → Microsoft Entra ID → Monitoring → Sign-in logs.", false},
	50055: {field.Password, "The password has expired.",
		"Change it by signing in once at https://portal.azure.com (or an administrator resets it: " + portalUsers + " → <user> → Reset password), then update the password saved in pbiwb.", false},
	50057: {field.Username, "The user account is disabled.",
		"An administrator must enable it: " + portalUsers + " → <user> → Edit properties → Settings → Account enabled.", false},
	50076: {field.Username, "This account must use multi-factor authentication (MFA), which a username-and-password sign-in cannot do.", deviceCodeFix, false},
	50079: {field.Username, "This account must register for multi-factor authentication (MFA) before it can sign in.",
		"Register your security info in a browser at https://aka.ms/mysecurityinfo, then " + strings.ToLower(deviceCodeFix[:1]) + deviceCodeFix[1:], false},
	50158: {field.Username, "An external security challenge (Conditional Access) must be completed in a browser.", deviceCodeFix, false},
	53003: {"", "Conditional Access blocked this sign-in.",
		"Policies commonly block password and device code sign-ins but allow the browser. " + deviceCodeFix + " " + caAdmins, false},
	530033: {"", "Conditional Access requires a compliant or registered device, and this sign-in does not come from one.",
		"Sign in in the browser ({auth method=browser}) on a device your organisation manages (registered in Microsoft Entra ID, or compliant in Intune); device code sign-ins never count as such a device. For unattended runs, use a service principal ({auth method=service-principal}): device policies do not apply to it. " + caAdmins, false},
	530035: {"", "Security defaults blocked this sign-in.",
		"Security defaults block password sign-ins. " + deviceCodeFix + " An administrator can review Azure portal → Microsoft Entra ID → Properties → Manage security defaults.", false},
	530032: {"", "A tenant security policy blocked this sign-in.",
		"An administrator can see why in Azure portal → Microsoft Entra ID → Monitoring → Sign-in logs (quote the correlation ID). " + deviceCodeFix, false},
	65001: {field.AppRegistration, "Nobody has consented to this app's Power BI permissions in this tenant.", consentFix, false},
	90094: {field.AppRegistration, "This app needs an administrator's consent.", consentFix, false},
	90095: {field.AppRegistration, "This app needs an administrator's consent.", consentFix, false},
	500011: {"", "The Power BI service is not known in this tenant (or in this cloud).",
		"Check {cloud} matches the tenant's cloud. If it does, Power BI has never been used in the tenant: an administrator signs in once at https://app.powerbi.com to provision it.", false},
	1002012: {"", "Entra ID refused the requested scope: a service principal must ask for <resource>/.default.",
		"This is a pbiwb defect if you did not set the scope yourself; please report it.", false},
	70011: {"", "Entra ID refused the requested scope.", "This is a pbiwb defect if you did not set the scope yourself; please report it.", false},
	50020: {field.Username, "This user is from another identity provider and is not a member or guest of the tenant.",
		"An administrator invites the user: " + portalUsers + " → New user → Invite external user.", false},
	50105: {field.Username, "This user is not assigned to the application, and the application requires assignment.",
		"An administrator assigns the user: Azure portal → Microsoft Entra ID → Enterprise applications → <app> → Users and groups → Add user/group.", false},
	7000112: {field.ClientID, "The application is disabled.",
		"An administrator enables it: Azure portal → Microsoft Entra ID → Enterprise applications → <app> → Properties → Enabled for users to sign in → Yes.", false},
	700082: {"", "The saved sign-in has expired after a long time without use.", signInAgainFix, true},
	70008:  {"", "The saved sign-in has expired or was revoked.", signInAgainFix, true},
	50173:  {"", "The saved sign-in was revoked (for example after a password change).", signInAgainFix, true},
	70043:  {"", "The saved sign-in has expired under a Conditional Access sign-in frequency policy.", signInAgainFix, true},
	50089:  {"", "The saved sign-in has expired.", signInAgainFix, true},
	70019:  {"", "The device code expired before the sign-in was completed in the browser.", "Start the sign-in again and finish the browser step within 15 minutes.", false},
	70018:  {"", "The device code was not accepted.", "Start the sign-in again and enter the new code exactly as shown.", false},
	70000:  {"", "Entra ID refused the sign-in grant (invalid or already used).", "Start the sign-in again.", false},
	700027: {field.Certificate, "Entra ID did not accept the certificate: it is not registered on this app, it has expired, or the key does not match it.",
		portalApp + " → Certificates & secrets → Certificates: check that a certificate with the same thumbprint is listed and not expired (pbiwb doctor shows the file's thumbprint and expiry); upload the certificate's public part (.cer or .pem) if not.", false},
	700024: {"", "The certificate's client assertion was outside its valid time: this machine's clock is wrong.", "Set the clock right (turn on network time), then sign in again.", false},
	700021: {"", "The certificate's client assertion named another app.", "This is a pbiwb defect; please report it.", false},
	// The browser sign-in's authorization code (MSAL Go handles PKCE and the
	// redirect URI: these mean something in between changed the exchange).
	54005:  {"", "The browser sign-in's code was already used.", restartBrowserFix, false},
	501481: {"", "The browser sign-in's PKCE check failed: the code was not redeemed by the program that asked for it.", restartBrowserFix, false},
	50148:  {"", "The browser sign-in's PKCE check failed: the code was not redeemed by the program that asked for it.", restartBrowserFix, false},
	500112: {"", "The browser sign-in's code was issued for another redirect URI.", restartBrowserFix, false},
	50011: {field.AppRegistration, "The app registration does not accept the browser sign-in's redirect URI (http://localhost).",
		portalApp + " → Authentication → Add a platform → Mobile and desktop applications → Custom redirect URI: http://localhost → Configure (Entra ID accepts any port for it).", false},
}

// aadBody is Entra ID's error response body.
type aadBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	SubError      string `json:"suberror"`
	CorrelationID string `json:"correlation_id"`
}

var aadstsRE = regexp.MustCompile(`AADSTS(\d+)`)

// maxErrorBytes is the most of an error answer read: no server's wordiness
// is held in memory.
const maxErrorBytes = 64 << 10

// aadErrorOf extracts Entra's error body from an MSAL error: from the response
// when MSAL left it readable, else from the message, which embeds the body
// (MSAL's device code poller drains 400 bodies, docs/sources.md, MSAL: errors).
func aadErrorOf(err error) (aadBody, bool) {
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) {
		return aadBody{}, false
	}
	var raw []byte
	if ce.Resp != nil && ce.Resp.Body != nil {
		// A real answer is a few hundred bytes. Resp is shared: keep it re-readable.
		raw, _ = io.ReadAll(io.LimitReader(ce.Resp.Body, maxErrorBytes))
		ce.Resp.Body = io.NopCloser(bytes.NewReader(raw))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		msg := ce.Error()
		if i := strings.Index(msg, "{"); i >= 0 {
			raw = []byte(msg[i:])
		}
	}
	var a aadBody
	if json.Unmarshal(raw, &a) == nil && (a.Error != "" || len(a.Codes) > 0) {
		if len(a.Codes) == 0 {
			if m := aadstsRE.FindStringSubmatch(a.Description); m != nil {
				n, _ := strconv.Atoi(m[1])
				a.Codes = []int{n}
			}
		}
		return a, true
	}
	if m := aadstsRE.FindStringSubmatch(ce.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return aadBody{Codes: []int{n}}, true
	}
	return aadBody{}, false
}

// explain turns any failure of a sign-in or token call into an *Error.
// loginHost names the host for transport failures; c adds context
// (which method, whether the secret looks like a Secret ID).
func explain(err error, loginHost string, c Credentials) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	if a, ok := aadErrorOf(err); ok {
		return fromAAD(a, err, c)
	}
	// A browser sign-in refused on the page comes back to MSAL's localhost
	// listener as error_description only: an AADSTS message, no body, which
	// MSAL Go HTML-escapes for its page and its error alike (a policy's name
	// in quotes reads &#39;…&#39;).
	if m := aadstsRE.FindStringSubmatch(err.Error()); m != nil && strings.HasPrefix(err.Error(), m[0]) {
		n, _ := strconv.Atoi(m[1])
		return fromAAD(aadBody{Codes: []int{n}, Description: html.UnescapeString(err.Error())}, err, c)
	}
	if se, ok := asStall(err); ok {
		return stallAdvice(se, err)
	}
	if e := transportError(err, loginHost); e != nil {
		return e
	}
	if strings.Contains(err.Error(), "unknown account type") {
		return &Error{Field: field.Username, Err: err,
			Summary: "Entra ID does not know the domain of the username (the part after @).",
			Fix:     "Use a user principal name whose domain is verified in the tenant: Azure portal → Microsoft Entra ID → Custom domain names (or the tenant's .onmicrosoft.com domain)."}
	}
	return &Error{Err: err, Summary: "unexpected sign-in failure: " + redact.Message(err.Error())}
}

func fromAAD(a aadBody, err error, c Credentials) *Error {
	e := &Error{OAuthError: redact.Cut(a.Error, 100), CorrelationID: redact.Cut(a.CorrelationID, 100), Err: err}
	if len(a.Codes) > 0 {
		e.Code = a.Codes[0]
	}
	adv, known := adviceByCode[e.Code]
	if !known {
		e.Summary = redact.Message(firstSentence(a.Description))
		if e.Summary == "" {
			e.Summary = "Entra ID refused the sign-in (" + e.OAuthError + ")."
		}
		e.Fix = "See https://login.microsoftonline.com/error?code=" + strconv.Itoa(e.Code) + " for this code."
		return e
	}
	e.Field, e.Summary = adv.field, adv.summary
	e.withFix(adv.fix)
	if adv.interaction {
		e.Err = errors.Join(ErrInteractionRequired, err)
	}
	switch {
	case e.Code == 7000215 && isGUID(strings.TrimSpace(c.ClientSecret)):
		e.Summary = "The client secret you entered has the shape of a Secret ID (a GUID), not of a secret's Value."
	case e.Code == 7000218 && c.Method == MethodDeviceCode:
		e.Summary = "The app registration does not allow public client flows, which device code sign-in needs."
		e.withFix(publicFlowsFix + " Or use a service principal ({auth method=service-principal}).")
	case e.Code == 50076 && c.Method == MethodDeviceCode:
		e.withFix("Complete the MFA challenge in the browser step of the device code sign-in, or sign in in the browser ({auth method=browser}).")
	case e.Code == 50076 && c.Method == MethodBrowser:
		e.withFix("Complete the MFA challenge on the sign-in page in the browser.")
	case e.Code == 53003 && c.Method == MethodDeviceCode:
		e.Field = field.AuthMethod
		e.Summary = "Conditional Access blocks device code sign-in in this tenant (an authentication-flows policy" + policyOf(a.Description) + "), as Microsoft recommends tenants do."
		e.withFix("Sign in in the browser ({auth method=browser}) instead: the policy allows it. For unattended runs, use a service principal ({auth method=service-principal}).")
	case e.Code == 53003 && c.Method == MethodBrowser:
		e.Summary = "Conditional Access blocked the browser sign-in" + policyOf(a.Description) + ": no other sign-in method of yours gets past a policy that blocks this one."
		e.withFix(caAdmins + " For unattended runs, a service principal ({auth method=service-principal}) is subject only to policies for workload identities.")
	case e.Code == 53003 && c.Method == MethodServicePrincipal:
		e.Summary = "Conditional Access for workload identities blocked this service principal" + policyOf(a.Description) + "."
		e.withFix(caAdmins)
	case e.Code == 700027:
		if _, reason, ok := strings.Cut(a.Description, "[Reason - "); ok {
			reason, _, _ = strings.Cut(reason, ",")
			e.Summary += " Entra ID's reason: " + redact.Cut(strings.TrimSpace(reason), 200)
		}
	case e.Code == 530033 && c.Method == MethodDeviceCode:
		e.Field = field.AuthMethod
		e.Summary = "Conditional Access" + policyIn(a.Description) + " requires a managed device, and device code sign-in is blocked under such policies (\"remote device flow\")."
	case e.Code == 530033 && c.Method == MethodBrowser:
		// The browser is what 530033's advice leads to: on this device it
		// cannot pass, so the way out is another device or no user at all.
		e.Summary = "Conditional Access" + policyIn(a.Description) + " requires a compliant or registered device, and this computer is not one your organisation manages."
		e.withFix(managedDeviceFix + " " + caAdmins)
	case e.Code == 530033:
		e.Summary = "Conditional Access" + policyIn(a.Description) + " requires a compliant or registered device, and this sign-in does not come from one."
	}
	if c.Method == MethodServicePrincipal && e.Field != "" {
		e.withFix(e.fix + " " + SPRestrictions)
	}
	return e
}

// policyOf is ", named 'P'" when Entra's description names the policy
// (the sandbox's does; Entra's own names it only sometimes), else "".
func policyOf(description string) string {
	_, rest, ok := strings.Cut(description, "Policy: '")
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, "'")
	if !ok || name == "" {
		return ""
	}
	return ", named '" + redact.Cut(name, 200) + "'"
}

// policyIn is " (policy 'P')" when Entra's description names the policy,
// else "": for a summary whose subject is Conditional Access.
func policyIn(description string) string {
	if p := policyOf(description); p != "" {
		return " (policy" + strings.TrimPrefix(p, ", named") + ")"
	}
	return ""
}

// firstSentence keeps Entra's description up to its trace line.
func firstSentence(d string) string {
	if i := strings.Index(d, "\r\n"); i >= 0 {
		d = d[:i]
	}
	if i := strings.Index(d, " Trace ID:"); i >= 0 {
		d = d[:i]
	}
	return strings.TrimSpace(d)
}

// transportError explains a failure to reach the login host at all.
func transportError(err error, loginHost string) *Error {
	var ue *url.Error
	var ne net.Error
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.Is(err, cloud.ErrRedirectRefused):
		return (&Error{Err: err,
			Summary: fmt.Sprintf("the sign-in host %s answered with a redirect that is not followed (%v).", loginHost, rootCause(err)),
		}).withFix("Check {cloud} (or {sandbox URL}); a proxy in between must not redirect sign-in requests elsewhere.")
	case errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci):
		return (&Error{Err: err,
			Summary: fmt.Sprintf("the TLS certificate of the sign-in host %s is not trusted (%v).", loginHost, rootCause(err)),
		}).withFix("A proxy that inspects TLS needs its CA installed in the system trust store; for a sandbox, give {sandbox URL} so its CA is fetched.")
	case errors.As(err, &ue), errors.As(err, &ne):
		return (&Error{Err: err,
			Summary: fmt.Sprintf("could not reach the sign-in host %s (%v).", loginHost, rootCause(err)),
		}).withFix("Check the network connection, proxy settings (HTTPS_PROXY) and {cloud}; for a sandbox, check that it is running (pbiwb sandbox).")
	}
	return nil
}

// rootCause is the innermost error's message: no URL, no request detail.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
