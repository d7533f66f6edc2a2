package pacer

import (
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/format"
)

// Reason says which limit a wait is for.
type Reason int

const (
	ReasonNone Reason = iota
	ReasonPending
	ReasonPostsPerMinute
	ReasonRowsPerHour
	ReasonPostsPerHourLarge
	ReasonRetryAfter
)

// reasons is the one definition of the wait reasons: adding one means a
// constant above and a line here (and the pacer deciding when it applies).
var reasons = [...]struct {
	// key names the reason in events, --json and history records; records
	// already stored keep theirs, so a key never changes.
	key string
	// label is the reason in words, for people, without the limit's numbers.
	label string
	// limit is the limit in force, with its numbers; nil when the label says all.
	limit func(schema.Limits) string
}{
	ReasonNone: {"", "no limit", nil},
	ReasonPending: {"pending", "pending POST rows requests per dataset", func(l schema.Limits) string {
		return format.Thousands(l.MaxPendingPosts) + " pending POST rows requests per dataset"
	}},
	ReasonPostsPerMinute: {"postsPerMinute", "POST rows requests per minute per dataset", func(l schema.Limits) string {
		return format.Thousands(l.PostsPerMinute) + " POST rows requests per minute per dataset"
	}},
	ReasonRowsPerHour: {"rowsPerHour", "rows per hour per dataset", func(l schema.Limits) string {
		return format.Thousands(l.RowsPerHour) + " rows per hour per dataset"
	}},
	ReasonPostsPerHourLarge: {"postsPerHourLarge", "POST rows requests per hour per dataset on a large table", func(l schema.Limits) string {
		return format.Thousands(l.PostsPerHourLarge) + " POST rows requests per hour per dataset once the table holds " +
			format.Count(l.LargeTableRows, "row")
	}},
	ReasonRetryAfter: {"retryAfter", "Retry-After from Power BI (429)", nil},
}

// Key is a stable identifier for JSON and history ("rowsPerHour", "retryAfter", ...).
func (r Reason) Key() string {
	if r < 0 || int(r) >= len(reasons) {
		return "unknown"
	}
	return reasons[r].key
}

// Label is the reason in words, the same wherever pbiwb shows a wait:
// "rows per hour per dataset", "Retry-After from Power BI (429)".
func (r Reason) Label() string {
	if r < 0 || int(r) >= len(reasons) {
		return "unknown"
	}
	return reasons[r].label
}

// Describe is the limit in words with the numbers in force, e.g.
// "1,000,000 rows per hour per dataset"; the Label when it has no numbers.
func (r Reason) Describe(l schema.Limits) string {
	if r >= 0 && int(r) < len(reasons) && reasons[r].limit != nil {
		return reasons[r].limit(l)
	}
	return r.Label()
}

// Label is the label of a wait reason's key as events and history records
// store it; a key it does not know (from a later version) is shown as it is.
func Label(key string) string {
	for _, r := range reasons {
		if r.key == key && key != "" {
			return r.label
		}
	}
	return key
}
