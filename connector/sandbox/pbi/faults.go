package pbi

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// faultConfig is the body of POST /_sandbox/faults; {} clears every fault.
type faultConfig struct {
	Latency             string  `json:"latency,omitempty"`             // added to every API response
	ErrorRate           float64 `json:"errorRate,omitempty"`           // fraction of API requests answered with Status
	Status              int     `json:"status,omitempty"`              // default 503
	DropAfterCommitRate float64 `json:"dropAfterCommitRate,omitempty"` // fraction of POST rows stored then cut off
	ThrottleFor         string  `json:"throttleFor,omitempty"`         // POST rows answer 429 for this long
	PutTableClearsRows  bool    `json:"putTableClearsRows,omitempty"`  // PUT table drops the table's rows
}

type faults struct {
	mu            sync.Mutex
	cfg           faultConfig
	latency       time.Duration
	throttleUntil time.Time
}

func (f *faults) set(c faultConfig) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = c
	f.latency, _ = time.ParseDuration(c.Latency)
	f.throttleUntil = time.Time{}
}

func (f *faults) currentLatency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.latency
}

func (f *faults) setThrottle(until time.Time) {
	f.mu.Lock()
	f.throttleUntil = until
	f.mu.Unlock()
}

// apply answers, at ErrorRate, the injected status instead of running the
// operation (so nothing is stored). The latency is the delayedWriter's.
func (f *faults) apply(c *call, rt route) bool {
	f.mu.Lock()
	rate, status := f.cfg.ErrorRate, f.cfg.Status
	f.mu.Unlock()
	if rate > 0 && rand.Float64() < rate {
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if c.ds != nil && strings.HasPrefix(rt.operationID, "Datasets_PostRows") {
			c.ds.count(func(k *counters) { k.PostRowsFailed++ })
		}
		codeError(c.w, status, http.StatusText(status), "Injected fault (sandbox errorRate): the request was not processed; retry it.")
		return false
	}
	return true
}

func (f *faults) throttleWait(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Before(f.throttleUntil) {
		return f.throttleUntil.Sub(now)
	}
	return 0
}

func (f *faults) putTableClearsRows() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg.PutTableClearsRows
}

func (f *faults) dropAfterCommit() bool {
	f.mu.Lock()
	rate := f.cfg.DropAfterCommitRate
	f.mu.Unlock()
	return rate > 0 && rand.Float64() < rate
}
