package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// The fake's Troubleshoot and history: a healthy set-up passes; a wrong
// client ID fails sign-in and skips what needs it; a target with the
// table "Missing" fails the table check.

var fakeRunStart = time.Date(2026, 11, 27, 21, 30, 0, 0, time.UTC)

func (f *fakeBackend) Troubleshoot(ctx context.Context, t Target, results chan<- CheckResult) error {
	if t.Account == "" && t.Credentials == nil {
		return errors.New("no account to check: add one first")
	}
	f.mu.Lock()
	gate := f.checkGate
	f.mu.Unlock()
	badClient := t.Credentials != nil && t.Credentials.ClientID != demo.ClientID
	list := []CheckResult{
		{Name: "network", Title: "Network: login and API hosts", Status: CheckPass, Found: "login.microsoftonline.com and api.powerbi.com answer over TLS"},
		{Name: "sign-in", Title: "Sign-in to Entra ID", Status: CheckPass, Found: "signed in as " + demo.Username},
	}
	if badClient {
		list[1] = CheckResult{Name: "sign-in", Title: "Sign-in to Entra ID", Status: CheckFail, Found: "AADSTS700016: no application with this ID in the tenant",
			Fix: "Copy the Application (client) ID from App registrations › your app › Overview."}
		list = append(list, CheckResult{Name: "permissions", Title: "Permissions of the token", Status: CheckSkip, Found: "needs sign-in"})
	} else {
		list = append(list, CheckResult{Name: "permissions", Title: "Permissions of the token", Status: CheckPass, Found: "Dataset.ReadWrite.All, Workspace.Read.All",
			Details: []string{"scp: Dataset.ReadWrite.All Workspace.Read.All"}})
	}
	if t.Table == "Missing" {
		list = append(list, CheckResult{Name: "table", Title: "Table " + t.Table, Status: CheckFail, Found: "the dataset has no table " + t.Table,
			Fix: "Check the name (Power BI table names are case-sensitive), or let the push create it in a new dataset."})
	}
	for i, r := range list {
		if gate != nil && i == 2 {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case results <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (f *fakeBackend) History(ctx context.Context) ([]RunSummary, error) {
	runs := make([]RunSummary, len(fakeRuns))
	for i, r := range fakeRuns {
		runs[i] = r.RunSummary
	}
	return runs, nil
}

func (f *fakeBackend) Run(ctx context.Context, id string) (RunDetail, error) {
	for _, r := range append(fakeRuns[:len(fakeRuns):len(fakeRuns)], fakeUnsettledRun, fakeNotVerifiedRun) {
		if r.ID == id {
			return r, nil
		}
	}
	return RunDetail{}, fmt.Errorf("no run %q in the history", id)
}

var fakeRuns = []RunDetail{
	{RunSummary: RunSummary{ID: "20261127-213000.000-a1b2", Start: fakeRunStart, Elapsed: 12 * time.Second, Input: "domo:" + demo.DomoDataSetID,
		Workspace: demo.WorkspaceSales, Dataset: "Sales Orders", Table: "Sales_Orders", Mode: "replace", RowsWritten: 3000, RowsTotal: 3000, Outcome: "succeeded"},
		BatchesDone: 1, BatchesTotal: 1, Verified: true},
	{RunSummary: RunSummary{ID: "20261127-200000.000-c3d4", Start: fakeRunStart.Add(-90 * time.Minute), Elapsed: 95 * time.Second, Input: "data/stores.csv",
		Workspace: demo.WorkspaceSales, Dataset: "Stores", Table: "Stores", Mode: "append", RowsWritten: 1000, RowsTotal: 4001, Outcome: "interrupted"},
		BatchesDone: 1, BatchesTotal: 5, Retries: 2, Throttled: 1, ExitCode: 130,
		Waits:  []RunWait{{Reason: "Retry-After from Power BI", Count: 1, Total: 30 * time.Second}},
		Errors: []RunError{{Time: fakeRunStart.Add(-89 * time.Minute), Status: 429, Message: "batch 2: too many requests", RequestID: "0d1e2f30-aaaa-4bbb-8ccc-000000000429"}},
		Command: []string{"pbiwb", "push", "--account", "sandbox", "--input", "data/stores.csv", "--group", demo.WorkspaceSalesID, "--dataset", "Stores",
			"--table", "Stores", "--mode", "append", "--resume"},
		Resume: &Request{Account: "sandbox", Input: "data/stores.csv", WorkspaceID: demo.WorkspaceSalesID, WorkspaceName: demo.WorkspaceSales,
			Dataset: "Stores", Table: "Stores", Mode: "append", Resume: true}},
	{RunSummary: RunSummary{ID: "20261126-090000.000-e5f6", Start: fakeRunStart.Add(-36 * time.Hour), Elapsed: 3 * time.Second, Input: "orders.csv",
		Workspace: demo.WorkspaceFinance, Dataset: "Orders", Table: "Orders", Mode: "replace", Outcome: "failed"},
		ExitCode: 5, Errors: []RunError{{Status: 403, Message: "the workspace is read-only for this account", RequestID: "0d1e2f30-aaaa-4bbb-8ccc-000000000403"}}},
}

// fakeUnsettledRun stopped on a POST without an answer while Power BI
// refused to count rows (not in the listed history, opened by its id).
var fakeUnsettledRun = RunDetail{RunSummary: RunSummary{ID: "20261127-220000.000-u7v8", Start: fakeRunStart.Add(30 * time.Minute), Elapsed: 40 * time.Second,
	Input: "data/orders.csv", Workspace: demo.WorkspaceSales, Dataset: "Orders", Table: "Orders", Mode: "append", RowsWritten: 19_998, RowsTotal: 100_000,
	Outcome: "stopped"},
	BatchesDone: 2, BatchesTotal: 11, ExitCode: 6,
	Unsettled: &Unsettled{Why: fakeCountingRefusal, Batches: []UnsettledBatch{{Batch: 3, FirstRow: 19_999, Rows: 9_997}}},
	Errors:    []RunError{{Time: fakeRunStart.Add(30*time.Minute + 38*time.Second), Message: "batch 3 (input rows 19,999–29,995) got no answer (9,997 rows in all) …"}},
	Command: []string{"pbiwb", "push", "--account", "sandbox", "--input", "data/orders.csv", "--group", demo.WorkspaceSales, "--dataset", "Orders",
		"--table", "Orders", "--mode", "append", "--resume"},
	Resume: &Request{Account: "sandbox", Input: "data/orders.csv", WorkspaceID: demo.WorkspaceSalesID, WorkspaceName: demo.WorkspaceSales,
		Dataset: "Orders", Table: "Orders", Mode: "append", Resume: true}}

// fakeCountingRefusal is Power BI's refusal to count, as the engine words it.
const fakeCountingRefusal = "Power BI refused to count the table's rows (executeQueries answered 401 PowerBINotAuthorizedException): " +
	"the tenant setting \"Dataset Execute Queries REST API\" is off, which a Power BI administrator turns on in the admin portal " +
	"(Tenant settings › Integration settings), or this identity lacks Build permission on the dataset (its owner grants it: the dataset › Manage permissions)"

// fakeNotVerifiedRun wrote every row while Power BI refused to count them.
var fakeNotVerifiedRun = RunDetail{RunSummary: RunSummary{ID: "20261127-230000.000-w9x0", Start: fakeRunStart.Add(90 * time.Minute), Elapsed: 12 * time.Second,
	Input: "data/orders.csv", Workspace: demo.WorkspaceSales, Dataset: "Orders", Table: "Orders", Mode: "replace", RowsWritten: 60_000, RowsTotal: 60_000,
	Outcome: "succeeded"},
	BatchesDone: 7, BatchesTotal: 7, NotVerified: fakeCountingRefusal}
