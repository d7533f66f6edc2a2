package pacer

import (
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// The keys are stored in history records and --json events: they must not
// change, and each must have one label that Label finds from the key alone.
func TestReasons(t *testing.T) {
	stored := map[Reason]string{
		ReasonPending:           "pending",
		ReasonPostsPerMinute:    "postsPerMinute",
		ReasonRowsPerHour:       "rowsPerHour",
		ReasonPostsPerHourLarge: "postsPerHourLarge",
		ReasonRetryAfter:        "retryAfter",
	}
	if len(stored) != len(reasons)-1 {
		t.Fatalf("%d reasons defined, %d checked here: add the new key to this test", len(reasons)-1, len(stored))
	}
	labels := map[string]Reason{}
	for r, key := range stored {
		if r.Key() != key {
			t.Errorf("reason %d: key %q, stored as %q", r, r.Key(), key)
		}
		if r.Label() == "" || Label(key) != r.Label() {
			t.Errorf("%s: label %q, Label(key) %q", key, r.Label(), Label(key))
		}
		if o, dup := labels[r.Label()]; dup {
			t.Errorf("%s and %s share the label %q", key, o.Key(), r.Label())
		}
		labels[r.Label()] = r
	}
	for _, key := range []string{"", "someLaterReason"} {
		if got := Label(key); got != key {
			t.Errorf("Label(%q) = %q, want the key as it is", key, got)
		}
	}
	if got := Reason(99).Key(); got != "unknown" {
		t.Errorf("Reason(99).Key() = %q", got)
	}
}

func TestReasonDescribe(t *testing.T) {
	l := schema.Limits{MaxPendingPosts: 10, PostsPerMinute: 120, RowsPerHour: 1_000_000, PostsPerHourLarge: 120, LargeTableRows: 250_000}
	for _, tt := range []struct {
		r    Reason
		want string
	}{
		{ReasonNone, "no limit"},
		{ReasonPending, "10 pending POST rows requests per dataset"},
		{ReasonPostsPerMinute, "120 POST rows requests per minute per dataset"},
		{ReasonRowsPerHour, "1,000,000 rows per hour per dataset"},
		{ReasonPostsPerHourLarge, "120 POST rows requests per hour per dataset once the table holds 250,000 rows"},
		{ReasonRetryAfter, "Retry-After from Power BI (429)"},
	} {
		if got := tt.r.Describe(l); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.r.Key(), got, tt.want)
		}
	}
}
