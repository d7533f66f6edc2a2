package push_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// tableRows is what the sandbox holds in a table, read through /_sandbox/.
func tableRows(t *testing.T, env *sandboxEnv, workspace, dataset, table string) int64 {
	t.Helper()
	for _, w := range sandboxtest.GetState(t, env.sb).Workspaces {
		if w.ID != workspace {
			continue
		}
		for _, d := range w.Datasets {
			if d.Name != dataset {
				continue
			}
			for _, tb := range d.Tables {
				if tb.Name == table {
					return tb.RowCount
				}
			}
		}
	}
	t.Fatalf("no table %q in dataset %q of workspace %s", table, dataset, workspace)
	return 0
}

// With the tenant setting "Dataset Execute Queries REST API" off, a push
// still writes: a new dataset, then an append to it, every row once, each
// ending "written, not verified" (exit 0) with the reason in its summary and
// its history record, and the dry run saying it will not verify.
func TestPushWithoutCounting(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	sandboxtest.Tenant(t, env.sb, `{"executeQueries":false}`)
	ctx := context.Background()
	const n = 60_000
	req := push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Uncounted", Table: "T"}

	sum, err := run(t, env.svc, req, ctx)
	if err != nil || sum.ExitCode != exitcode.OK || sum.Verified || sum.RowsWritten != n {
		t.Fatalf("push: exit %d, verified %v, rows %d, err %v", sum.ExitCode, sum.Verified, sum.RowsWritten, err)
	}
	if !strings.Contains(sum.NotVerified, powerbi.ExecuteQueriesSetting) {
		t.Errorf("the summary does not say why it is not verified: %q", sum.NotVerified)
	}
	if got := tableRows(t, env, demo.WorkspaceSalesID, "Uncounted", "T"); got != n {
		t.Fatalf("the table holds %d rows, want %d", got, n)
	}
	if r := lastRun(t, env.svc); r.Verified || !strings.Contains(r.NotVerified, powerbi.ExecuteQueriesSetting) || r.Outcome != outcome.Succeeded {
		t.Errorf("history: verified %v, notVerified %q, outcome %s", r.Verified, r.NotVerified, r.Outcome)
	}

	req.Mode = push.ModeAppend
	plan, err := push.Prepare(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	rep := plan.Report()
	plan.Close()
	if rep.Table.Uncounted == "" || !strings.Contains(strings.Join(rep.Actions, "\n"), "unverified") ||
		!strings.Contains(strings.Join(rep.Warnings, "\n"), "Admin portal") && !strings.Contains(strings.Join(rep.Warnings, "\n"), "admin portal") {
		t.Errorf("the plan does not say counting is refused: %+v %q %q", rep.Table, rep.Actions, rep.Warnings)
	}
	sum, err = run(t, env.svc, req, ctx)
	if err != nil || sum.ExitCode != exitcode.OK || sum.NotVerified == "" {
		t.Fatalf("append: exit %d, notVerified %q, err %v", sum.ExitCode, sum.NotVerified, err)
	}
	if got := tableRows(t, env, demo.WorkspaceSalesID, "Uncounted", "T"); got != 2*n {
		t.Fatalf("after the append the table holds %d rows, want %d", got, 2*n)
	}
}

// swallow is a transport in front of the sandbox that takes the body of
// the nth POST rows and never forwards it, nor answers: the batch is lost,
// and the client can only give up on it (ambiguous).
type swallow struct {
	next  http.RoundTripper
	nth   int32
	posts atomic.Int32
	// then, if set, runs when the nth POST is taken.
	then func()
}

func (s *swallow) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/rows") || s.posts.Add(1) != s.nth {
		return s.next.RoundTrip(req)
	}
	io.Copy(io.Discard, req.Body)
	req.Body.Close()
	if s.then != nil {
		s.then()
	}
	httptrace.ContextClientTrace(req.Context()).WroteRequest(httptrace.WroteRequestInfo{})
	<-req.Context().Done()
	return nil, context.Cause(req.Context())
}

// An ambiguous POST with counting off stops the run (exit 6), naming the
// batches and both ways on; a plain --resume stops the same way (never a
// guess); --resume --assume-sent, for batches the sandbox stored, writes
// the rest without duplicating them; --resume --assume-lost, for a batch
// it never got, sends it again. The sandbox's own count proves each.
func TestAmbiguousPostWithoutCounting(t *testing.T) {
	const n = 100_000
	t.Run("assume sent", func(t *testing.T) {
		env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
		sandboxtest.Tenant(t, env.sb, `{"executeQueries":false}`)
		ctx := context.Background()
		req := push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Sent", Table: "T"}
		sandboxtest.Fault(t, env.sb, `{"dropAfterCommitRate":1}`)
		sum, err := run(t, env.svc, req, ctx)
		checkUncountedStop(t, sum, err)
		sandboxtest.Fault(t, env.sb, `{}`)
		stored := tableRows(t, env, demo.WorkspaceSalesID, "Sent", "T")
		if stored == 0 {
			t.Fatal("the sandbox stored nothing: the fault did not commit before dropping the answer")
		}

		req.Resume = true
		sum, err = run(t, env.svc, req, ctx)
		checkUncountedStop(t, sum, err)

		req.AssumeSent = true
		sum, err = run(t, env.svc, req, ctx)
		if err != nil || sum.ExitCode != exitcode.OK || sum.NotVerified == "" {
			t.Fatalf("--assume-sent: exit %d, err %v", sum.ExitCode, err)
		}
		if got := tableRows(t, env, demo.WorkspaceSalesID, "Sent", "T"); got != n {
			t.Fatalf("after --assume-sent the table holds %d rows, want %d (no duplicate)", got, n)
		}
	})
	t.Run("assume lost", func(t *testing.T) {
		env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
		sandboxtest.Tenant(t, env.sb, `{"executeQueries":false}`)
		ctx := context.Background()
		req := push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Lost", Table: "T"}
		svc := env.svc
		svc.PowerBI = powerbi.New(env.ep, env.session, powerbi.WithHTTPClient(&http.Client{Transport: &swallow{next: env.http().Transport, nth: 3}}),
			powerbi.WithRequestTimeout(time.Second))
		sum, err := run(t, svc, req, ctx)
		checkUncountedStop(t, sum, err)
		if got := tableRows(t, env, demo.WorkspaceSalesID, "Lost", "T"); got >= n {
			t.Fatalf("the table holds %d rows before the resume: the batch was not lost", got)
		}
		if r := lastRun(t, env.svc); r.Unsettled == nil || len(r.Unsettled.Batches) != len(sum.Unsettled.Batches) ||
			r.Unsettled.Batches[0].Batch != sum.Unsettled.Batches[0].Batch || r.Unsettled.Why != sum.Unsettled.Why {
			t.Errorf("the history record does not keep the unsettled batches: %+v, summary %+v", r.Unsettled, sum.Unsettled)
		}

		req.Resume, req.AssumeLost = true, true
		sum, err = run(t, env.svc, req, ctx)
		if err != nil || sum.ExitCode != exitcode.OK {
			t.Fatalf("--assume-lost: exit %d, err %v", sum.ExitCode, err)
		}
		if got := tableRows(t, env, demo.WorkspaceSalesID, "Lost", "T"); got != n {
			t.Fatalf("after --assume-lost the table holds %d rows, want %d (no loss)", got, n)
		}
	})
}

func checkUncountedStop(t *testing.T, sum push.Summary, err error) {
	t.Helper()
	if err == nil || sum.ExitCode != exitcode.Stopped || sum.Outcome != outcome.Stopped {
		t.Fatalf("want a stop (exit 6), got exit %d, outcome %s, err %v", sum.ExitCode, sum.Outcome, err)
	}
	msg := err.Error()
	for _, want := range []string{"--assume-sent", "--assume-lost", "input rows", "will not guess", powerbi.ExecuteQueriesSetting} {
		if !strings.Contains(msg, want) {
			t.Errorf("the stop does not say %q: %s", want, msg)
		}
	}
	if u := sum.Unsettled; u == nil || len(u.Batches) == 0 || !strings.Contains(u.Why, powerbi.ExecuteQueriesSetting) ||
		u.Batches[0].Batch < 1 || u.Batches[0].FirstRow < 1 || u.Batches[0].Rows < 1 ||
		!strings.Contains(msg, fmt.Sprintf("batch %s (input rows %s", format.Thousands(int64(u.Batches[0].Batch)), format.Thousands(u.Batches[0].FirstRow))) {
		t.Errorf("the summary does not name the unsettled batches as the message does: %+v\n%s", u, msg)
	}
	var c interface{ ExitCode() exitcode.Code }
	if !errors.As(err, &c) || c.ExitCode() != exitcode.Stopped {
		t.Errorf("the error does not place itself at exit 6: %v", err)
	}
}

// Counting refused after the run's probe (an admin turned the setting off
// meanwhile): the settling count's refusal stops the run as the probe's
// would (exit 6, the ways on named), not as Power BI refusing the push.
func TestCountingRefusedWhileSettling(t *testing.T) {
	const n = 60_000
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	req := push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Turned off", Table: "T"}
	svc := env.svc
	svc.PowerBI = powerbi.New(env.ep, env.session, powerbi.WithHTTPClient(&http.Client{Transport: &swallow{next: env.http().Transport, nth: 2,
		then: func() { sandboxtest.Tenant(t, env.sb, `{"executeQueries":false}`) }}}), powerbi.WithRequestTimeout(time.Second))
	sum, err := run(t, svc, req, ctx)
	checkUncountedStop(t, sum, err)

	req.Resume, req.AssumeLost = true, true
	if sum, err := run(t, env.svc, req, ctx); err != nil || sum.ExitCode != exitcode.OK || sum.NotVerified == "" {
		t.Fatalf("--assume-lost: exit %d, %v", sum.ExitCode, err)
	}
	if got := tableRows(t, env, demo.WorkspaceSalesID, "Turned off", "T"); got != n {
		t.Fatalf("the table holds %d rows, want %d", got, n)
	}
}
