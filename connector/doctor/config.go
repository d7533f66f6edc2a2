package doctor

import (
	"context"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// Config is the set-up to check: whose identity, against which cloud, and
// optionally which target, input and history.
type Config struct {
	// Endpoints are the account's cloud, or the sandbox. When the sandbox's
	// CA could not be fetched, Endpoints names its URL with HTTP nil and
	// EndpointsErr says why; the network check reports it.
	Endpoints    cloud.Endpoints
	EndpointsErr error

	// The identity: a saved account (Store and Account), or unsaved
	// credentials (Unsaved, secrets already taken from the environment), or
	// neither, with NoIdentity saying what to do.
	Store      *keystore.Store
	Account    *keystore.Account
	Unsaved    *entra.Credentials
	NoIdentity string
	// EnvSet lists the secret environment variables that are set (names
	// only), reported for unsaved credentials.
	EnvSet []string
	// The Domo API client for unsaved credentials (a saved account carries
	// its own).
	DomoClientID, DomoClientSecret string

	// The target, each optional: a workspace name or ID, a dataset name or
	// ID, a table name.
	Group, Dataset, Table string
	// Input is what a push would read: domo:GUID or a CSV path ("" for none).
	Input string

	// Home is where a push keeps its checkpoints and history, checked
	// writable (nil: not checked).
	Home *home.Dirs
	// History is the run history to review (nil: not reviewed).
	History *history.Store
	// Recent is how far back the history check looks (DefaultRecent when 0).
	Recent time.Duration

	// Prompt shows Entra's device-code message; nil when nobody is there to
	// follow it (no terminal), so a device-code sign-in that needs the
	// browser step fails with advice instead.
	Prompt func(message string)
	// Browser opens a browser sign-in's page; nil when there is no terminal
	// or no browser, and NoBrowser then says why (the sign-in is skipped).
	Browser   entra.URLOpener
	NoBrowser string
	Now       func() time.Time

	// Face names what the user gives in the terms of the face running the
	// checks; nil names fields by their field IDs.
	Face Face
}

// Face is how the face running the checks (pbiwb doctor, the wizard's
// Troubleshoot screen) names what the user gives, so that the checks'
// advice speaks its terms: flags and variables, or screens and fields.
type Face interface {
	field.Namer
	// NotAsked is the finding of a check skipped because f is not given.
	NotAsked(f field.ID) string
	// SaveAccount is the step that saves account a again (its secrets
	// included); withDomo adds a Domo API client to it.
	SaveAccount(a keystore.Account, withDomo bool) string
}

// plainFace is the Face of a Config without one.
type plainFace struct{ field.Plain }

func (plainFace) NotAsked(f field.ID) string { return "not asked (no " + string(f) + " given)" }
func (plainFace) SaveAccount(a keystore.Account, withDomo bool) string {
	if withDomo {
		return "save account " + a.Name + " again with a Domo API client"
	}
	return "save account " + a.Name + " again"
}

// face is the Config's Face, or plainFace.
func (d *Doctor) face() Face {
	if d.cfg.Face == nil {
		return plainFace{}
	}
	return d.cfg.Face
}

// DefaultRecent is how far back the history check looks for failures and
// throttling.
const DefaultRecent = 24 * time.Hour

// Doctor holds a Config and what the checks learn as they go (the session,
// the workspace found, the input's columns), which later checks build on.
type Doctor struct {
	cfg Config

	creds              entra.Credentials
	cache              entra.Cache
	domoID, domoSecret string
	domoMissing        string // why there is no Domo client, when there is none

	session *entra.Session
	token   string
	appOnly bool
	client  *powerbi.Client

	group     powerbi.Group
	dataset   *powerbi.Dataset // nil: no dataset of that name yet (push creates it)
	table     *powerbi.Table   // nil: the dataset does not exist yet
	inputCols []inputColumn    // nil: not known
}

type inputColumn struct {
	Name string
	Type schema.Type // Unknown for a CSV header
}

// New prepares the checks of cfg.
func New(cfg Config) *Doctor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Recent <= 0 {
		cfg.Recent = DefaultRecent
	}
	return &Doctor{cfg: cfg}
}

// Check names, stable for --json and for the wizard.
const (
	CheckNetwork     = "network"
	CheckAccount     = "account"
	CheckSignIn      = "sign-in"
	CheckPermissions = "permissions"
	CheckSPAPIs      = "service-principal-apis"
	CheckInput       = "input"
	CheckWorkspace   = "workspace"
	CheckDataset     = "dataset"
	CheckCreation    = "creation"
	CheckTable       = "table"
	CheckRows        = "rows"
	CheckHome        = "home"
	CheckHistory     = "history"
)

// Checks is the checklist in the order a person would work through it:
// connection, credentials, permissions, the input, the target, then what
// past runs met. The input comes before the target so that the table check
// can compare the table's columns with the input's.
func (d *Doctor) Checks() []Check {
	c := d.cfg
	checks := []Check{
		{Name: CheckNetwork, Title: "Network: sign-in and API hosts reachable", Run: d.checkNetwork, Timeout: 30 * time.Second},
		{Name: CheckAccount, Title: "Account complete, secrets stored", Run: d.checkAccount, Timeout: 30 * time.Second},
		{Name: CheckSignIn, Title: "Sign-in to Entra ID", Needs: []string{CheckNetwork, CheckAccount}, Run: d.checkSignIn,
			Timeout: 16 * time.Minute}, // a device code may wait for the browser step (15 minutes)
		{Name: CheckPermissions, Title: "Token permissions cover a writeback", Needs: []string{CheckSignIn}, Run: d.checkPermissions},
		{Name: CheckSPAPIs, Title: "Tenant lets service principals use the Power BI APIs", Needs: []string{CheckSignIn}, Run: d.checkServicePrincipalAPIs},
		{Name: CheckInput, Title: "Input readable", Run: d.checkInput},
		{Name: CheckWorkspace, Title: "Workspace visible and writable", Needs: []string{CheckSignIn, CheckSPAPIs}, Run: d.checkWorkspace},
		{Name: CheckDataset, Title: "Dataset is a push dataset", Needs: []string{CheckWorkspace}, Run: d.checkDataset},
		{Name: CheckCreation, Title: "Push dataset can be created, or exists", Needs: []string{CheckDataset}, Run: d.checkCreation},
		{Name: CheckTable, Title: "Table and its columns", Needs: []string{CheckDataset}, Run: d.checkTable},
		d.countingCheck(),
		{Name: CheckRows, Title: "Rows stored against the retention limit", Needs: []string{CheckTable, CheckCounting}, Run: d.checkRows},
		{Name: CheckHome, Title: "Home writable: checkpoints and history", Run: d.checkHome},
		{Name: CheckHistory, Title: "Recent runs: failures and throttling", Run: d.checkHistory},
	}
	for i := range checks {
		switch checks[i].Name {
		case CheckInput:
			if c.Input == "" {
				checks[i].NotAsked = d.face().NotAsked(field.Input)
			} else if isDomo(c.Input) {
				checks[i].Needs = []string{CheckNetwork, CheckAccount}
			}
		case CheckDataset, CheckCreation:
			if c.Dataset == "" {
				checks[i].NotAsked = d.face().NotAsked(field.Dataset)
			}
		case CheckTable:
			if c.Table == "" {
				checks[i].NotAsked = d.face().NotAsked(field.Table)
			}
		case CheckRows, CheckCounting:
			if c.Table == "" {
				checks[i].NotAsked = d.face().NotAsked(field.Table)
			}
		case CheckHome:
			if c.Home == nil {
				checks[i].NotAsked = "not asked"
			}
		case CheckHistory:
			if c.History == nil {
				checks[i].NotAsked = "not asked"
			}
		}
	}
	return checks
}

// Run runs every check of d (see the package function Run).
func (d *Doctor) Run(ctx context.Context, report func(Result)) []Result {
	return Run(ctx, d.Checks(), report)
}
