package push

import (
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/format"
)

// DefaultMaxThrottleWait is Request.MaxThrottleWait's default: how long 429s
// may hold a push back before it stops (exit 6).
const DefaultMaxThrottleWait = writer.DefaultMaxThrottleWait

// trackerEvents tells the Tracker what the writer does.
type trackerEvents struct {
	t      *Tracker
	fields field.Namer // names the settings its notes refer to
}

func (e trackerEvents) Sending()          { e.t.Sending() }
func (e trackerEvents) Answered(rows int) { e.t.Answered(rows) }
func (e trackerEvents) Settled(rows int)  { e.t.Settled(rows) }

func (e trackerEvents) Retrying(r writer.Retry) {
	e.t.Retrying(RetryInfo{Batch: r.Batch, Attempt: r.Attempt, DelaySeconds: seconds(r.Delay),
		Cause: r.Cause, RequestID: r.RequestID}, r.Throttled)
}

func (e trackerEvents) Settling(why string) { e.t.Phase(PhaseSettling, why) }
func (e trackerEvents) Writing()            { e.t.Phase(PhaseWriting, "") }

func (e trackerEvents) Stopping(inFlight int, grace time.Duration) {
	e.t.Phase(PhaseWriting, fmt.Sprintf("Stopping: waiting for %s in flight (up to %s; Ctrl-C again to quit now — %s settles them)",
		format.Count(inFlight, "batch"), format.Duration(grace), field.Or(e.fields).Name(field.Resume)))
}
