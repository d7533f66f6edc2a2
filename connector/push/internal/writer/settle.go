package writer

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/format"
)

// Settling an ambiguous POST (its body was sent, no answer came — or the run
// was killed with requests in flight). POST rows is not idempotent, so the
// engine never just sends again: it waits until nothing else is in flight,
// asks the service how many rows the table holds (COUNTROWS), and compares
// with what it knows:
//
//	expected = rows before the run + rows of acknowledged batches
//	counted − expected = the rows of the batches that landed among the
//	                     unresolved ones (the candidates)
//
// With one candidate: 0 → it did not land, send it again; its rows → it
// landed, mark it acknowledged; anything else → someone else writes the table,
// stop. With several candidates (a kill -9 with 5 in flight) the difference
// must be the sum of exactly one subset of them. Equal-sized batches make
// subsets ambiguous (two of three 10,000-row batches landed — which two?), so
// the engine sizes batches with distinctBatchRows (through hourlyBatchRows,
// whose one short filler per hour keeps the property: push's batching.go): any
// MaxPendingPosts consecutive batches then have subset sums that are all
// different, and the engine keeps its unresolved batches within that many
// consecutive indices. The input's last batch, whatever rows are left, is
// the exception: rarely, it makes a killed run's window ambiguous, and
// Settle then stops with Undecidable rather than guess.

// Candidate is a batch whose outcome is unknown.
type Candidate struct {
	Index int `json:"index"`
	Rows  int `json:"rows"`
}

// SettleInput is what Settle decides from.
type SettleInput struct {
	CountBefore int64       // rows the table held when the run started (0 after a replace's delete)
	AckedRows   int64       // rows of the acknowledged batches
	Counted     int64       // what COUNTROWS answers now, with nothing in flight
	Candidates  []Candidate // the batches whose outcome is unknown
	// TableCap is the rows a basicFIFO table keeps (0 without retention):
	// once a FIFO table may have evicted rows, its count proves nothing.
	TableCap int64
	// MaybeCap is TableCap for a table whose retention is unknown: a count
	// at that cap, when the table may have reached it, is FIFO eviction
	// (Unverifiable), not someone else's rows; any other count is exact.
	MaybeCap int64
	// Fields names the settings a SettleError advises; nil is field.Plain.
	Fields field.Namer
}

// Settlement says which candidates landed (now acknowledged) and which to send again.
type Settlement struct {
	Landed []int
	Resend []int
}

// SettleProblem is why the count cannot settle the candidates.
type SettleProblem int

const (
	// ForeignRows: the count matches no combination of our batches: someone
	// else writes (or deletes) rows in the table.
	ForeignRows SettleProblem = iota + 1
	// Undecidable: several combinations of our batches match the count.
	Undecidable
	// Unverifiable: a FIFO table may have evicted rows, so counts prove nothing.
	Unverifiable
	// TooManyCandidates: more unresolved batches than the search allows.
	TooManyCandidates
)

// SettleError is a count that does not settle the candidates: the push must
// stop (exit 6) rather than risk duplicate or missing rows.
type SettleError struct {
	Problem    SettleProblem
	Expected   int64 // rows before + acknowledged rows
	Counted    int64
	Candidates []Candidate
	// Fields names the settings the message advises; nil is field.Plain.
	Fields field.Namer
}

func (e *SettleError) Error() string {
	replace := field.Or(e.Fields).Setting(field.Mode, "replace")
	batches := make([]int, len(e.Candidates))
	pending := 0
	for i, c := range e.Candidates {
		batches[i], pending = c.Index+1, pending+c.Rows
	}
	switch e.Problem {
	case ForeignRows:
		return fmt.Sprintf("the table holds %s rows but this push accounts for %s, plus up to %s of batches %v whose outcome is unknown: "+
			"someone else is writing to or deleting from the table; stop the other writer, then push again with %s",
			format.Thousands(e.Counted), format.Thousands(e.Expected), format.Thousands(int64(pending)), batches, replace)
	case Undecidable:
		return fmt.Sprintf("the table holds %s rows, %s more than acknowledged, but several combinations of batches %v add up to that: "+
			"cannot tell which landed; push again with %s",
			format.Thousands(e.Counted), format.Thousands(e.Counted-e.Expected), batches, replace)
	case Unverifiable:
		return fmt.Sprintf("batches %v may or may not have landed, and a FIFO table that may have evicted rows cannot be counted to tell: "+
			"push again with %s", batches, replace)
	case TooManyCandidates:
		return fmt.Sprintf("%d batches have an unknown outcome, too many to settle by counting rows; push again with %s", len(batches), replace)
	}
	return "cannot settle the batches with an unknown outcome"
}

// FIFOSlack is how far over its cap a basicFIFO table may run: Power BI
// keeps "200,000–210,000" rows (docs/sources.md; UNCONFIRMED exactly).
func FIFOSlack(tableCap int64) int64 { return tableCap / 20 }

// MaxCandidates bounds the subset search (2^n sums): Settle refuses more
// batches with an unknown outcome than that.
const MaxCandidates = 16

// Settle decides, from the table's row count, which of the candidates landed.
func Settle(in SettleInput) (Settlement, error) {
	expected := in.CountBefore + in.AckedRows
	fail := func(p SettleProblem) (Settlement, error) {
		return Settlement{}, &SettleError{Problem: p, Expected: expected, Counted: in.Counted, Candidates: in.Candidates, Fields: in.Fields}
	}
	if len(in.Candidates) > MaxCandidates {
		return fail(TooManyCandidates)
	}
	var pending int64
	for _, c := range in.Candidates {
		pending += int64(c.Rows)
	}
	if in.TableCap > 0 && expected+pending > in.TableCap {
		return fail(Unverifiable)
	}
	if in.MaybeCap > 0 && expected+pending > in.MaybeCap && in.Counted >= in.MaybeCap && in.Counted <= in.MaybeCap+FIFOSlack(in.MaybeCap) {
		return fail(Unverifiable)
	}
	diff := in.Counted - expected
	match, matches := 0, 0
	for subset := range 1 << len(in.Candidates) {
		var sum int64
		for i, c := range in.Candidates {
			if subset&(1<<i) != 0 {
				sum += int64(c.Rows)
			}
		}
		if sum == diff {
			match, matches = subset, matches+1
		}
	}
	switch {
	case matches == 0:
		return fail(ForeignRows)
	case matches > 1:
		return fail(Undecidable)
	}
	var s Settlement
	for i, c := range in.Candidates {
		if match&(1<<i) != 0 {
			s.Landed = append(s.Landed, c.Index)
		} else {
			s.Resend = append(s.Resend, c.Index)
		}
	}
	sort.Ints(s.Landed)
	sort.Ints(s.Resend)
	return s, nil
}

// settle waits until nothing is in flight, counts the table's rows and
// decides every ambiguous batch at once; it returns whether batch i landed.
// why tells people what happened to batch i.
func (w *Writer) settle(ctx context.Context, i int, why string) (bool, error) {
	w.gate.Lock()
	defer w.gate.Unlock()
	w.mu.Lock()
	if landed, ok := w.settled[i]; ok { // another sender settled it meanwhile
		delete(w.settled, i)
		w.mu.Unlock()
		return landed, nil
	}
	var cands []Candidate
	for _, r := range w.ambiguous {
		cands = append(cands, Candidate{Index: r.Index, Rows: r.Rows})
	}
	sort.Slice(cands, func(a, b int) bool { return cands[a].Index < cands[b].Index })
	acked := w.ackedRows
	w.mu.Unlock()

	w.c.Events.Settling(why)
	defer w.c.Events.Writing()
	counted, err := w.c.Stability.Count(ctx, w.c.Fields, w.countRows)
	if err != nil {
		if why := w.uncountable(err); why != "" {
			return false, &UncountedError{Why: why, Fields: w.c.Fields} // Write names the batches
		}
		return false, err
	}
	s, err := Settle(SettleInput{CountBefore: w.c.CountBefore, AckedRows: acked, Counted: counted,
		Candidates: cands, TableCap: w.c.TableCap, MaybeCap: w.c.MaybeCap, Fields: w.c.Fields})
	if err != nil {
		return false, unverifiable(err, counted, w.c.TableCap, w.c.MaybeCap, nil, w.c.Fields)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, idx := range s.Landed {
		ref := w.ambiguous[idx]
		if err := w.c.Checkpoint.Acked(ref); err != nil {
			return false, &StopError{Batch: idx, Err: err}
		}
		w.ackedRows += int64(ref.Rows)
		w.throttledSince = time.Time{}
		w.settled[idx] = true
		delete(w.ambiguous, idx)
	}
	for _, idx := range s.Resend {
		if err := w.c.Checkpoint.Void(w.ambiguous[idx]); err != nil {
			return false, &StopError{Batch: idx, Err: err}
		}
		w.settled[idx] = false
		delete(w.ambiguous, idx)
	}
	landed := w.settled[i]
	delete(w.settled, i)
	return landed, nil
}

// uncountable is Config.Uncountable's word on err, "" without one.
func (w *Writer) uncountable(err error) string {
	if w.c.Uncountable == nil {
		return ""
	}
	return w.c.Uncountable(err)
}

// countRows asks for the row count, retrying what is worth retrying.
func (w *Writer) countRows(ctx context.Context) (int64, error) {
	for attempt := 1; ; attempt++ {
		n, err := w.c.Table.CountRows(ctx)
		if err == nil {
			return n, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		f := w.c.Classify(err)
		if f.Kind == Fatal || attempt >= w.c.Attempts {
			return 0, &StopError{Batch: -1, Failure: f, Refused: f.Kind == Fatal,
				Err: fmt.Errorf("count the table's rows to settle a batch with an unknown outcome: %w", err)}
		}
		delay := w.backoff(attempt)
		if f.Kind == Throttled && f.RetryAfter > delay {
			delay = f.RetryAfter
			if te := w.overBudget(w.c.Clock.Now(), delay); te != nil {
				return 0, &StopError{Batch: -1, Failure: f, Err: te, ResumeAfter: te.Until}
			}
		}
		if err := clock.Sleep(ctx, w.c.Clock, delay); err != nil {
			return 0, err
		}
	}
}
