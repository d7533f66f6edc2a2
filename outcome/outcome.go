// Package outcome is pbiwb's one word for how a push run ended, or stands:
// the "outcome" of the summary event (--json), of a history record, of
// `pbiwb history`, doctor's history check and the wizard's History screens.
//
// The strings are stored in history files and written by --json: they never
// change, so records written by any earlier version still load.
//
// Other things pbiwb calls an outcome are not this: what became of one POST
// (the pacer's and the writer's accepted/refused/ambiguous, which settle a
// batch), and the status of a doctor check (pass, fail, skip).
package outcome

// Outcome is how a run ended, or "running" while it runs.
type Outcome string

// The outcomes. A push ends with one of Succeeded, Failed, Interrupted and
// Stopped; the history adds Running and Unknown.
const (
	// Running: the run has not finished its record (yet).
	Running Outcome = "running"
	// Unknown: a run of another host that never finished its record.
	Unknown Outcome = "unknown"
	// Succeeded: every row written exactly once, the count verified (exit 0).
	Succeeded Outcome = "succeeded"
	// Failed: the run could not do what was asked (exit 1, 2, 3, 4, 5).
	Failed Outcome = "failed"
	// Interrupted: Ctrl-C, SIGINT, SIGTERM (exit 130), or a process of
	// this host that died without finishing its record.
	Interrupted Outcome = "interrupted"
	// Stopped: the push gave up part-way and kept its checkpoint (exit 6).
	Stopped Outcome = "stopped"
)

// Resumable reports whether a run that ended so may be continued with
// --resume: it was interrupted or stopped part-way.
func (o Outcome) Resumable() bool { return o == Interrupted || o == Stopped }
