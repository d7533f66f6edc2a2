package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// deletable adds DeleteRows to the fake table.
type deletable struct {
	*fakeTable
	deletes int
}

func (d *deletable) DeleteRows(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deletes++
	d.rows, d.stored = 0, map[int]int{}
	return nil
}

type execCase struct {
	t       *testing.T
	dir     string
	table   *deletable
	store   *history.Store
	printed bytes.Buffer
}

func newExecCase(t *testing.T, f func(post, index int) fault) *execCase {
	return &execCase{t: t, dir: t.TempDir(), table: &deletable{fakeTable: newFakeTable(f)},
		store: history.New(t.TempDir())}
}

func (x *execCase) job(ctx context.Context, mode string, resume bool, n int) (Summary, history.Record, error) {
	x.t.Helper()
	run, err := x.store.Start(history.Record{Input: "orders.csv", Mode: mode})
	if err != nil {
		x.t.Fatal(err)
	}
	var mu sync.Mutex
	tr := NewTracker(nil, totalRows(n), n, eventText(&lockedWriter{w: &x.printed, mu: &mu}), historyObserver(run))
	target := testKey().Target
	target.Mode = mode
	sum, err := execute(ctx, job{
		Limits: fastLimits(), Fingerprint: "sha256:abc", Target: target, TableName: "Orders", Resume: resume,
		TotalRows: totalRows(n), Batches: n, Batching: "test",
		Open: func(_ context.Context, from int) iter.Seq2[writer.Batch, error] {
			return func(yield func(writer.Batch, error) bool) {
				for b, err := range testBatches(n) {
					if b.Index >= from && !yield(b, err) {
						return
					}
				}
			}
		},
		Table: x.table, Classify: classifyFake, CheckpointDir: x.dir, Tracker: tr,
		ResumeHint: "pbiwb push … --resume", Backoff: 100 * time.Microsecond, MaxBackoff: time.Millisecond,
		StopGrace: testGrace, Stability: testStability,
	})
	rec, gerr := x.store.Get(run.ID())
	if gerr != nil {
		x.t.Fatal(gerr)
	}
	return sum, rec, err
}

// eventText writes what the tests look for in the event stream, one line
// each: phase messages, waits, errors and the summary's errors.
func eventText(w io.Writer) Observer {
	return func(e Event) {
		switch {
		case e.Kind == KindPhase && e.Message != "":
			fmt.Fprintln(w, e.Message)
		case e.Kind == KindWait && e.Progress.Wait != nil && !e.Progress.Wait.Until.IsZero():
			fmt.Fprintln(w, "waiting "+format.Duration(e.Progress.Wait.Until.Sub(e.Time)))
		case e.Kind == KindError && e.Error != nil:
			fmt.Fprintln(w, "error: "+e.Error.Message)
		case e.Kind == KindSummary && e.Summary != nil:
			for _, err := range e.Summary.Errors {
				fmt.Fprintln(w, "summary error: "+err.Message)
			}
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestExecuteReplaceThenAppend(t *testing.T) {
	x := newExecCase(t, nil)
	x.table.rows = 12_345 // rows from before: replace deletes them
	sum, rec, err := x.job(context.Background(), "replace", false, 30)
	if err != nil {
		t.Fatal(err)
	}
	if x.table.deletes != 1 || sum.Outcome != outcome.Succeeded || sum.ExitCode != 0 || !sum.Verified || sum.TableRows != totalRows(30) {
		t.Fatalf("replace: deletes %d, summary %+v", x.table.deletes, sum)
	}
	if rec.Outcome != outcome.Succeeded || rec.RowsWritten != totalRows(30) || rec.BatchesDone != 30 || !rec.Verified {
		t.Errorf("history: %+v", rec)
	}
	if _, _, err := checkpoint.Load(x.dir, testKey(), nil); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Errorf("checkpoint left after success: %v", err)
	}

	sum, _, err = x.job(context.Background(), "append", false, 30)
	if err != nil {
		t.Fatal(err)
	}
	if x.table.deletes != 1 || sum.TableRows != 2*totalRows(30) {
		t.Fatalf("append: deletes %d, table rows %d", x.table.deletes, sum.TableRows)
	}
	if sum.RowsWritten != totalRows(30) || sum.BatchesDone != 30 || sum.Table != "Orders" {
		t.Errorf("append: summary %+v", sum)
	}
}

func TestExecuteOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		fault    func(post, index int) fault
		resume   bool
		foreign  int64
		outcome  outcome.Outcome
		exit     exitcode.Code
		hist     outcome.Outcome
		hint     bool
		errorMsg string
	}{
		{name: "refused", fault: func(post, _ int) fault {
			if post == 5 {
				return refuse
			}
			return ok
		}, outcome: outcome.Failed, exit: 5, hist: outcome.Failed, hint: true, errorMsg: "fake error 404"},
		{name: "kept failing", fault: func(_, index int) fault {
			if index == 3 {
				return unavailable
			}
			return ok
		}, outcome: outcome.Stopped, exit: 6, hist: outcome.Stopped, hint: true, errorMsg: "kept failing"},
		{name: "nothing to resume", resume: true, outcome: outcome.Failed, exit: 2, hist: outcome.Failed,
			errorMsg: "no interrupted push"},
		{name: "someone else wrote", foreign: 7, outcome: outcome.Failed, exit: 1, hist: outcome.Failed, errorMsg: "someone else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExecCase(t, tt.fault)
			if tt.foreign > 0 {
				// Another writer adds rows mid-push, and a batch's answer is lost.
				x.table.fault = func(post, _ int) fault {
					if post == 4 {
						x.table.foreign = tt.foreign // the fake holds its lock here
						return dropAfter
					}
					return ok
				}
			}
			sum, rec, err := x.job(context.Background(), "replace", tt.resume, 20)
			if err == nil {
				t.Fatal("no error")
			}
			if sum.Outcome != tt.outcome || sum.ExitCode != tt.exit || (sum.ResumeHint != "") != tt.hint {
				t.Errorf("summary %+v", sum)
			}
			if rec.Outcome != tt.hist || rec.ExitCode != tt.exit || len(rec.Errors) == 0 ||
				!strings.Contains(rec.Errors[0].Message, tt.errorMsg) {
				t.Errorf("history %+v", rec)
			}
			if !strings.Contains(x.printed.String(), tt.errorMsg) {
				t.Errorf("printed:\n%s", x.printed.String())
			}
		})
	}
}

func TestExecuteInterruptedThenResumed(t *testing.T) {
	var cancel context.CancelFunc
	x := newExecCase(t, func(post, _ int) fault {
		if post == 12 {
			go cancel()
			return hangStored
		}
		if post > 12 && post < 16 {
			return hangUnstored
		}
		return ok
	})
	ctx, c := context.WithCancel(context.Background())
	cancel = c
	sum, rec, err := x.job(ctx, "replace", false, 40)
	c()
	if !errors.Is(err, context.Canceled) || sum.ExitCode != 130 || sum.Outcome != outcome.Interrupted || rec.Outcome != outcome.Interrupted {
		t.Fatalf("interrupted: err %v, summary %+v, history %s", err, sum, rec.Outcome)
	}
	x.table.fault = func(int, int) fault { return ok }
	sum, rec, err = x.job(context.Background(), "replace", true, 40)
	if err != nil {
		t.Fatal(err)
	}
	if x.table.deletes != 1 {
		t.Errorf("the resume deleted the rows again")
	}
	if sum.ExitCode != 0 || !sum.Verified || rec.Outcome != outcome.Succeeded {
		t.Errorf("resumed: %+v / %s", sum, rec.Outcome)
	}
	(&run{table: x.table.fakeTable}).checkExactlyOnce(t, 40)
	if !strings.Contains(x.printed.String(), "resumed:") {
		t.Errorf("printed:\n%s", x.printed.String())
	}
}

func TestHistoryObserver(t *testing.T) {
	clock := clock.NewFake(t0)
	store := history.New(t.TempDir())
	store.Now = clock.Now
	run, err := store.Start(history.Record{Input: "domo:845305d8"})
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(clock, 100, 2, historyObserver(run))
	tr.Sending()
	clock.Advance(2 * time.Second) // past the store's save interval: progress reaches the file
	tr.Answered(60)
	if rec, _ := store.Get(run.ID()); rec.Outcome != outcome.Running || rec.RowsWritten != 60 {
		t.Errorf("while running: %+v", rec)
	}
	tr.Retrying(RetryInfo{Batch: 2, Attempt: 2, Cause: "HTTP 429"}, true)
	tr.Failed(ErrorInfo{Message: "Power BI kept failing", Status: 503, RequestID: "rq-9"})
	tr.Finish(Summary{Outcome: outcome.Stopped, ExitCode: 6, ResumeHint: "pbiwb push --resume",
		Waits: map[string]WaitTotal{"retryAfter": {Count: 1, Seconds: 30}}, Posts: []pacer.Sent{{End: t0, Rows: 60}}})
	rec, err := store.Get(run.ID())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != outcome.Stopped || rec.ExitCode != 6 || rec.Retries != 1 || rec.Throttled != 1 ||
		rec.ResumeHint != "pbiwb push --resume" || rec.Waits["retryAfter"].Seconds != 30 ||
		len(rec.Errors) != 1 || rec.Errors[0].RequestID != "rq-9" ||
		len(rec.Posts) != 1 || rec.Posts[0].Rows != 60 || !rec.Posts[0].End.Equal(t0) {
		t.Errorf("finished: %+v", rec)
	}
	if got := sentFromHistory(rec.Posts); len(got) != 1 || got[0] != (pacer.Sent{End: t0, Rows: 60}) {
		t.Errorf("sentFromHistory = %v", got)
	}
}
