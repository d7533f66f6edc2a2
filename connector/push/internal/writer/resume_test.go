package writer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
)

func TestStabilityCount(t *testing.T) {
	for _, tt := range []struct {
		name   string
		counts []int64
		limit  time.Duration
		want   int64
		calls  int
		err    bool
	}{
		{"still at once", []int64{7}, time.Second, 7, 2, false},
		{"late commits", []int64{5, 6, 8, 8}, time.Second, 8, 4, false},
		{"keeps moving", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30}, 20 * time.Millisecond, 0, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &countSeq{counts: tt.counts}
			got, err := Stability{Quiet: 2 * time.Millisecond, Limit: tt.limit}.Count(context.Background(), flagNames{}, c.count)
			if tt.err {
				var se *StopError
				if !errors.Is(err, ErrCountUnsettled) || !errors.As(err, &se) {
					t.Fatalf("err %v, want a StopError wrapping ErrCountUnsettled", err)
				}
				if !strings.Contains(err.Error(), "run again with --resume once it holds still") {
					t.Errorf("err %q names the resume otherwise than the face does", err)
				}
				return
			}
			if err != nil || got != tt.want || c.calls != tt.calls {
				t.Errorf("got %d after %d counts (err %v), want %d after %d", got, c.calls, err, tt.want, tt.calls)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Stability{Quiet: time.Second}).Count(ctx, nil, (&countSeq{counts: []int64{1}}).count); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// countSeq is a table whose count follows a script, then stays.
type countSeq struct {
	mu     sync.Mutex
	counts []int64
	calls  int
}

func (c *countSeq) count(context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := min(c.calls, len(c.counts)-1)
	c.calls++
	return c.counts[i], nil
}

// flagNames names fields as the command line does, for the messages' advice.
type flagNames struct{}

func (flagNames) Name(f field.ID) string {
	return map[field.ID]string{field.Resume: "--resume", field.Mode: "--mode", field.MaxThrottleWait: "--max-throttle-wait"}[f]
}
func (n flagNames) Setting(f field.ID, v string) string { return n.Name(f) + " " + v }
