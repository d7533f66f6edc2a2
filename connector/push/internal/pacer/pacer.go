// Package pacer decides when the next POST rows request of a dataset may
// go: every documented push limit as sliding windows, plus the server's
// Retry-After (docs/limits.md). It also computes, from the same windows, the
// fastest push the limits allow and the ETA (estimate.go).
package pacer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// The pacer keeps every documented push limit of one dataset at once, as
// sliding windows, so that a push that is the only writer never meets a 429:
//
//   - at most MaxPendingPosts POST rows requests in flight;
//   - at most PostsPerMinute POSTs in any Minute() window;
//   - at most RowsPerHour rows added in any Hour() window;
//   - at most PostsPerHourLarge POSTs in any Hour() window once the table
//     holds LargeTableRows rows or more.
//
// How a request is placed in a window, conservatively: the service stamps a
// request somewhere between the moment we start sending it and the moment its
// answer arrives. A request therefore occupies a window from its start until
// its answer's arrival (End) plus the window's length; a request in flight
// occupies every window. A new request sent at t ≥ End+W cannot share a window
// with the old one whatever the network delays were.
//
// What a refused request counts (UNCONFIRMED whether Power BI counts requests
// it throttled or rejected): we count it as a POST in the request windows
// (per minute, per hour) but add none of its rows. A request whose outcome is
// unknown (sent, no answer) counts its rows, as if they landed.
//
// A 429's Retry-After wins over everything: Backoff holds every Acquire until
// it has passed, with the reason ReasonRetryAfter.

// Sent is one POST rows request as the windows remember it: when its answer
// came (or when it was given up) and the rows it may have added.
type Sent struct {
	End  time.Time `json:"end"`
	Rows int       `json:"rows"`
}

// PostResult is what became of a POST, for the windows (not a run's
// outcome.Outcome).
type PostResult int

const (
	// Accepted: the service answered 200; the rows were added.
	Accepted PostResult = iota
	// Refused: the service answered with an error (429, 4xx, 5xx); no rows were added.
	Refused
	// Unknown: the body was sent but no answer came; the rows may have been added.
	Unknown
)

// Wait is one pause the pacer imposed before a send.
type Wait struct {
	Reason Reason
	Limit  string    // Reason.Describe of the limits in force
	Start  time.Time // when the wait began
	Until  time.Time // when it is expected to end; zero when it ends as a request in flight finishes
	End    time.Time // when it ended (zero in the OnWait report, which comes at the start)
}

// Duration is how long the wait lasted (or, before it ended, is expected to last).
func (w Wait) Duration() time.Duration {
	switch {
	case !w.End.IsZero():
		return w.End.Sub(w.Start)
	case !w.Until.IsZero():
		return w.Until.Sub(w.Start)
	}
	return 0
}

// Config sets up a Pacer for one dataset.
type Config struct {
	Limits schema.Limits
	Clock  clock.Clock // nil: the system clock
	// TableRows is how many rows the table holds before the first send.
	TableRows int64
	// TableCap bounds the rows a basicFIFO table holds (the oldest are evicted);
	// 0 for a table without retention. We read "if table has 250,000 or more
	// rows" literally as rows held (UNCONFIRMED), so a FIFO table whose cap is
	// below LargeTableRows never meets the per-hour POST limit.
	TableCap int64
	// History is what the dataset received recently (from a checkpoint or an
	// earlier run), so that a resumed run does not blast through the hour's quota.
	History []Sent
	// OnWait is told of each wait as it begins (called without locks held).
	OnWait func(Wait)
}

// Pacer decides when the next POST rows request of a dataset may go.
// Its memory is bounded by the requests of the last Hour() window.
type Pacer struct {
	lim    schema.Limits
	clock  clock.Clock
	onWait func(Wait)

	// The windows' spans: Minute() and Hour(), each stretched by a safety
	// margin of a thousandth (60ms and 3.6s on the real service) against
	// rounding and clock granularity; the estimates use no margin.
	minute, hour time.Duration
	margined     bool

	mu           sync.Mutex
	done         []Sent // finished requests in End order; done[head:] is within the hour window
	head         int
	hourRows     int // rows of done[head:]
	inflight     int
	inflightRows int
	tableRows    int64
	tableCap     int64
	blockedUntil time.Time
	changed      chan struct{} // closed and replaced on every change that may let a waiter go
	// Acquire serves its callers in the order they came (tickets): the
	// writer calls it in batch order, and a later batch overtaking an
	// earlier one at an hour's boundary (a 10,000-row batch of the next hour
	// taking the quota the hour's short filler was cut for) would push the
	// filler, and every hour after, one window late.
	ticket  uint64
	waiting []uint64 // tickets of the Acquire calls waiting, in order
}

// New returns a pacer for the limits. The limits must be positive.
func New(c Config) (*Pacer, error) {
	if err := checkLimits(c.Limits); err != nil {
		return nil, err
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	p := newPacer(c.Limits, c.Clock, true)
	p.onWait = c.OnWait
	p.tableRows, p.tableCap = c.TableRows, c.TableCap
	hist := append([]Sent(nil), c.History...)
	sort.SliceStable(hist, func(i, j int) bool { return hist[i].End.Before(hist[j].End) })
	for _, s := range hist {
		p.record(s)
	}
	p.prune(p.clock.Now())
	return p, nil
}

// newPacer is also the engine of the estimates, which want no safety margin.
func newPacer(l schema.Limits, c clock.Clock, margined bool) *Pacer {
	p := &Pacer{lim: l, clock: c, minute: l.Minute(), hour: l.Hour(), margined: margined, changed: make(chan struct{})}
	if margined {
		p.minute += p.minute / 1000
		p.hour += p.hour / 1000
	}
	return p
}

func checkLimits(l schema.Limits) error {
	if l.MaxPendingPosts < 1 || l.PostsPerMinute < 1 || l.RowsPerHour < 1 || l.PostsPerHourLarge < 1 {
		return fmt.Errorf("push limits must be positive (pending %d, posts/minute %d, rows/hour %d, posts/hour %d)",
			l.MaxPendingPosts, l.PostsPerMinute, l.RowsPerHour, l.PostsPerHourLarge)
	}
	return nil
}

// Permit is the right to send one POST rows request. Call Done exactly once
// when the request is over (later calls are ignored).
type Permit struct {
	p     *Pacer
	rows  int
	once  sync.Once
	Waits []Wait // the waits this permit took, in order
}

// Rows is the number of rows the permit was acquired for.
func (pm *Permit) Rows() int { return pm.rows }

// Done releases the in-flight slot and records the request in the windows.
func (pm *Permit) Done(o PostResult) {
	pm.once.Do(func() { pm.p.finish(pm.rows, o) })
}

// ErrBatchTooLarge: a batch the limits can never let through.
var ErrBatchTooLarge = errors.New("batch larger than the limits allow")

// Acquire blocks until a POST of rows may be sent, and takes an in-flight
// slot. Callers are served in the order they called. It reports every wait
// through OnWait as it begins. It returns early with ctx's error.
func (p *Pacer) Acquire(ctx context.Context, rows int) (*Permit, error) {
	return p.acquire(ctx, p.enqueue(), rows)
}

// Reservation is a place in the pacer's line, taken before the POST is
// ready to ask for its permit.
type Reservation struct {
	p      *Pacer
	ticket uint64
}

// Reserve takes a place in line now for a permit asked later with
// AcquireReserved. A writer that dispatches batches in order to goroutines
// reserves as it dispatches, so the batches get their permits in batch order
// whatever the goroutines' timing: a batch of the next hour's block must not
// take the quota the end of this hour's block was cut for. Cancel a
// reservation that will not be used, or the line stops behind it.
func (p *Pacer) Reserve() Reservation {
	return Reservation{p: p, ticket: p.enqueue()}
}

// Cancel gives the place up (a no-op once AcquireReserved has returned).
func (r Reservation) Cancel() {
	if r.p != nil {
		r.p.dequeue(r.ticket)
	}
}

// AcquireReserved is Acquire in the place r holds; it leaves the line when
// it returns, with or without a permit. Asking again with the same
// reservation (a retry of a refused POST) takes the place back: ahead of
// every reservation made after it.
func (p *Pacer) AcquireReserved(ctx context.Context, r Reservation, rows int) (*Permit, error) {
	if r.p != p || r.ticket == 0 {
		return p.Acquire(ctx, rows)
	}
	p.rejoin(r.ticket)
	return p.acquire(ctx, r.ticket, rows)
}

func (p *Pacer) acquire(ctx context.Context, ticket uint64, rows int) (*Permit, error) {
	defer p.dequeue(ticket)
	if rows < 1 || rows > p.lim.RowsPerHour || (p.lim.MaxRowsPerPost > 0 && rows > p.lim.MaxRowsPerPost) {
		return nil, fmt.Errorf("%w: %d rows (at most %d per POST and %d per hour)",
			ErrBatchTooLarge, rows, p.lim.MaxRowsPerPost, p.lim.RowsPerHour)
	}
	var waits []Wait
	for {
		if err := ctx.Err(); err != nil {
			return nil, err // a stopping run gets no permit, even one free now
		}
		pm, w, changed := p.try(rows, ticket)
		if pm != nil {
			if n := len(waits); n > 0 {
				waits[n-1].End = p.clock.Now()
			}
			pm.Waits = waits
			return pm, nil
		}
		if n := len(waits); n == 0 || waits[n-1].Reason != w.Reason || !waits[n-1].Until.Equal(w.Until) {
			if n > 0 {
				waits[n-1].End = w.Start
			}
			waits = append(waits, w)
			if p.onWait != nil {
				p.onWait(w)
			}
		}
		var timer <-chan time.Time
		stop := func() {}
		if !w.Until.IsZero() {
			timer, stop = p.clock.Timer(w.Until.Sub(w.Start))
		}
		select {
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		case <-changed:
		case <-timer:
		}
		stop()
	}
}

// TryAcquire takes a permit if a POST of rows may go now; otherwise it says
// what the send waits for (Until zero: until a request in flight finishes).
// Unlike Acquire it does not check rows against the limits: a batch over the
// hourly quota would wait forever. It comes after every Acquire waiting.
func (p *Pacer) TryAcquire(rows int) (*Permit, Wait) {
	pm, w, _ := p.try(rows, 0)
	return pm, w
}

// enqueue gives an Acquire call its place in line.
func (p *Pacer) enqueue() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ticket++
	p.waiting = append(p.waiting, p.ticket)
	return p.ticket
}

// rejoin puts ticket back in line, in ticket order, unless it is there.
func (p *Pacer) rejoin(ticket uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.waiting), func(i int) bool { return p.waiting[i] >= ticket })
	if i < len(p.waiting) && p.waiting[i] == ticket {
		return
	}
	p.waiting = append(p.waiting, 0)
	copy(p.waiting[i+1:], p.waiting[i:])
	p.waiting[i] = ticket
}

// dequeue takes an Acquire call out of line (permit taken or given up) and
// wakes the one behind it.
func (p *Pacer) dequeue(ticket uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, t := range p.waiting {
		if t == ticket {
			p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
			p.broadcast()
			return
		}
	}
}

// try takes a permit for the caller holding ticket (0: TryAcquire, after
// every waiting Acquire) if it is first in line and the limits allow.
func (p *Pacer) try(rows int, ticket uint64) (*Permit, Wait, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	reason, until := p.check(now, rows)
	if reason == ReasonNone && len(p.waiting) > 0 && p.waiting[0] != ticket {
		// Free for these rows, but an earlier caller waits: behind it, as
		// for a request in flight (woken when it goes).
		reason, until = ReasonPending, time.Time{}
	}
	if reason == ReasonNone {
		p.inflight++
		p.inflightRows += rows
		p.tableRows += int64(rows)
		return &Permit{p: p, rows: rows}, Wait{}, nil
	}
	return nil, Wait{Reason: reason, Limit: reason.Describe(p.lim), Start: now, Until: until}, p.changed
}

// Backoff makes the service's Retry-After hold every sender until it passes.
func (p *Pacer) Backoff(retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.clock.Now().Add(retryAfter); until.After(p.blockedUntil) {
		p.blockedUntil = until
		p.broadcast()
	}
}

// History is what the windows hold now, for a checkpoint: finished requests of
// the last hour window, and requests in flight as if they ended now.
func (p *Pacer) History() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	p.prune(now)
	out := append([]Sent(nil), p.done[p.head:]...)
	if p.inflight > 0 {
		// One entry per request would need the rows of each; the windows only
		// care about the count and the total, so spread the rows over them.
		per, extra := p.inflightRows/p.inflight, p.inflightRows%p.inflight
		for i := 0; i < p.inflight; i++ {
			r := per
			if i < extra {
				r++
			}
			out = append(out, Sent{End: now, Rows: r})
		}
	}
	return out
}

// TableRows is how many rows the pacer believes the table holds (sent rows
// included, capped for a FIFO table).
func (p *Pacer) TableRows() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held()
}

// InFlight is the number of requests holding a permit.
func (p *Pacer) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight
}

func (p *Pacer) finish(rows int, o PostResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	p.inflightRows -= rows
	if o == Refused {
		p.tableRows -= int64(rows)
		rows = 0
	}
	now := p.clock.Now()
	if n := len(p.done); n > p.head && now.Before(p.done[n-1].End) {
		now = p.done[n-1].End // a clock that stepped back must not unsort the queue
	}
	p.record(Sent{End: now, Rows: rows})
	p.broadcast()
}

func (p *Pacer) record(s Sent) {
	p.done = append(p.done, s)
	p.hourRows += s.Rows
}

func (p *Pacer) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Pacer) held() int64 {
	if p.tableCap > 0 && p.tableRows > p.tableCap {
		return p.tableCap
	}
	return p.tableRows
}

// prune forgets requests that have left the longest window, compacting the
// queue now and then so memory stays bounded by one window.
func (p *Pacer) prune(now time.Time) {
	for p.head < len(p.done) && !now.Before(p.expiry(p.done[p.head], p.hour)) {
		p.hourRows -= p.done[p.head].Rows
		p.head++
	}
	if p.head > 64 && p.head*2 > len(p.done) {
		p.done = append(p.done[:0], p.done[p.head:]...)
		p.head = 0
	}
}

func (p *Pacer) expiry(s Sent, span time.Duration) time.Time {
	return s.End.Add(span)
}

// check says whether a POST of rows may go at now, and if not, the binding
// limit and when it frees (zero: when a request in flight finishes).
func (p *Pacer) check(now time.Time, rows int) (Reason, time.Time) {
	p.prune(now)
	if now.Before(p.blockedUntil) {
		return ReasonRetryAfter, p.blockedUntil
	}
	if p.inflight >= p.lim.MaxPendingPosts {
		return ReasonPending, time.Time{}
	}
	reason, until := ReasonNone, now
	// The reported reason is the limit that frees last; a limit that frees only
	// when a request in flight finishes yields to one with a known time (either
	// wakes the waiter, which then checks again).
	later := func(r Reason, t time.Time) {
		if reason == ReasonNone || (!t.IsZero() && (until.IsZero() || t.After(until))) {
			reason, until = r, t
		}
	}
	done := p.done[p.head:]

	// POSTs per minute: requests whose window still covers now.
	recent := done[sort.Search(len(done), func(i int) bool { return now.Before(p.expiry(done[i], p.minute)) }):]
	if t, ok := p.countFree(now, recent, p.minute, p.lim.PostsPerMinute); !ok {
		later(ReasonPostsPerMinute, t)
	}
	// Rows per hour.
	if excess := p.hourRows + p.inflightRows + rows - p.lim.RowsPerHour; excess > 0 {
		t := time.Time{}
		for _, s := range done {
			if excess -= s.Rows; excess <= 0 {
				t = p.expiry(s, p.hour)
				break
			}
		}
		later(ReasonRowsPerHour, t)
	}
	// POSTs per hour once the table is large.
	if p.held() >= int64(p.lim.LargeTableRows) {
		if t, ok := p.countFree(now, done, p.hour, p.lim.PostsPerHourLarge); !ok {
			later(ReasonPostsPerHourLarge, t)
		}
	}
	return reason, until
}

// countFree checks a request-count window: ok when one more request fits,
// else the time the oldest blocking request leaves it (zero if requests in
// flight must finish first).
func (p *Pacer) countFree(now time.Time, inWindow []Sent, window time.Duration, limit int) (time.Time, bool) {
	over := len(inWindow) + p.inflight + 1 - limit
	if over <= 0 {
		return time.Time{}, true
	}
	if over > len(inWindow) {
		return time.Time{}, false
	}
	return p.expiry(inWindow[over-1], window), false
}
