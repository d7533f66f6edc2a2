package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/exitcode"
)

// stoppedError is the engine's stop on unsettled batches, as the adapter
// passes it on: exit 6.
type stoppedError struct{}

func (stoppedError) Error() string {
	return "batch 3 (input rows 19,999–29,995) got no answer (9,997 rows in all), and Power BI refused to count the table's rows: " +
		"pbiwb cannot tell whether those rows landed, and will not guess"
}
func (stoppedError) ExitCode() exitcode.Code { return exitcode.Stopped }

func unsettledResult() Result {
	return Result{RowsWritten: 19_998, Batches: 2, RunID: "20261127-220000.000-u7v8",
		Unsettled: &Unsettled{Why: fakeCountingRefusal, Batches: []UnsettledBatch{{Batch: 3, FirstRow: 19_999, Rows: 9_997}}}}
}

// A push stopped on a batch whose outcome pbiwb cannot tell: Done says so
// with both commands, and r asks which is true before it resumes with the
// answer; esc asks nothing and resumes nothing.
func TestDoneAsksBeforeResumingUnsettled(t *testing.T) {
	for _, tc := range []struct {
		key, assume, flag string
	}{{assumeSentKey, AssumeSent, "--assume-sent"}, {assumeLostKey, AssumeLost, "--assume-lost"}} {
		t.Run(tc.assume, func(t *testing.T) {
			fb := newFakeBackend()
			m := newTestRoot(t, fb, testOptions())
			m.req = salesRequest()
			m.req.Mode = "append"
			m.Update(pushFinishedMsg{unsettledResult(), stoppedError{}})
			if tc.assume == AssumeSent {
				requireGolden(t, m)
			}
			text := screenText(m)
			press(t, m, "end") // the rest of the screen
			text += screenText(m)
			for _, want := range []string{"--resume --assume-sent", "--resume --assume-lost", "batch 3 (input rows", "Dataset Execute Queries"} {
				if !strings.Contains(text, want) {
					t.Errorf("Done does not say %q:\n%s", want, text)
				}
			}
			press(t, m, "r", "esc")
			if d, ok := m.top().(*done); !ok || d.ask.open || fb.pushes != 0 {
				t.Fatalf("esc: screen %T, pushes %d", m.top(), fb.pushes)
			}
			press(t, m, "r")
			if tc.assume == AssumeSent {
				t.Run("question", func(t *testing.T) { requireGolden(t, m) })
			}
			if text := screenText(m); !strings.Contains(text, "cannot tell") || !strings.Contains(text, "twice") {
				t.Errorf("the question does not explain the answers:\n%s", text)
			}
			press(t, m, "q") // not an answer: nothing happens
			if fb.pushes != 0 || m.top().(*done).ask.open == false {
				t.Fatalf("q answered the question: pushes %d", fb.pushes)
			}
			press(t, m, tc.key)
			d, ok := m.top().(*done)
			if !ok || fb.pushes != 1 {
				t.Fatalf("after %s: screen %T, pushes %d", tc.key, m.top(), fb.pushes)
			}
			if !d.req.Resume || d.req.Assume != tc.assume || d.req.Table != "Sales_Orders" || d.err != nil {
				t.Errorf("resumed request %+v, err %v", d.req, d.err)
			}
			if line := commandLine(nil, d.req); !strings.HasSuffix(line, "--resume "+tc.flag) {
				t.Errorf("the resume's command line = %q, want it to end with --resume %s", line, tc.flag)
			}
			// The same writeback for a schedule neither resumes nor assumes.
			if text := screenText(m); strings.Contains(text, "--resume") || strings.Contains(text, "--assume") {
				t.Errorf("Done after the resume offers a resume for a schedule:\n%s", text)
			}
		})
	}
}

// Quitting from Done after such a stop keeps exit 6 and prints both ways on.
func TestDoneUnsettledFarewell(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	m.req = salesRequest()
	m.Update(pushFinishedMsg{unsettledResult(), stoppedError{}})
	press(t, m, "q")
	f := m.Farewell()
	if m.ExitCode() != exitcode.Stopped || !strings.Contains(f, "--resume --assume-sent") || !strings.Contains(f, "--resume --assume-lost") ||
		!strings.Contains(f, "cannot tell") {
		t.Errorf("exit %d, farewell:\n%s", m.ExitCode(), f)
	}
}

// A run in the history that stopped so: its details say why and give both
// commands; r asks, and the answer goes with the resume.
func TestHistoryAsksBeforeResumingUnsettled(t *testing.T) {
	fb := newFakeBackend()
	m := historyRoot(t, fb)
	show(t, m, newRunDetail(m.c, fakeUnsettledRun.ID, "sandbox"))
	requireGolden(t, m)
	text := screenText(m)
	if !strings.Contains(text, "cannot tell") || !strings.Contains(text, "asks first") {
		t.Errorf("the run's details do not say a resume asks first:\n%s", text)
	}
	press(t, m, "end")
	if text := screenText(m); !strings.Contains(text, "--assume-sent") || !strings.Contains(text, "--assume-lost") {
		t.Errorf("the commands that continue it lack the answers:\n%s", text)
	}
	press(t, m, "r")
	if d, ok := m.top().(*runDetail); !ok || !d.ask.open || fb.pushes != 0 {
		t.Fatalf("r did not ask: screen %T, pushes %d", m.top(), fb.pushes)
	}
	t.Run("question", func(t *testing.T) { requireGolden(t, m) })
	press(t, m, "esc")
	if d, ok := m.top().(*runDetail); !ok || d.ask.open || fb.pushes != 0 {
		t.Fatalf("esc: screen %T, pushes %d", m.top(), fb.pushes)
	}
	press(t, m, "r", assumeLostKey)
	d, ok := m.top().(*done)
	if !ok || fb.pushes != 1 {
		t.Fatalf("after the answer: screen %T, pushes %d", m.top(), fb.pushes)
	}
	if !d.req.Resume || d.req.Assume != AssumeLost || d.req.Account != "sandbox" || d.req.Table != "Orders" {
		t.Errorf("resumed request %+v", d.req)
	}
}

// A run that needs no answer resumes at once, with none.
func TestHistoryResumeAsksNothingWhenSettled(t *testing.T) {
	fb := newFakeBackend()
	m := historyRoot(t, fb)
	press(t, m, "down", "enter", "r")
	if d, ok := m.top().(*done); !ok || d.req.Assume != "" || fb.pushes != 1 {
		t.Fatalf("screen %T, pushes %d", m.top(), fb.pushes)
	}
}

// "Written, not verified" and a count explained by eviction on Done, and
// in a run's details.
func TestDoneNotVerified(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  Result
		want []string
	}{
		{"not verified", Result{RowsWritten: 60_000, Batches: 7, Elapsed: 4 * time.Second, RunID: "20261127-213000-a1b2", NotVerified: fakeCountingRefusal},
			[]string{"written, not verified", "Dataset Execute Queries"}},
		{"count note", Result{RowsWritten: 60_000, RowsVerified: 200_000, Batches: 7, Elapsed: 4 * time.Second, RunID: "20261127-213000-a1b2",
			CountNote: "the table keeps only the newest 200,000 rows (FIFO): 60,000 rows were written and the oldest evicted"},
			[]string{"written and verified", "FIFO"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestRoot(t, newFakeBackend(), testOptions())
			m.req = salesRequest()
			m.Update(pushFinishedMsg{tc.res, nil})
			requireGolden(t, m)
			text := screenText(m)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("Done does not say %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "another writer") {
				t.Errorf("Done blames another writer:\n%s", text)
			}
			press(t, m, "q")
			if m.ExitCode() != exitcode.OK || (tc.res.NotVerified != "") != strings.Contains(m.Farewell(), "not verified") {
				t.Errorf("exit %d, farewell %q", m.ExitCode(), m.Farewell())
			}
		})
	}
}

// The Push screen shows the plan's warnings and the steps as pbiwb push
// prints them, newest kept when they do not all fit.
func TestPushScreenNotes(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m := newTestRoot(t, newFakeBackend(), testOptions())
	settle(t, m, m.Init())
	p := newPushScreen(m.c, salesRequest())
	m.stack, m.pushing = append(m.stack, p), true
	p.gen = 99
	m.Update(progressMsg{99, ProgressEvent{Warning: fakeCountingRefusal + ". The push goes on without counting: every batch Power BI acknowledges " +
		"is checkpointed, the row count at the end cannot be verified (\"written, not verified\"), and a batch whose answer is lost stops the run, " +
		"for you to say what became of it (Resume with your answer “they landed” or your answer “they did not land”)", ETA: -1}, at})
	m.Update(progressMsg{99, ProgressEvent{Step: "Adding 1 column to table \"Sales_Orders\": Power BI refuses to count the table's rows, so whether " +
		"the change of its schema keeps them cannot be checked (no source says it does); compare the table's row count in Power BI before and after this push", ETA: -1}, at})
	m.Update(progressMsg{99, ProgressEvent{Step: "Writing 30,000 rows in 4 batches (not verified at the end: Power BI refuses to count the table's rows)",
		RowsTotal: 30_000, BatchesTotal: 4, ETA: -1}, at})
	m.Update(progressMsg{99, ProgressEvent{RowsWritten: 10_000, RowsTotal: 30_000, BatchesDone: 1, BatchesTotal: 4, InFlight: 2, RowsPerSecond: 5_000, ETA: 4 * time.Second}, at})
	requireGolden(t, m)
	text := screenText(m)
	for _, want := range []string{"Writing 30,000 rows", "not verified at the end", "Adding 1 column"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Push screen does not say %q:\n%s", want, text)
		}
	}
	if p.ev.RowsWritten != 10_000 {
		t.Errorf("progress after the notes: %+v", p.ev)
	}
	// A taller terminal has room for the plan's warning too.
	m.c.height = 40
	t.Run("tall", func(t *testing.T) { requireGolden(t, m) })
	if text := screenText(m); !strings.Contains(text, "! Power BI refused to count") || !strings.Contains(text, "without counting") {
		t.Errorf("the Push screen does not show the counting refusal:\n%s", text)
	}
	// Stopping: the engine's words about a second Ctrl-C are not the wizard's.
	p.stopping = true
	m.Update(progressMsg{99, ProgressEvent{Step: "Stopping: waiting for 2 batches in flight (up to 15s; Ctrl-C again to quit now — Resume settles them)",
		RowsWritten: 10_000, RowsTotal: 30_000, BatchesDone: 1, BatchesTotal: 4, ETA: -1}, at})
	if strings.Contains(screenText(m), "Ctrl-C again") {
		t.Errorf("the Push screen relays the engine's second Ctrl-C:\n%s", screenText(m))
	}
}

// The resume's answer reaches the command line only with Resume.
func TestCommandLineAssume(t *testing.T) {
	r := salesRequest()
	r.Assume = AssumeSent
	if line := commandLine(nil, r); strings.Contains(line, "--assume") {
		t.Errorf("without Resume: %q", line)
	}
	r.Resume = true
	if line := commandLine(nil, r); !strings.HasSuffix(line, "--resume --assume-sent") {
		t.Errorf("with Resume: %q", line)
	}
	r.Assume = AssumeLost
	if line := commandLine(nil, r); !strings.HasSuffix(line, "--resume --assume-lost") {
		t.Errorf("assume lost: %q", line)
	}
	// A resume that stopped again for another reason is continued without
	// the answer: it was about other batches.
	if a := resumeAdvice(nil, "Stopped.", r); strings.Contains(a, "--assume") || !strings.Contains(a, "--resume") {
		t.Errorf("resume advice after an answered resume: %q", a)
	}
	m := newTestRoot(t, newFakeBackend(), testOptions())
	m.req = r
	m.Update(pushFinishedMsg{Result{RowsWritten: 5}, stoppedError{}})
	if text := screenText(m); strings.Contains(text, "--assume") || !strings.Contains(text, "--resume") {
		t.Errorf("Done after an answered resume stopped:\n%s", text)
	}
}

type schemaLossError struct{}

func (schemaLossError) Error() string {
	return "adding 1 column to table \"T\" of dataset \"Orders\" made Power BI drop rows: the table held 3 rows before the change of its " +
		"schema and holds 0 after it. The push stopped before writing any of its rows"
}
func (schemaLossError) ExitCode() exitcode.Code { return exitcode.Refused }

// A push refused before it wrote a row (the schema-change guard) offers no
// resume: there is nothing to resume.
func TestDoneNothingWritten(t *testing.T) {
	m := newTestRoot(t, newFakeBackend(), testOptions())
	m.req = salesRequest()
	m.req.Mode = "append"
	m.Update(pushFinishedMsg{Result{RunID: "20261127-213000-c3d4", NothingToResume: true}, schemaLossError{}})
	requireGolden(t, m)
	if text := screenText(m); strings.Contains(text, "--resume") || !strings.Contains(text, "None of the input's rows were written") {
		t.Errorf("Done after a refusal before writing:\n%s", text)
	}
	press(t, m, "q")
	if f := m.Farewell(); m.ExitCode() != exitcode.Refused || strings.Contains(f, "--resume") || !strings.Contains(f, "None of the input's rows") {
		t.Errorf("exit %d, farewell %q", m.ExitCode(), f)
	}
}

// A run written while Power BI refused to count: its details say so, and why.
func TestHistoryNotVerifiedRun(t *testing.T) {
	m := historyRoot(t, newFakeBackend())
	show(t, m, newRunDetail(m.c, fakeNotVerifiedRun.ID, "sandbox"))
	requireGolden(t, m)
	if text := screenText(m); !strings.Contains(text, "60,000 / 60,000 · written, not verified") || !strings.Contains(text, "Not verified: Power BI refused") {
		t.Errorf("run details:\n%s", text)
	}
}
