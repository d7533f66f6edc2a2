package ui

import (
	"context"
	"errors"
	"time"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
)

// Backend is everything the wizard asks of the engine. The wizard calls it
// only from tea.Cmds, never from Update, so an implementation may block and do
// I/O. The CLI adapts the real connector and keystore packages to it; tests use
// an in-memory fake. Every method should return promptly once ctx is done,
// and every send on a prompts or events channel should select on ctx.Done():
// the wizard stops listening to a request the user cancelled.
type Backend interface {
	// Accounts lists the saved accounts (any order; the wizard sorts them).
	Accounts(ctx context.Context) ([]AccountSummary, error)
	// OpenAccount signs in with a saved account (silently from its token cache
	// when it can). Device-code prompts are sent on prompts verbatim.
	OpenAccount(ctx context.Context, name string, prompts chan<- string) (AccountSummary, error)
	// SignIn proves new credentials. Device-code prompts are sent on prompts
	// verbatim. A failure tied to one credential should implement FieldError.
	SignIn(ctx context.Context, c Credentials, prompts chan<- string) (AccountSummary, error)
	// SaveAccount stores the account: non-secret fields in the config file,
	// secrets in the OS keyring, or in a 0600 file when c.InsecureStorage is
	// set. It returns an error wrapping ErrKeyringUnavailable when no keyring
	// answers, so the wizard can offer the insecure choice explicitly.
	SaveAccount(ctx context.Context, c Credentials) error
	// Workspaces lists the workspaces the account can see.
	Workspaces(ctx context.Context, account string) ([]Workspace, error)
	// Datasets lists the names of the push datasets in a workspace.
	Datasets(ctx context.Context, account, workspaceID string) ([]string, error)
	// InspectInput reads and validates the whole input ("domo:GUID" or a file
	// path) with the given column type overrides (column name → type).
	// sheet is a workbook's sheet to read ("" its first).
	InspectInput(ctx context.Context, account, input, sheet string, overrides map[string]string) (InputReport, error)
	// Plan resolves the target and returns what a push would do (a dry run).
	Plan(ctx context.Context, r Request) (PlanReport, error)
	// Push runs the writeback, sending progress snapshots on events (the
	// wizard drains it until Push returns). Cancelling ctx stops it cleanly
	// with its checkpoint saved; Push then returns an error. Sends on events
	// must also give up when ctx is done (select on ctx.Done()), and nothing
	// may be sent once Push has returned (the wizard closes the channel).
	Push(ctx context.Context, r Request, events chan<- ProgressEvent) (Result, error)

	// Troubleshoot runs the doctor's checks for what the user has chosen so
	// far (see Target), sending each result on results as soon as it is
	// known (selecting on ctx.Done()); nothing is sent after it returns. An
	// error means the checks could not run at all.
	Troubleshoot(ctx context.Context, t Target, results chan<- CheckResult) error
	// History lists the recorded runs, newest first.
	History(ctx context.Context) ([]RunSummary, error)
	// Run is one recorded run in full, with the request that resumes it
	// when it can be resumed.
	Run(ctx context.Context, id string) (RunDetail, error)
}

// ErrKeyringUnavailable is wrapped by SaveAccount's error when no OS keyring
// answers.
var ErrKeyringUnavailable = errors.New("no OS keyring is reachable")

// MethodRefusal is implemented by a sign-in error the tenant's policy gave
// the sign-in method itself (MFA a password cannot give, Conditional Access
// blocking device code): the Credentials screen lists the methods refused.
type MethodRefusal interface {
	MethodRefused() bool
}

// FieldError is a sign-in failure that concerns one credential: the wizard
// shows what went wrong (Error, without the advice if it repeats it) and
// the advice beside that field. Field returns one of the Field* constants,
// or "" when no single field is at fault (then both show below the form).
type FieldError interface {
	error
	Field() string
	Advice() string
}

// The credential fields a FieldError may name; the Backend maps the
// engine's field identifiers to these. FieldAppRegistration (the app's
// settings in Entra ID, such as public client flows or consent) is shown
// beside the client ID.
const (
	FieldMethod           = "auth method"
	FieldCloud            = "cloud"
	FieldAccountName      = "account"
	FieldClientID         = "client ID"
	FieldAppRegistration  = "app registration"
	FieldClientSecret     = "client secret"
	FieldTenantID         = "tenant ID"
	FieldUsername         = "username"
	FieldPassword         = "password"
	FieldDomoClientID     = "Domo client ID"
	FieldDomoClientSecret = "Domo client secret"
	// A service principal's certificate file (a path) and its PFX password.
	FieldCertificate         = "certificate"
	FieldCertificatePassword = "certificate password"
)

// Sign-in methods, spelled as `--auth` takes them (docs/cli.md).
const (
	MethodPassword         = "password"
	MethodDeviceCode       = "device-code"
	MethodBrowser          = "browser"
	MethodServicePrincipal = "service-principal"
)

// Credentials are what the Credentials screen collects.
type Credentials struct {
	Name             string // account name to save under
	Method           string // one of the Method* constants
	Cloud            string // public, usgov, usgovhigh, usgovdod, china
	TenantID         string
	ClientID         string
	ClientSecret     string
	Username         string
	Password         string
	DomoClientID     string
	DomoClientSecret string
	// Certificate is the path of a service principal's certificate file
	// (PEM, or PFX with CertificatePassword), used instead of ClientSecret.
	Certificate         string
	CertificatePassword string
	// InsecureStorage asks SaveAccount to keep secrets in a 0600 file; the
	// wizard sets it only after the user chose it explicitly.
	InsecureStorage bool
}

// AccountSummary describes a saved or signed-in account, without secrets.
type AccountSummary struct {
	Name     string
	Method   string
	Cloud    string
	TenantID string
	ClientID string
	Username string // or the service principal's display name
	LastUsed time.Time
	HasDomo  bool // a Domo API client is saved with it
	// Notes are advice from a sign-in that did not stop it (e.g. "turn on
	// Allow public client flows"); the Credentials screen shows them once.
	Notes []string
}

// Workspace is one Power BI workspace (group).
type Workspace struct {
	ID       string
	Name     string
	ReadOnly bool
	// Personal marks My workspace (ID ""), listed first.
	Personal bool
	// Unavailable says why the workspace cannot be chosen ("" when it can):
	// a service principal has no My workspace.
	Unavailable string
}

// Column is one input column with its Power BI type.
type Column struct {
	Name   string
	Type   string // Int64, Double, Decimal, Boolean, Datetime, String
	Origin string // where the type came from: "inferred", "Domo LONG", "set by you", ...
}

// Finding is one validation finding; any finding stops the push (exit 3).
type Finding struct {
	Line    int    // 1-based line in the input, 0 when not about a line
	Column  string // column name, "" when not about a column
	Message string // what is wrong and what to do
}

// InputReport is what InspectInput found.
type InputReport struct {
	Input string // as given: "domo:GUID" or a path
	Name  string // "Sales Orders", "orders.csv"
	Kind  string // "Domo DataSet", "CSV file", "Excel workbook"
	// Sheets are a workbook's sheets, and Sheet the one read (--sheet).
	Sheets   []string
	Sheet    string
	Rows     int64
	Columns  []Column
	Findings []Finding
	// Warnings do not stop the push (a column read as String because of a
	// late value, say) but are worth reading first.
	Warnings []string
}

// Request is one writeback, the wizard's answers; it maps one to one onto
// `pbiwb push` flags.
type Request struct {
	Account string
	// AccountFlags name Account on a command line (PlanReport.AccountFlags);
	// empty is --account Account.
	AccountFlags  []string
	Input         string            // --input
	Sheet         string            // --sheet: a workbook's sheet
	Columns       map[string]string // --column NAME=TYPE
	WorkspaceID   string
	WorkspaceName string // --group
	Dataset       string // --dataset
	Table         string // --table
	Mode          string // replace | append
	Retention     string // none | fifo (a new dataset only)
	Resume        bool
	// Assume, only with Resume, says what became of the batches the stopped
	// run left with an unknown outcome (Unsettled): AssumeSent or
	// AssumeLost (--assume-sent, --assume-lost); "" for neither.
	Assume string
}

// The answers a resume gives about unsettled batches (Request.Assume).
const (
	AssumeSent = "sent" // the rows landed: recorded as written, not sent again
	AssumeLost = "lost" // they did not: sent again
)

// Unsettled is what a push stopped on when a POST got no answer while
// Power BI refuses to count the table's rows: batches whose outcome pbiwb
// cannot tell. A resume must say which is true (Request.Assume).
type Unsettled struct {
	Why     string // why counting cannot settle them (the tenant setting, Build permission)
	Batches []UnsettledBatch
}

// UnsettledBatch is one batch with an unknown outcome, counted from 1.
type UnsettledBatch struct {
	Batch    int
	FirstRow int64 // its first input row
	Rows     int
}

// Rows is the rows of the unsettled batches.
func (u Unsettled) Rows() int64 {
	var n int64
	for _, b := range u.Batches {
		n += int64(b.Rows)
	}
	return n
}

// PlanReport is a dry run's answer.
type PlanReport struct {
	Actions  []string // human lines: "create dataset …", "delete the 1,200 rows of …", "write …"
	Rows     int64
	Batches  int
	ETA      time.Duration // under the documented limits
	Warnings []string
	Command  string // the equivalent command line; the wizard builds one when empty
	// AccountFlags name the request's account on a command line: --account
	// NAME, or the identity flags of an account used without saving it.
	AccountFlags []string
}

// ProgressEvent is a snapshot of a running push: each event carries the
// whole current state, so the wizard shows the latest one.
type ProgressEvent struct {
	RowsWritten, RowsTotal    int64
	BatchesDone, BatchesTotal int
	InFlight                  int
	// Step says what the push does now, as `pbiwb push` prints it
	// ("Verifying the table's row count", "Adding 1 column to table ..."),
	// when it began a new step with this event; "" otherwise.
	Step string
	// Warning is a warning of the plan, said before writing as `pbiwb push`
	// says it (Power BI refuses to count rows, ...); "" otherwise.
	Warning       string
	Wait          *Wait // nil when not waiting
	Retries       int
	Throttled     int // 429s met
	RowsPerSecond float64
	ETA           time.Duration // negative when unknown
	Error         *PushError    // a new error worth showing (retried or not)
}

// Wait is a pause the pacer chose or the server imposed.
type Wait struct {
	Reason string        // "rows per hour (1,000,000/h)", "Retry-After from Power BI", ...
	Left   time.Duration // remaining when the event was sent
}

// PushError is one error met during a push.
type PushError struct {
	Message   string
	RequestID string // Power BI's RequestId, for support
}

// Result is a finished push.
type Result struct {
	RowsWritten  int64
	RowsVerified int64 // the table's row count after the push
	// NotVerified says why the row count could not be verified (Power BI
	// refuses to count rows): every row written, not verified.
	NotVerified string
	// CountNote explains a verified count that is not the rows before plus
	// those written (a FIFO table's eviction).
	CountNote string
	// Unsettled is set when the push stopped on batches with an unknown
	// outcome: the resume must say which is true.
	Unsettled *Unsettled
	// NothingToResume is set when a push that failed left no checkpoint
	// (it stopped before writing, say): a resume has nothing to continue.
	NothingToResume bool
	Batches         int
	Retries         int
	Elapsed         time.Duration
	RunID           string // history entry
	DatasetID       string
}

// Target is what Troubleshoot checks: whatever the user has chosen so far.
type Target struct {
	// Account is the signed-in or saved account to check ("" for none).
	Account string
	// Credentials, when set, are typed on the Credentials screen and not
	// (yet) signed in: they are checked instead of the saved account when
	// they carry the secret their method needs.
	Credentials *Credentials

	WorkspaceID, WorkspaceName string
	Dataset, Table             string
	Input                      string // "domo:GUID" or a path
}

// Check statuses, as connector/doctor spells them.
const (
	CheckPass = "pass"
	CheckFail = "fail"
	CheckSkip = "skip"
)

// CheckResult is one troubleshooting check's outcome.
type CheckResult struct {
	Name    string // stable: "network", "sign-in", ...
	Title   string // what was checked
	Status  string // one of the Check* constants
	Found   string // what was found
	Fix     string // what to do, when it failed
	Details []string
}

// RunSummary is one recorded run, as the History screen lists it.
type RunSummary struct {
	ID                       string
	Start                    time.Time
	Elapsed                  time.Duration // 0 while it runs
	Input                    string
	Workspace, Dataset       string
	Table, Mode              string
	RowsWritten, RowsTotal   int64
	Outcome                  outcome.Outcome
	DryRun, Resumed, Running bool
}

// RunDetail is one run in full.
type RunDetail struct {
	RunSummary
	BatchesDone, BatchesTotal int
	Retries, Throttled        int
	Verified                  bool
	NotVerified, CountNote    string     // as in Result
	Unsettled                 *Unsettled // as in Result: a resume must say which is true
	ExitCode                  exitcode.Code
	Waits                     []RunWait
	Errors                    []RunError
	Note                      string   // how an outcome was inferred (a dead process)
	Command                   []string // the argv ("pbiwb", "push", ...) that continues the run, when known
	// Resume is the request that continues the run (Resume set), nil when
	// it cannot be resumed from the wizard; ResumeNote says why not, or what
	// the resume assumes (e.g. the account it uses).
	Resume     *Request
	ResumeNote string
}

// RunWait is the waits of one reason in a run.
type RunWait struct {
	Reason string // "rows per hour", "Retry-After", ...
	Count  int
	Total  time.Duration
}

// RunError is one error a run met.
type RunError struct {
	Time      time.Time
	Status    int
	Message   string
	RequestID string
}
