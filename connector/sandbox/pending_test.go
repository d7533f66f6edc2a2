package sandbox_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// A POST rows is pending from its arrival to its answer, its injected
// latency included: of six concurrent slow POSTs to a dataset, the sixth is
// refused with 429. The latency is an hour, so nothing can end before the
// sixth is refused however slow the machine; clearing the fault then
// releases the five.
func TestSlowPostsArePending(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	c := powerbi.New(ep, powerbi.StaticToken(sandboxtest.UserToken(t, s)))
	ctx, sales := context.Background(), demo.WorkspaceSalesID
	d, err := c.CreateDataset(ctx, sales, powerbi.CreateDataset{Name: "Slow", Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.Fault(t, s, `{"latency":"1h"}`)
	errs := make(chan error, 6)
	for i := range 6 {
		go func() {
			errs <- c.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":`+strconv.Itoa(i)+`}]}`))
		}()
	}
	// A bound for a hang, not a timing: the sixth is refused once all six
	// arrived, and the five stay pending for the hour.
	deadline := time.Now().Add(time.Minute)
	for sandboxtest.GetState(t, s).Counters(demo.WorkspaceSales, "Slow")["postRowsThrottled"] != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no POST was refused: %+v", sandboxtest.GetState(t, s).Counters(demo.WorkspaceSales, "Slow"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := sandboxtest.GetState(t, s); st.PostRowsInFlight != 6 || st.Counters(demo.WorkspaceSales, "Slow")["postRowsAccepted"] != 0 {
		t.Errorf("while held: %d in flight, counters %v; want 6 in flight, none accepted", st.PostRowsInFlight, st.Counters(demo.WorkspaceSales, "Slow"))
	}
	sandboxtest.Fault(t, s, `{}`)
	var refused []*powerbi.Error
	for range 6 {
		if err := <-errs; err != nil {
			pe := pbiError(t, "PostRows", err)
			if pe.Status != 429 || pe.RetryAfter != time.Second {
				t.Errorf("refused POST: %+v", pe)
			}
			refused = append(refused, pe)
		}
	}
	if len(refused) != 1 {
		t.Errorf("%d of 6 slow POSTs refused, want 1", len(refused))
	}
	if n, err := c.CountRows(ctx, sales, d.ID, "T"); err != nil || n != 5 {
		t.Errorf("CountRows = %d, %v; want the 5 accepted rows", n, err)
	}
}
