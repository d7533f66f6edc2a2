// Package demo holds the sandbox's fixed demo identities (docs/sandbox.md, "The sandbox").
// They are part of the contract: tests outside the repository, trainers and the
// wizard's --sandbox prefill rely on them, so change none of them.
package demo

// The demo tenant.
const (
	TenantID     = "00000000-0000-4000-8000-00000000c0de"
	TenantDomain = "contoso.example"
)

// App registrations. All four share ClientSecret (and its SecretID).
const (
	ClientID             = "00000000-0000-4000-8000-0000000a99e1" // public client flows on, admin consent granted
	ClientIDNoPublicFlow = "00000000-0000-4000-8000-0000000a99e2" // "Allow public client flows" off → AADSTS7000218
	ClientIDExpired      = "00000000-0000-4000-8000-0000000a99e3" // its secret has expired → AADSTS7000222
	ClientIDNoConsent    = "00000000-0000-4000-8000-0000000a99e4" // no admin consent → AADSTS65001 for users

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
)

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
