// Package push writes an input's rows into a Power BI push-dataset table,
// exactly once and as fast as the documented limits allow.
//
// # The API both faces call
//
// The wizard and `pbiwb push` call the same four functions with the same
// Request (the flags of `pbiwb push`) and read the same event stream:
//
//	plan, err := push.Prepare(ctx, svc, req, observer) // read + validate the whole input, resolve the target; writes nothing
//	defer plan.Close()
//	report := plan.Report()                          // the dry run: what exists, what will be created/changed/deleted, ETA
//	summary, err := plan.Run(ctx, observer)          // create, write exactly once, verify, record in the history
//
// Prepare's errors place themselves among docs/cli.md's exit codes
// (exitcode.Coder; exitcode.Of reads them): a *UsageError, ErrNoDomo or
// ErrCheckpointExists is 2; a
// *schema.ValidationError is 3 and comes with a Plan whose Report lists the
// findings; a *TargetError is 3 (change the target: several datasets of that
// name, a dataset without the table, an incompatible schema) or 5 (Power BI
// refuses: no access, read-only workspace, not a push dataset). Run's
// Summary.ExitCode is the run's code. The report's Command and the
// summary's hints are the equivalent command lines (command.go, through
// cmdline.Push). Target resolution is in target.go,
// Prepare and the plan in plan.go and report.go, Run in run.go, the Power BI
// error classifier in classify.go.
//
// The parts, in the order a push uses them; the engine's private machinery
// is in internal/, below this package:
//
//   - Pacer (internal/pacer): every documented limit of a dataset as sliding
//     windows, plus the server's Retry-After; Acquire blocks until a POST may
//     go and reports each wait with its reason. MinimumDuration and
//     EstimateDuration (internal/pacer/estimate.go) are the theory: the
//     fastest push the limits allow, and the ETA.
//   - Checkpoint (internal/checkpoint): an append-only, fsynced log per
//     (input, target) of every batch sent, acknowledged or void, that
//     survives kill -9 at any byte and seeds a resumed run's pacer.
//   - Settle (internal/writer/settle.go): decides from the table's row count
//     which batches with an unknown outcome landed; hourlyBatchRows
//     (batching.go) sizes batches so that it always can (distinct sizes) and
//     so that each hour's row quota is used whole (a short filler closes
//     every RowsPerHour).
//   - Writer (internal/writer): sends the batches through the pacer, at most
//     MaxPendingPosts consecutive batches unresolved at once, retrying,
//     honouring Retry-After (within the throttling budget), settling
//     ambiguous POSTs; it reports through writer.Events, which write.go
//     wires to the Tracker.
//   - execute (execute.go): a whole write into a resolved table: delete or
//     count, checkpoint, write, verify (verify.go), summary with the exit
//     code.
//   - Events (events.go): the one stream of progress the wizard, the headless
//     printer (in cli) and the history (historyobserver.go) read.
package push
