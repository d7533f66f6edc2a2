package cli

// The push's events as the Push screen's snapshots.

import (
	"context"
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/ui"
)

// progressRelay turns the engine's events into the wizard's snapshots. The
// engine calls it in order, from one event at a time; every send gives up
// when ctx is done (the wizard stopped listening), and progress events come
// at most every progressEvery so the push never waits on the screen.
type progressRelay struct {
	ctx    context.Context
	events chan<- ui.ProgressEvent
	now    func() time.Time
	last   time.Time
}

const progressEvery = 50 * time.Millisecond

func (p *progressRelay) observe(e push.Event) {
	ev := snapshot(e, p.now())
	if e.Kind == push.KindProgress && ev.Error == nil && ev.RowsWritten < ev.RowsTotal && p.now().Sub(p.last) < progressEvery {
		return
	}
	p.last = p.now()
	p.send(ev)
}

// send gives ev to the wizard, unless it stopped listening.
func (p *progressRelay) send(ev ui.ProgressEvent) {
	select {
	case p.events <- ev:
	case <-p.ctx.Done():
	}
}

// snapshot is one event as the Push screen shows it.
func snapshot(e push.Event, now time.Time) ui.ProgressEvent {
	pr := e.Progress
	ev := ui.ProgressEvent{RowsWritten: pr.RowsWritten, RowsTotal: pr.RowsTotal, BatchesDone: pr.BatchesDone, BatchesTotal: pr.BatchesTotal,
		InFlight: pr.InFlight, Retries: pr.Retries, Throttled: pr.Throttled, RowsPerSecond: pr.RowsPerSecond, ETA: -1}
	if pr.ETASeconds >= 0 {
		ev.ETA = time.Duration(pr.ETASeconds * float64(time.Second))
	}
	if w := pr.Wait; w != nil {
		reason := w.Limit
		if reason == "" {
			reason = push.WaitLabel(w.Reason)
		}
		left := time.Duration(0)
		switch {
		case !w.Until.IsZero():
			left = w.Until.Sub(now)
		case w.Seconds > 0:
			left = time.Duration(w.Seconds * float64(time.Second))
		default:
			reason += " (until a request in flight is answered)"
		}
		ev.Wait = &ui.Wait{Reason: reason, Left: max(left, 0)}
	}
	if e.Kind == push.KindPhase && e.Phase != push.PhaseDone {
		ev.Step = pushPhaseLine(e) // as pbiwb push prints it
	}
	switch {
	case e.Kind == push.KindError && e.Error != nil:
		msg := e.Error.Message
		if e.Error.Batch > 0 {
			msg = fmt.Sprintf("batch %d: %s", e.Error.Batch, msg)
		}
		ev.Error = &ui.PushError{Message: msg, RequestID: e.Error.RequestID}
	case e.Kind == push.KindRetry && e.Retry != nil:
		r := e.Retry
		ev.Error = &ui.PushError{RequestID: r.RequestID,
			Message: fmt.Sprintf("batch %d: %s; sending it again in %s (attempt %d)", r.Batch, r.Cause, format.Seconds(r.DelaySeconds), r.Attempt)}
	}
	return ev
}
