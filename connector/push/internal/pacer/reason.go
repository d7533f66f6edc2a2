package pacer

import (
	"fmt"

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

var reasonKeys = [...]string{"", "pending", "postsPerMinute", "rowsPerHour", "postsPerHourLarge", "retryAfter"}

// Key is a stable identifier for JSON and history ("rowsPerHour", "retryAfter", ...).
func (r Reason) Key() string {
	if int(r) < len(reasonKeys) {
		return reasonKeys[r]
	}
	return "unknown"
}

// Describe is the limit in words, e.g. "1,000,000 rows per hour per dataset".
func (r Reason) Describe(l schema.Limits) string {
	switch r {
	case ReasonPending:
		return fmt.Sprintf("%s pending POST rows requests per dataset", format.Thousands(int64(l.MaxPendingPosts)))
	case ReasonPostsPerMinute:
		return fmt.Sprintf("%s POST rows requests per minute per dataset", format.Thousands(int64(l.PostsPerMinute)))
	case ReasonRowsPerHour:
		return fmt.Sprintf("%s rows per hour per dataset", format.Thousands(int64(l.RowsPerHour)))
	case ReasonPostsPerHourLarge:
		return fmt.Sprintf("%s POST rows requests per hour per dataset once the table holds %s rows",
			format.Thousands(int64(l.PostsPerHourLarge)), format.Thousands(int64(l.LargeTableRows)))
	case ReasonRetryAfter:
		return "server Retry-After"
	}
	return "no limit"
}
