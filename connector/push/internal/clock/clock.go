// Package clock is the time the push engine reads: the system clock, or a
// Fake that moves only when a test says so.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the time the pacer, the writer and the progress tracker read.
// The push engine uses the system clock; tests use a Fake so that an hour of
// pacing runs in microseconds and every wait is deterministic.
type Clock interface {
	Now() time.Time
	// Timer fires once, d from now. stop releases it early.
	Timer(d time.Duration) (c <-chan time.Time, stop func())
}

// System is the real clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// Timer is a time.Timer.
func (System) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Fake is a Clock that moves only when a test says so.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	waiting chan struct{} // closed and replaced whenever a timer is added
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

// NewFake starts a fake clock at t.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t, waiting: make(chan struct{})}
}

// Now is the fake's current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Timer registers a timer that fires when Advance passes its deadline.
func (f *Fake) Timer(d time.Duration) (<-chan time.Time, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t.c, func() {}
	}
	f.timers = append(f.timers, t)
	close(f.waiting)
	f.waiting = make(chan struct{})
	return t.c, func() { f.remove(t) }
}

func (f *Fake) remove(t *fakeTimer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			return
		}
	}
}

// Advance moves the clock forward by d and fires every timer now due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	kept := f.timers[:0]
	for _, t := range f.timers {
		if t.at.After(f.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- f.now
	}
	f.timers = kept
}

// Timers is the number of timers not yet fired or stopped.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// NextDeadline is the time of the earliest pending timer (zero if none).
func (f *Fake) NextDeadline() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	for _, t := range f.timers {
		if next.IsZero() || t.at.Before(next) {
			next = t.at
		}
	}
	return next
}

// WaitForTimers blocks until at least n timers are pending, so a test can
// advance the clock only once the code under test is asleep on it.
func (f *Fake) WaitForTimers(n int) {
	for {
		f.mu.Lock()
		got, ch := len(f.timers), f.waiting
		f.mu.Unlock()
		if got >= n {
			return
		}
		<-ch
	}
}

// Sleep waits d on c, or until ctx is done (ctx's error).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	ch, stop := c.Timer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return nil
	}
}
