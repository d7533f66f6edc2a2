// Package demo holds the sandbox's fixed demo identities (docs/sandbox.md, "The sandbox").
// They are part of the contract: tests outside the repository, trainers and the
// wizard's --sandbox prefill rely on them, so change none of them.
package demo

import _ "embed" // the demo certificates

// The demo tenant.
const (
	TenantID     = "00000000-0000-4000-8000-00000000c0de"
	TenantDomain = "contoso.example"
)

// The strict tenant: Conditional Access as it is commonly set. Every user needs
// MFA (the password grant answers AADSTS50076), device code flow is blocked (its
// first poll answers AADSTS53003), browser sign-in and service principals are
// allowed. Every demo app is registered there too, and its identities have the
// workspace roles of their demo-tenant twins (WorkspaceMember).
const (
	StrictTenantID     = "00000000-0000-4000-8000-0000000fab01"
	StrictTenantDomain = "fabrikam.example"
	StrictUsername     = "admin@fabrikam.example" // password: Password
	// StrictDeviceUsername (password: Password) is under a device-based
	// Conditional Access policy instead of the MFA one: it may sign in only
	// from a compliant or registered device, which no sandbox client is, so
	// every interactive sign-in of it (browser, device code, password)
	// answers AADSTS530033.
	StrictDeviceUsername = "kiosk@fabrikam.example"

	StrictUserObjectID       = "00000000-0000-4000-8000-0000000fa111"
	StrictDeviceUserObjectID = "00000000-0000-4000-8000-0000000fa112"
)

// App registrations. The first four share ClientSecret (and its SecretID).
const (
	ClientID             = "00000000-0000-4000-8000-0000000a99e1" // public client flows on, admin consent granted
	ClientIDNoPublicFlow = "00000000-0000-4000-8000-0000000a99e2" // "Allow public client flows" off → AADSTS7000218
	ClientIDExpired      = "00000000-0000-4000-8000-0000000a99e3" // its secret has expired → AADSTS7000222
	ClientIDNoConsent    = "00000000-0000-4000-8000-0000000a99e4" // no admin consent → AADSTS65001 for users
	// A service principal signing in with a certificate (client assertion):
	// CertificatePEM is registered on it, and so is ExpiredCertificatePEM.
	ClientIDCertificate = "00000000-0000-4000-8000-0000000a99e5"

	ClientSecret = "sandbox-secret-value"
	SecretID     = "00000000-0000-4000-8000-00000005ec1d" // what people paste by mistake → AADSTS7000215
)

// Users.
const (
	Username    = "admin@contoso.example"
	MFAUsername = "mfa@contoso.example" // answers AADSTS50076 to the password grant
	Password    = "sandbox-password"

	UserObjectID    = "00000000-0000-4000-8000-0000000ad111"
	MFAUserObjectID = "00000000-0000-4000-8000-0000000ad112"
	// The demo app's service principal (client credentials).
	ServicePrincipalObjectID = "00000000-0000-4000-8000-0000000a5e01"
	// The certificate app's service principal: a member of Sales Analytics.
	CertificateServicePrincipalObjectID = "00000000-0000-4000-8000-0000000a5e05"
)

// The certificate app's demo certificates, each a PEM file holding the
// certificate and its unencrypted PKCS #8 RSA key (served at
// /_sandbox/demo-cert.pem and /_sandbox/demo-cert-expired.pem). CertificatePEM
// is valid from 2026-01-01 to 2046-01-01; ExpiredCertificatePEM expired on
// 2025-01-01, so a client assertion signed with it answers AADSTS700027.
var (
	//go:embed cert.pem
	CertificatePEM []byte
	//go:embed cert-expired.pem
	ExpiredCertificatePEM []byte
)

// WorkspaceMember is the identity whose workspace roles objectID has: the
// strict tenant's user has those of the demo user, the strict tenant's service
// principals those of the demo app's, and so has the certificate app's in
// either tenant (Sales Analytics). Any other identity is itself.
func WorkspaceMember(objectID string) string {
	switch {
	case objectID == StrictUserObjectID:
		return UserObjectID
	case objectID == CertificateServicePrincipalObjectID, objectID == StrictServicePrincipalObjectID(ClientIDCertificate):
		return ServicePrincipalObjectID
	case objectID == StrictServicePrincipalObjectID(ClientID):
		return ServicePrincipalObjectID
	}
	return objectID
}

// StrictServicePrincipalObjectID is the object ID of app clientID's service
// principal in the strict tenant: the app ID with its "a99e" turned "f5e0"
// (the demo app's is 00000000-0000-4000-8000-0000000f5e01).
func StrictServicePrincipalObjectID(clientID string) string {
	return clientID[:len(clientID)-5] + "f5e0" + clientID[len(clientID)-1:]
}

// Domo API client and the demo DataSet.
const (
	DomoClientID     = "sandbox-domo-client"
	DomoClientSecret = "sandbox-domo-secret"
	DomoDataSetID    = "845305d8-da3d-4107-a9d6-13ef3f86d4a4" // "Sales Orders"
	DomoDataSetName  = "Sales Orders"
)

// Workspaces, with fixed IDs so tests and trainers can name them.
const (
	WorkspaceSales      = "Sales Analytics"
	WorkspaceFinance    = "Finance"
	WorkspaceOperations = "Operations"
	WorkspaceExecutive  = "Executive (read-only)"
	WorkspaceHidden     = "HR Confidential" // exists; the demo user is not a member

	WorkspaceSalesID      = "00000000-0000-4000-8000-00000000a001"
	WorkspaceFinanceID    = "00000000-0000-4000-8000-00000000a002"
	WorkspaceOperationsID = "00000000-0000-4000-8000-00000000a003"
	WorkspaceExecutiveID  = "00000000-0000-4000-8000-00000000a004"
	WorkspaceHiddenID     = "00000000-0000-4000-8000-00000000a005"
)

// Seeded datasets, useful for troubleshooting exercises.
const (
	// An imported (not push) dataset in Finance: push operations answer ItemNotFound.
	ImportedDatasetID   = "00000000-0000-4000-8000-00000000d001"
	ImportedDatasetName = "Budget 2026 (imported)"

	// A basicFIFO push dataset in Operations that pbiwb did not create (as
	// Azure Stream Analytics makes them), already holding SensorFeedRows rows
	// in table SensorFeedTable: columns Timestamp (Datetime), SensorId
	// (String) and Value (Double).
	SensorFeedDatasetID   = "00000000-0000-4000-8000-00000000d002"
	SensorFeedDatasetName = "Sensor Feed"
	SensorFeedTable       = "Readings"
	SensorFeedRows        = 200_000
)

// PowerBIResource is the Power BI resource (audience) in the public cloud; the
// sandbox answers for it whatever cloud the client believes it is in.
const PowerBIResource = "https://analysis.windows.net/powerbi/api"
