package push

import (
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
)

// countingRefusal says why Power BI refuses to count, when err is that
// refusal (powerbi.CountingRefused), else "".
func countingRefusal(err error) string {
	if !powerbi.CountingRefused(err) {
		return ""
	}
	return powerbi.CountingRefusal(err)
}

// withoutCounting says what a push does when Power BI refuses to count the
// table's rows (powerbi.CountingRefused), its settings named by n.
func withoutCounting(n field.Namer) string {
	return "The push goes on without counting: every batch Power BI acknowledges is checkpointed, the row count at the end " +
		"cannot be verified (\"written, not verified\"), and a batch whose answer is lost stops the run, for you to say " +
		"what became of it (" + n.Name(field.Resume) + " with " + n.Name(field.AssumeSent) + " or " + n.Name(field.AssumeLost) + ")"
}
