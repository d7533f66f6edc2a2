package ui

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
)

func inputRoot(t *testing.T, fb *fakeBackend) (*Model, *input) {
	t.Helper()
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	m.account = AccountSummary{Name: "sandbox", HasDomo: true}
	in := newInput(m.c, "sandbox", true)
	show(t, m, in)
	return m, in
}

func TestInputScreen(t *testing.T) {
	t.Run("domo dataset", func(t *testing.T) {
		m, _ := inputRoot(t, newFakeBackend())
		typeText(t, m, demo.DomoDataSetID)
		press(t, m, "enter")
		requireGolden(t, m)
	})
	t.Run("findings", func(t *testing.T) {
		m, _ := inputRoot(t, newFakeBackend())
		typeText(t, m, "data/stores.csv")
		press(t, m, "enter", "down")
		requireGolden(t, m)
	})
	t.Run("not found", func(t *testing.T) {
		m, _ := inputRoot(t, newFakeBackend())
		typeText(t, m, "nope.csv")
		press(t, m, "enter")
		requireGolden(t, m)
	})
	t.Run("path completion", func(t *testing.T) {
		m, in := inputRoot(t, newFakeBackend())
		typeText(t, m, "da")
		press(t, m, "tab")
		if got := in.path.input.Value(); got != "data/" {
			t.Fatalf("after tab: %q, want data/", got)
		}
		typeText(t, m, "st")
		press(t, m, "tab")
		if got := in.path.input.Value(); got != "data/stores" {
			t.Fatalf("after tab: %q, want the common prefix data/stores", got)
		}
		requireGolden(t, m)
	})
}

// A workbook of two sheets: [ and ] read another sheet, and the request
// (so the Review's command line) names the sheet chosen.
func TestInputWorkbookSheets(t *testing.T) {
	m, in := inputRoot(t, newFakeBackend())
	typeText(t, m, "data/book.xlsx")
	press(t, m, "enter")
	if in.report.Sheet != "Notes" || len(in.report.Columns) != 1 {
		t.Fatalf("first sheet: %+v", in.report)
	}
	press(t, m, "]")
	if in.report.Sheet != "Orders" || len(in.report.Columns) != 3 {
		t.Fatalf("after ]: %+v", in.report)
	}
	requireGolden(t, m)
	press(t, m, "enter")
	d, ok := m.top().(*details)
	if !ok {
		t.Fatalf("screen is %T, want *details", m.top())
	}
	if d.req.Sheet != "Orders" || !strings.Contains(strings.Join(commandArgs(nil, d.req), " "), "--sheet Orders") {
		t.Errorf("request %+v, command %v", d.req, commandArgs(nil, d.req))
	}
}

// A first sheet with no values: [ and ] still reach the others.
func TestInputWorkbookEmptyFirstSheet(t *testing.T) {
	m, in := inputRoot(t, newFakeBackend())
	typeText(t, m, "blank.xlsx")
	press(t, m, "enter", "down", "left", "]")
	if in.report.Sheet != "Orders" || len(in.report.Findings) != 0 || in.path.value() != "blank.xlsx" {
		t.Fatalf("after ]: %+v (input %q)", in.report, in.path.value())
	}
}

func TestInputChangeTypeFixesFindings(t *testing.T) {
	fb := newFakeBackend()
	m, in := inputRoot(t, fb)
	typeText(t, m, "data/stores.csv")
	press(t, m, "enter")
	if len(in.report.Findings) != 2 {
		t.Fatalf("findings = %v", in.report.Findings)
	}
	press(t, m, "enter") // findings block the way on
	if _, ok := m.top().(*input); !ok || !strings.Contains(in.notice, "2 findings") {
		t.Fatalf("moved on despite findings (notice %q)", in.notice)
	}
	press(t, m, "down", "left") // zip: Int64 → String
	if in.overrides["zip"] != "String" {
		t.Fatalf("overrides = %v", in.overrides)
	}
	press(t, m, "enter") // re-checks with the new type
	if len(in.report.Findings) != 0 {
		t.Fatalf("findings after the change: %v", in.report.Findings)
	}
	press(t, m, "enter")
	d, ok := m.top().(*details)
	if !ok {
		t.Fatalf("screen is %T, want *details", m.top())
	}
	if !maps.Equal(d.req.Columns, map[string]string{"zip": "String"}) || d.req.Input != "data/stores.csv" {
		t.Errorf("request = %+v", d.req)
	}
	if last := fb.inspections[len(fb.inspections)-1]; last["zip"] != "String" {
		t.Errorf("last inspection overrides = %v", last)
	}
}

func detailsRoot(t *testing.T, fb *fakeBackend) (*Model, *details) {
	t.Helper()
	m := newTestRoot(t, fb, testOptions())
	settle(t, m, m.Init())
	report, _ := fb.InspectInput(t.Context(), "sandbox", "domo:"+demo.DomoDataSetID, "", nil)
	d := newDetails(m.c, Request{Account: "sandbox", Input: report.Input}, report)
	show(t, m, d)
	return m, d
}

func TestDetailsScreen(t *testing.T) {
	t.Run("workspaces", func(t *testing.T) {
		m, _ := detailsRoot(t, newFakeBackend())
		requireGolden(t, m)
	})
	t.Run("filtered", func(t *testing.T) {
		m, _ := detailsRoot(t, newFakeBackend())
		typeText(t, m, "fin")
		requireGolden(t, m)
	})
	t.Run("error then retry", func(t *testing.T) {
		fb := newFakeBackend()
		fb.workspaceErr = 1
		m, d := detailsRoot(t, fb)
		requireGolden(t, m)
		press(t, m, "ctrl+r")
		if d.groupsErr != nil || len(d.groups.items) != 5 {
			t.Fatalf("after retry: err %v, %d workspaces", d.groupsErr, len(d.groups.items))
		}
	})
	t.Run("existing dataset", func(t *testing.T) {
		m, _ := detailsRoot(t, newFakeBackend())
		typeText(t, m, "sales")
		press(t, m, "enter")
		requireGolden(t, m)
	})
}

// My workspace is listed first; for a service principal it is listed as
// unavailable, saying why, and cannot be chosen.
func TestDetailsMyWorkspace(t *testing.T) {
	t.Run("user", func(t *testing.T) {
		m, d := detailsRoot(t, newFakeBackend())
		requireGolden(t, m)
		press(t, m, "enter")
		if d.group == nil || !d.group.Personal || d.group.ID != "" || d.notice != "" {
			t.Fatalf("group %+v, notice %q; want My workspace chosen", d.group, d.notice)
		}
	})
	t.Run("service principal", func(t *testing.T) {
		fb := newFakeBackend()
		fb.servicePrincipal = true
		m, d := detailsRoot(t, fb)
		press(t, m, "up", "up") // onto My workspace: the reason shows
		requireGolden(t, m)
		press(t, m, "enter")
		if d.group != nil || d.notice != "My workspace cannot be chosen: a service principal has no My workspace; use a workspace it is a member of." {
			t.Fatalf("group %+v, notice %q", d.group, d.notice)
		}
	})
}

func TestDetailsReadOnlyCannotBeChosen(t *testing.T) {
	m, d := detailsRoot(t, newFakeBackend())
	typeText(t, m, "exec")
	press(t, m, "enter")
	if d.group != nil || !strings.Contains(d.notice, "read-only") {
		t.Fatalf("group %v, notice %q", d.group, d.notice)
	}
}

func TestDetailsToReview(t *testing.T) {
	for _, tc := range []struct {
		name, filter, retention string
		keys                    []string
	}{
		{"existing dataset", "sales", "", nil},
		{"new dataset with fifo", "oper", "fifo", []string{"down", "down", "down", "right"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := detailsRoot(t, newFakeBackend())
			typeText(t, m, tc.filter)
			press(t, m, "enter")
			press(t, m, tc.keys...)
			for range 4 {
				if _, ok := m.top().(*details); ok {
					press(t, m, "enter")
				}
			}
			r, ok := m.top().(*review)
			if !ok {
				t.Fatalf("screen is %T, want *review", m.top())
			}
			if r.req.Dataset != "Sales Orders" || r.req.Table != "Sales Orders" || r.req.Mode != "replace" || r.req.Retention != tc.retention {
				t.Errorf("request = %+v", r.req)
			}
		})
	}
}

func TestReviewScreen(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	settle(t, m, m.Init())
	req := salesRequest()
	req.Columns = map[string]string{"customer id": "String"}
	show(t, m, newReview(m.c, req))
	requireGolden(t, m)
	press(t, m, "enter") // the push runs to its end
	if d, ok := m.top().(*done); !ok || d.err != nil || d.res.RowsVerified != 3000 {
		t.Fatalf("screen is %T (%+v), want a verified push", m.top(), m.top())
	}
}

// A plan's warnings are wrapped, not cut: the end of the one about the end
// of push-dataset creation says what to keep.
func TestReviewWarningsWrap(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	settle(t, m, m.Init())
	req := salesRequest()
	req.Dataset = "New Orders"
	show(t, m, newReview(m.c, req))
	requireGolden(t, m)
}

func TestPushScreen(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ev := ProgressEvent{RowsWritten: 1_200_000, RowsTotal: 3_000_000, BatchesDone: 120, BatchesTotal: 300, InFlight: 0,
		Wait:    &Wait{Reason: "rows per hour: 1,000,000 written in the last hour (limit 1,000,000/h)", Left: 95 * time.Second},
		Retries: 2, RowsPerSecond: 16_650, ETA: 54 * time.Minute}
	build := func(t *testing.T) (*Model, *pushScreen) {
		m := newTestRoot(t, newFakeBackend(), testOptions())
		settle(t, m, m.Init())
		p := newPushScreen(m.c, salesRequest())
		m.stack, m.pushing = append(m.stack, p), true
		p.gen = 99
		m.Update(progressMsg{99, ProgressEvent{Error: &PushError{Message: "POST rows: 429 Too Many Requests, Retry-After 30s", RequestID: "5b0e7c1a-0000-4000-8000-000000000429"}}, at})
		m.Update(progressMsg{99, ev, at})
		m.Update(clockMsg{99, at.Add(5 * time.Second)})
		return m, p
	}
	t.Run("throttled", func(t *testing.T) {
		m, _ := build(t)
		requireGolden(t, m)
		if !strings.Contains(screenText(m), "1m30s") {
			t.Error("the wait's countdown and reason are not shown")
		}
	})
	t.Run("confirm stop", func(t *testing.T) {
		m, p := build(t)
		m.Update(keyMsg("ctrl+c"))
		requireGolden(t, m)
		m.Update(keyMsg("n"))
		if p.confirming || p.stopping {
			t.Fatal("n did not keep the push going")
		}
	})
	t.Run("stale events dropped", func(t *testing.T) {
		m, p := build(t)
		m.Update(progressMsg{98, ProgressEvent{RowsWritten: 1}, at})
		if p.ev.RowsWritten != ev.RowsWritten {
			t.Fatal("an event of another generation was shown")
		}
	})
}

type refusedError struct{}

func (refusedError) Error() string {
	return "POST rows: 403 Forbidden: the account lost access to the workspace (RequestId 7c0ffee0-0000-4000-8000-000000000403)"
}
func (refusedError) ExitCode() exitcode.Code { return exitcode.Refused }

func TestDoneScreen(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  Result
		err  error
		code exitcode.Code
	}{
		{"verified", Result{RowsWritten: 3000, RowsVerified: 3000, Batches: 1, Retries: 0, Elapsed: 3 * time.Second, RunID: "20261127-213000-a1b2"}, nil, 0},
		{"failed", Result{RowsWritten: 1000, RunID: "20261127-213000-c3d4"}, refusedError{}, 5},
		{"unexpected", Result{}, errors.New("boom"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestRoot(t, newFakeBackend(), testOptions())
			m.req = salesRequest()
			m.Update(pushFinishedMsg{tc.res, tc.err})
			if tc.name != "unexpected" {
				requireGolden(t, m)
			}
			press(t, m, "q")
			if m.ExitCode() != tc.code {
				t.Errorf("exit code %d, want %d", m.ExitCode(), tc.code)
			}
		})
	}
}

func TestEscClearsTheFilterFirst(t *testing.T) {
	m, d := detailsRoot(t, newFakeBackend())
	typeText(t, m, "fin")
	press(t, m, "esc")
	if d.groups.filter != "" || m.top() != screen(d) {
		t.Fatalf("filter %q, screen %T", d.groups.filter, m.top())
	}
	press(t, m, "esc")
	if m.top() == screen(d) {
		t.Fatal("a second esc did not go back")
	}
}

func TestCtrlCOnDoneKeepsThePushOutcome(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	m.req = salesRequest()
	m.Update(pushFinishedMsg{Result{RowsWritten: 5, RowsVerified: 5}, nil})
	m.Update(keyMsg("ctrl+c"))
	if m.ExitCode() != 0 || !strings.Contains(m.Farewell(), "verified") {
		t.Fatalf("exit %d, farewell %q", m.ExitCode(), m.Farewell())
	}
}
