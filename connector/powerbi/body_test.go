package powerbi

import (
	"context"
	"net/http"
	"testing"
)

// A body the service answers before reading (an early 429) must be let go by
// net/http before PostRows returns: the push engine reuses the buffer for the
// next batch at once. The race detector sees the overwrite below otherwise.
func TestPostRowsReleasesBodyBeforeReturning(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(bodyThrottled))
	})
	body := make([]byte, 8<<20)
	for i := 0; i < 5; i++ {
		copy(body, `{"rows":[`)
		for j := 9; j < len(body)-2; j++ {
			body[j] = ' '
		}
		copy(body[len(body)-2:], "]}")
		if err := c.PostRows(context.Background(), "g", "d", "T", body); !IsThrottled(err) {
			t.Fatalf("PostRows: %v, want throttled", err)
		}
		for j := range body { // what a recycled buffer's next batch does
			body[j] = 'x'
		}
	}
}
