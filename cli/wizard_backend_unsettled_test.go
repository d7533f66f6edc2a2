package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
	"github.com/pbiwb/pbiwb/ui"
)

// loseNthPost is a transport in front of the sandbox that takes the body of
// its nth POST rows, never forwards it, and answers with a cut connection:
// the batch is lost, and the client cannot know (ambiguous). The sandbox's
// own fault, dropAfterCommitRate, always stores the rows first, so a lost
// POST needs this, as the engine's own test of --assume-lost does.
type loseNthPost struct {
	next  http.RoundTripper
	nth   int32
	posts atomic.Int32
}

func (l *loseNthPost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/rows") || l.posts.Add(1) != l.nth {
		return l.next.RoundTrip(req)
	}
	req.Body.Close()
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil && tr.WroteRequest != nil {
		tr.WroteRequest(httptrace.WroteRequestInfo{})
	}
	return nil, errors.New("connection reset by peer")
}

// The wizard against a tenant where counting is off: a POST without an
// answer stops the push (exit 6) with its unsettled batches, Done and the
// run's details carry them, and the resume runs with the person's answer:
// "they landed" for rows the sandbox stored (no duplicate), "they did not"
// for a batch that never reached it (every row, once).
func TestWizardResumeUnsettled(t *testing.T) {
	t.Parallel()
	const n = 100_000
	for _, tc := range []struct {
		name, assume string
	}{{"landed", ui.AssumeSent}, {"lost", ui.AssumeLost}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
			lose := &loseNthPost{nth: 3}
			if tc.assume == ui.AssumeLost {
				f.deps.sandboxEndpoints = func(ctx context.Context, url string) (cloud.Endpoints, error) {
					ep, err := cloud.Sandbox(ctx, url)
					if err != nil {
						return ep, err
					}
					h := *ep.HTTP
					lose.next = transportOf(ep.HTTP)
					h.Transport = lose
					ep.HTTP = &h
					return ep, nil
				}
			}
			sandboxtest.Tenant(t, f.sb, `{"executeQueries":false}`)
			b := f.wizard()
			if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
				t.Fatal(err)
			}
			dataset := "Unsettled " + tc.name
			req := ui.Request{Account: "sandbox", Input: writeIDs(t, t.TempDir(), n), WorkspaceID: demo.WorkspaceSalesID,
				WorkspaceName: demo.WorkspaceSales, Dataset: dataset, Table: "T", Mode: "replace", Retention: "none"}
			if _, err := b.Plan(testCtx(t), req); err != nil {
				t.Fatal(err)
			}
			if tc.assume == ui.AssumeSent {
				f.fault(`{"dropAfterCommitRate":1}`)
			}
			res, seen, err := collectPush(testCtx(t), b, req)
			f.fault(`{}`)
			var ec exitcode.Coder
			if !errors.As(err, &ec) || ec.ExitCode() != exitcode.Stopped {
				t.Fatalf("Push = %v; want a stop (exit 6)", err)
			}
			if res.NothingToResume {
				t.Errorf("the stop on unsettled batches says there is nothing to resume: %+v", res)
			}
			u := res.Unsettled
			if u == nil || len(u.Batches) == 0 || !strings.Contains(u.Why, powerbi.ExecuteQueriesSetting) || u.Batches[0].FirstRow < 1 || u.Rows() < 1 {
				t.Fatalf("Result.Unsettled = %+v", u)
			}
			// The Push screen heard what pbiwb push prints: the writing
			// step saying the end cannot be verified.
			if !heard(seen, func(ev ui.ProgressEvent) bool { return strings.Contains(ev.Step, "not verified at the end") }) {
				t.Errorf("no writing step saying it will not verify in %+v", seen)
			}
			stored := len(f.storedRows(f.datasetID(demo.WorkspaceSales, dataset), "T"))
			if stored >= n {
				t.Fatalf("the table holds %d rows after the stop: the push did not stop part-way", stored)
			}

			// The run's details: why, the batches, and a resume that needs the answer.
			runs, err := b.History(testCtx(t))
			if err != nil || len(runs) == 0 || runs[0].Outcome != outcome.Stopped {
				t.Fatalf("History = %+v, %v", runs, err)
			}
			d, err := b.Run(testCtx(t), runs[0].ID)
			if err != nil || d.Resume == nil || d.Unsettled == nil || len(d.Unsettled.Batches) != len(u.Batches) ||
				d.Unsettled.Batches[0] != u.Batches[0] || !strings.Contains(strings.Join(d.Command, " "), "--"+cmdline.Resume) {
				t.Fatalf("Run = %+v (unsettled %+v), %v", d, d.Unsettled, err)
			}

			// A resume without the answer stops the same way: never a guess.
			if _, err := wizardPush(testCtx(t), b, *d.Resume); !errors.As(err, &ec) || ec.ExitCode() != exitcode.Stopped {
				t.Fatalf("a resume without the answer = %v; want exit 6", err)
			}
			runs, _ = b.History(testCtx(t))
			if d, err = b.Run(testCtx(t), runs[0].ID); err != nil || d.Unsettled == nil || d.Resume == nil {
				t.Fatalf("the stop of the resume without an answer: %+v, %v", d, err)
			}

			rq := *d.Resume
			rq.Assume = tc.assume
			res, seen, err = collectPush(testCtx(t), b, rq)
			if err != nil || res.Unsettled != nil || !strings.Contains(res.NotVerified, powerbi.ExecuteQueriesSetting) || res.RowsWritten != n {
				t.Fatalf("resume with %s = %+v, %v", tc.assume, res, err)
			}
			// The table exists now, so the plan found counting refused and
			// said so before writing, as pbiwb push does; then the answer.
			if !heard(seen, func(ev ui.ProgressEvent) bool {
				return strings.Contains(ev.Warning, powerbi.ExecuteQueriesSetting) && strings.Contains(ev.Warning, "without counting")
			}) {
				t.Errorf("the resume did not warn that counting is refused: %+v", seen)
			}
			if !heard(seen, func(ev ui.ProgressEvent) bool { return strings.Contains(ev.Step, wizardName(assumeField(tc.assume))) }) {
				t.Errorf("the resume did not say it took the answer %q: %+v", tc.assume, seen)
			}
			checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, dataset), "T"), n)
			d, err = b.Run(testCtx(t), res.RunID)
			if err != nil || d.Verified || !strings.Contains(d.NotVerified, powerbi.ExecuteQueriesSetting) || d.Unsettled != nil {
				t.Errorf("the resumed run's details = %+v, %v", d, err)
			}
		})
	}
}

// heard reports whether an event matches.
func heard(seen []ui.ProgressEvent, match func(ui.ProgressEvent) bool) bool {
	for _, ev := range seen {
		if match(ev) {
			return true
		}
	}
	return false
}

// assumeField is the field an answer sets.
func assumeField(assume string) field.ID {
	if assume == ui.AssumeSent {
		return field.AssumeSent
	}
	return field.AssumeLost
}

// The schema-change guard as the wizard meets it: an append that adds a
// column says on the Push screen that the rows are counted again after the
// change, and stops (exit 5) naming the loss when the change drops them
// (the sandbox's putTableClearsRows); with counting off it says the guard
// cannot run, and ends "written, not verified".
func TestWizardSchemaChangeGuard(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
	b := f.wizard()
	if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	req := ui.Request{Account: "sandbox", Input: csv("first.csv", "id,name\n1,a\n2,b\n3,c\n"), WorkspaceID: demo.WorkspaceSalesID,
		WorkspaceName: demo.WorkspaceSales, Dataset: "Guarded", Table: "T", Mode: "replace", Retention: "none"}
	if res, _, err := collectPush(testCtx(t), b, req); err != nil || res.RowsVerified != 3 {
		t.Fatalf("first push = %+v, %v", res, err)
	}

	req.Mode, req.Input = "append", csv("wider.csv", "id,name,extra\n4,d,x\n")
	f.fault(`{"putTableClearsRows":true}`)
	stopped, seen, err := collectPush(testCtx(t), b, req)
	f.fault(`{}`)
	if !stopped.NothingToResume || stopped.RowsWritten != 0 {
		t.Errorf("the guard's stop: %+v; want nothing written, nothing to resume", stopped)
	}
	var ec exitcode.Coder
	if !errors.As(err, &ec) || ec.ExitCode() != exitcode.Refused || !strings.Contains(err.Error(), "made Power BI drop rows") ||
		!strings.Contains(err.Error(), wizardName(field.Mode)) {
		t.Fatalf("Push over a PUT that drops rows = %v; want exit 5 naming the loss and the wizard's Mode", err)
	}
	if !heard(seen, func(ev ui.ProgressEvent) bool {
		return strings.Contains(ev.Step, `Adding 1 column to table "T" (it holds 3 rows; counted again after the change)`)
	}) {
		t.Errorf("the Push screen did not hear the guarded change: %+v", seen)
	}

	sandboxtest.Tenant(t, f.sb, `{"executeQueries":false}`)
	req.Input = csv("widest.csv", "id,name,extra,more\n5,e,y,z\n")
	res, seen, err := collectPush(testCtx(t), b, req)
	if err != nil || res.NotVerified == "" || res.RowsWritten != 1 {
		t.Fatalf("append with counting off = %+v, %v", res, err)
	}
	if !heard(seen, func(ev ui.ProgressEvent) bool {
		return strings.Contains(ev.Step, "Adding 1 column") && strings.Contains(ev.Step, "cannot be checked")
	}) {
		t.Errorf("the Push screen did not hear that the change is unguarded: %+v", seen)
	}
}
