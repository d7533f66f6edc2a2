package push

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// testKey is the checkpoint key of the tests' pushes.
func testKey() CheckpointKey {
	return CheckpointKey{Fingerprint: "sha256:abc", Target: Target{
		APIBase: "https://api.powerbi.com", WorkspaceID: "ws-1", DatasetID: "ds-1", Table: "Orders", Mode: "append"}}
}

// fault is what the fake table does with one POST.
type fault int

const (
	ok fault = iota
	throttle
	unavailable  // 503: nothing stored
	dropBefore   // sent, no answer, not stored
	dropAfter    // stored, then no answer
	refuse       // 404: stop
	hangStored   // stored, then no answer until the run is interrupted
	hangUnstored // not stored, no answer until the run is interrupted
	slow         // stored and answered after lag, unless cut off first
	lateStored   // no answer until cut off; stored lag after that (a late commit)
)

type fakeErr struct {
	kind   writer.FailureKind
	status int
}

func (e *fakeErr) Error() string { return fmt.Sprintf("fake error %d", e.status) }

func classifyFake(err error) writer.Failure {
	var fe *fakeErr
	if errors.As(err, &fe) {
		return writer.Failure{Kind: fe.kind, Status: fe.status, RetryAfter: time.Millisecond, RequestID: fmt.Sprintf("rq-%d", fe.status)}
	}
	return writer.Failure{Kind: writer.Ambiguous}
}

// fakeTable stores batch bodies "index:rows" and misbehaves on demand.
type fakeTable struct {
	mu          sync.Mutex
	stored      map[int]int // batch index → times stored
	rows        int64
	foreign     int64 // rows someone else adds at the next count
	posts       int
	inflight    int
	maxInflight int
	fault       func(post, index int) fault
	countFails  int // CountRows calls that fail with a 503 first
	lag         time.Duration
	late        sync.WaitGroup // late commits still to land
}

func newFakeTable(f func(post, index int) fault) *fakeTable {
	if f == nil {
		f = func(int, int) fault { return ok }
	}
	return &fakeTable{stored: map[int]int{}, fault: f}
}

func (t *fakeTable) PostRows(ctx context.Context, body []byte) error {
	var index, rows int
	if _, err := fmt.Sscanf(string(body), "%d:%d", &index, &rows); err != nil {
		return &fakeErr{kind: writer.Fatal, status: 400}
	}
	t.mu.Lock()
	t.posts++
	t.inflight++
	t.maxInflight = max(t.maxInflight, t.inflight)
	f := t.fault(t.posts, index)
	store := func() { t.stored[index]++; t.rows += int64(rows) }
	if f == ok || f == dropAfter || f == hangStored {
		store()
	}
	t.mu.Unlock()
	defer func() { t.mu.Lock(); t.inflight--; t.mu.Unlock() }()
	switch f {
	case throttle:
		return &fakeErr{kind: writer.Throttled, status: 429}
	case unavailable:
		return &fakeErr{kind: writer.Transient, status: 503}
	case refuse:
		return &fakeErr{kind: writer.Fatal, status: 404}
	case dropBefore, dropAfter:
		return errors.New("connection reset after sending")
	case hangStored, hangUnstored:
		<-ctx.Done()
		return ctx.Err()
	case slow:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.lag):
		}
		t.mu.Lock()
		store()
		t.mu.Unlock()
	case lateStored:
		<-ctx.Done()
		t.late.Add(1)
		time.AfterFunc(t.lag, func() { t.mu.Lock(); store(); t.mu.Unlock(); t.late.Done() })
		return ctx.Err()
	}
	return nil
}

func (t *fakeTable) CountRows(ctx context.Context) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.countFails > 0 {
		t.countFails--
		return 0, &fakeErr{kind: writer.Transient, status: 503}
	}
	t.rows += t.foreign
	t.foreign = 0
	return t.rows, nil
}

// fastLimits are the documented limits with an hour lasting 360µs.
func fastLimits() schema.Limits {
	l := schema.DocumentedLimits()
	l.TimeScale = 1e7
	return l
}

const testBatchRows = 100

func testBatches(n int) iter.Seq2[writer.Batch, error] {
	return func(yield func(writer.Batch, error) bool) {
		var first int64
		for i := range n {
			rows := distinctBatchRows(i, testBatchRows, 5)
			if !yield(writer.Batch{Index: i, FirstRow: first, Rows: rows, Body: fmt.Appendf(nil, "%d:%d", i, rows)}, nil) {
				return
			}
			first += int64(rows)
		}
	}
}

func totalRows(n int) (total int64) {
	for i := range n {
		total += int64(distinctBatchRows(i, testBatchRows, 5))
	}
	return total
}

type run struct {
	dir       string
	key       CheckpointKey
	table     *fakeTable
	tracker   *Tracker
	grace     time.Duration    // writer.Config.StopGrace; 0: testGrace
	stability writer.Stability // zero: testStability
}

// testStability and testGrace keep the real-time waits of settling and of
// stopping short in tests of the fake table, which commits nothing late
// unless told to.
var testStability = writer.Stability{Quiet: 2 * time.Millisecond, Limit: time.Second}

const testGrace = 5 * time.Millisecond

// write runs one Writer over batches [0, n), fresh or resumed from the checkpoint.
func (r *run) write(t *testing.T, ctx context.Context, n int, resume bool, obs ...Observer) error {
	t.Helper()
	var (
		c   *checkpoint.Checkpoint
		st  *checkpoint.State
		err error
	)
	if resume {
		c, st, err = checkpoint.Load(r.dir, r.key, nil)
		if err != nil {
			t.Fatalf("load checkpoint: %v", err)
		}
		if err := writer.SettleResume(ctx, r.table, classifyFake, c, st, r.stab(), nil); err != nil {
			c.Close()
			return err
		}
	} else {
		h := checkpoint.Header{Key: r.key, TotalRows: totalRows(n), Batches: n, Batching: "test"}
		if c, err = checkpoint.Create(r.dir, h, nil); err != nil {
			t.Fatal(err)
		}
		st = &checkpoint.State{Header: h, Acked: map[int]int{}}
	}
	defer c.Close()
	l := fastLimits()
	r.tracker = NewTracker(nil, totalRows(n), n, obs...)
	r.tracker.Resumed(st.AckedRows(), len(st.Acked))
	p, err := pacer.New(pacer.Config{Limits: l, History: st.Posts, OnWait: r.tracker.Waiting})
	if err != nil {
		t.Fatal(err)
	}
	w, err := writer.New(writer.Config{Table: r.table, Classify: classifyFake, Pacer: p, Checkpoint: c, Events: trackerEvents{t: r.tracker},
		Window: l.MaxPendingPosts, Acked: st.Acked, CountBefore: st.Header.CountBefore,
		Attempts: 4, Backoff: 100 * time.Microsecond, MaxBackoff: time.Millisecond,
		StopGrace: cmp.Or(r.grace, testGrace), Stability: r.stab()})
	if err != nil {
		t.Fatal(err)
	}
	from := st.NextBatch()
	all := testBatches(n)
	return w.Write(ctx, func(yield func(writer.Batch, error) bool) {
		for b, err := range all {
			if b.Index >= from && !yield(b, err) {
				return
			}
		}
	})
}

func (r *run) stab() writer.Stability {
	if r.stability == (writer.Stability{}) {
		return testStability
	}
	return r.stability
}

func (r *run) checkExactlyOnce(t *testing.T, n int) {
	t.Helper()
	r.table.mu.Lock()
	defer r.table.mu.Unlock()
	for i := range n {
		if got := r.table.stored[i]; got != 1 {
			t.Errorf("batch %d stored %d times, want exactly once", i, got)
		}
	}
	if r.table.rows != totalRows(n) {
		t.Errorf("table holds %d rows, want %d", r.table.rows, totalRows(n))
	}
	if r.table.maxInflight > 5 {
		t.Errorf("%d requests in flight at once, limit 5", r.table.maxInflight)
	}
}

func newRun(t *testing.T, f func(post, index int) fault) *run {
	return &run{dir: t.TempDir(), key: testKey(), table: newFakeTable(f)}
}

func TestWriterFaults(t *testing.T) {
	const n = 60
	tests := []struct {
		name      string
		fault     func(post, index int) fault
		foreign   int64
		wantErr   string
		retries   bool
		throttled bool
	}{
		{name: "clean", fault: nil},
		{name: "429 storm", fault: func(post, _ int) fault {
			if post%3 != 0 && post < 90 {
				return throttle
			}
			return ok
		}, retries: true, throttled: true},
		{name: "5xx now and then", fault: func(post, _ int) fault {
			if post%4 == 0 {
				return unavailable
			}
			return ok
		}, retries: true},
		{name: "dropped after commit", fault: func(post, _ int) fault {
			if post%5 == 0 {
				return dropAfter
			}
			return ok
		}},
		{name: "dropped before commit", fault: func(post, _ int) fault {
			if post%5 == 0 {
				return dropBefore
			}
			return ok
		}, retries: true},
		{name: "every kind of trouble", fault: func(post, _ int) fault {
			return []fault{ok, dropAfter, throttle, ok, dropBefore, unavailable, ok, dropAfter}[post%8]
		}, retries: true, throttled: true},
		{name: "refused", fault: func(post, _ int) fault {
			if post == 20 {
				return refuse
			}
			return ok
		}, wantErr: "fake error 404"},
		{name: "5xx forever", fault: func(_, index int) fault {
			if index == 7 {
				return unavailable
			}
			return ok
		}, wantErr: "kept failing after 4 attempts"},
		{name: "someone else writes", fault: func(post, _ int) fault {
			if post == 10 {
				return dropAfter
			}
			return ok
		}, foreign: 3, wantErr: "someone else is writing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(t, tt.fault)
			r.table.foreign = tt.foreign
			err := r.write(t, context.Background(), n, false)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				// Nothing was stored twice, even when stopping.
				for i, c := range r.table.stored {
					if c > 1 {
						t.Errorf("batch %d stored %d times", i, c)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r.checkExactlyOnce(t, n)
			if _, _, err := verify(context.Background(), r.table, verifyWant{Expected: totalRows(n), Written: totalRows(n), Slack: 10_000}, nil); err != nil {
				t.Error(err)
			}
			p := r.tracker.Snapshot()
			if p.RowsWritten != totalRows(n) || p.BatchesDone != n || p.InFlight != 0 {
				t.Errorf("tracker: %+v", p)
			}
			if (p.Retries > 0) != tt.retries || (p.Throttled > 0) != tt.throttled {
				t.Errorf("retries %d throttled %d", p.Retries, p.Throttled)
			}
			_, st, err := checkpoint.Load(r.dir, r.key, nil)
			if err != nil || len(st.Acked) != n || len(st.Unresolved) != 0 {
				t.Errorf("checkpoint: %d acked, %d unresolved, %v", len(st.Acked), len(st.Unresolved), err)
			}
		})
	}
}

func TestWriterSettlesWhenCountFailsFirst(t *testing.T) {
	r := newRun(t, func(post, _ int) fault {
		if post == 3 {
			return dropAfter
		}
		return ok
	})
	r.table.countFails = 2
	if err := r.write(t, context.Background(), 20, false); err != nil {
		t.Fatal(err)
	}
	r.checkExactlyOnce(t, 20)
}

// Interrupt runs at random moments — with requests hanging, some stored,
// some not — tear the checkpoint's last record now and then as a kill -9
// would, and resume until done: every batch ends up stored exactly once.
func TestWriterInterruptAndResume(t *testing.T) {
	const n = 80
	for seed := range 40 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			var mu sync.Mutex
			var cancel context.CancelFunc
			killAt := 5 + rng.IntN(60)
			r := newRun(t, func(post, _ int) fault {
				mu.Lock()
				defer mu.Unlock()
				if post >= killAt {
					if post == killAt {
						go func() { time.Sleep(time.Millisecond); cancel() }()
					}
					return []fault{hangStored, hangUnstored}[rng.IntN(2)]
				}
				return []fault{ok, ok, ok, ok, dropAfter, dropBefore, throttle, unavailable}[rng.IntN(8)]
			})
			resume := false
			for round := 0; ; round++ {
				if round > 20 {
					t.Fatal("no end after 20 resumes")
				}
				ctx, c := context.WithCancel(context.Background())
				mu.Lock()
				cancel = c
				mu.Unlock()
				err := r.write(t, ctx, n, resume)
				c()
				if err == nil {
					t.Logf("done after %d resumes, %d POSTs", round, r.table.posts)
					break
				}
				if !errors.Is(err, context.Canceled) {
					var se *writer.StopError
					if !errors.As(err, &se) {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				if rng.IntN(2) == 0 {
					tearLastRecord(t, checkpoint.Path(r.dir, r.key), rng)
				}
				resume = true
				mu.Lock()
				killAt = r.table.posts + 1 + rng.IntN(40)
				mu.Unlock()
			}
			r.checkExactlyOnce(t, n)
		})
	}
}

// tearLastRecord cuts the log inside its last record when that record is an
// outcome (ack or void): a kill -9 while writing it. (Tearing a "send" would
// not be faithful: the POST that followed it has happened.)
func tearLastRecord(t *testing.T, path string, rng *rand.Rand) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.LastIndexByte(string(data[:len(data)-1]), '\n') + 1
	last := string(data[start:])
	if !strings.Contains(last, `"t":"ack"`) && !strings.Contains(last, `"t":"void"`) {
		return
	}
	if err := os.WriteFile(path, data[:start+rng.IntN(len(last))], 0o600); err != nil {
		t.Fatal(err)
	}
}
