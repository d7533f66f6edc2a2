package push

import "github.com/pbiwb/pbiwb/connector/push/internal/pacer"

// WaitLabel is the label of a wait reason's key, as WaitInfo.Reason, the
// summary's Waits and history records hold it: "rowsPerHour" → "rows per
// hour per dataset". A key it does not know is returned as it is. The
// reasons, their keys and labels are defined once, in the pacer's reason.go.
func WaitLabel(key string) string { return pacer.Label(key) }
