package push

import (
	"context"
	"errors"
	"testing"

	"github.com/pbiwb/pbiwb/exitcode"
)

// Once the run's context is cancelled, an error that lost context.Canceled
// on its way up still ends the run as interrupted (exit 130, resumable).
func TestInterruptedKeepsTheCancellation(t *testing.T) {
	t.Parallel()
	refused := errors.New("create push dataset \"Early\": the connection closed")
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	if got := interrupted(live, refused); got != refused {
		t.Errorf("a live run's error changed: %v", got)
	}
	got := interrupted(cancelled, refused)
	if exitcode.Of(got) != exitcode.Interrupted || !errors.Is(got, refused) {
		t.Errorf("interrupted(cancelled) = %v (exit %d), want exit 130 keeping the error", got, exitcode.Of(got))
	}
	if wrapped := interrupted(cancelled, context.Canceled); wrapped != context.Canceled {
		t.Errorf("a cancellation is wrapped again: %v", wrapped)
	}
	if interrupted(cancelled, nil) != nil {
		t.Error("no error became one")
	}
}
