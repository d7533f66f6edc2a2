package sandbox_test

import (
	"context"
	"testing"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// PUT table keeps the rows, unless the putTableClearsRows fault is set: then
// the schema changes and the rows are gone.
func TestPutTableClearsRowsFault(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	c := powerbi.New(ep, powerbi.StaticToken(sandboxtest.UserToken(t, s)))
	ctx, sales := context.Background(), demo.WorkspaceSalesID
	narrow := powerbi.Table{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}
	wider := powerbi.Table{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}, {Name: "note", DataType: "String"}}}
	widest := powerbi.Table{Name: "T", Columns: append(wider.Columns, powerbi.Column{Name: "at", DataType: "DateTime"})}
	d, err := c.CreateDataset(ctx, sales, powerbi.CreateDataset{Name: "Guarded", Tables: []powerbi.Table{narrow}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":1},{"id":2},{"id":3}]}`)); err != nil {
		t.Fatal(err)
	}
	count := func(when string, want int64) {
		t.Helper()
		if n, err := c.CountRows(ctx, sales, d.ID, "T"); err != nil || n != want {
			t.Fatalf("%s: CountRows = %d, %v; want %d", when, n, err, want)
		}
	}
	if err := c.PutTable(ctx, sales, d.ID, wider); err != nil {
		t.Fatal(err)
	}
	count("after a PUT without the fault", 3)
	sandboxtest.Fault(t, s, `{"putTableClearsRows":true}`)
	if err := c.PutTable(ctx, sales, d.ID, widest); err != nil {
		t.Fatal(err)
	}
	count("after a PUT with putTableClearsRows", 0)
	if tables, err := c.Tables(ctx, sales, d.ID); err != nil || len(tables[0].Columns) != 3 {
		t.Errorf("the schema after the PUT: %+v, %v", tables, err)
	}
	if err := c.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":4,"note":"x"}]}`)); err != nil {
		t.Fatal(err)
	}
	count("a POST after the cleared PUT", 1)
	sandboxtest.Fault(t, s, `{}`)
	if err := c.PutTable(ctx, sales, d.ID, widest); err != nil {
		t.Fatal(err)
	}
	count("after the fault is cleared", 1)
}
