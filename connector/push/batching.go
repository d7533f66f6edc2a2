package push

import (
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// batchRowsFunc sizes batch index, which starts at input row firstRow
// (0-based): the engine's batches are cut where it says (or earlier, where
// a POST's byte limit ends them). It must depend only on its arguments and
// the limits, so that a resumed run finds batch i at the same rows.
type batchRowsFunc func(index, firstRow int) int

// hourlyBatchRows sizes the engine's batches so that the push is both
// settleable and as fast as the limits allow:
//
//   - settleable: batches take distinctBatchRows rows (maxRows − 2^(index mod
//     MaxPendingPosts)), so any MaxPendingPosts consecutive batches have
//     subset sums all different (Settle can tell which landed);
//   - fast: the cumulative row count hits every multiple of RowsPerHour
//     exactly. A short "filler" batch closes each RowsPerHour block, so each
//     hour window can take a whole block. Without it 3,000,000 rows in
//     9,984–9,999-row batches are 301 batches and the 301st spills into a
//     fourth hour; with it they are 303 batches in three hours' windows, the
//     2h the limits allow for full 10,000-row batches.
//
// A filler of f rows keeps subset sums distinct when 2^P ≤ f ≤ maxRows − 2^P
// (P = MaxPendingPosts), provided it is the only short batch among any P
// consecutive ones: any collision would need f = m·maxRows − Δ with |Δ| < 2^P
// (fillerDecidable). A filler outside that range is not cut: the batch takes
// its distinct size and crosses the boundary (one hour window misaligned,
// never an ambiguous settle). Blocks must hold at least P batches for fillers
// to be P apart; with smaller quotas (RowsPerHour < P·maxRows), and with
// batches too small for distinct sizes, the function is distinctBatchRows.
// Batches never exceed RowsPerHour, which the pacer could never let through.
func hourlyBatchRows(l schema.Limits) batchRowsFunc {
	maxRows, pending, perHour := l.MaxRowsPerPost, l.MaxPendingPosts, l.RowsPerHour
	if perHour > 0 && perHour < maxRows {
		maxRows = perHour
	}
	aligned := distinctFits(maxRows, pending) && perHour >= pending*maxRows
	return func(index, firstRow int) int {
		d := distinctBatchRows(index, maxRows, pending)
		if !aligned || firstRow < 0 {
			return d
		}
		left := perHour - firstRow%perHour // rows left in this hour's block
		if left < d && fillerDecidable(left, maxRows, pending) {
			return left
		}
		return d
	}
}

// distinctFits says whether distinctBatchRows gives distinct sizes for these
// limits (otherwise it gives maxRows every time).
func distinctFits(maxRows, pending int) bool {
	return pending >= 1 && pending < 31 && maxRows > 2<<pending
}

// fillerDecidable says whether a batch of rows, the only one among
// MaxPendingPosts consecutive batches not of its distinctBatchRows size,
// leaves their subset sums all different.
func fillerDecidable(rows, maxRows, pending int) bool {
	return distinctFits(maxRows, pending) && rows >= 1<<pending && rows <= maxRows-1<<pending
}

// subsetSumsDistinct says whether every subset of sizes has its own sum: what
// Settle needs of the batches that may be unresolved at once.
func subsetSumsDistinct(sizes []int) bool {
	if len(sizes) > writer.MaxCandidates {
		return false
	}
	seen := make(map[int]bool, 1<<len(sizes))
	for subset := range 1 << len(sizes) {
		sum := 0
		for i, s := range sizes {
			if subset&(1<<i) != 0 {
				sum += s
			}
		}
		if seen[sum] {
			return false
		}
		seen[sum] = true
	}
	return true
}

// planBatches is the batch sizes rows make with rows (ignoring the byte limit,
// which only ends batches earlier), in order.
func planBatches(totalRows int, rows batchRowsFunc) []int {
	var out []int
	for first := 0; first < totalRows; {
		n := min(max(rows(len(out), first), 1), totalRows-first)
		out = append(out, n)
		first += n
	}
	return out
}

// uniform sizes every batch alike.
func uniform(batchRows int) batchRowsFunc {
	return func(int, int) int { return batchRows }
}

// distinctBatchRows is the row count for batch index when batches hold at
// most maxRows and at most pending are unresolved at once: maxRows − 2^(index
// mod pending). Any subset of pending consecutive batches then has a sum no
// other subset has (the powers of two differ and stay below maxRows), which
// is what lets Settle tell which batches of a killed run landed. It costs
// under 0.2% of a POST's rows with the documented limits (9,984–9,999 of
// 10,000). For tiny batches, where that trick does not fit, it is maxRows.
func distinctBatchRows(index, maxRows, pending int) int {
	if pending < 1 || pending >= 31 || maxRows <= 2<<pending {
		return maxRows
	}
	return maxRows - 1<<(index%pending)
}
