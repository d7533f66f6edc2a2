package push

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

// throttleRun runs execute on a fake table whose 429s ask for retryAfter,
// inside a synctest bubble: every wait passes in fake time.
type throttleRun struct {
	dir     string
	table   *deletable
	printed bytes.Buffer
}

func (r *throttleRun) execute(t *testing.T, retryAfter, budget time.Duration, resume bool, n int) (Summary, error) {
	t.Helper()
	var mu sync.Mutex
	observe := eventText(&lockedWriter{w: &r.printed, mu: &mu})
	target := testKey().Target
	target.Mode = "append"
	return execute(context.Background(), job{
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
		Table: r.table, CheckpointDir: r.dir, Tracker: NewTracker(nil, totalRows(n), n, observe),
		Classify: func(err error) writer.Failure {
			f := classifyFake(err)
			if f.Kind == writer.Throttled {
				f.RetryAfter = retryAfter
			}
			return f
		},
		ResumeHint: "pbiwb push … --resume", RestartHint: "pbiwb push …",
		Backoff: 100 * time.Microsecond, MaxBackoff: time.Millisecond,
		StopGrace: testGrace, Stability: testStability, MaxThrottleWait: budget, Fields: flagNames{},
	})
}

// The stop must leave a checkpoint that a resume completes: every batch
// stored exactly once.
func (r *throttleRun) resumeToTheEnd(t *testing.T, n int) {
	t.Helper()
	r.table.mu.Lock()
	r.table.fault = func(int, int) fault { return ok }
	r.table.mu.Unlock()
	if sum, err := r.execute(t, time.Second, time.Hour, true, n); err != nil || sum.ExitCode != 0 {
		t.Fatalf("resume: exit %d, %v", sum.ExitCode, err)
	}
	rr := &run{table: r.table.fakeTable}
	rr.checkExactlyOnce(t, n)
}

func checkThrottleStop(t *testing.T, sum Summary, err error, until time.Time) {
	t.Helper()
	var te *writer.ThrottleError
	if !errors.As(err, &te) {
		t.Fatalf("err %v, want a stop for throttling", err)
	}
	if sum.Outcome != outcome.Stopped || sum.ExitCode != 6 || sum.ResumeHint != "pbiwb push … --resume" {
		t.Errorf("summary: outcome %s, exit %d, hint %q; want stopped, 6, the --resume command", sum.Outcome, sum.ExitCode, sum.ResumeHint)
	}
	if !sum.ResumeAfter.Equal(until) || len(sum.Errors) == 0 || !sum.Errors[len(sum.Errors)-1].ResumeAfter.Equal(until) {
		t.Errorf("resume after %v (errors %+v), want %v", sum.ResumeAfter, sum.Errors, until)
	}
	if !strings.Contains(err.Error(), "resume after "+format.WallClock(until)) {
		t.Errorf("the error does not say when to resume: %v", err)
	}
}

// Retry-After: 315360000 (ten years) stops the push at once, exit 6 with a
// checkpoint, saying when Power BI will take requests again — it used to
// print "waiting 87600h" and wait.
func TestThrottleRetryAfterBeyondBudgetStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 20
		r := &throttleRun{dir: t.TempDir(), table: &deletable{fakeTable: newFakeTable(func(post, _ int) fault {
			if post >= 6 {
				return throttle
			}
			return ok
		})}}
		start := time.Now()
		sum, err := r.execute(t, 315360000*time.Second, time.Hour, false, n)
		if took := time.Since(start); took > time.Second {
			t.Errorf("the stop took %v", took)
		}
		checkThrottleStop(t, sum, err, start.Add(315360000*time.Second))
		printed := r.printed.String()
		for _, want := range []string{
			"Power BI asked to wait 87600h before the next request (429 Too Many Requests, Retry-After): longer than --max-throttle-wait 1h allows",
		} {
			if !strings.Contains(printed, want) {
				t.Errorf("printed no %q:\n%s", want, printed)
			}
		}
		if sum.ResumeAfter.IsZero() || sum.ResumeHint != "pbiwb push … --resume" {
			t.Errorf("summary: resume after %v with %q", sum.ResumeAfter, sum.ResumeHint)
		}
		if strings.Contains(printed, "waiting 87600h") {
			t.Errorf("it still waits:\n%s", printed)
		}
		r.resumeToTheEnd(t, n)
	})
}

// A server that always answers 429 with Retry-After 1: the push stops once
// 429s have held it without progress for the budget, not never.
func TestThrottleWithoutProgressStopsAfterBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, budget = 20, 10 * time.Second
		r := &throttleRun{dir: t.TempDir(), table: &deletable{fakeTable: newFakeTable(func(post, _ int) fault {
			if post >= 6 {
				return throttle
			}
			return ok
		})}}
		start := time.Now()
		sum, err := r.execute(t, time.Second, budget, false, n)
		took := time.Since(start)
		if took < budget-time.Second || took > budget+time.Second {
			t.Errorf("stopped after %v, want about %v", took, budget)
		}
		var te *writer.ThrottleError
		if errors.As(err, &te) {
			checkThrottleStop(t, sum, err, te.Until)
			if te.Throttled < budget-time.Second || te.Until.After(time.Now().Add(time.Second)) {
				t.Errorf("throttle error %+v", te)
			}
		} else {
			t.Fatalf("err %v", err)
		}
		if !strings.Contains(r.printed.String(), "Power BI has answered 429 Too Many Requests for") {
			t.Errorf("printed:\n%s", r.printed.String())
		}
		r.resumeToTheEnd(t, n)
	})
}

// 429s between batches that land do not add up: each landing restarts the
// budget, so a long push under steady throttling goes on.
func TestThrottleWithProgressGoesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 30
		r := &throttleRun{dir: t.TempDir(), table: &deletable{fakeTable: newFakeTable(func(post, _ int) fault {
			if post%2 == 0 {
				return throttle
			}
			return ok
		})}}
		start := time.Now()
		sum, err := r.execute(t, 4*time.Second, 10*time.Second, false, n)
		if err != nil || sum.ExitCode != 0 {
			t.Fatalf("exit %d, %v", sum.ExitCode, err)
		}
		if took := time.Since(start); took < 30*time.Second {
			t.Errorf("took %v: the 429s did not hold the push longer than its budget in total", took)
		}
		(&run{table: r.table.fakeTable}).checkExactlyOnce(t, n)
	})
}

// flagNames names fields as pbiwb push does (cli's flagFace), so the tests
// read the engine's advice as the command line shows it.
type flagNames struct{}

// FlagNames is flagNames for the package's external tests (package push_test).
type FlagNames = flagNames

func (flagNames) Name(f field.ID) string {
	if fl, ok := map[field.ID]string{field.MaxThrottleWait: "--max-throttle-wait", field.Group: "--group"}[f]; ok {
		return fl
	}
	return "--" + string(f)
}
func (n flagNames) Setting(f field.ID, v string) string { return n.Name(f) + " " + v }
