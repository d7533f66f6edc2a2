// Package ui is pbiwb's wizard: Bubble Tea v2 screens that lead a person
// from an account to a verified push, mirroring the Domo connector's
// Credentials and Details panes.
//
// Screens (one file each): Accounts → Credentials → Input → Details →
// Review → Push → Done, and beside them Troubleshoot (ctrl+t from the
// Accounts screen and from any failure: sign-in, the workspace list, the
// plan; t on a failed push's Done screen) and History with a run's details
// (ctrl+o on the Accounts screen, h on Done), where r resumes an
// interrupted or stopped run on the Push screen. The root (root.go) owns navigation and the answers;
// screens send it typed messages. Nothing here does I/O except through a
// tea.Cmd: every Backend call runs in a command and comes back as a message
// tagged with a generation, and replies of an older generation are dropped.
//
// The engine is reached only through Backend (backend.go), with ui's own
// plain types, so the CLI adapts connector/* and keystore to it. What an
// adapter has to map:
//
//   - entra.Error and entra.FieldError → FieldError: Field() is their Field
//     (a connector/field identifier) mapped to a Field* constant, Advice() is
//     the Fix.
//   - keystore's ErrNoKeyring from SaveAccount → an error wrapping
//     ErrKeyringUnavailable (the wizard then offers insecure storage).
//   - push's event stream → ProgressEvent snapshots (Progress, the current
//     WaitInfo as Wait{Reason: its limit in words, Left: Until − now}, an
//     ErrorInfo or a retry cause with its RequestId as Error, a phase as
//     Step in the words pbiwb push prints); the plan's warnings as Warning
//     events before the run, as pbiwb push prints them before writing.
//   - push.Summary's NotVerified, CountNote and Unsettled → Result, and the
//     history record's → RunDetail: Done and a run's details say "written,
//     not verified" and why, and a run stopped on Unsettled batches asks
//     whether they landed before it resumes (Request.Assume).
//   - errors whose exit code matters (docs/cli.md) implement exitcode.Coder.
//   - Accounts' LastUsed should move when an account is opened or saved.
//   - entra.Result.Notes → AccountSummary.Notes (shown once after sign-in);
//     the scan's warnings → InputReport.Warnings.
//   - doctor.Result → CheckResult, one send per check as it finishes.
//   - history.Record → RunSummary / RunDetail; RunDetail.Resume is the
//     request rebuilt from the fields the record keeps (history.Request),
//     or from the resume command of a record of an earlier version.
//
// Run is the entry point; Options.Flags lets command lines shown to the
// user carry the global flags in force (e.g. --sandbox URL). Every `pbiwb
// push` line is written by cmdline.Push, the builder the engine and cli use.
package ui
