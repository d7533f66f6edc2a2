package push

import (
	"container/heap"
	"time"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// MinimumDuration is the shortest time the limits allow for pushing totalRows
// in batches of batchRows into a table that holds tableRowsBefore rows, with
// requests that take no time: from the first send to the last. It is the
// yardstick of the benchmark (achieved / minimum) and the floor of the ETA.
// The sliding windows are the pacer's, without its safety margin; sending each
// batch as early as the windows allow is optimal for such windows, so this is
// the pacer's own schedule with zero latency.
func MinimumDuration(l schema.Limits, totalRows, batchRows, tableRowsBefore int) time.Duration {
	return EstimateDuration(l, totalRows, batchRows, int64(tableRowsBefore), 0)
}

// EstimateDuration is the time the pacer needs for the push when every request
// takes latency (5 in flight at most, as the limits say): the ETA of a push
// before it starts. It returns -1 when the limits are unusable or a batch can
// never go (batchRows above the hourly quota).
func EstimateDuration(l schema.Limits, totalRows, batchRows int, tableRowsBefore int64, latency time.Duration) time.Duration {
	if totalRows <= 0 {
		return 0
	}
	if checkLimits(l) != nil || batchRows < 1 || batchRows > l.RowsPerHour {
		return -1
	}
	start := time.Unix(0, 0).UTC()
	clock := NewFakeClock(start)
	p := newPacer(l, clock, false)
	p.tableRows = tableRowsBefore
	return simulate(p, clock, totalRows, batchRows, latency).Sub(start)
}

// simulate runs the pacer's schedule as discrete events on a fake clock and
// returns when the last request finishes.
func simulate(p *Pacer, clock *FakeClock, totalRows, batchRows int, latency time.Duration) time.Time {
	var flying completions
	for left := totalRows; left > 0 || len(flying) > 0; {
		now := clock.Now()
		for len(flying) > 0 && !flying[0].at.After(now) {
			heap.Pop(&flying).(completion).permit.Done(Accepted)
		}
		if left > 0 {
			rows := min(batchRows, left)
			if pm, w := p.TryAcquire(rows); pm != nil {
				left -= rows
				if latency <= 0 {
					pm.Done(Accepted)
				} else {
					heap.Push(&flying, completion{at: now.Add(latency), permit: pm})
				}
				continue
			} else if next := w.Until; !next.IsZero() && (len(flying) == 0 || next.Before(flying[0].at)) {
				clock.Advance(next.Sub(now))
				continue
			}
		}
		if len(flying) == 0 {
			break // cannot happen with valid limits: nothing in flight always frees a wait
		}
		clock.Advance(flying[0].at.Sub(now))
	}
	return clock.Now()
}

type completion struct {
	at     time.Time
	permit *Permit
}

type completions []completion

func (c completions) Len() int           { return len(c) }
func (c completions) Less(i, j int) bool { return c[i].at.Before(c[j].at) }
func (c completions) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *completions) Push(x any)        { *c = append(*c, x.(completion)) }
func (c *completions) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}

// EstimateRemaining is the time the pacer needs from now to push rows more in
// batches of batchRows, requests taking latency: the ETA during a push. It
// starts from the windows as they are (requests in flight end after latency)
// and honours a pending Retry-After.
func (p *Pacer) EstimateRemaining(rows int64, batchRows int, latency time.Duration) time.Duration {
	if rows <= 0 {
		return 0
	}
	if batchRows < 1 || batchRows > p.lim.RowsPerHour || int64(int(rows)) != rows {
		return -1
	}
	p.mu.Lock()
	now := p.clock.Now()
	p.prune(now)
	clock := NewFakeClock(now)
	sim := newPacer(p.lim, clock, p.margined)
	sim.done = append(sim.done, p.done[p.head:]...)
	sim.hourRows, sim.tableRows, sim.tableCap, sim.blockedUntil = p.hourRows, p.tableRows, p.tableCap, p.blockedUntil
	// Requests in flight end after latency, as if they had just been sent.
	for range p.inflight {
		sim.record(Sent{End: now.Add(latency), Rows: p.inflightRows / max(p.inflight, 1)})
	}
	p.mu.Unlock()
	return simulate(sim, clock, int(rows), batchRows, latency).Sub(now)
}
