package pacer

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/schema"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// small limits keep the tables readable: 3 pending, 4 POSTs/minute,
// 100 rows/hour, 2 POSTs/hour once the table holds 50 rows.
func smallLimits() schema.Limits {
	l := schema.DocumentedLimits()
	l.MaxPendingPosts, l.PostsPerMinute, l.RowsPerHour = 3, 4, 100
	l.PostsPerHourLarge, l.LargeTableRows, l.MaxRowsPerPost = 2, 50, 40
	return l
}

func newTestPacer(t *testing.T, c Config) (*Pacer, *clock.Fake) {
	t.Helper()
	clock := clock.NewFake(t0)
	if c.Limits.RowsPerHour == 0 {
		c.Limits = smallLimits()
	}
	c.Clock = clock
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p, clock
}

func TestPacerDecisions(t *testing.T) {
	mm, hm := time.Minute/1000, time.Hour/1000 // the margins
	type step struct {
		advance time.Duration
		rows    int
		outcome PostResult // applied right away; -1 keeps the request in flight
	}
	tests := []struct {
		name      string
		history   []Sent
		tableRows int64
		tableCap  int64
		steps     []step
		rows      int
		want      Reason
		wantUntil time.Duration // from t0 plus the steps' advances; 0 = until a request finishes
	}{
		{name: "free", rows: 10, want: ReasonNone},
		{name: "pending", steps: []step{{0, 1, -1}, {0, 1, -1}, {0, 1, -1}}, rows: 1, want: ReasonPending},
		{name: "posts per minute", steps: []step{{0, 1, Accepted}, {time.Second, 1, Accepted}, {0, 1, Accepted}, {0, 1, Accepted}},
			rows: 1, want: ReasonPostsPerMinute, wantUntil: time.Minute + mm},
		{name: "posts per minute counts refused requests",
			steps: []step{{0, 30, Refused}, {0, 30, Refused}, {0, 30, Refused}, {0, 30, Refused}},
			rows:  1, want: ReasonPostsPerMinute, wantUntil: time.Minute + mm},
		{name: "a minute later the window is free",
			steps: []step{{0, 1, Accepted}, {0, 1, Accepted}, {0, 1, Accepted}, {0, 1, Accepted}, {time.Minute + mm, 0, 0}},
			rows:  1, want: ReasonNone},
		{name: "rows per hour", steps: []step{{0, 40, Accepted}, {time.Minute, 40, Accepted}},
			rows: 30, tableCap: 10, want: ReasonRowsPerHour, wantUntil: time.Hour + hm},
		{name: "rows per hour frees the oldest enough", steps: []step{{0, 10, Accepted}, {time.Minute, 40, Accepted}, {time.Minute, 40, Accepted}},
			rows: 40, tableCap: 10, want: ReasonRowsPerHour, wantUntil: time.Hour + time.Minute + hm},
		{name: "refused rows do not count", steps: []step{{0, 40, Refused}, {0, 40, Refused}, {0, 40, Accepted}},
			rows: 40, tableCap: 10, want: ReasonNone},
		{name: "unknown outcome counts its rows", steps: []step{{0, 40, Unknown}, {0, 40, Accepted}},
			rows: 40, tableCap: 10, want: ReasonRowsPerHour, wantUntil: time.Hour + hm},
		{name: "rows in flight wait for their answer", steps: []step{{0, 40, -1}, {0, 40, -1}},
			rows: 40, tableCap: 10, want: ReasonRowsPerHour},
		{name: "large table posts per hour", tableRows: 50, steps: []step{{0, 1, Accepted}, {time.Minute, 1, Accepted}},
			rows: 1, want: ReasonPostsPerHourLarge, wantUntil: time.Hour + hm},
		{name: "small table has no hourly post limit", tableRows: 10, steps: []step{{0, 1, Accepted}, {time.Minute, 1, Accepted}},
			rows: 1, want: ReasonNone},
		{name: "table grows large with our own rows", tableRows: 20, steps: []step{{0, 30, Accepted}, {time.Minute, 1, Accepted}},
			rows: 1, want: ReasonPostsPerHourLarge, wantUntil: time.Hour + hm},
		{name: "a FIFO table never grows large", tableRows: 20, tableCap: 45,
			steps: []step{{0, 30, Accepted}, {time.Minute, 1, Accepted}}, rows: 1, want: ReasonNone},
		{name: "seeded history holds the hour", history: []Sent{{End: t0.Add(-30 * time.Minute), Rows: 80}},
			rows: 40, want: ReasonRowsPerHour, wantUntil: 30*time.Minute + hm},
		{name: "seeded history older than the hour is forgotten", history: []Sent{{End: t0.Add(-2 * time.Hour), Rows: 100}},
			rows: 40, want: ReasonNone},
		{name: "latest limit wins", tableRows: 60, history: []Sent{{End: t0.Add(-50 * time.Minute), Rows: 1}, {End: t0.Add(-10 * time.Minute), Rows: 90}},
			rows: 20, want: ReasonRowsPerHour, wantUntil: 50*time.Minute + hm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clock := newTestPacer(t, Config{History: tt.history, TableRows: tt.tableRows, TableCap: tt.tableCap})
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				if s.rows == 0 {
					continue
				}
				pm, w := p.TryAcquire(s.rows)
				if pm == nil {
					t.Fatalf("step %d: blocked by %s", i, w.Limit)
				}
				if s.outcome >= 0 {
					pm.Done(s.outcome)
				}
			}
			pm, w := p.TryAcquire(tt.rows)
			if tt.want == ReasonNone {
				if pm == nil {
					t.Fatalf("blocked by %s until %v, want free", w.Limit, w.Until)
				}
				return
			}
			if pm != nil {
				t.Fatalf("got a permit, want a wait for %s", tt.want.Describe(smallLimits()))
			}
			if w.Reason != tt.want {
				t.Errorf("reason %q, want %q", w.Reason.Key(), tt.want.Key())
			}
			var want time.Time
			if tt.wantUntil > 0 {
				want = t0.Add(tt.wantUntil)
			}
			if !w.Until.Equal(want) {
				t.Errorf("until %v, want %v", w.Until.Sub(t0), tt.wantUntil)
			}
		})
	}
}

func TestAcquireWaitsAndReports(t *testing.T) {
	var reported []Wait
	waits := make(chan Wait, 10)
	p, clock := newTestPacer(t, Config{OnWait: func(w Wait) { waits <- w }})
	for range 4 {
		pm, err := p.Acquire(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		pm.Done(Accepted)
	}
	got := make(chan *Permit)
	go func() {
		pm, err := p.Acquire(context.Background(), 1)
		if err != nil {
			t.Error(err)
		}
		got <- pm
	}()
	reported = append(reported, <-waits)
	clock.WaitForTimers(1)
	if w := reported[0]; w.Reason != ReasonPostsPerMinute || w.Limit != "4 POST rows requests per minute per dataset" {
		t.Fatalf("wait %+v", w)
	}
	clock.Advance(reported[0].Duration() - time.Nanosecond)
	select {
	case <-got:
		t.Fatal("permit before the window freed")
	default:
	}
	clock.Advance(time.Nanosecond)
	pm := <-got
	if len(pm.Waits) != 1 || pm.Waits[0].Duration() != time.Minute+time.Minute/1000 {
		t.Fatalf("permit waits %+v", pm.Waits)
	}
	pm.Done(Accepted)
}

func TestBackoffHoldsEveryone(t *testing.T) {
	waits := make(chan Wait, 10)
	p, clock := newTestPacer(t, Config{OnWait: func(w Wait) { waits <- w }})
	pm, _ := p.Acquire(context.Background(), 1)
	pm.Done(Refused)
	p.Backoff(30 * time.Second)
	p.Backoff(10 * time.Second) // a shorter one does not shorten the wait
	got := make(chan *Permit, 2)
	for range 2 {
		go func() {
			pm, err := p.Acquire(context.Background(), 1)
			if err != nil {
				t.Error(err)
			}
			got <- pm
		}()
	}
	for range 2 {
		if w := <-waits; w.Reason != ReasonRetryAfter || w.Duration() != 30*time.Second || w.Limit != "Retry-After from Power BI (429)" {
			t.Fatalf("wait %+v", w)
		}
	}
	clock.WaitForTimers(2)
	clock.Advance(30 * time.Second)
	(<-got).Done(Accepted)
	(<-got).Done(Accepted)
}

func TestAcquireWakesWhenSlotFrees(t *testing.T) {
	p, _ := newTestPacer(t, Config{})
	var held []*Permit
	for range 3 {
		pm, _ := p.Acquire(context.Background(), 1)
		held = append(held, pm)
	}
	got := make(chan *Permit)
	go func() {
		pm, _ := p.Acquire(context.Background(), 1)
		got <- pm
	}()
	held[0].Done(Accepted)
	held[0].Done(Accepted) // a second Done is ignored
	pm := <-got
	if p.InFlight() != 3 {
		t.Fatalf("in flight %d, want 3", p.InFlight())
	}
	pm.Done(Accepted)
}

func TestAcquireCancelled(t *testing.T) {
	p, _ := newTestPacer(t, Config{})
	p.Backoff(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := p.Acquire(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestAcquireRejectsImpossibleBatches(t *testing.T) {
	p, _ := newTestPacer(t, Config{})
	for _, rows := range []int{0, -1, 41, 101} {
		if _, err := p.Acquire(context.Background(), rows); !errors.Is(err, ErrBatchTooLarge) {
			t.Errorf("rows %d: err %v, want ErrBatchTooLarge", rows, err)
		}
	}
	if _, err := New(Config{}); err == nil {
		t.Error("zero limits accepted")
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	p, clock := newTestPacer(t, Config{TableCap: 10})
	for _, rows := range []int{30, 30, 30} {
		pm, _ := p.TryAcquire(rows)
		pm.Done(Accepted)
		clock.Advance(time.Minute)
	}
	inflight, _ := p.TryAcquire(5)
	h := p.History()
	if len(h) != 4 {
		t.Fatalf("history %+v", h)
	}
	// A new pacer seeded with it (a resumed run) meets the same hour.
	q, err := New(Config{Limits: smallLimits(), Clock: clock, History: h, TableCap: 10})
	if err != nil {
		t.Fatal(err)
	}
	if pm, w := q.TryAcquire(10); pm != nil || w.Reason != ReasonRowsPerHour {
		t.Fatalf("seeded pacer let 10 rows through over 95 of 100 (wait %+v)", w)
	}
	inflight.Done(Accepted)
}

func TestPacerMemoryIsBounded(t *testing.T) {
	l := smallLimits()
	l.RowsPerHour, l.PostsPerMinute, l.LargeTableRows = 1<<30, 1<<20, 1<<30
	p, clock := newTestPacer(t, Config{Limits: l})
	for range 100_000 {
		pm, w := p.TryAcquire(1)
		if pm == nil {
			t.Fatalf("blocked: %+v", w)
		}
		pm.Done(Accepted)
		clock.Advance(time.Second)
	}
	if n := len(p.done); n > 2*3600+200 {
		t.Fatalf("pacer keeps %d requests, want about one hour's worth", n)
	}
}

// Acquire serves its callers in order: a small batch that would fit does not
// overtake a larger one that came first and waits for the hour's quota (the
// writer asks in batch order; overtaking would push an hour's filler batch
// into the next window).
func TestPacerServesInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := smallLimits() // 100 rows per hour
		p, clock := newTestPacer(t, Config{Limits: l, History: []Sent{{End: t0.Add(-30 * time.Minute), Rows: 70}}})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		got := make(chan int, 2)
		acquire := func(rows int) {
			pm, err := p.Acquire(ctx, rows)
			if err != nil {
				got <- -1
				return
			}
			pm.Done(Accepted)
			got <- rows
		}
		go acquire(40) // waits: 70 + 40 > 100
		settled(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiting) == 1 })
		go acquire(20) // would fit (70 + 20), but the 40 came first
		settled(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiting) == 2 })
		if pm, w := p.TryAcquire(1); pm != nil || w.Reason != ReasonPending {
			t.Fatalf("TryAcquire went ahead of the waiting callers (%v)", w.Reason)
		}
		nothingFrom(t, got, "rows went before the hour's quota freed")
		clock.Advance(31 * time.Minute) // the 70 rows leave the window
		if first, second := <-got, <-got; first != 40 || second != 20 {
			t.Errorf("served %d then %d, want 40 then 20", first, second)
		}
		if len(p.waiting) != 0 {
			t.Errorf("%d callers left in line", len(p.waiting))
		}
	})
}

// A caller that gives up leaves the line, and the one behind it goes.
func TestPacerLineSurvivesCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := smallLimits()
		p, _ := newTestPacer(t, Config{Limits: l, History: []Sent{{End: t0.Add(-30 * time.Minute), Rows: 70}}})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := p.Acquire(ctx, 40); errc <- err }()
		settled(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiting) == 1 })
		done := make(chan struct{})
		go func() {
			if pm, err := p.Acquire(context.Background(), 20); err == nil {
				pm.Done(Accepted)
			}
			close(done)
		}()
		settled(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiting) == 2 })
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Acquire: %v", err)
		}
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("the 20-row batch stayed behind a caller that gave up")
		}
	})
}

// settled waits, inside a synctest bubble, until every goroutine of the
// test is blocked, then checks cond: no wall-clock bound that load can break.
func settled(t *testing.T, cond func() bool) {
	t.Helper()
	synctest.Wait()
	if !cond() {
		t.Fatal("condition not met once every goroutine was blocked")
	}
}

// nothingFrom fails if got holds a value once every goroutine is blocked:
// the caller it came from went ahead when it should still be waiting.
func nothingFrom[T any](t *testing.T, got <-chan T, what string) {
	t.Helper()
	synctest.Wait()
	select {
	case g := <-got:
		t.Fatalf("%v %s", g, what)
	default:
	}
}

// A reservation holds its place from Reserve on: a later reservation whose
// goroutine asks first still waits for it, and a cancelled one frees the line.
func TestPacerReservationsKeepBatchOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := smallLimits()
		l.PostsPerMinute = 100
		p, _ := newTestPacer(t, Config{Limits: l})
		ctx := context.Background()
		first, second, third := p.Reserve(), p.Reserve(), p.Reserve()
		got := make(chan string, 3)
		go func() {
			if pm, err := p.AcquireReserved(ctx, second, 10); err == nil {
				pm.Done(Accepted)
				got <- "second"
			}
		}()
		nothingFrom(t, got, "went before the first reservation asked")
		pm, err := p.AcquireReserved(ctx, first, 10)
		if err != nil {
			t.Fatal(err)
		}
		pm.Done(Accepted)
		if g := <-got; g != "second" {
			t.Fatalf("got %s", g)
		}
		// third is still in line: plain Acquire waits behind it until cancelled.
		go func() {
			if pm, err := p.Acquire(ctx, 10); err == nil {
				pm.Done(Accepted)
				got <- "plain"
			}
		}()
		nothingFrom(t, got, "went ahead of a reservation")
		third.Cancel()
		third.Cancel() // idempotent
		if g := <-got; g != "plain" {
			t.Fatalf("got %s", g)
		}
		// A retry with its reservation goes ahead of later ones.
		fourth, fifth := p.Reserve(), p.Reserve()
		go func() {
			if pm, err := p.AcquireReserved(ctx, fifth, 10); err == nil {
				pm.Done(Accepted)
				got <- "fifth"
			}
		}()
		settled(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiting) == 2 })
		p.rejoin(second.ticket) // second's POST was refused: it asks again
		if p.waiting[0] != second.ticket {
			t.Fatalf("line %v: the retry is not first", p.waiting)
		}
		if pm, err := p.AcquireReserved(ctx, second, 10); err != nil {
			t.Fatal(err)
		} else {
			pm.Done(Refused)
		}
		fourth.Cancel()
		if g := <-got; g != "fifth" {
			t.Fatalf("got %s", g)
		}
		if _, err := p.AcquireReserved(ctx, Reservation{}, 1_000); !errors.Is(err, ErrBatchTooLarge) {
			t.Errorf("too large through a zero reservation: %v", err)
		}
		if n := len(p.waiting); n != 0 {
			t.Errorf("%d places left in line", n)
		}
	})
}
