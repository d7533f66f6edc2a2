// Package writer is the sending half of a push (docs/architecture.md,
// "Exactly once"): the Writer, settling by counting rows (settle.go, and
// SettleResume for a resumed run), the throttling budget (throttle.go).
package writer

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/format"
)

// The writer takes the input's batches in order and writes each exactly
// once — paced, at most MaxPendingPosts in flight, every send and
// acknowledgement in the checkpoint, retries with backoff and jitter,
// Retry-After honoured, ambiguous outcomes settled by counting the table's
// rows. It knows Power BI only through Table and
// Classifier, and the progress people see only through Events, so it is
// tested without a network.

// Batch is one POST rows body: rows [FirstRow, FirstRow+Rows) of the input.
type Batch struct {
	Index    int
	FirstRow int64
	Rows     int
	Body     []byte
}

// Ref is the batch as the checkpoint records it.
func (b Batch) Ref() checkpoint.BatchRef {
	return checkpoint.BatchRef{Index: b.Index, FirstRow: b.FirstRow, Rows: b.Rows}
}

// Table is the target table (a powerbi.Client bound to group, dataset, table).
type Table interface {
	PostRows(ctx context.Context, body []byte) error
	CountRows(ctx context.Context) (int64, error)
}

// Config sets up a Writer.
type Config struct {
	Table      Table
	Classify   Classifier
	Pacer      *pacer.Pacer
	Checkpoint *checkpoint.Checkpoint
	Events     Events      // nil: no events
	Clock      clock.Clock // for backoff sleeps; nil: the system clock
	// Window is how many consecutive batches may be unresolved at once: the
	// limits' MaxPendingPosts, which the push's distinctBatchRows is sized for.
	Window int
	// Acked are the batches already written (from the checkpoint), skipped.
	Acked map[int]int
	// CountBefore is the checkpoint's; with Acked it is what settling expects.
	CountBefore int64
	TableCap    int64
	// MaybeCap is the FIFO cap of a table whose retention is unknown
	// (SettleInput.MaybeCap).
	MaybeCap int64
	// Attempts bounds the tries of one batch after transient failures
	// (429s do not count: Retry-After says when to go on). Default 8.
	Attempts int
	// MaxThrottleWait bounds waiting on 429s: a Retry-After beyond it, or
	// 429s holding every batch back for longer, stop the write with a
	// *ThrottleError (see throttle.go). Default DefaultMaxThrottleWait.
	MaxThrottleWait time.Duration
	// Backoff is the first wait after a transient failure, doubling up to
	// MaxBackoff, with full jitter. Defaults 1s and 1m.
	Backoff, MaxBackoff time.Duration
	// Recycle, if set, takes a body back once its batch is done.
	Recycle func([]byte)
	// StopGrace is how long, once Write's ctx is cancelled (an interrupt),
	// the POSTs already in flight may go on to get their answers, in real
	// time: their outcomes are then recorded, not left for a resume to
	// guess. Default DefaultStopGrace; negative: cut them off at once.
	StopGrace time.Duration
	// Stability is how settling waits for the row count to hold still;
	// zero fields take DefaultStability's.
	Stability Stability
	// Uncounted, when not empty, says why the table's rows cannot be
	// counted: a POST whose answer is lost then stops the write with an
	// *UncountedError instead of being settled by counting.
	Uncounted string
	// Uncountable, if set, says why a count's error means the table's rows
	// cannot be counted at all (Power BI refuses executeQueries), or "":
	// settling then stops with an *UncountedError, as with Uncounted.
	Uncountable func(error) string
	// Fields names the settings the writer's errors advise (push again
	// with the mode set to replace, resume) in the face's terms; nil is
	// field.Plain.
	Fields field.Namer
}

// DefaultStopGrace is Config.StopGrace's default: long enough for a
// POST of 10,000 rows on a slow link, short enough that Ctrl-C feels like
// it works. A second Ctrl-C ends the process at once (main.go).
const DefaultStopGrace = 15 * time.Second

// Writer writes batches into a table.
type Writer struct {
	c Config

	gate sync.RWMutex // POSTs hold it shared; settling takes it whole, so nothing is in flight

	mu        sync.Mutex
	ackedRows int64
	posting   int                         // POSTs waiting for their answer
	active    map[int]bool                // dispatched and not finished
	ambiguous map[int]checkpoint.BatchRef // waiting to be settled
	settled   map[int]bool                // settled: true landed, false send again
	changed   chan struct{}               // closed and replaced when active shrinks
	rng       *rand.Rand
	// throttledSince is when the first 429 since the last batch landed
	// came; zero while batches land (the throttling budget, throttle.go).
	throttledSince time.Time
}

// New checks the config and fills in defaults.
func New(c Config) (*Writer, error) {
	if c.Table == nil || c.Classify == nil || c.Pacer == nil || c.Checkpoint == nil {
		return nil, errors.New("push writer: Table, Classify, Pacer and Checkpoint are required")
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	if c.Window < 1 {
		c.Window = 1
	}
	if c.Attempts < 1 {
		c.Attempts = 8
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = max(time.Minute, c.Backoff)
	}
	if c.StopGrace == 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.MaxThrottleWait <= 0 {
		c.MaxThrottleWait = DefaultMaxThrottleWait
	}
	c.Fields = field.Or(c.Fields)
	if c.Events == nil {
		c.Events = noEvents{}
	}
	c.Stability = c.Stability.withDefaults()
	w := &Writer{c: c, active: map[int]bool{}, ambiguous: map[int]checkpoint.BatchRef{}, settled: map[int]bool{},
		changed: make(chan struct{}), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	for _, rows := range c.Acked {
		w.ackedRows += int64(rows)
	}
	return w, nil
}

// AckedRows is the rows of every acknowledged batch, resumed ones included.
func (w *Writer) AckedRows() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ackedRows
}

// Write sends every batch of batches not yet acknowledged. It returns nil
// when all are acknowledged, ctx's error when interrupted, a *StopError or a
// *SettleError when it had to stop. When ctx is cancelled it sends nothing
// more, gives the POSTs in flight StopGrace to answer and records their
// outcomes; those still unanswered stay "sent" in the checkpoint, for the
// resume to settle.
func (w *Writer) Write(ctx context.Context, batches iter.Seq2[Batch, error]) error {
	// stop ends dispatching, waits and retries at the first failure or at an
	// interrupt (ctx). The POSTs themselves run under posts, which ctx does
	// not cancel: a POST cut off by the client may still be committed by the
	// server (it has the body; nothing tells it to give up), so cutting it
	// leaves an outcome that only a later row count can tell. Letting it
	// answer is better; only the grace's end (or the process's) cuts it.
	stop, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	posts, cut := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cut(nil)
	done := make(chan struct{})
	defer close(done)
	go w.graceOnInterrupt(ctx, done, cut)
	var wg sync.WaitGroup
	var srcErr error
	for b, err := range batches {
		if err != nil {
			srcErr = fmt.Errorf("read the input: %w", err)
			break
		}
		if w.c.Acked[b.Index] > 0 {
			w.recycle(b.Body)
			continue
		}
		if stop.Err() != nil || w.waitForWindow(stop, b.Index) != nil {
			break
		}
		// The batch's place in the pacer's line, taken here in batch order:
		// the goroutines may ask in any order, and a batch of the next hour's
		// block must not take the quota the end of this hour's was cut for.
		place := w.c.Pacer.Reserve()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.send(stop, posts, b, place); err != nil {
				cancel(err)
			}
			w.finish(b)
		}()
	}
	wg.Wait()
	if err := context.Cause(stop); err != nil {
		var ue *UncountedError
		if errors.As(err, &ue) {
			ue.Batches = w.unresolved() // also those whose answers were lost after the first
		}
		return err
	}
	return srcErr
}

// graceOnInterrupt waits for an interrupt (ctx), says what it waits for, and
// cuts the POSTs still in flight once StopGrace has passed — in real time,
// whatever the sandbox's time scale: it bounds how long a person waits.
func (w *Writer) graceOnInterrupt(ctx context.Context, done <-chan struct{}, cut context.CancelCauseFunc) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	grace := w.c.StopGrace
	if grace < 0 {
		cut(context.Cause(ctx))
		return
	}
	w.mu.Lock()
	n := w.posting
	w.mu.Unlock()
	if n > 0 {
		w.c.Events.Stopping(n, grace)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		cut(context.Cause(ctx))
	}
}

// waitForWindow holds batch i until fewer than Window batches are active and
// all of them are within Window consecutive indices of i.
func (w *Writer) waitForWindow(ctx context.Context, i int) error {
	for {
		if err := ctx.Err(); err != nil {
			return err // never dispatch once stopping, however free the window
		}
		w.mu.Lock()
		ok := len(w.active) < w.c.Window
		for a := range w.active {
			if i-a >= w.c.Window {
				ok = false
			}
		}
		if ok {
			w.active[i] = true
		}
		ch := w.changed
		w.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (w *Writer) finish(b Batch) {
	w.mu.Lock()
	delete(w.active, b.Index)
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	w.recycle(b.Body)
}

func (w *Writer) recycle(body []byte) {
	if w.c.Recycle != nil && body != nil {
		w.c.Recycle(body)
	}
}

// send writes one batch, retrying until it is acknowledged or hopeless.
// stop governs waiting; ctx governs the POST itself.
func (w *Writer) send(stop, ctx context.Context, b Batch, place pacer.Reservation) error {
	transient, throttled := 0, 0
	for attempt := 1; ; attempt++ {
		// A retry keeps the batch's place; the line forgets it whenever
		// AcquireReserved returns.
		pm, err := w.c.Pacer.AcquireReserved(stop, place, b.Rows)
		if err != nil {
			return err
		}
		outcome, f, err := w.post(stop, ctx, b, pm)
		switch outcome {
		case postAcked:
			return nil
		case postCancelled:
			return context.Cause(stop)
		case postFailed:
			return err
		}
		if stop.Err() != nil { // refused while stopping: recorded, not retried
			return context.Cause(stop)
		}
		// Refused, or settled as not landed: send again after a pause.
		var delay time.Duration
		switch f.Kind {
		case Throttled:
			// The pacer holds every sender until Retry-After passes. A 429
			// without one backs off like a transient failure.
			throttled++
			ra := f.RetryAfter
			if ra <= 0 {
				ra = w.backoff(throttled)
			}
			if te := w.overBudget(w.c.Clock.Now(), ra); te != nil {
				return &StopError{Batch: b.Index, Failure: f, Err: te, ResumeAfter: te.Until}
			}
			w.c.Pacer.Backoff(ra)
			f.RetryAfter = ra
		default:
			if transient++; transient >= w.c.Attempts {
				return &StopError{Batch: b.Index, Failure: f,
					//lint:ignore ST1005 a sentence for people that starts with a name
					Err: fmt.Errorf("Power BI kept failing after %d attempts: %w", transient, err)}
			}
			delay = w.backoff(transient)
		}
		w.retrying(b, attempt+1, delay, f, err)
		if delay > 0 {
			if err := clock.Sleep(stop, w.c.Clock, delay); err != nil {
				return context.Cause(stop)
			}
		}
	}
}

type postOutcome int

const (
	postAcked     postOutcome = iota
	postResend                // nothing landed: send again
	postFailed                // stop the push
	postCancelled             // the run is ending
)

// post makes one attempt and acts on its outcome: an ambiguous one is
// settled by counting, once the gate is released. The POST runs under ctx,
// which an interrupt cuts only after StopGrace.
func (w *Writer) post(stop, ctx context.Context, b Batch, pm *pacer.Permit) (postOutcome, Failure, error) {
	a := w.attempt(stop, ctx, b, pm)
	switch {
	case a.cancelled:
		return postCancelled, Failure{}, nil
	case !a.sent:
		return postFailed, Failure{}, &StopError{Batch: b.Index, Err: a.recordErr}
	}
	answered := 0
	if a.err == nil {
		answered = b.Rows
	}
	w.c.Events.Answered(answered)
	switch {
	case a.recordErr != nil:
		return postFailed, a.f, &StopError{Batch: b.Index, Err: a.recordErr}
	case a.err == nil:
		return postAcked, Failure{}, nil
	case a.f.Kind == Fatal:
		return postFailed, a.f, &StopError{Batch: b.Index, Failure: a.f, Err: a.err, Refused: true}
	case a.f.Kind != Ambiguous:
		return postResend, a.f, a.err
	}
	if stop.Err() != nil {
		return postCancelled, a.f, a.err // left "sent" for the resume to settle
	}
	if w.c.Uncounted != "" { // left "sent": the resume says what became of it
		return postFailed, a.f, &UncountedError{Why: w.c.Uncounted, Batches: []checkpoint.BatchRef{b.Ref()}, Fields: w.c.Fields}
	}
	landed, err := w.settle(stop, b.Index, noAnswer(b, a.err, w.c.Fields))
	switch {
	case err != nil:
		return postFailed, a.f, err
	case landed:
		w.c.Events.Settled(b.Rows)
		return postAcked, a.f, nil
	}
	return postResend, Failure{Kind: Transient, RequestID: a.f.RequestID}, a.err
}

// attempted is what became of one POST attempt.
type attempted struct {
	cancelled bool    // stopping: nothing was sent
	sent      bool    // the POST left (its "sent" record is durable)
	err       error   // the POST's error; nil: acknowledged
	f         Failure // err classified; Ambiguous when ctx cut the POST
	recordErr error   // recording the outcome in the checkpoint failed
}

// attempt sends one POST under the gate held shared (settling waits for it)
// and records its outcome in the pacer and the checkpoint. It releases the
// gate on every path by its defer: Events are told after, and settling
// runs after, never under the shared gate.
func (w *Writer) attempt(stop, ctx context.Context, b Batch, pm *pacer.Permit) (a attempted) {
	w.gate.RLock()
	defer w.gate.RUnlock()
	if stop.Err() != nil { // stopping: send nothing more
		pm.Done(pacer.Refused)
		return attempted{cancelled: true}
	}
	if err := w.c.Checkpoint.Sent(b.Ref()); err != nil {
		pm.Done(pacer.Refused)
		return attempted{recordErr: err}
	}
	a.sent = true
	w.c.Events.Sending()
	w.mu.Lock()
	w.posting++
	w.mu.Unlock()
	a.err = w.c.Table.PostRows(ctx, b.Body)
	w.mu.Lock()
	w.posting--
	w.mu.Unlock()
	if a.err == nil {
		pm.Done(pacer.Accepted)
		a.recordErr = w.ack(b)
		return a
	}
	a.f = Failure{Kind: Ambiguous}
	if ctx.Err() == nil {
		a.f = w.c.Classify(a.err)
	}
	if a.f.Kind == Ambiguous {
		pm.Done(pacer.Unknown)
		w.mu.Lock()
		w.ambiguous[b.Index] = b.Ref()
		w.mu.Unlock()
		return a
	}
	pm.Done(pacer.Refused)
	a.recordErr = w.c.Checkpoint.Void(b.Ref())
	return a
}

// noAnswer says, for the settling phase, what became of batch b's POST.
func noAnswer(b Batch, err error, n field.Namer) string {
	why := ""
	var te *stall.TimeoutError
	if errors.As(err, &te) {
		why = ": " + te.Phrase(n.Name)
	}
	return fmt.Sprintf("Batch %s got no answer%s; counting the table's rows to tell whether it landed",
		format.Thousands(int64(b.Index+1)), why)
}

func (w *Writer) ack(b Batch) error {
	if err := w.c.Checkpoint.Acked(b.Ref()); err != nil {
		return err
	}
	w.mu.Lock()
	w.ackedRows += int64(b.Rows)
	w.throttledSince = time.Time{} // progress: the throttling budget starts over
	w.mu.Unlock()
	return nil
}

// backoff is exponential with full jitter: uniform in [d/2, d] where d
// doubles from Backoff up to MaxBackoff.
func (w *Writer) backoff(n int) time.Duration {
	d := w.c.Backoff
	for i := 1; i < n && d < w.c.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.c.MaxBackoff)
	w.mu.Lock()
	j := w.rng.Int64N(int64(d/2) + 1)
	w.mu.Unlock()
	return d/2 + time.Duration(j)
}

func (w *Writer) retrying(b Batch, attempt int, delay time.Duration, f Failure, err error) {
	w.c.Events.Retrying(Retry{Batch: b.Index + 1, Attempt: attempt, Delay: max(delay, f.RetryAfter),
		Cause: causeText(f, err, w.c.Fields), RequestID: f.RequestID, Throttled: f.Kind == Throttled})
}
