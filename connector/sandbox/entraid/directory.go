package entraid

import (
	"strings"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// The demo directory: two tenants, five app registrations (each registered in
// both tenants), four users (docs/sandbox.md, "The sandbox"; constants in
// connector/sandbox/demo).

const (
	// powerBIAppID is the Power BI Service's well-known application ID, which
	// Entra ID names in MFA errors about Power BI.
	powerBIAppID = "00000009-0000-0000-c000-000000000000"
	// desktopRedirect is the redirect URI the demo apps register on the
	// "Mobile and desktop applications" platform: for http://localhost Entra
	// ignores the port, so MSAL's http://localhost:PORT matches it.
	desktopRedirect = "http://localhost"
)

// consentedScopes are the Power BI delegated permissions the demo apps have
// admin consent for: enough to list workspaces, create push datasets and write
// rows (Dataset.ReadWrite.All covers reading datasets too).
var consentedScopes = []string{"Dataset.ReadWrite.All", "Workspace.Read.All"}

// tenant is a directory. A strict tenant has Conditional Access as it is
// commonly set: MFA for every user (the password grant cannot satisfy it) and
// device code flow blocked by an authentication-flows policy.
type tenant struct {
	id, domain string
	strict     bool
}

var (
	demoTenant   = &tenant{id: demo.TenantID, domain: demo.TenantDomain}
	strictTenant = &tenant{id: demo.StrictTenantID, domain: demo.StrictTenantDomain, strict: true}
	tenants      = []*tenant{demoTenant, strictTenant}
)

// blockedDeviceCodePolicy is the strict tenant's Conditional Access policy,
// named in its AADSTS53003 answers.
const blockedDeviceCodePolicy = "Block device code flow (Conditions: Authentication flows: Device code flow)"

// managedDevicePolicy is the strict tenant's device-based policy, which binds
// its device user (demo.StrictDeviceUsername) and answers AADSTS530033.
const managedDevicePolicy = "Require compliant or registered device (Grant: Require device to be marked as compliant, Require Microsoft Entra hybrid joined device)"

type app struct {
	id            string
	name          string
	spObjectID    string // the app's service principal in the demo tenant
	publicFlows   bool   // Authentication → Allow public client flows
	secretExpired bool
	noSecret      bool // a certificate-only app: every client secret is wrong
	adminConsent  bool // delegated Power BI permissions granted for the tenant
	redirects     []string
	certs         [][]byte // PEM files whose certificates are registered
}

// servicePrincipal is the object ID of the app's service principal in t.
func (a *app) servicePrincipal(t *tenant) string {
	if t.strict {
		return demo.StrictServicePrincipalObjectID(a.id)
	}
	return a.spObjectID
}

type user struct {
	upn      string
	name     string
	objectID string
	tenant   *tenant
	mfa      bool // Conditional Access requires MFA: the password grant answers 50076
	// managedDevice: a device-based policy requires a compliant or
	// registered device, which no sandbox client is: every interactive
	// sign-in answers 530033 (service principals are not bound by it).
	managedDevice bool
}

var apps = map[string]*app{
	demo.ClientID: {id: demo.ClientID, name: "pbiwb sandbox", spObjectID: demo.ServicePrincipalObjectID,
		publicFlows: true, adminConsent: true, redirects: []string{desktopRedirect}},
	demo.ClientIDNoPublicFlow: {id: demo.ClientIDNoPublicFlow, name: "pbiwb sandbox (public client flows off)",
		spObjectID: "00000000-0000-4000-8000-0000000a5e02", adminConsent: true, redirects: []string{desktopRedirect}},
	demo.ClientIDExpired: {id: demo.ClientIDExpired, name: "pbiwb sandbox (expired secret)",
		spObjectID: "00000000-0000-4000-8000-0000000a5e03", publicFlows: true, secretExpired: true, adminConsent: true,
		redirects: []string{desktopRedirect}},
	demo.ClientIDNoConsent: {id: demo.ClientIDNoConsent, name: "pbiwb sandbox (no admin consent)",
		spObjectID: "00000000-0000-4000-8000-0000000a5e04", publicFlows: true, redirects: []string{desktopRedirect}},
	demo.ClientIDCertificate: {id: demo.ClientIDCertificate, name: "pbiwb sandbox (certificate)",
		spObjectID: demo.CertificateServicePrincipalObjectID, noSecret: true, adminConsent: true,
		certs: [][]byte{demo.CertificatePEM, demo.ExpiredCertificatePEM}},
}

var users = map[string]*user{
	strings.ToLower(demo.Username): {upn: demo.Username, name: "Sandbox Admin", objectID: demo.UserObjectID, tenant: demoTenant},
	strings.ToLower(demo.MFAUsername): {upn: demo.MFAUsername, name: "Sandbox MFA User", objectID: demo.MFAUserObjectID,
		tenant: demoTenant, mfa: true},
	strings.ToLower(demo.StrictUsername): {upn: demo.StrictUsername, name: "Fabrikam Admin", objectID: demo.StrictUserObjectID,
		tenant: strictTenant, mfa: true},
	strings.ToLower(demo.StrictDeviceUsername): {upn: demo.StrictDeviceUsername, name: "Fabrikam Kiosk",
		objectID: demo.StrictDeviceUserObjectID, tenant: strictTenant, managedDevice: true},
}

// lookupUser finds upn in t, or in any tenant when t is nil (/organizations).
func lookupUser(t *tenant, upn string) *user {
	u := users[strings.ToLower(strings.TrimSpace(upn))]
	if u == nil || (t != nil && u.tenant != t) {
		return nil
	}
	return u
}

// tenantKind says how an authority's tenant segment addresses the directory.
type tenantKind int

const (
	tenantUnknown  tenantKind = iota
	tenantSpecific            // the GUID or the verified domain
	tenantOrgs                // /organizations
	tenantCommon              // /common
)

// resolveTenant reads an authority's tenant segment; the tenant is nil unless
// the segment names one.
func resolveTenant(seg string) (tenantKind, *tenant) {
	for _, t := range tenants {
		if strings.EqualFold(seg, t.id) || strings.EqualFold(seg, t.domain) {
			return tenantSpecific, t
		}
	}
	switch {
	case strings.EqualFold(seg, "organizations"):
		return tenantOrgs, nil
	case strings.EqualFold(seg, "common"):
		return tenantCommon, nil
	}
	return tenantUnknown, nil
}

// domainTenant is the tenant that verified domain, or nil.
func domainTenant(domain string) *tenant {
	for _, t := range tenants {
		if strings.EqualFold(domain, t.domain) {
			return t
		}
	}
	return nil
}

// isPowerBIResource reports whether resource is the Power BI API of any cloud;
// the sandbox answers for every cloud's resource (demo.PowerBIResource).
func isPowerBIResource(resource string) bool {
	r := strings.ToLower(strings.TrimRight(resource, "/"))
	return strings.HasPrefix(r, "https://") && strings.HasSuffix(r, "/powerbi/api") &&
		(strings.Contains(r, "analysis.windows.net") || strings.Contains(r, "analysis.usgovcloudapi.net") ||
			strings.Contains(r, "analysis.chinacloudapi.cn"))
}

// oidcScopes are the OpenID Connect scopes MSAL adds to every request.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

// scopeRequest is a parsed "scope" parameter.
type scopeRequest struct {
	raw      string
	oidc     map[string]bool
	resource string   // the one resource the request names ("" if none)
	perms    []string // permission names after the resource ("" for .default)
	multiple bool     // more than one resource named: Entra refuses that
}

func parseScopes(raw string) scopeRequest {
	sr := scopeRequest{raw: raw, oidc: map[string]bool{}}
	for _, s := range strings.Fields(raw) {
		if oidcScopes[strings.ToLower(s)] {
			sr.oidc[strings.ToLower(s)] = true
			continue
		}
		i := strings.LastIndex(s, "/")
		if i <= len("https://") {
			sr.perms = append(sr.perms, s) // a bare name: treated as a Microsoft Graph permission
			if sr.resource == "" {
				sr.resource = "https://graph.microsoft.com"
			}
			continue
		}
		res, perm := s[:i], s[i+1:]
		if sr.resource != "" && !strings.EqualFold(sr.resource, res) {
			sr.multiple = true
		}
		sr.resource = res
		sr.perms = append(sr.perms, perm)
	}
	return sr
}

func (sr scopeRequest) isDefault() bool {
	for _, p := range sr.perms {
		if p != ".default" {
			return false
		}
	}
	return len(sr.perms) > 0
}
