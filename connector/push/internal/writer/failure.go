package writer

import (
	"errors"
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// How the writer reads a failed request: Table's errors come back through a
// Classifier (the push engine's classifyPowerBI) as a Failure, and a write that
// must stop ends with a *StopError.

// FailureKind is what a failed request means for the writer.
type FailureKind int

const (
	// Fatal: Power BI refused for good (no access, not a push dataset, bad
	// request): stop.
	Fatal FailureKind = iota
	// Throttled: a 429; nothing was stored; wait RetryAfter, send again.
	Throttled
	// Transient: a 5xx answer or a request that never left; nothing was
	// stored (as connector/powerbi documents); send again after a backoff.
	Transient
	// Ambiguous: the request was sent but no answer came; settle by counting.
	Ambiguous
)

// Failure is a classified error.
type Failure struct {
	Kind       FailureKind
	RetryAfter time.Duration // Throttled
	Status     int
	Code       string
	RequestID  string
}

// Classifier classifies the errors of Table's methods.
type Classifier func(error) Failure

// StopError ends a write part-way; the checkpoint keeps what was written.
type StopError struct {
	Batch   int // 0-based index of the batch that failed; -1 when not about one batch
	Failure Failure
	Err     error
	Refused bool // Power BI refused (Fatal), rather than failing again and again
	// ResumeAfter is when it makes sense to try again (a *ThrottleError's
	// Until); zero when that is not known.
	ResumeAfter time.Time
}

func (e *StopError) Error() string {
	if e.Batch < 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("batch %d: %v", e.Batch+1, e.Err)
}

func (e *StopError) Unwrap() error { return e.Err }

// causeText is a retry's cause in words, the settings named by n.
func causeText(f Failure, err error, n field.Namer) string {
	var te *stall.TimeoutError
	switch {
	case f.Kind == Throttled:
		return "HTTP 429 Too Many Requests"
	case f.Status > 0:
		return fmt.Sprintf("HTTP %d %s", f.Status, f.Code)
	case errors.As(err, &te): // the whole error is the request's URL and this
		return "no answer: " + te.Phrase(n.Name)
	case err != nil:
		return err.Error()
	}
	return "no answer; the table's row count showed the batch did not land"
}
