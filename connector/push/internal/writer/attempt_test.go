package writer

import (
	"context"
	"errors"
	"testing"

	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// postTable answers every POST with err; it is never counted.
type postTable struct{ err error }

func (t postTable) PostRows(context.Context, []byte) error { return t.err }
func (postTable) CountRows(context.Context) (int64, error) { return 0, errors.New("not counted here") }

// Every outcome of one attempt releases the gate it held shared, leaves no
// POST counted as waiting for its answer, frees the pacer's in-flight slot,
// and is recorded as it should be.
func TestAttemptReleasesTheGateOnEveryPath(t *testing.T) {
	refused := errors.New("refused")
	tests := []struct {
		name        string
		postErr     error
		kind        FailureKind
		stopping    bool // the write is stopping before the POST
		closed      bool // the checkpoint cannot record
		want        attempted
		wantPending bool // left ambiguous, for settling
	}{
		{name: "acknowledged", want: attempted{sent: true}},
		{name: "stopping", stopping: true, want: attempted{cancelled: true}},
		{name: "checkpoint fails", closed: true, want: attempted{recordErr: errors.New("")}},
		{name: "refused for good", postErr: refused, kind: Fatal, want: attempted{sent: true, err: refused, f: Failure{Kind: Fatal}}},
		{name: "throttled", postErr: refused, kind: Throttled, want: attempted{sent: true, err: refused, f: Failure{Kind: Throttled}}},
		{name: "transient", postErr: refused, kind: Transient, want: attempted{sent: true, err: refused, f: Failure{Kind: Transient}}},
		{name: "no answer", postErr: refused, kind: Ambiguous, want: attempted{sent: true, err: refused, f: Failure{Kind: Ambiguous}},
			wantPending: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			h := checkpoint.Header{Key: checkpoint.Key{Fingerprint: "f"}, TotalRows: 10, Batches: 1}
			c, err := checkpoint.Create(dir, h, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tt.closed {
				c.Close()
			}
			p, err := pacer.New(pacer.Config{Limits: schema.DocumentedLimits()})
			if err != nil {
				t.Fatal(err)
			}
			w, err := New(Config{Table: postTable{tt.postErr}, Classify: func(error) Failure { return Failure{Kind: tt.kind} },
				Pacer: p, Checkpoint: c})
			if err != nil {
				t.Fatal(err)
			}
			pm, wait := p.TryAcquire(10)
			if pm == nil {
				t.Fatalf("no permit: %+v", wait)
			}
			stop, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.stopping {
				cancel()
			}
			b := Batch{Index: 0, Rows: 10, Body: []byte("{}")}

			got := w.attempt(stop, context.Background(), b, pm)

			if got.cancelled != tt.want.cancelled || got.sent != tt.want.sent || got.err != tt.want.err ||
				got.f != tt.want.f || (got.recordErr != nil) != (tt.want.recordErr != nil) {
				t.Errorf("attempt = %+v, want %+v", got, tt.want)
			}
			if !w.gate.TryLock() {
				t.Fatal("the gate is still held after the attempt")
			}
			w.gate.Unlock()
			if n := p.InFlight(); n != 0 {
				t.Errorf("%d POSTs in flight in the pacer, want 0 (the permit is done)", n)
			}
			w.mu.Lock()
			posting, pending := w.posting, len(w.ambiguous) > 0
			w.mu.Unlock()
			if posting != 0 {
				t.Errorf("%d POSTs counted as waiting for their answer, want 0", posting)
			}
			if pending != tt.wantPending {
				t.Errorf("left ambiguous: %v, want %v", pending, tt.wantPending)
			}
		})
	}
}
