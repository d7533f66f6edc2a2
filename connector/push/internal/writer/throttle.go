package writer

import (
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/format"
)

// The throttling budget: a 429 says when to come back (Retry-After), and the
// writer waits for it — but not for ever. A push stops part-way (exit 6,
// checkpoint kept) when Power BI asks it to wait past MaxThrottleWait, or
// when 429s have kept it from landing any batch for that long. People are
// told when a resume makes sense: the time Power BI asked for.

// DefaultMaxThrottleWait is Request.MaxThrottleWait's default.
const DefaultMaxThrottleWait = time.Hour

// ThrottleError is a push stopped by throttling beyond its budget.
type ThrottleError struct {
	Budget     time.Duration // MaxThrottleWait
	RetryAfter time.Duration // what the last 429 asked for
	Throttled  time.Duration // how long 429s had held the push without progress (0: the first 429)
	Until      time.Time     // when Power BI said it would take requests again
	// Fields names the budget's setting in the message; nil is field.Plain.
	Fields field.Namer
}

func (e *ThrottleError) Error() string {
	what := fmt.Sprintf("Power BI asked to wait %s before the next request (429 Too Many Requests, Retry-After)", format.Duration(e.RetryAfter))
	if e.Throttled > 0 {
		what = fmt.Sprintf("Power BI has answered 429 Too Many Requests for %s without taking a batch, and asks to wait %s more",
			format.Duration(e.Throttled), format.Duration(e.RetryAfter))
	}
	return fmt.Sprintf("%s: longer than %s allows, so the push stopped; it makes sense to resume after %s",
		what, field.Or(e.Fields).Setting(field.MaxThrottleWait, format.Duration(e.Budget)), format.WallClock(e.Until))
}

// overBudget is the stop when a 429 asking for retryAfter, met at now,
// would take the push past its budget; nil when it may wait. The first 429
// since the last batch landed starts the count.
func (w *Writer) overBudget(now time.Time, retryAfter time.Duration) *ThrottleError {
	w.mu.Lock()
	if w.throttledSince.IsZero() {
		w.throttledSince = now
	}
	since := w.throttledSince
	w.mu.Unlock()
	until := now.Add(retryAfter)
	if until.Sub(since) <= w.c.MaxThrottleWait {
		return nil
	}
	return &ThrottleError{Budget: w.c.MaxThrottleWait, RetryAfter: retryAfter, Throttled: now.Sub(since), Until: until, Fields: w.c.Fields}
}
