package source

import (
	"fmt"
	"math/bits"

	"github.com/pbiwb/pbiwb/format"
)

// Batch fingerprints: the first complete pass of Batches (Prepare's, which
// encodes every batch before anything is written) records one per batch,
// over the input bytes of the batch's rows; every later pass (the writer's)
// checks each batch against its fingerprint before yielding it, so a batch
// whose rows changed in the file is never sent. The header is fingerprinted
// too. Memory: two numbers per batch.
//
// A fingerprint is two sums over the batch's rows, modulo the prime
// 2^61−1: S0 = Σ h_i and S1 = Σ (i+1)·h_i, h_i a seeded hash of row i's
// bytes. When a single row changed (an edit in place), the differences
// give its index — (S1'−S1)/(S0'−S0) = i+1 — so the message names its
// line; when several did, the quotient lands outside the batch (but with
// a chance of about rows/2^61) and the message names the batch's lines.

const mersenne61 = 1<<61 - 1

func reduce61(x uint64) uint64 {
	x = (x & mersenne61) + (x >> 61)
	if x >= mersenne61 {
		x -= mersenne61
	}
	return x
}

func mul61(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b) // a, b < 2^61: hi < 2^58
	return reduce61((lo & mersenne61) + (lo >> 61) + reduce61(hi<<3))
}

func add61(a, b uint64) uint64 { return reduce61(a + b) }
func sub61(a, b uint64) uint64 { return reduce61(a + mersenne61 - b) }

// inv61 is a's inverse (a ≠ 0): a^(p−2).
func inv61(a uint64) uint64 {
	r, e := uint64(1), uint64(mersenne61-2)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = mul61(r, a)
		}
		a = mul61(a, a)
	}
	return r
}

// batchPrint is a batch's fingerprint.
type batchPrint struct {
	rows   int
	s0, s1 uint64
}

// add adds the next row's hash.
func (b *batchPrint) add(h uint64) {
	h = reduce61(h)
	b.s0 = add61(b.s0, h)
	b.s1 = add61(b.s1, mul61(uint64(b.rows+1), h))
	b.rows++
}

// changedRow is the index of the single row whose change turns want into
// got, or -1 when no single row explains the difference.
func changedRow(want, got batchPrint) int {
	d0, d1 := sub61(got.s0, want.s0), sub61(got.s1, want.s1)
	if want.rows != got.rows || d0 == 0 {
		return -1
	}
	i := mul61(d1, inv61(d0))
	if i < 1 || i > uint64(got.rows) {
		return -1
	}
	return int(i) - 1
}

// ChangedError: the input is not what the first pass checked. The rows
// from FirstLine on were not yielded (so not sent).
type ChangedError struct {
	Name string
	// Line is the first line found changed; when Exact is false, the
	// change is somewhere in lines Line..LastLine (one batch).
	Line     int
	LastLine int
	Exact    bool
	What     string // how it changed, for people
}

func (e *ChangedError) Error() string {
	where := fmt.Sprintf("line %s", format.Thousands(int64(e.Line)))
	if !e.Exact {
		where = fmt.Sprintf("a line between %s and %s", format.Thousands(int64(e.Line)), format.Thousands(int64(e.LastLine)))
	}
	return fmt.Sprintf("%s changed since it was checked: %s %s", e.Name, where, e.What)
}
