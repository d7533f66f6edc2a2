// Package simtime is the sandbox's notion of time: real time, with every quota
// window and Retry-After shortened by a time scale (--time-scale N makes an hour
// last 1/N of an hour), and an injectable clock for deterministic tests.
package simtime

import (
	"sync"
	"time"
)

// Clock reports the current time and scales emulated durations to real ones.
// The zero value is not usable; call New.
type Clock struct {
	scale float64

	mu  sync.Mutex
	now func() time.Time
}

// New returns a clock on real time with the given scale (values < 1 mean 1).
func New(scale float64) *Clock {
	if scale < 1 {
		scale = 1
	}
	return &Clock{scale: scale, now: time.Now}
}

// Scale is the time scale N: emulated durations last 1/N in real time.
func (c *Clock) Scale() float64 { return c.scale }

// Now is the current real time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

// Real converts an emulated duration (a documented window such as one hour)
// into the real duration it lasts under the time scale.
func (c *Clock) Real(emulated time.Duration) time.Duration {
	return time.Duration(float64(emulated) / c.scale)
}

// SetNow replaces the time source; for tests.
func (c *Clock) SetNow(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// Fake is a manually advanced time source for tests: clock.SetNow(fake.Now).
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake starts a fake time source at t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now returns the fake's current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// Advance moves the fake time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}
