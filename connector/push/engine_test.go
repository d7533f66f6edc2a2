package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
)

// The engine's errors and those of the packages it calls place themselves
// among docs/cli.md's exit codes (exitcode.Coder).
func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		code exitcode.Code
		ok   bool
	}{
		{nil, 0, true},
		{context.Canceled, 130, true},
		{&push.UsageError{Msg: "x"}, 2, true},
		{push.ErrCheckpointExists, 2, true},
		{push.ErrNoDomo, 2, true},
		{fmt.Errorf("prepare: %w", &field.Error{Field: field.Mode, Rule: field.Invalid}), 2, true},
		{field.Errors{{Field: field.Table, Rule: field.Missing}}, 2, true},
		{&schema.ValidationError{Total: 1}, 3, true},
		{fmt.Errorf("x: %w", &powerbi.DuplicateNameError{Kind: "dataset"}), 3, true},
		{&push.TargetError{Code: 5, Msg: "read-only"}, 5, true},
		{&push.TargetError{Code: 3, Msg: "no table"}, 3, true},
		{push.ErrNothingToResume, 2, true},
		{&push.LockedError{}, 2, true},
		{&home.UnwritableError{Dir: "/x", Err: os.ErrPermission}, 2, true},
		{fmt.Errorf("x: %w", &domo.Error{Kind: domo.ErrSignIn}), 4, true},
		{&powerbi.Error{Status: 403}, 5, true},
		{fmt.Errorf("x: %w", &domo.Error{Kind: domo.ErrNotFound}), 3, true},
		{&domo.Error{Kind: domo.ErrAccessDenied}, 5, true},
		{&domo.Error{Kind: domo.ErrService}, 1, true},
		{&domo.Error{Kind: domo.ErrUnreachable, Cause: context.Canceled}, 130, true},
		{&source.SyntaxError{Line: 2, Column: 1, Msg: "bare quote"}, 3, true},
		{&powerbi.TokenError{Err: &entra.Error{Summary: "bad secret"}}, 4, true},
		{&powerbi.TokenError{Err: entra.FieldErrors{{Field: "tenant ID", Message: "not a GUID"}}}, 2, true},
		{&push.TargetError{Code: 3, Msg: "conflict", Err: &powerbi.Error{Status: 403}}, 3, true},
		{&powerbi.TokenError{Err: errors.New("sign-in")}, 1, false},
		{errors.New("other"), 1, false},
	}
	for _, tt := range tests {
		code, ok := exitcode.Lookup(tt.err)
		if code != tt.code || ok != tt.ok {
			t.Errorf("ExitCode(%v) = %d, %v; want %d, %v", tt.err, code, ok, tt.code, tt.ok)
		}
	}
}

// The API end to end against the sandbox: a plan for a new dataset, run;
// then a plan against the table it made; events in order; refusals.
func TestPrepareReportRun(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	path := writeIDs(t, t.TempDir(), 25_000)
	req := push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "API", Table: "T", Columns: []string{"label=String"}}

	var phases []push.Phase
	var last push.Event
	obs := func(e push.Event) {
		if e.Kind == push.KindPhase {
			phases = append(phases, e.Phase)
		}
		last = e
	}
	plan, err := push.Prepare(ctx, env.svc, req, obs)
	if err != nil {
		t.Fatal(err)
	}
	r := plan.Report()
	if r.Dataset.Exists || r.Table.Exists || r.Rows != 25_000 || r.Batches != 3 || r.Workspace.ID != demo.WorkspaceOperationsID ||
		!strings.Contains(r.Actions[0], "create push dataset") || r.Columns[0].Type != schema.Int64 || r.Columns[1].Inferred {
		t.Errorf("plan of a new dataset: %+v", r)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	sum, err := plan.Run(ctx, obs)
	plan.Close()
	if err != nil || sum.ExitCode != 0 || !sum.Verified || sum.TableRows != 25_000 {
		t.Fatalf("run: %v, %+v", err, sum)
	}
	if last.Kind != push.KindSummary {
		t.Errorf("last event %s, want the summary", last.Kind)
	}
	// A new table has nothing to delete.
	want := []push.Phase{push.PhaseResolving, push.PhaseValidating, push.PhaseResolving, push.PhaseWriting, push.PhaseVerifying}
	if fmt.Sprint(phases) != fmt.Sprint(want) {
		t.Errorf("phases %v, want %v", phases, want)
	}
	if _, err := plan.Run(ctx); err == nil {
		t.Error("a plan ran twice")
	}

	// Against the table it made: append, existing rows counted.
	req.Mode = push.ModeAppend
	plan, err = push.Prepare(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	r = plan.Report()
	plan.Close()
	if !r.Dataset.Exists || !r.Table.Exists || r.Table.Rows != 25_000 || r.Table.RowsAfter != 50_000 || r.Columns[0].Action != "exists" {
		t.Errorf("plan against the existing table: %+v", r)
	}

	// Refusals come before anything is written.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("id,label\n1,a\nx,b\n"), 0o600)
	tests := []struct {
		name string
		req  push.Request
		code exitcode.Code
	}{
		{"bad value", push.Request{Input: bad, Group: demo.WorkspaceOperations, Dataset: "API", Table: "T"}, 3},
		{"domo without client", push.Request{Input: "domo:" + demo.DomoDataSetID, Group: demo.WorkspaceOperations, Dataset: "API", Table: "T"}, 2},
		{"no such file", push.Request{Input: path + ".missing", Group: demo.WorkspaceOperations, Dataset: "API", Table: "T"}, 2},
		{"bad mode", push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "API", Table: "T", Mode: "merge"}, 2},
		{"missing table", push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "API", Table: "Other"}, 3},
		{"read-only", push.Request{Input: path, Group: demo.WorkspaceExecutive, Dataset: "API", Table: "T"}, 5},
		{"not push", push.Request{Input: path, Group: demo.WorkspaceFinance, Dataset: demo.ImportedDatasetName, Table: "Budget"}, 5},
	}
	for _, tt := range tests {
		plan, err := push.Prepare(ctx, env.svc, tt.req)
		code := exitcode.Of(err)
		if err == nil || code != tt.code {
			t.Errorf("%s: %v (exit %d), want exit %d", tt.name, err, code, tt.code)
		}
		if tt.code == 3 && tt.name == "bad value" {
			if plan == nil || plan.Report().Findings == nil {
				t.Errorf("%s: no plan with findings", tt.name)
			} else if sum, err := plan.Run(ctx); err == nil || sum.ExitCode != 3 {
				t.Errorf("%s: Run of an invalid plan: %v, %+v", tt.name, err, sum)
			}
		}
		plan.Close()
	}
	if c := env.counters(t, "API"); c["rowsAccepted"] != 25_000 {
		t.Errorf("the refusals wrote rows: %v", c)
	}
}
