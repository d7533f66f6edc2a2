package writer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"
	"github.com/pbiwb/pbiwb/format"
)

// Stability is how settling makes sure the row count it decides on is not
// about to change. A POST whose answer never came may still be on its way
// into the table: a server that has the body goes on processing it after
// the client hung up, was interrupted or was killed (Power BI does not say
// otherwise — UNCONFIRMED how long a late commit may lag; the sandbox, like
// a real server, commits after its latency). A count taken right after the
// ambiguity would settle such a batch as "not landed", the batch would be
// sent again, and the late commit would duplicate its rows. So settling
// counts, waits Quiet, counts again, and decides only once two consecutive
// counts agree — or gives up after Limit. The waits are real time, also
// under the sandbox's time scale: late commits are real-time events.
type Stability struct {
	Quiet time.Duration // between two counts; default 2s
	Limit time.Duration // give up when the count still moves after this; default 30s
}

// DefaultStability is Stability's defaults.
var DefaultStability = Stability{Quiet: 2 * time.Second, Limit: 30 * time.Second}

func (s Stability) withDefaults() Stability {
	if s.Quiet <= 0 {
		s.Quiet = DefaultStability.Quiet
	}
	if s.Limit <= 0 {
		s.Limit = DefaultStability.Limit
	}
	return s
}

// ErrCountUnsettled: the table's row count kept changing while settling
// waited for it to hold still.
var ErrCountUnsettled = errors.New("the table's row count kept changing")

// Count calls count until two consecutive answers, Quiet apart, agree, and
// returns that count. fields names the setting its error advises (resume).
func (s Stability) Count(ctx context.Context, fields field.Namer, count func(context.Context) (int64, error)) (int64, error) {
	s = s.withDefaults()
	deadline := time.Now().Add(max(s.Limit, s.Quiet)) // at least one recount
	last, err := count(ctx)
	if err != nil {
		return 0, err
	}
	for {
		if time.Now().Add(s.Quiet).After(deadline) {
			return 0, &StopError{Batch: -1, Err: fmt.Errorf("%w for %s (now %s rows) while settling batches with an unknown outcome: "+
				"someone else may be writing to the table; run again with %s once it holds still",
				ErrCountUnsettled, s.Limit, format.Thousands(last), field.Or(fields).Name(field.Resume))}
		}
		t := time.NewTimer(s.Quiet)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
		n, err := count(ctx)
		if err != nil {
			return 0, err
		}
		if n == last {
			return n, nil
		}
		last = n
	}
}

// SettleResume settles the batches a stopped run left in flight (sent, no
// outcome recorded) before a resume sends anything: it counts the table's
// rows until the count holds still (see Stability), records the landed ones
// as acknowledged and the others as void, and updates st so that st.Acked
// and st.NextBatch are right. Nothing else may be writing to the table
// meanwhile. fields names the settings its errors advise (Config.Fields).
func SettleResume(ctx context.Context, t Table, classify Classifier, c *checkpoint.Checkpoint, st *checkpoint.State, stab Stability,
	fields field.Namer) error {
	if len(st.Unresolved) == 0 {
		return nil
	}
	counted, err := stab.Count(ctx, fields, func(ctx context.Context) (int64, error) {
		n, err := t.CountRows(ctx)
		if err != nil {
			f := classify(err)
			return 0, &StopError{Batch: -1, Failure: f, Refused: f.Kind == Fatal,
				Err: fmt.Errorf("count the table's rows to settle the batches in flight when the run stopped: %w", err)}
		}
		return n, nil
	})
	if err != nil {
		return err
	}
	cands := make([]Candidate, len(st.Unresolved))
	refs := map[int]checkpoint.BatchRef{}
	for i, b := range st.Unresolved {
		cands[i] = Candidate{Index: b.Index, Rows: b.Rows}
		refs[b.Index] = b
	}
	s, err := Settle(SettleInput{CountBefore: st.Header.CountBefore, AckedRows: st.AckedRows(), Counted: counted,
		Candidates: cands, TableCap: st.Header.TableCap, MaybeCap: st.Header.MaybeCap, Fields: fields})
	if err != nil {
		return unverifiable(err, counted, st.Header.TableCap, st.Header.MaybeCap, st.Unresolved, fields)
	}
	for _, i := range s.Landed {
		if err := c.Acked(refs[i]); err != nil {
			return err
		}
		st.Acked[i] = refs[i].Rows
	}
	for _, i := range s.Resend {
		if err := c.Void(refs[i]); err != nil {
			return err
		}
	}
	st.Unresolved = nil
	return nil
}
