package pacer

import (
	"container/heap"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
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

// MinimumDurationOf is MinimumDuration for batches sized by rows (the
// engine's HourlyBatchRows), rather than all of one size.
func MinimumDurationOf(l schema.Limits, totalRows int, rows func(index, firstRow int) int, tableRowsBefore int) time.Duration {
	return EstimateDurationOf(l, totalRows, rows, int64(tableRowsBefore), 0)
}

// EstimateDuration is the time the pacer needs for the push when every request
// takes latency (5 in flight at most, as the limits say): the ETA of a push
// before it starts. It returns -1 when the limits are unusable or a batch can
// never go (batchRows above the hourly quota).
func EstimateDuration(l schema.Limits, totalRows, batchRows int, tableRowsBefore int64, latency time.Duration) time.Duration {
	if totalRows > 0 && (batchRows < 1 || batchRows > l.RowsPerHour) {
		return -1
	}
	return EstimateDurationOf(l, totalRows, uniform(batchRows), tableRowsBefore, latency)
}

// EstimateDurationOf is EstimateDuration for batches sized by rows.
func EstimateDurationOf(l schema.Limits, totalRows int, rows func(index, firstRow int) int, tableRowsBefore int64, latency time.Duration) time.Duration {
	if totalRows <= 0 {
		return 0
	}
	if checkLimits(l) != nil {
		return -1
	}
	start := time.Unix(0, 0).UTC()
	clock := clock.NewFake(start)
	p := newPacer(l, clock, false)
	p.tableRows = tableRowsBefore
	end, ok := simulate(p, clock, 0, totalRows, rows, latency)
	if !ok {
		return -1
	}
	return end.Sub(start)
}

func uniform(batchRows int) func(index, firstRow int) int {
	return func(int, int) int { return batchRows }
}

// simulate runs the pacer's schedule as discrete events on a fake clock for
// rows [firstRow, firstRow+totalRows) of the input, batches sized by rows
// (bounded by what is left), and returns when the last request finishes. It
// is not ok when a batch can never go (more rows than the hourly quota, or
// none).
func simulate(p *Pacer, clock *clock.Fake, firstRow, totalRows int, sizes func(index, firstRow int) int, latency time.Duration) (time.Time, bool) {
	var flying completions
	index, row, end := 0, firstRow, firstRow+totalRows
	for row < end || len(flying) > 0 {
		now := clock.Now()
		for len(flying) > 0 && !flying[0].at.After(now) {
			heap.Pop(&flying).(completion).permit.Done(Accepted)
		}
		if row < end {
			rows := min(sizes(index, row), end-row)
			if rows < 1 || rows > p.lim.RowsPerHour {
				return time.Time{}, false
			}
			if pm, w := p.TryAcquire(rows); pm != nil {
				index, row = index+1, row+rows
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
	return clock.Now(), true
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
	if batchRows < 1 || batchRows > p.lim.RowsPerHour {
		return -1
	}
	return p.EstimateRemainingFrom(0, rows, uniform(batchRows), latency)
}

// EstimateRemainingFrom is EstimateRemaining for the rows from input row
// firstRow on, in batches sized by sizes (the engine's HourlyBatchRows, whose
// cuts depend on where the batches start).
func (p *Pacer) EstimateRemainingFrom(firstRow int, rows int64, sizes func(index, firstRow int) int, latency time.Duration) time.Duration {
	if rows <= 0 {
		return 0
	}
	if int64(int(rows)) != rows || firstRow < 0 {
		return -1
	}
	p.mu.Lock()
	now := p.clock.Now()
	p.prune(now)
	clock := clock.NewFake(now)
	sim := newPacer(p.lim, clock, p.margined)
	sim.done = append(sim.done, p.done[p.head:]...)
	sim.hourRows, sim.tableRows, sim.tableCap, sim.blockedUntil = p.hourRows, p.tableRows, p.tableCap, p.blockedUntil
	// Requests in flight end after latency, as if they had just been sent.
	for range p.inflight {
		sim.record(Sent{End: now.Add(latency), Rows: p.inflightRows / max(p.inflight, 1)})
	}
	p.mu.Unlock()
	end, ok := simulate(sim, clock, firstRow, int(rows), sizes, latency)
	if !ok {
		return -1
	}
	return end.Sub(now)
}
