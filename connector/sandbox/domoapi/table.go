package domoapi

import (
	"iter"
	"slices"
	"time"
)

// Column is a DataSet column as Domo's schema names it. Type is one of
// STRING, LONG, DOUBLE, DECIMAL, DATE, DATETIME.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Value is one cell exactly as the CSV export writes it: its text, or NULL.
// A NULL is exported as an empty unquoted field, an empty string as "".
type Value struct {
	Text string
	Null bool
}

// Owner is a DataSet's owner (a Domo user).
type Owner struct {
	ID   int64
	Name string
}

// Table is a seeded DataSet: metadata plus a deterministic row generator, so
// rows are produced while they are streamed and never held in memory.
type Table struct {
	ID          string
	Name        string
	Description string
	Owner       Owner
	CoOwners    []int64 // user ids who may read it besides the owner
	Columns     []Column
	RowCount    int

	CreatedAt, UpdatedAt, DataCurrentAt time.Time

	fill func(i int, row []Value) // writes row i into row (len == len(Columns))
}

// Row returns row i (0-based) as a new slice.
func (t *Table) Row(i int) []Value {
	row := make([]Value, len(t.Columns))
	t.fill(i, row)
	return row
}

// Rows yields every row in export order. The slice is reused between
// iterations: copy it to keep it.
func (t *Table) Rows() iter.Seq2[int, []Value] {
	return func(yield func(int, []Value) bool) {
		row := make([]Value, len(t.Columns))
		for i := range t.RowCount {
			t.fill(i, row)
			if !yield(i, row) {
				return
			}
		}
	}
}

// readableBy reports whether Domo user id may read the DataSet: its owner or
// a co-owner (the seed's rule for writeback inputs).
func (t *Table) readableBy(userID int64) bool {
	return t.Owner.ID == userID || slices.Contains(t.CoOwners, userID)
}
