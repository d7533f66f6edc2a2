package sandbox_test

import (
	"context"
	"testing"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// Operations › Sensor Feed is a full basicFIFO dataset pbiwb did not create:
// the product's client finds it, counts 200,000 rows, and an append keeps
// the newest 200,000.
func TestSensorFeedThroughClient(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	c := powerbi.New(ep, powerbi.StaticToken(sandboxtest.UserToken(t, s)))
	ctx, ops := context.Background(), demo.WorkspaceOperationsID
	d, err := c.FindDataset(ctx, ops, demo.SensorFeedDatasetName)
	if err != nil || d.ID != demo.SensorFeedDatasetID || !d.IsPush() {
		t.Fatalf("FindDataset: %+v, %v", d, err)
	}
	tables, err := c.Tables(ctx, ops, d.ID)
	if err != nil || len(tables) != 1 || tables[0].Name != demo.SensorFeedTable || len(tables[0].Columns) != 3 ||
		tables[0].Columns[0].DataType != "Datetime" || tables[0].Columns[1].DataType != "String" || tables[0].Columns[2].DataType != "Double" {
		t.Fatalf("tables: %+v, %v", tables, err)
	}
	if n, err := c.CountRows(ctx, ops, d.ID, demo.SensorFeedTable); err != nil || n != demo.SensorFeedRows {
		t.Fatalf("CountRows = %d, %v", n, err)
	}
	body := []byte(`{"rows":[{"Timestamp":"2026-12-01T00:00:00Z","SensorId":"S-99","Value":1.5},{"Timestamp":"2026-12-01T00:00:10Z","SensorId":"S-99","Value":2.5}]}`)
	if err := c.PostRows(ctx, ops, d.ID, demo.SensorFeedTable, body); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountRows(ctx, ops, d.ID, demo.SensorFeedTable); err != nil || n != demo.SensorFeedRows {
		t.Fatalf("after the append, CountRows = %d, %v", n, err)
	}
	rows := sandboxtest.Rows(t, s, d.ID, demo.SensorFeedTable)
	if first, last := rows[0]["Timestamp"], rows[len(rows)-1]["Timestamp"]; len(rows) != demo.SensorFeedRows ||
		first != "2026-10-01T00:00:20Z" || last != "2026-12-01T00:00:10Z" {
		t.Fatalf("%d rows from %v to %v; want the oldest two evicted", len(rows), first, last)
	}
	if ev := sandboxtest.GetState(t, s).Counters(demo.WorkspaceOperations, demo.SensorFeedDatasetName)["rowsEvicted"]; ev != 2 {
		t.Errorf("rowsEvicted = %d, want 2", ev)
	}
}
