package push

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/internal/stall"
	"github.com/pbiwb/pbiwb/format"
)

// The writer is the sending half of push.Run: it takes the input's batches
// in order and writes each exactly once — paced, at most MaxPendingPosts in
// flight, every send and acknowledgement in the checkpoint, retries with
// backoff and jitter, Retry-After honoured, ambiguous outcomes settled by
// counting the table's rows. It knows Power BI only through Table and
// Classifier, so it is tested without a network.

// Batch is one POST rows body: rows [FirstRow, FirstRow+Rows) of the input.
type Batch struct {
	Index    int
	FirstRow int64
	Rows     int
	Body     []byte
}

// Ref is the batch as the checkpoint records it.
func (b Batch) Ref() BatchRef { return BatchRef{Index: b.Index, FirstRow: b.FirstRow, Rows: b.Rows} }

// Table is the target table (a powerbi.Client bound to group, dataset, table).
type Table interface {
	PostRows(ctx context.Context, body []byte) error
	CountRows(ctx context.Context) (int64, error)
}

// FailureKind is what a failed request means for the writer.
type FailureKind int

const (
	// Fatal: Power BI refused for good (no access, not a push dataset, bad
	// request): stop.
	Fatal FailureKind = iota
	// Throttled: a 429; nothing was stored; wait RetryAfter, send again.
	Throttled
	// Transient: a 5xx answer or a request that never left; nothing was
	// stored (as connector/powerbi documents); send again after a backoff.
	Transient
	// Ambiguous: the request was sent but no answer came; settle by counting.
	Ambiguous
)

// Failure is a classified error.
type Failure struct {
	Kind       FailureKind
	RetryAfter time.Duration // Throttled
	Status     int
	Code       string
	RequestID  string
}

// Classifier classifies the errors of Table's methods.
type Classifier func(error) Failure

// WriterConfig sets up a Writer.
type WriterConfig struct {
	Table      Table
	Classify   Classifier
	Pacer      *Pacer
	Checkpoint *Checkpoint
	Tracker    *Tracker // nil: no events
	Clock      Clock    // for backoff sleeps; nil: the system clock
	// Window is how many consecutive batches may be unresolved at once: the
	// limits' MaxPendingPosts, which DistinctBatchRows is sized for.
	Window int
	// Acked are the batches already written (from the checkpoint), skipped.
	Acked map[int]int
	// CountBefore is the checkpoint's; with Acked it is what settling expects.
	CountBefore int64
	TableCap    int64
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
}

// DefaultStopGrace is WriterConfig.StopGrace's default: long enough for a
// POST of 10,000 rows on a slow link, short enough that Ctrl-C feels like
// it works. A second Ctrl-C ends the process at once (main.go).
const DefaultStopGrace = 15 * time.Second

// StopError ends a write part-way; the checkpoint keeps what was written.
type StopError struct {
	Batch   int // 0-based index of the batch that failed; -1 when not about one batch
	Failure Failure
	Err     error
	Refused bool // Power BI refused (Fatal), rather than failing again and again
	// ResumeAfter is when it makes sense to try again (a *ThrottleError's
	// Until); zero when that is not known.
	ResumeAfter time.Time
}

func (e *StopError) Error() string {
	if e.Batch < 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("batch %d: %v", e.Batch+1, e.Err)
}

func (e *StopError) Unwrap() error { return e.Err }

// Writer writes batches into a table.
type Writer struct {
	c WriterConfig

	gate sync.RWMutex // POSTs hold it shared; settling takes it whole, so nothing is in flight

	mu        sync.Mutex
	ackedRows int64
	posting   int              // POSTs waiting for their answer
	active    map[int]bool     // dispatched and not finished
	ambiguous map[int]BatchRef // waiting to be settled
	settled   map[int]bool     // settled: true landed, false send again
	changed   chan struct{}    // closed and replaced when active shrinks
	rng       *rand.Rand
	// throttledSince is when the first 429 since the last batch landed
	// came; zero while batches land (the throttling budget, throttle.go).
	throttledSince time.Time
}

// NewWriter checks the config and fills in defaults.
func NewWriter(c WriterConfig) (*Writer, error) {
	if c.Table == nil || c.Classify == nil || c.Pacer == nil || c.Checkpoint == nil {
		return nil, errors.New("push writer: Table, Classify, Pacer and Checkpoint are required")
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
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
	c.Stability = c.Stability.withDefaults()
	w := &Writer{c: c, active: map[int]bool{}, ambiguous: map[int]BatchRef{}, settled: map[int]bool{},
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
		w.tracker(func(t *Tracker) {
			t.Phase(PhaseWriting, fmt.Sprintf("Stopping: waiting for %s in flight (up to %s; Ctrl-C again to quit now — --resume settles them)",
				plural(n, "batch", "batches"), grace))
		})
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
func (w *Writer) send(stop, ctx context.Context, b Batch, place Reservation) error {
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
			if err := sleep(stop, w.c.Clock, delay); err != nil {
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

// post makes one attempt under the gate and records its outcome. The POST
// runs under ctx, which an interrupt cuts only after StopGrace.
func (w *Writer) post(stop, ctx context.Context, b Batch, pm *Permit) (postOutcome, Failure, error) {
	w.gate.RLock()
	if stop.Err() != nil { // stopping: send nothing more
		w.gate.RUnlock()
		pm.Done(Refused)
		return postCancelled, Failure{}, nil
	}
	if err := w.c.Checkpoint.Sent(b.Ref()); err != nil {
		w.gate.RUnlock()
		pm.Done(Refused)
		return postFailed, Failure{}, &StopError{Batch: b.Index, Err: err}
	}
	w.tracker(func(t *Tracker) { t.Sending() })
	w.mu.Lock()
	w.posting++
	w.mu.Unlock()
	err := w.c.Table.PostRows(ctx, b.Body)
	w.mu.Lock()
	w.posting--
	w.mu.Unlock()
	if err == nil {
		pm.Done(Accepted)
		ackErr := w.ack(b)
		w.gate.RUnlock()
		w.tracker(func(t *Tracker) { t.Answered(b.Rows) })
		if ackErr != nil {
			return postFailed, Failure{}, &StopError{Batch: b.Index, Err: ackErr}
		}
		return postAcked, Failure{}, nil
	}
	f := Failure{Kind: Ambiguous}
	if ctx.Err() == nil {
		f = w.c.Classify(err)
	}
	switch f.Kind {
	case Ambiguous:
		pm.Done(Unknown)
		w.mu.Lock()
		w.ambiguous[b.Index] = b.Ref()
		w.mu.Unlock()
		w.gate.RUnlock()
		w.tracker(func(t *Tracker) { t.Answered(0) })
		if stop.Err() != nil {
			return postCancelled, f, err // left "sent" for the resume to settle
		}
		landed, serr := w.settle(stop, b.Index, noAnswer(b, err))
		switch {
		case serr != nil:
			return postFailed, f, serr
		case landed:
			w.tracker(func(t *Tracker) { t.Settled(b.Rows) })
			return postAcked, f, nil
		}
		return postResend, Failure{Kind: Transient, RequestID: f.RequestID}, err
	case Fatal:
		pm.Done(Refused)
		verr := w.c.Checkpoint.Void(b.Ref())
		w.gate.RUnlock()
		w.tracker(func(t *Tracker) { t.Answered(0) })
		if verr != nil {
			return postFailed, f, &StopError{Batch: b.Index, Err: verr}
		}
		return postFailed, f, &StopError{Batch: b.Index, Failure: f, Err: err, Refused: true}
	}
	pm.Done(Refused)
	verr := w.c.Checkpoint.Void(b.Ref())
	w.gate.RUnlock()
	w.tracker(func(t *Tracker) { t.Answered(0) })
	if verr != nil {
		return postFailed, f, &StopError{Batch: b.Index, Err: verr}
	}
	return postResend, f, err
}

// noAnswer says, for the settling phase, what became of batch b's POST.
func noAnswer(b Batch, err error) string {
	why := ""
	var te *stall.TimeoutError
	if errors.As(err, &te) {
		why = ": " + te.Error()
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

// settle waits until nothing is in flight, counts the table's rows and
// decides every ambiguous batch at once; it returns whether batch i landed.
// why tells people what happened to batch i.
func (w *Writer) settle(ctx context.Context, i int, why string) (bool, error) {
	w.gate.Lock()
	defer w.gate.Unlock()
	w.mu.Lock()
	if landed, ok := w.settled[i]; ok { // another sender settled it meanwhile
		delete(w.settled, i)
		w.mu.Unlock()
		return landed, nil
	}
	var cands []Candidate
	for _, r := range w.ambiguous {
		cands = append(cands, Candidate{Index: r.Index, Rows: r.Rows})
	}
	sort.Slice(cands, func(a, b int) bool { return cands[a].Index < cands[b].Index })
	acked := w.ackedRows
	w.mu.Unlock()

	w.tracker(func(t *Tracker) { t.Phase(PhaseSettling, why) })
	defer w.tracker(func(t *Tracker) { t.Phase(PhaseWriting, "") })
	counted, err := w.c.Stability.Count(ctx, w.countRows)
	if err != nil {
		return false, err
	}
	s, err := Settle(SettleInput{CountBefore: w.c.CountBefore, AckedRows: acked, Counted: counted,
		Candidates: cands, TableCap: w.c.TableCap})
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, idx := range s.Landed {
		ref := w.ambiguous[idx]
		if err := w.c.Checkpoint.Acked(ref); err != nil {
			return false, &StopError{Batch: idx, Err: err}
		}
		w.ackedRows += int64(ref.Rows)
		w.throttledSince = time.Time{}
		w.settled[idx] = true
		delete(w.ambiguous, idx)
	}
	for _, idx := range s.Resend {
		if err := w.c.Checkpoint.Void(w.ambiguous[idx]); err != nil {
			return false, &StopError{Batch: idx, Err: err}
		}
		w.settled[idx] = false
		delete(w.ambiguous, idx)
	}
	landed := w.settled[i]
	delete(w.settled, i)
	return landed, nil
}

// countRows asks for the row count, retrying what is worth retrying.
func (w *Writer) countRows(ctx context.Context) (int64, error) {
	for attempt := 1; ; attempt++ {
		n, err := w.c.Table.CountRows(ctx)
		if err == nil {
			return n, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		f := w.c.Classify(err)
		if f.Kind == Fatal || attempt >= w.c.Attempts {
			return 0, &StopError{Batch: -1, Failure: f, Refused: f.Kind == Fatal,
				Err: fmt.Errorf("count the table's rows to settle a batch with an unknown outcome: %w", err)}
		}
		delay := w.backoff(attempt)
		if f.Kind == Throttled && f.RetryAfter > delay {
			delay = f.RetryAfter
			if te := w.overBudget(w.c.Clock.Now(), delay); te != nil {
				return 0, &StopError{Batch: -1, Failure: f, Err: te, ResumeAfter: te.Until}
			}
		}
		if err := sleep(ctx, w.c.Clock, delay); err != nil {
			return 0, err
		}
	}
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
	w.tracker(func(t *Tracker) {
		t.Retrying(RetryInfo{Batch: b.Index + 1, Attempt: attempt, DelaySeconds: seconds(max(delay, f.RetryAfter)),
			Cause: causeText(f, err), RequestID: f.RequestID}, f.Kind == Throttled)
	})
}

func causeText(f Failure, err error) string {
	var te *stall.TimeoutError
	switch {
	case f.Kind == Throttled:
		return "HTTP 429 Too Many Requests"
	case f.Status > 0:
		return fmt.Sprintf("HTTP %d %s", f.Status, f.Code)
	case errors.As(err, &te): // the whole error is the request's URL and this
		return "no answer: " + te.Error()
	case err != nil:
		return err.Error()
	}
	return "no answer; the table's row count showed the batch did not land"
}

func (w *Writer) tracker(f func(*Tracker)) {
	if w.c.Tracker != nil {
		f(w.c.Tracker)
	}
}

func sleep(ctx context.Context, c Clock, d time.Duration) error {
	ch, stop := c.Timer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return nil
	}
}
