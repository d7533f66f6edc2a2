package domoapi

import (
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// TestDemoIsPushable: the zero-setup demo must push without a single
// validation error, so every cell of Sales Orders converts to the Power BI
// type its Domo type maps to (and NULL stays NULL).
func TestDemoIsPushable(t *testing.T) {
	table := SalesOrders()
	types := make([]schema.Type, len(table.Columns))
	for i, c := range table.Columns {
		pt, err := schema.FromDomo(c.Type)
		if err != nil {
			t.Fatalf("column %q: %v", c.Name, err)
		}
		types[i] = pt
	}
	var scratch []byte
	for i, row := range table.Rows() {
		for j, v := range row {
			quoted := !v.Null && v.Text == ""
			if schema.IsNull(types[j], []byte(v.Text), quoted) != v.Null && types[j] == schema.String {
				t.Fatalf("row %d %q: NULL-ness changes in a String column", i, table.Columns[j].Name)
			}
			if v.Null || (v.Text == "" && types[j] != schema.String) {
				continue
			}
			var err error
			if scratch, err = schema.AppendJSON(scratch[:0], types[j], []byte(v.Text)); err != nil {
				t.Fatalf("row %d %q = %q: %v", i, table.Columns[j].Name, v.Text, err)
			}
			if types[j] == schema.String && len([]rune(v.Text)) > 4000 {
				t.Fatalf("row %d %q: longer than Power BI's 4,000 characters", i, table.Columns[j].Name)
			}
		}
	}
}
