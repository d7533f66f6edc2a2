package push

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
)

// An interrupt with POSTs in flight: nothing more is sent, the POSTs in
// flight answer within the grace and are recorded as acknowledged, the
// writer says what it waits for, and the resume has nothing to settle.
func TestWriterStopWaitsForPostsInFlight(t *testing.T) {
	const n = 40
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	r := newRun(t, func(post, _ int) fault {
		if post >= 10 {
			once.Do(func() { time.AfterFunc(10*time.Millisecond, cancel) })
			return slow
		}
		return ok
	})
	r.table.lag = 60 * time.Millisecond
	r.grace = 5 * time.Second
	var mu sync.Mutex
	var messages []string
	err := r.write(t, ctx, n, false, func(e Event) {
		if e.Kind == KindPhase && e.Message != "" {
			mu.Lock()
			messages = append(messages, e.Message)
			mu.Unlock()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	r.table.mu.Lock()
	posts, stored := r.table.posts, len(r.table.stored)
	r.table.mu.Unlock()
	if posts < 11 || posts >= n {
		t.Fatalf("%d POSTs: the interrupt did not come part-way", posts)
	}
	if stored != posts {
		t.Errorf("%d POSTs but %d batches stored: POSTs in flight were cut off", posts, stored)
	}
	mu.Lock()
	said := strings.Join(messages, "\n")
	mu.Unlock()
	if !strings.Contains(said, "Stopping: waiting for") || !strings.Contains(said, "in flight (up to 5s; Ctrl-C again") {
		t.Errorf("no stopping line among the phase messages:\n%s", said)
	}
	_, st, err := checkpoint.Load(r.dir, r.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Unresolved) != 0 || len(st.Acked) != posts {
		t.Errorf("checkpoint: %d acked, %d unresolved; want %d acked, none unresolved", len(st.Acked), len(st.Unresolved), posts)
	}
	if err := r.write(t, context.Background(), n, true); err != nil {
		t.Fatal(err)
	}
	r.checkExactlyOnce(t, n)
}

// The user's scenario with a fake table: POSTs that outlast the grace are
// cut off, yet the server commits them a moment later. A resume started at
// once must wait for the count to hold still before settling, or it would
// send those batches again.
func TestResumeWaitsForLateCommits(t *testing.T) {
	const n = 40
	for _, tt := range []struct {
		name  string
		quiet time.Duration
		dupes bool
	}{
		{"count until it holds still", 80 * time.Millisecond, false},
		// The control: a quiet period shorter than the lag settles on a
		// count taken before the late commits, and duplicates rows — the bug.
		{"quiet period too short", time.Microsecond, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			r := newRun(t, func(post, _ int) fault {
				if post >= 10 && ctx.Err() == nil { // the resume's POSTs answer
					once.Do(func() { time.AfterFunc(5*time.Millisecond, cancel) })
					return lateStored
				}
				return ok
			})
			r.table.lag = 30 * time.Millisecond
			r.grace = time.Millisecond
			if err := r.write(t, ctx, n, false); !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			_, st, err := checkpoint.Load(r.dir, r.key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Unresolved) == 0 {
				t.Fatal("no batch left unresolved: the test did not cut POSTs off")
			}
			r.stability = writer.Stability{Quiet: tt.quiet, Limit: 2 * time.Second}
			err = r.write(t, context.Background(), n, true)
			r.table.late.Wait()
			r.table.mu.Lock()
			defer r.table.mu.Unlock()
			dupes := 0
			for _, c := range r.table.stored {
				if c > 1 {
					dupes++
				}
			}
			if tt.dupes {
				if dupes == 0 && err == nil {
					t.Error("a short quiet period did not duplicate rows: the test does not exercise late commits")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dupes > 0 || r.table.rows != totalRows(n) {
				t.Errorf("%d batches stored twice; table holds %d rows, want %d", dupes, r.table.rows, totalRows(n))
			}
		})
	}
}
