package push_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
)

// dayClock is the system clock moved to a calendar day: the machine's
// calendar as the engine reads it, while waits stay real.
type dayClock struct {
	clock.System
	offset time.Duration
}

func onDay(t *testing.T, day string) dayClock {
	t.Helper()
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	return dayClock{offset: time.Until(d.Add(12 * time.Hour))}
}

func (c dayClock) Now() time.Time { return time.Now().Add(c.offset) }

// A plan that creates a push dataset says, from a year before the last day,
// that creation ends then; after it, that Power BI will refuse; a plan into
// an existing dataset says nothing of it.
func TestPlanSaysWhenCreationEnds(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	path := writeIDs(t, t.TempDir(), 10)
	newDS := push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Planned", Table: "T"}
	for _, tt := range []struct {
		day, want string
	}{
		{"2026-10-30", ""},
		{"2026-10-31", "Power BI creates push datasets only until 2027-10-31 (366 days left); after that this dataset cannot be created again if it is deleted"},
		{"2027-10-31", "(1 day left)"},
		{"2027-11-01", "Power BI stopped creating push datasets after 2027-10-31, so it will most likely refuse to create this one: write into an existing push dataset instead (give its name as --dataset; `pbiwb datasets` lists them)"},
	} {
		svc := env.svc
		svc.Clock = onDay(t, tt.day)
		plan, err := push.Prepare(ctx, svc, newDS)
		if err != nil {
			t.Fatal(err)
		}
		r := plan.Report()
		plan.Close()
		got := strings.Join(r.Warnings, "\n")
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: warnings %q, want %q", tt.day, got, tt.want)
		}
	}

	// Into the demo's existing push dataset: no notice.
	svc := env.svc
	svc.Clock = onDay(t, "2027-06-01")
	plan, err := push.Prepare(ctx, svc, push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Planned2", Table: "T"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(ctx); err != nil {
		t.Fatal(err)
	}
	plan.Close()
	plan, err = push.Prepare(ctx, svc, push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Planned2", Table: "T", Mode: push.ModeAppend})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	if w := plan.Report().Warnings; len(w) != 0 {
		t.Errorf("a plan into an existing dataset warns %q", w)
	}
}

// After the last day the service refuses a creation: the push stops before
// writing with the end of creation explained (exit 5), creates nothing, and
// writing into an existing push dataset still works. The sandbox's refusal
// carries a code the engine knows, so it is explained whatever the machine's
// calendar says; on a machine past the last day any refusal of a creation is.
func TestCreationRefusedAfterTheLastDay(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	path := writeIDs(t, t.TempDir(), 100)
	existing := push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "Before", Table: "T"}
	if sum, err := run(t, env.svc, existing, ctx); err != nil || sum.ExitCode != 0 {
		t.Fatalf("create before the end: %v, %+v", err, sum)
	}
	sandboxtest.Tenant(t, env.sb, `{"today":"2027-11-01"}`)

	for _, day := range []string{"", "2027-11-02"} {
		svc := env.svc
		if day != "" {
			svc.Clock = onDay(t, day)
		}
		sum, err := run(t, svc, push.Request{Input: path, Group: demo.WorkspaceOperations, Dataset: "After", Table: "T"}, ctx)
		var ce *powerbi.CreationEndedError
		if !errors.As(err, &ce) || exitcode.Of(err) != exitcode.Refused || sum.ExitCode != exitcode.Refused {
			t.Fatalf("machine day %q: %v (exit %d), want a CreationEndedError, exit 5", day, err, sum.ExitCode)
		}
		if len(sum.Errors) == 0 {
			t.Fatalf("machine day %q: no error in the summary", day)
		}
		msg := sum.Errors[0].Message
		for _, want := range []string{"creation ended after 2027-10-31", "giving --dataset the name of a push dataset that exists",
			"`pbiwb datasets` lists them", "Real-Time Intelligence in Microsoft Fabric", "RequestId "} {
			if !strings.Contains(msg, want) {
				t.Errorf("machine day %q: the summary says %q, want %q in it", day, msg, want)
			}
		}
		if ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "After"); len(ids) != 0 {
			t.Errorf("a dataset was created after the end: %v", ids)
		}
	}

	existing.Mode = push.ModeAppend
	sum, err := run(t, env.svc, existing, ctx)
	if err != nil || sum.ExitCode != 0 || sum.TableRows != 200 {
		t.Fatalf("append into the existing dataset after the end: %v, %+v", err, sum)
	}
}

// replace deletes the table's rows, never the dataset: after it the dataset
// has the same ID, so a dataset that can no longer be created survives it.
func TestReplaceKeepsTheDataset(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	dir := t.TempDir()
	req := push.Request{Input: writeIDs(t, dir, 300), Group: demo.WorkspaceOperations, Dataset: "Kept", Table: "T"}
	if sum, err := run(t, env.svc, req, ctx); err != nil || sum.ExitCode != 0 {
		t.Fatalf("create: %v, %+v", err, sum)
	}
	before := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Kept")
	// From here on no dataset can be created: a replace that deleted and
	// recreated the dataset would fail.
	sandboxtest.Tenant(t, env.sb, `{"today":"2027-11-01"}`)
	req.Input, req.Mode = writeIDs(t, t.TempDir(), 120), push.ModeReplace
	sum, err := run(t, env.svc, req, ctx)
	if err != nil || sum.ExitCode != 0 || sum.TableRows != 120 {
		t.Fatalf("replace: %v, %+v", err, sum)
	}
	after := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceOperations, "Kept")
	if len(before) != 1 || len(after) != 1 || before[0] != after[0] {
		t.Errorf("dataset IDs before the replace %v, after %v: want the same one", before, after)
	}
}
