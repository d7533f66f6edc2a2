package push

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
)

func TestClassifyPowerBI(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want writer.Failure
	}{
		{"429", &powerbi.Error{Status: 429, Code: "TooManyRequests", RetryAfter: 3 * time.Second, RequestID: "r1"},
			writer.Failure{Kind: writer.Throttled, RetryAfter: 3 * time.Second, Status: 429, Code: "TooManyRequests", RequestID: "r1"}},
		{"503", fmt.Errorf("wrapped: %w", &powerbi.Error{Status: 503, RequestID: "r2"}),
			writer.Failure{Kind: writer.Transient, Status: 503, RequestID: "r2"}},
		{"token expired after the replay", &powerbi.Error{Status: 403, Code: powerbi.CodeTokenExpired},
			writer.Failure{Kind: writer.Transient, Status: 403, Code: powerbi.CodeTokenExpired}},
		{"404", &powerbi.Error{Status: 404, Code: powerbi.CodeItemNotFound, RequestID: "r3"},
			writer.Failure{Kind: writer.Fatal, Status: 404, Code: powerbi.CodeItemNotFound, RequestID: "r3"}},
		{"sent, no answer", &powerbi.TransportError{Sent: true, Err: errors.New("EOF")}, writer.Failure{Kind: writer.Ambiguous}},
		{"never sent", &powerbi.TransportError{Sent: false, Err: errors.New("refused")}, writer.Failure{Kind: writer.Transient}},
		{"anything else", errors.New("disk full"), writer.Failure{Kind: writer.Fatal}},
	}
	for _, tt := range tests {
		if got := classifyPowerBI(tt.err); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
