package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
)

// fakeBackend is an in-memory Backend that answers like the sandbox's demo
// tenant: the demo identities sign in, the classic mistakes fail with the
// advice the real sign-in gives, and a push streams realistic progress.
type fakeBackend struct {
	mu sync.Mutex

	accounts     []AccountSummary
	keyringDown  bool
	saved        []Credentials
	workspaceErr int // fail this many Workspaces calls first
	// servicePrincipal: the account is a service principal, so My workspace
	// is listed as unavailable.
	servicePrincipal bool
	pushPlan         []ProgressEvent
	pushErr          error
	pushHold         bool          // Push blocks after its events until ctx is done
	step             time.Duration // pause between events
	pushes           int
	inspections      []map[string]string
	deviceGate       chan struct{} // when set, a device-code sign-in waits for it
	pushGate         chan struct{} // when set, Push waits for it after event pushPause
	pushPause        int
	pushEnded        chan struct{} // closed when Push returns
	signInNotes      []string      // a successful SignIn's notes
	checkGate        chan struct{} // when set, Troubleshoot waits for it before its third result
}

func newFakeBackend() *fakeBackend { return &fakeBackend{step: time.Millisecond} }

// signInError is what the real adapter returns for an entra.Error.
type signInError struct{ code, field, summary, fix string }

func (e *signInError) Error() string           { return e.code + ": " + e.summary }
func (e *signInError) Field() string           { return e.field }
func (e *signInError) Advice() string          { return e.fix }
func (e *signInError) ExitCode() exitcode.Code { return exitcode.SignIn }
func (e *signInError) MethodRefused() bool     { return e.code == "AADSTS50076" }

// entraLikeError spells its text as entra.Error does: the fix repeated
// after "Fix:".
type entraLikeError struct {
	code                int
	field, summary, fix string
}

func (e *entraLikeError) Error() string {
	return fmt.Sprintf("sign-in failed (AADSTS%d): %s Fix: %s", e.code, e.summary, e.fix)
}
func (e *entraLikeError) Field() string  { return e.field }
func (e *entraLikeError) Advice() string { return e.fix }

func (f *fakeBackend) Accounts(ctx context.Context) ([]AccountSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]AccountSummary(nil), f.accounts...), nil
}

func (f *fakeBackend) OpenAccount(ctx context.Context, name string, prompts chan<- string) (AccountSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.accounts {
		if a.Name == name {
			if a.ClientID == demo.ClientIDExpired {
				return a, &signInError{"AADSTS7000222", FieldClientSecret, "the app's client secret has expired",
					"Create a new secret in Azure portal › App registrations › your app › Certificates & secrets, then enter its Value here."}
			}
			return a, nil
		}
	}
	return AccountSummary{}, fmt.Errorf("no saved account %q", name)
}

func (f *fakeBackend) SignIn(ctx context.Context, c Credentials, prompts chan<- string) (AccountSummary, error) {
	acc := AccountSummary{Name: c.Name, Method: c.Method, Cloud: c.Cloud, TenantID: c.TenantID, ClientID: c.ClientID, Username: c.Username, HasDomo: c.DomoClientID != ""}
	switch {
	case c.TenantID != demo.TenantID && c.TenantID != demo.TenantDomain:
		return acc, &signInError{"AADSTS90002", FieldTenantID, "tenant not found", "Use the Directory (tenant) ID from Entra ID › Overview, and check the cloud."}
	case c.ClientID == demo.ClientIDNoPublicFlow && c.Method != MethodServicePrincipal:
		return acc, &entraLikeError{7000218, FieldAppRegistration, "The app registration does not allow public client flows.",
			"Azure portal › App registrations › your app › Authentication › Allow public client flows: Yes."}
	case c.ClientID != demo.ClientID:
		return acc, &signInError{"AADSTS700016", FieldClientID, "no application with this ID in the tenant", "Copy the Application (client) ID from App registrations › your app › Overview."}
	case c.ClientSecret == demo.SecretID:
		return acc, &signInError{"AADSTS7000215", FieldClientSecret, "invalid client secret: this is the secret's ID",
			"Copy the secret's Value (shown once, when it was created), not its Secret ID; if it is lost, create a new secret."}
	case c.ClientSecret != "" && c.ClientSecret != demo.ClientSecret:
		return acc, &signInError{"AADSTS7000215", FieldClientSecret, "invalid client secret", "Copy the secret's Value from Certificates & secrets."}
	}
	switch c.Method {
	case MethodDeviceCode, MethodBrowser:
		msg := "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FAKE-1234 to authenticate."
		if c.Method == MethodBrowser {
			msg = "No browser could be opened: no display here. Open this URL in a browser on this machine to sign in:\n  https://login.microsoftonline.com/fake/oauth2/v2.0/authorize?client_id=x\nWaiting for the sign-in (esc to stop)."
		}
		select {
		case prompts <- msg:
		case <-ctx.Done():
			return acc, ctx.Err()
		}
		gate := f.deviceGate
		if gate == nil {
			gate = make(chan struct{})
			close(gate)
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return acc, ctx.Err()
		}
		acc.Username = demo.Username
	case MethodPassword:
		f.mu.Lock()
		acc.Notes = f.signInNotes
		f.mu.Unlock()
		switch {
		case c.Username == demo.MFAUsername:
			return acc, &signInError{"AADSTS50076", FieldUsername, "this user must use multi-factor authentication",
				"Choose the device-code sign-in method: it opens a browser page where MFA works."}
		case c.Username != demo.Username:
			return acc, &signInError{"AADSTS50034", FieldUsername, "no such user in the tenant", "Use the User principal name from Entra ID › Users."}
		case c.Password != demo.Password:
			return acc, &signInError{"AADSTS50126", FieldPassword, "wrong username or password", "Retype the password; reset it in Entra ID › Users if needed."}
		}
	}
	return acc, nil
}

func (f *fakeBackend) SaveAccount(ctx context.Context, c Credentials) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keyringDown && !c.InsecureStorage {
		return fmt.Errorf("save secrets of %q: %w (Secret Service did not answer within 5s)", c.Name, ErrKeyringUnavailable)
	}
	f.saved = append(f.saved, c)
	return nil
}

func (f *fakeBackend) Workspaces(ctx context.Context, account string) ([]Workspace, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.workspaceErr > 0 {
		f.workspaceErr--
		return nil, errors.New("GET /v1.0/myorg/groups: 503 Service Unavailable (RequestId 0d1e2f30-aaaa-4bbb-8ccc-000000000503)")
	}
	my := Workspace{Name: "My workspace", Personal: true}
	if f.servicePrincipal {
		my.Unavailable = "a service principal has no My workspace; use a workspace it is a member of."
	}
	return []Workspace{
		my,
		{ID: demo.WorkspaceSalesID, Name: demo.WorkspaceSales},
		{ID: demo.WorkspaceFinanceID, Name: demo.WorkspaceFinance},
		{ID: demo.WorkspaceOperationsID, Name: demo.WorkspaceOperations},
		{ID: demo.WorkspaceExecutiveID, Name: demo.WorkspaceExecutive, ReadOnly: true},
	}, nil
}

func (f *fakeBackend) Datasets(ctx context.Context, account, workspaceID string) ([]string, error) {
	if workspaceID == demo.WorkspaceSalesID {
		return []string{"Orders", "Sales Orders"}, nil
	}
	return nil, nil
}

func (f *fakeBackend) InspectInput(ctx context.Context, account, input, sheet string, overrides map[string]string) (InputReport, error) {
	f.mu.Lock()
	f.inspections = append(f.inspections, overrides)
	f.mu.Unlock()
	typed := func(cols []Column) []Column {
		for i, c := range cols {
			if t, ok := overrides[c.Name]; ok {
				cols[i].Type, cols[i].Origin = t, "set by you"
			}
		}
		return cols
	}
	switch {
	case input == "domo:"+demo.DomoDataSetID:
		return InputReport{Input: input, Name: demo.DomoDataSetName, Kind: "Domo DataSet", Rows: 3000, Columns: typed([]Column{
			{"order_id", "Int64", "Domo LONG"}, {"customer", "String", "Domo STRING"}, {"amount", "Decimal", "Domo DECIMAL"},
			{"ordered_at", "Datetime", "Domo DATETIME"}, {"shipped", "Boolean", "Domo STRING (true/false)"},
		})}, nil
	case strings.HasSuffix(input, "stores.csv"):
		r := InputReport{Input: input, Name: "stores.csv", Kind: "CSV file", Rows: 4001, Columns: typed([]Column{
			{"store", "String", "inferred"}, {"zip", "Int64", "inferred"}, {"opened", "Datetime", "inferred"},
		})}
		if overrides["opened"] == "String" {
			r.Warnings = []string{`stores.csv:3999: column 3 ("opened") will be a String: its values read as Datetime until this line; to have such values reported instead, force the type with column "opened" set to Datetime on the Input screen (←/→)`}
		}
		if overrides["zip"] != "String" {
			r.Findings = []Finding{
				{Line: 4000, Column: "zip", Message: `"00501-1234" is not an Int64; make the column a String`},
				{Line: 4001, Column: "zip", Message: `"K1A 0B1" is not an Int64; make the column a String`},
			}
		}
		return r, nil
	case strings.HasSuffix(input, "blank.xlsx") && sheet != "Orders":
		return InputReport{Input: input, Name: "blank.xlsx", Kind: "Excel workbook", Sheets: []string{"Summary", "Orders"}, Sheet: "Summary",
			Findings: []Finding{{Message: `the sheet "Summary" has no values: choose another sheet`}}}, nil
	case strings.HasSuffix(input, "book.xlsx"), strings.HasSuffix(input, "blank.xlsx"):
		// A workbook of two sheets: the first, "Notes", has one column.
		r := InputReport{Input: input, Name: "book.xlsx", Kind: "Excel workbook", Sheets: []string{"Notes", "Orders"}, Sheet: "Notes", Rows: 1,
			Columns: typed([]Column{{"Exported from the order system", "String", "Excel text"}})}
		if sheet == "Orders" {
			r.Sheet, r.Rows = "Orders", 1500
			r.Columns = typed([]Column{{"id", "Int64", "Excel number"}, {"day", "Datetime", "Excel date"}, {"label", "String", "Excel text"}})
		}
		return r, nil
	}
	return InputReport{}, fmt.Errorf("open %s: no such file or directory", input)
}

func (f *fakeBackend) Plan(ctx context.Context, r Request) (PlanReport, error) {
	p := PlanReport{Rows: 3000, Batches: 1, ETA: 2 * time.Second}
	if r.Dataset == "Sales Orders" {
		p.Actions = append(p.Actions, fmt.Sprintf("use the push dataset %q in %s", r.Dataset, r.WorkspaceName))
		if r.Mode == "replace" {
			p.Actions = append(p.Actions, fmt.Sprintf("delete the 2,500 rows of table %q", r.Table))
		}
	} else {
		p.Actions = append(p.Actions, fmt.Sprintf("create the push dataset %q (retention %s) with table %q", r.Dataset, r.Retention, r.Table))
		p.Warnings = append(p.Warnings, "Power BI creates push datasets only until 2027-10-31 (330 days left); after that this dataset cannot be "+
			"created again if it is deleted, so keep it: pbiwb's replace mode deletes rows, never the dataset")
	}
	p.Actions = append(p.Actions, "write 3,000 rows in 1 batch (10,000 rows and 16 MB per POST at most)")
	return p, nil
}

func (f *fakeBackend) Push(ctx context.Context, r Request, events chan<- ProgressEvent) (Result, error) {
	f.mu.Lock()
	f.pushes++
	plan, perr, hold, step, gate, pause := f.pushPlan, f.pushErr, f.pushHold, f.step, f.pushGate, f.pushPause
	if f.pushEnded == nil {
		f.pushEnded = make(chan struct{})
	}
	defer close(f.pushEnded)
	f.mu.Unlock()
	if plan == nil {
		plan = []ProgressEvent{
			{RowsTotal: 3000, BatchesTotal: 3},
			{RowsWritten: 1000, RowsTotal: 3000, BatchesDone: 1, BatchesTotal: 3, InFlight: 2, RowsPerSecond: 1000, ETA: 2 * time.Second},
			{RowsWritten: 3000, RowsTotal: 3000, BatchesDone: 3, BatchesTotal: 3, RowsPerSecond: 1500},
		}
	}
	var last ProgressEvent
	for i, ev := range plan {
		select {
		case events <- ev:
			last = ev
		case <-ctx.Done():
			return Result{RowsWritten: last.RowsWritten, RunID: "run-interrupted"}, ctx.Err()
		}
		time.Sleep(step)
		if gate != nil && i == pause {
			select {
			case <-gate:
			case <-ctx.Done():
				return Result{RowsWritten: last.RowsWritten, RunID: "run-interrupted"}, ctx.Err()
			}
		}
	}
	if hold {
		<-ctx.Done()
		return Result{RowsWritten: last.RowsWritten, RunID: "run-interrupted"}, fmt.Errorf("push interrupted: %w", ctx.Err())
	}
	if perr != nil {
		return Result{RowsWritten: last.RowsWritten, RunID: "run-failed"}, perr
	}
	return Result{RowsWritten: last.RowsWritten, RowsVerified: last.RowsWritten, Batches: last.BatchesDone, Retries: last.Retries, Elapsed: 3 * time.Second, RunID: "20261127-213000-a1b2"}, nil
}

// demoCredentials are what --sandbox prefills.
func demoCredentials() Credentials {
	return Credentials{Name: "sandbox", Method: MethodPassword, Cloud: "public", TenantID: demo.TenantID, ClientID: demo.ClientID,
		ClientSecret: demo.ClientSecret, Username: demo.Username, Password: demo.Password,
		DomoClientID: demo.DomoClientID, DomoClientSecret: demo.DomoClientSecret}
}
