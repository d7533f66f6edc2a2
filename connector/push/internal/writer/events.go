package writer

import "time"

// Events is told what the writer does, for the progress people see (the
// push engine's Tracker). Calls come from the writer's goroutines, in the
// order things happen; they must not block for long.
type Events interface {
	Sending()            // a POST is about to leave
	Answered(rows int)   // a POST got its answer (or none); rows landed, 0 when none did
	Settled(rows int)    // a batch without an answer was settled as landed
	Retrying(r Retry)    // a batch will be sent again
	Settling(why string) // the writer counts the table's rows to settle a batch; why says which
	Writing()            // settling is over, writing goes on
	// Stopping: interrupted, the writer waits up to grace for the POSTs in
	// flight to answer.
	Stopping(inFlight int, grace time.Duration)
}

// Retry is a batch about to be sent again.
type Retry struct {
	Batch     int           // 1-based
	Attempt   int           // the attempt about to be made
	Delay     time.Duration // the wait before it (the backoff, or the server's Retry-After)
	Cause     string        // what went wrong, in words
	RequestID string        // Power BI's, when it answered
	Throttled bool          // a 429
}

type noEvents struct{}

func (noEvents) Sending()                    {}
func (noEvents) Answered(int)                {}
func (noEvents) Settled(int)                 {}
func (noEvents) Retrying(Retry)              {}
func (noEvents) Settling(string)             {}
func (noEvents) Writing()                    {}
func (noEvents) Stopping(int, time.Duration) {}
