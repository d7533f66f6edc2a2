// Package push writes an input's rows into a Power BI push-dataset table,
// exactly once and as fast as the documented limits allow.
//
// The parts, in the order a push uses them:
//
//   - Pacer (pacer.go): every documented limit of a dataset as sliding
//     windows, plus the server's Retry-After; Acquire blocks until a POST may
//     go and reports each wait with its reason. MinimumDuration and
//     EstimateDuration (estimate.go) are the theory: the fastest push the
//     limits allow, and the ETA.
//   - Checkpoint (checkpoint.go): an append-only, fsynced log per (input,
//     target) of every batch sent, acknowledged or void, that survives kill -9
//     at any byte and seeds a resumed run's pacer.
//   - Settle (settle.go): decides from the table's row count which batches
//     with an unknown outcome landed; DistinctBatchRows sizes batches so that
//     it always can.
//   - Writer (writer.go): sends the batches through the pacer, at most
//     MaxPendingPosts consecutive batches unresolved at once, retrying,
//     honouring Retry-After, settling ambiguous POSTs.
//   - Execute (execute.go): a whole write into a resolved table: delete or
//     count, checkpoint, write, verify, summary with the exit code.
//   - Events (events.go): the one stream of progress the wizard, the headless
//     Printer (printer.go) and the history (historyobserver.go) read.
package push
