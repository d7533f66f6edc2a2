package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
)

// startFlow runs the whole wizard over fb in teatest at 80×24.
func startFlow(t *testing.T, fb *fakeBackend, fill Credentials) *teatest.TestModel {
	t.Helper()
	o := testOptions()
	o.Prefill = fill
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return teatest.NewTestModel(t, New(ctx, fb, o), teatest.WithInitialTermSize(80, 24))
}

// waitFor waits until the screen has drawn text.
func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(patience), teatest.WithCheckInterval(10*time.Millisecond))
}

func keys(tm *teatest.TestModel, names ...string) {
	for _, k := range names {
		tm.Send(keyMsg(k))
	}
}

func finalModel(t *testing.T, tm *teatest.TestModel) *Model {
	t.Helper()
	return tm.FinalModel(t, teatest.WithFinalTimeout(patience)).(*Model)
}

// signInAndPickInput walks a new user from the first screen to the Details
// screen with the demo identities and the demo Domo DataSet.
func signInAndPickInput(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	waitFor(t, tm, "Add a new account")
	keys(tm, "enter")
	waitFor(t, tm, "Azure Tenant ID")
	keys(tm, "enter")
	waitFor(t, tm, "Domo DataSet ID or file")
	tm.Type(demo.DomoDataSetID)
	keys(tm, "enter")
	waitFor(t, tm, "No findings")
	keys(tm, "enter")
	waitFor(t, tm, "Operations")
}

// pushToSales picks Sales Analytics and its existing "Sales Orders" dataset,
// reviews the plan, and starts the push.
func pushToSales(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	tm.Type("sales")
	keys(tm, "enter")
	waitFor(t, tm, "existing:")
	keys(tm, "enter", "enter", "enter")
	waitFor(t, tm, "The plan")
	keys(tm, "enter")
}

func TestFlowFullWriteback(t *testing.T) {
	fb := newFakeBackend()
	tm := startFlow(t, fb, demoCredentials())
	signInAndPickInput(t, tm)
	pushToSales(t, tm)
	waitFor(t, tm, "What next")
	keys(tm, "q")
	m := finalModel(t, tm)
	if m.ExitCode() != 0 {
		t.Errorf("exit code %d, want 0", m.ExitCode())
	}
	if !strings.Contains(m.Farewell(), "3,000 rows written and verified") {
		t.Errorf("farewell = %q", m.Farewell())
	}
	if len(fb.saved) != 1 || fb.saved[0].Name != "sandbox" {
		t.Errorf("saved accounts = %+v", fb.saved)
	}
	want := Request{Account: "sandbox", Input: "domo:" + demo.DomoDataSetID, Columns: map[string]string{}, WorkspaceID: demo.WorkspaceSalesID,
		WorkspaceName: demo.WorkspaceSales, Dataset: "Sales Orders", Table: "Sales Orders", Mode: "replace"}
	if commandLine(nil, m.req) != commandLine(nil, want) {
		t.Errorf("pushed %+v\nwant   %+v", m.req, want)
	}
}

func TestFlowSignInFailureShowsAdviceBesideField(t *testing.T) {
	fill := demoCredentials()
	fill.Username = demo.MFAUsername
	tm := startFlow(t, newFakeBackend(), fill)
	waitFor(t, tm, "Add a new account")
	keys(tm, "enter")
	waitFor(t, tm, "Azure Tenant ID")
	keys(tm, "enter")
	waitFor(t, tm, "device-code sign-in method")
	keys(tm, "ctrl+c")
	m := finalModel(t, tm)
	cr, ok := m.top().(*credentials)
	if !ok {
		t.Fatalf("ended on %T, want the credentials screen", m.top())
	}
	if f := cr.fields[cr.focus]; f.id != FieldUsername || !strings.Contains(f.advice, "AADSTS50076") {
		t.Errorf("focus on %s with advice %q", f.id, f.advice)
	}
	if m.ExitCode() != 130 {
		t.Errorf("exit code %d, want 130", m.ExitCode())
	}
	// The advice sits right under the Username line.
	screen := screenText(m)
	i := strings.Index(screen, "Username")
	if j := strings.Index(screen, "AADSTS50076"); i < 0 || j < i || strings.Count(screen[i:j], "\n") != 1 {
		t.Errorf("advice not beside the Username field:\n%s", screen)
	}
}

func TestFlowThrottledPushShowsWaitReason(t *testing.T) {
	fb := newFakeBackend()
	fb.pushPlan = []ProgressEvent{
		{RowsTotal: 3000, BatchesTotal: 3},
		{RowsWritten: 1000, RowsTotal: 3000, BatchesDone: 1, BatchesTotal: 3, Retries: 1, RowsPerSecond: 500, ETA: 34 * time.Second,
			Wait:  &Wait{Reason: "Retry-After from Power BI (another writer shares the dataset)", Left: 30 * time.Second},
			Error: &PushError{Message: "POST rows: 429 Too Many Requests", RequestID: "5b0e7c1a-0000-4000-8000-000000000429"}},
		{RowsWritten: 3000, RowsTotal: 3000, BatchesDone: 3, BatchesTotal: 3, Retries: 1, RowsPerSecond: 90},
	}
	fb.pushGate, fb.pushPause = make(chan struct{}), 1
	tm := startFlow(t, fb, demoCredentials())
	signInAndPickInput(t, tm)
	pushToSales(t, tm)
	waitFor(t, tm, "another writer shares the dataset")
	close(fb.pushGate)
	waitFor(t, tm, "What next")
	keys(tm, "q")
	m := finalModel(t, tm)
	if d, ok := m.top().(*done); !ok || d.res.Retries != 1 || m.ExitCode() != 0 {
		t.Fatalf("ended on %T with exit %d", m.top(), m.ExitCode())
	}
}

func TestFlowInterruptedPush(t *testing.T) {
	fb := newFakeBackend()
	fb.pushHold = true
	tm := startFlow(t, fb, demoCredentials())
	signInAndPickInput(t, tm)
	pushToSales(t, tm)
	// The help line is drawn whole once the Push screen is up (row counts are
	// redrawn cell by cell, so their text may never appear in one piece).
	waitFor(t, tm, "stop (asks first)")
	keys(tm, "ctrl+c")
	waitFor(t, tm, "Stop the push?")
	keys(tm, "y")
	m := finalModel(t, tm)
	if m.ExitCode() != 130 {
		t.Errorf("exit code %d, want 130", m.ExitCode())
	}
	if f := m.Farewell(); !strings.Contains(f, "--resume") || !strings.Contains(f, "checkpoint is saved") {
		t.Errorf("farewell = %q", f)
	}
	select {
	case <-fb.pushEnded:
	case <-time.After(patience):
		t.Fatal("the push did not stop")
	}
}

func TestRunCtrlCExits130(t *testing.T) {
	in, inw := ioPipe()
	var out bytes.Buffer
	done := make(chan exitcode.Code, 1)
	go func() {
		code, err := Run(context.Background(), newFakeBackend(), Options{In: in, Out: &out, NoColor: true, readDir: testReadDir})
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	time.Sleep(100 * time.Millisecond)
	inw.Write([]byte{0x03}) // ctrl+c
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit code %d, want 130", code)
		}
	case <-time.After(patience):
		t.Fatal("Run did not end")
	}
}
