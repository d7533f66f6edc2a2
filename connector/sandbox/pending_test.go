package sandbox_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// pendingPosts is what the sandbox counts as pending for a dataset.
func pendingPosts(t *testing.T, s *sandbox.Server, workspace, id string) int64 {
	t.Helper()
	for _, w := range sandboxtest.GetState(t, s).Workspaces {
		for _, d := range w.Datasets {
			if w.Name == workspace && d.ID == id {
				return d.PendingPosts
			}
		}
	}
	t.Fatalf("no dataset %s in %s", id, workspace)
	return 0
}

// waitUntil polls cond; the minute bounds a hang, it is not a timing.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A POST rows is pending from its arrival to its answer, its injected
// latency included: five POSTs held by an hour of latency keep a sixth slow
// POST, sent with the product's client, out with 429. The five have no body,
// so the server notices when their client gives up (over HTTP/1.1 it would
// notice only once a body was read, after the hour), and the hour means
// nothing ends before the sixth is refused, however slow the machine.
func TestSlowPostsArePending(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	tok := sandboxtest.UserToken(t, s)
	c := powerbi.New(ep, powerbi.StaticToken(tok))
	ctx, sales := context.Background(), demo.WorkspaceSalesID
	d, err := c.CreateDataset(ctx, sales, powerbi.CreateDataset{Name: "Slow", Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.Fault(t, s, `{"latency":"1h"}`)
	hctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	held := make(chan error, 5)
	for range 5 {
		go func() {
			req, _ := http.NewRequestWithContext(hctx, "POST", s.URL()+"/v1.0/myorg/groups/"+sales+"/datasets/"+d.ID+"/tables/T/rows", http.NoBody)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := s.Client().Do(req)
			if err == nil {
				res.Body.Close()
			}
			held <- err
		}()
	}
	waitUntil(t, "five slow POSTs pending", func() bool { return pendingPosts(t, s, demo.WorkspaceSales, d.ID) == 5 })
	sandboxtest.Fault(t, s, `{"latency":"100ms"}`) // the sixth is slow too, but not held for the hour
	start := time.Now()
	err = c.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":6}]}`))
	if pe := pbiError(t, "the sixth POST", err); pe.Status != 429 || pe.RetryAfter != time.Second || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("the sixth POST, after %v: %+v", time.Since(start), pe)
	}
	giveUp()
	for range 5 {
		if err := <-held; err == nil {
			t.Error("a POST held for the hour was answered")
		}
	}
	waitUntil(t, "nothing pending once the five gave up", func() bool { return pendingPosts(t, s, demo.WorkspaceSales, d.ID) == 0 })
	if err := c.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":7}]}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountRows(ctx, sales, d.ID, "T"); err != nil || n != 1 {
		t.Errorf("CountRows = %d, %v; want 1", n, err)
	}
	if got := sandboxtest.GetState(t, s).Counters(demo.WorkspaceSales, "Slow"); got["postRowsThrottled"] != 1 || got["postRowsAccepted"] != 1 {
		t.Errorf("counters %v", got)
	}
}
