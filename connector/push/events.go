package push

import (
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
)

// The event stream: the one account of a push that the wizard, the headless
// printer and the history all read. Every event carries a full snapshot of
// the progress, so a reader that drops events (a slow UI) still shows the
// truth with the next one.

// Phase is the stage a push is in.
type Phase string

const (
	PhaseValidating Phase = "validating" // reading and converting the whole input once
	PhaseResolving  Phase = "resolving"  // finding or creating the workspace's dataset and table
	PhaseDeleting   Phase = "deleting"   // replace mode: deleting the table's rows
	PhaseSettling   Phase = "settling"   // counting rows to settle batches with an unknown outcome
	PhaseWriting    Phase = "writing"
	PhaseVerifying  Phase = "verifying" // comparing the table's row count with what was written
	PhaseDone       Phase = "done"
)

// Kind is what an event reports.
type Kind string

const (
	KindPhase    Kind = "phase"    // a new phase began
	KindProgress Kind = "progress" // a batch was acknowledged (or the counts changed)
	KindWait     Kind = "wait"     // a send waits for a limit or the server's Retry-After
	KindRetry    Kind = "retry"    // a request will be sent again
	KindError    Kind = "error"    // something failed (the run may go on, or stop)
	KindSummary  Kind = "summary"  // the last event of a run
)

// Event is one entry of the stream.
type Event struct {
	Kind     Kind       `json:"event"`
	Time     time.Time  `json:"time"`
	Phase    Phase      `json:"phase"`
	Message  string     `json:"message,omitempty"` // a phase's detail, for people
	Progress Progress   `json:"progress"`
	Retry    *RetryInfo `json:"retry,omitempty"`
	Error    *ErrorInfo `json:"error,omitempty"`
	Summary  *Summary   `json:"summary,omitempty"`
}

// Progress is where the push stands.
type Progress struct {
	RowsWritten   int64   `json:"rowsWritten"`
	RowsTotal     int64   `json:"rowsTotal"`
	BatchesDone   int     `json:"batchesDone"`
	BatchesTotal  int     `json:"batchesTotal"`
	InFlight      int     `json:"inFlight"`
	Retries       int     `json:"retries"`
	Throttled     int     `json:"throttled"` // 429s met
	RowsPerSecond float64 `json:"rowsPerSecond"`
	// ETASeconds is the time left as the limits allow it; -1 when unknown.
	ETASeconds     float64   `json:"etaSeconds"`
	ElapsedSeconds float64   `json:"elapsedSeconds"`
	Wait           *WaitInfo `json:"wait,omitempty"` // the current wait, if a send is waiting
}

// WaitInfo is a wait as the stream shows it.
type WaitInfo struct {
	Reason string `json:"reason"` // Reason.Key: pending, postsPerMinute, rowsPerHour, postsPerHourLarge, retryAfter
	Limit  string `json:"limit"`  // the limit in words
	// Seconds is how long the wait is expected to last from its start; 0 when
	// it lasts until a request in flight finishes.
	Seconds float64   `json:"seconds"`
	Until   time.Time `json:"until,omitzero"`
}

// RetryInfo is a request about to be sent again.
type RetryInfo struct {
	Batch        int     `json:"batch"`   // 1-based, as people count
	Attempt      int     `json:"attempt"` // the attempt about to be made: 2 is the first retry
	DelaySeconds float64 `json:"delaySeconds"`
	Cause        string  `json:"cause"`
	RequestID    string  `json:"requestId,omitempty"`
}

// ErrorInfo is a failure, with what Power BI support needs.
type ErrorInfo struct {
	Message   string `json:"message"`
	Status    int    `json:"status,omitempty"` // HTTP status, when the service answered
	Code      string `json:"code,omitempty"`   // Power BI error code
	RequestID string `json:"requestId,omitempty"`
	Batch     int    `json:"batch,omitempty"` // 1-based; 0 when not about a batch
	// ResumeAfter is when trying again makes sense: the time Power BI asked
	// for, on a stop for throttling (ThrottleError).
	ResumeAfter time.Time `json:"resumeAfter,omitzero"`
}

// Unsettled is the batches a stopped run left with an outcome pbiwb cannot
// tell (Power BI refuses to count the table's rows), and why it cannot: the
// history keeps it as it is.
type (
	Unsettled      = history.Unsettled
	UnsettledBatch = history.UnsettledBatch
)

// WaitTotal is the waits of one reason over a run.
type WaitTotal struct {
	Count   int     `json:"count"`
	Seconds float64 `json:"seconds"`
}

// Summary is the end of a run.
type Summary struct {
	Outcome        outcome.Outcome      `json:"outcome"`
	ExitCode       exitcode.Code        `json:"exitCode"`
	Table          string               `json:"table,omitempty"`
	RowsWritten    int64                `json:"rowsWritten"`
	RowsTotal      int64                `json:"rowsTotal"`
	BatchesDone    int                  `json:"batchesDone"`
	BatchesTotal   int                  `json:"batchesTotal"`
	ElapsedSeconds float64              `json:"elapsedSeconds"`
	MinimumSeconds float64              `json:"minimumSeconds,omitempty"` // MinimumDuration of the push
	Waits          map[string]WaitTotal `json:"waits,omitempty"`          // by Reason.Key
	Retries        int                  `json:"retries"`
	Throttled      int                  `json:"throttled"`
	Verified       bool                 `json:"verified"`  // the row count was checked and matched
	TableRows      int64                `json:"tableRows"` // the count seen when verifying
	// NotVerified says why a push that wrote every row could not verify
	// the row count (Power BI refuses to count it): "written, not verified".
	NotVerified string `json:"notVerified,omitempty"`
	// CountNote explains a verified count that is not rows before plus rows
	// written: a FIFO table's eviction.
	CountNote string `json:"countNote,omitempty"`
	// Unsettled, on a run stopped because a POST got no answer while Power
	// BI refuses to count rows, names the batches whose outcome only the
	// person can say: a resume with AssumeSent or AssumeLost continues.
	Unsettled  *Unsettled  `json:"unsettled,omitempty"`
	Errors     []ErrorInfo `json:"errors,omitempty"`
	ResumeHint string      `json:"resumeHint,omitempty"` // the command that continues a stopped run
	// Note says what a run that wrote nothing on purpose found instead (a
	// --resume of an input that an earlier run, AlreadyWrittenBy, wrote whole).
	Note             string `json:"note,omitempty"`
	AlreadyWrittenBy string `json:"alreadyWrittenBy,omitempty"`
	// ResumeAfter is when resuming makes sense, for a run stopped because
	// Power BI throttled it past --max-throttle-wait (the latest ErrorInfo.ResumeAfter).
	ResumeAfter time.Time `json:"resumeAfter,omitzero"`
	// Posts are the dataset's recent requests as the pacer saw them, for the
	// history to seed the next run's pacer (not part of --json output).
	Posts []pacer.Sent `json:"-"`
}

// Observer receives events in order. It must not block for long (the push
// waits for it) nor call the Tracker (which holds its emit lock meanwhile).
type Observer func(Event)

// Tracker keeps the progress of one push and emits it as events. The engine
// calls its methods from any goroutine; observers see events one at a time,
// in order.
type Tracker struct {
	clock     clock.Clock
	observers []Observer
	// ETA, if set, estimates the time left for rows not yet written (the
	// engine wires Pacer.EstimateRemaining); otherwise rows / throughput.
	ETA func(rowsLeft int64) time.Duration

	emit sync.Mutex // serialises observers, so events arrive in order

	mu        sync.Mutex
	start     time.Time
	phase     Phase
	p         Progress
	samples   []sample // (time, rows written) over the throughput window
	waits     map[string]WaitTotal
	errors    []ErrorInfo
	curWait   *WaitInfo // the wait people see, one for all senders waiting on it
	waitStart time.Time
}

type sample struct {
	at   time.Time
	rows int64
}

// throughputWindow is how far back the rows/s figure looks.
const throughputWindow = 30 * time.Second

// NewTracker starts tracking a push of rows in batches.
func NewTracker(clk clock.Clock, rowsTotal int64, batchesTotal int, observers ...Observer) *Tracker {
	if clk == nil {
		clk = clock.System{}
	}
	now := clk.Now()
	return &Tracker{clock: clk, observers: observers, start: now,
		p:     Progress{RowsTotal: rowsTotal, BatchesTotal: batchesTotal, ETASeconds: -1},
		waits: map[string]WaitTotal{}, samples: []sample{{now, 0}}}
}

// Phase reports a new phase, with an optional detail for people.
func (t *Tracker) Phase(p Phase, message string) {
	t.send(func() Event {
		t.phase = p
		return Event{Kind: KindPhase, Message: message}
	})
}

// Resumed counts batches a checkpoint says are already written.
func (t *Tracker) Resumed(rows int64, batches int) {
	t.mu.Lock()
	t.p.RowsWritten += rows
	t.p.BatchesDone += batches
	t.samples = []sample{{t.clock.Now(), t.p.RowsWritten}}
	t.mu.Unlock()
}

// Sending notes a request leaving (in flight until Answered).
func (t *Tracker) Sending() {
	t.mu.Lock()
	t.p.InFlight++
	t.endWait(t.clock.Now())
	t.mu.Unlock()
}

// Answered notes a request's end; rows > 0 when a batch was acknowledged.
func (t *Tracker) Answered(rows int) {
	t.send(func() Event {
		t.p.InFlight--
		if rows > 0 {
			t.p.RowsWritten += int64(rows)
			t.p.BatchesDone++
		}
		return Event{Kind: KindProgress}
	})
}

// Settled counts a batch that counting the table's rows showed had landed
// (its request had ended without an answer).
func (t *Tracker) Settled(rows int) {
	t.send(func() Event {
		t.p.RowsWritten += int64(rows)
		t.p.BatchesDone++
		return Event{Kind: KindProgress}
	})
}

// Waiting reports a wait the pacer imposed (wire it to pacer.Config.OnWait).
// Waiting for one of the MaxPendingPosts slots is the pace itself, not a
// pause, and is not reported; senders waiting side by side for one limit are
// one wait for people.
func (t *Tracker) Waiting(w pacer.Wait) {
	if w.Reason == pacer.ReasonPending || w.Reason == pacer.ReasonNone {
		return
	}
	t.send(func() Event {
		info := &WaitInfo{Reason: w.Reason.Key(), Limit: w.Limit, Seconds: seconds(w.Duration()), Until: w.Until}
		if c := t.curWait; c == nil || c.Reason != info.Reason || !c.Until.Equal(info.Until) {
			t.endWait(w.Start)
			total := t.waits[info.Reason]
			total.Count++
			t.waits[info.Reason] = total
			t.curWait, t.waitStart = info, w.Start
		}
		return Event{Kind: KindWait}
	})
}

// Retrying reports a request about to be sent again; throttled when it was a 429.
func (t *Tracker) Retrying(r RetryInfo, throttled bool) {
	t.send(func() Event {
		t.p.Retries++
		if throttled {
			t.p.Throttled++
		}
		return Event{Kind: KindRetry, Retry: &r}
	})
}

// Failed reports an error (kept for the summary).
func (t *Tracker) Failed(e ErrorInfo) {
	t.send(func() Event {
		t.errors = append(t.errors, e)
		return Event{Kind: KindError, Error: &e}
	})
}

// Finish emits the summary, filling in what the tracker knows, and returns it.
func (t *Tracker) Finish(s Summary) Summary {
	var out Summary
	t.send(func() Event {
		t.phase = PhaseDone
		t.endWait(t.clock.Now())
		s.RowsWritten, s.RowsTotal = t.p.RowsWritten, t.p.RowsTotal
		s.BatchesDone, s.BatchesTotal = t.p.BatchesDone, t.p.BatchesTotal
		s.ElapsedSeconds = seconds(t.clock.Now().Sub(t.start))
		s.Retries, s.Throttled = t.p.Retries, t.p.Throttled
		if len(t.waits) > 0 {
			s.Waits = make(map[string]WaitTotal, len(t.waits))
			for k, v := range t.waits {
				s.Waits[k] = v
			}
		}
		s.Errors = append(s.Errors, t.errors...)
		for _, e := range s.Errors {
			if e.ResumeAfter.After(s.ResumeAfter) {
				s.ResumeAfter = e.ResumeAfter
			}
		}
		out = s
		return Event{Kind: KindSummary, Summary: &out}
	})
	return out
}

// Snapshot is the progress now.
func (t *Tracker) Snapshot() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshot(t.clock.Now())
}

// send applies a change and emits the resulting event, in order.
func (t *Tracker) send(change func() Event) {
	t.emit.Lock()
	defer t.emit.Unlock()
	t.mu.Lock()
	e := change()
	now := t.clock.Now()
	e.Time, e.Phase = now, t.phase
	e.Progress = t.snapshot(now)
	t.mu.Unlock()
	for _, o := range t.observers {
		o(e)
	}
}

// endWait closes the current wait at end (or at its expected end, if
// earlier), adding its length to the totals. Callers hold t.mu.
func (t *Tracker) endWait(end time.Time) {
	w := t.curWait
	if w == nil {
		return
	}
	if !w.Until.IsZero() && w.Until.Before(end) {
		end = w.Until
	}
	if end.After(t.waitStart) {
		total := t.waits[w.Reason]
		total.Seconds = round3(total.Seconds + end.Sub(t.waitStart).Seconds())
		t.waits[w.Reason] = total
	}
	t.curWait = nil
}

func (t *Tracker) snapshot(now time.Time) Progress {
	t.addSample(now)
	p := t.p
	p.ElapsedSeconds = seconds(now.Sub(t.start))
	first := t.samples[0]
	if d := now.Sub(first.at); d > 0 {
		p.RowsPerSecond = round3(float64(p.RowsWritten-first.rows) / d.Seconds())
	}
	left := p.RowsTotal - p.RowsWritten
	// The larger of two floors: what the limits allow (the ETA hook, blind to
	// latency) and what the recent throughput says (blind to coming quota waits).
	switch {
	case left <= 0:
		p.ETASeconds = 0
	default:
		if p.RowsPerSecond > 0 {
			p.ETASeconds = round3(float64(left) / p.RowsPerSecond)
		}
		if t.ETA != nil {
			if d := t.ETA(left); d >= 0 && seconds(d) > p.ETASeconds {
				p.ETASeconds = seconds(d)
			}
		}
	}
	if t.curWait != nil && (t.curWait.Until.IsZero() || now.Before(t.curWait.Until)) {
		w := *t.curWait
		p.Wait = &w
	}
	return p
}

func (t *Tracker) addSample(now time.Time) {
	if last := t.samples[len(t.samples)-1]; last.rows != t.p.RowsWritten || now.Sub(last.at) >= time.Second {
		t.samples = append(t.samples, sample{now, t.p.RowsWritten})
	}
	i := 0
	for i < len(t.samples)-1 && now.Sub(t.samples[i+1].at) >= throughputWindow {
		i++
	}
	t.samples = t.samples[i:]
}

func seconds(d time.Duration) float64 { return round3(d.Seconds()) }

func round3(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*1000+0.5)) / 1000
	}
	return float64(int64(f*1000+0.5)) / 1000
}
