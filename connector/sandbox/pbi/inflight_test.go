package pbi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// A POST rows shows in the state as in flight from its arrival (before its
// body is read, before any injected latency), so a test can kill a client
// while the server holds it. The POST is held by a body that does not end
// until released, not by a latency, so no load can make it answer before the
// state is read.
func TestStateCountsPostRowsInFlight(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	ds := e.createDataset(t, demo.WorkspaceSalesID, "", intTable)
	inFlight := func() int64 {
		var st struct {
			N int64 `json:"postRowsInFlight"`
		}
		if err := json.Unmarshal(e.do("GET", "/_sandbox/state", nil, "").body, &st); err != nil {
			t.Fatal(err)
		}
		return st.N
	}
	release := make(chan struct{})
	done := make(chan resp)
	go func() {
		done <- e.do("POST", rowsPath(demo.WorkspaceSalesID, ds, "T"), &blockingBody{release: release}, e.user)
	}()
	deadline := time.Now().Add(time.Minute)
	for inFlight() != 1 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the POST held by its body never showed as in flight")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if r := <-done; r.status != 200 {
		t.Fatalf("POST rows: %v", r)
	}
	if n := inFlight(); n != 0 {
		t.Fatalf("after the answer, postRowsInFlight = %d, want 0", n)
	}
}

// The sandbox's own latency (pbiwb sandbox --latency) also counts a POST
// rows as pending while it waits, and a client that gives up during it
// leaves nothing pending. (The POST has no body: over HTTP/1.1 the server
// notices a client leaving only once the body is read, and here the body
// would be read after the hour.)
func TestLatencyCountsAsPending(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	ds := e.createDataset(t, demo.WorkspaceSalesID, "", intTable)
	e.srv.cfg.Latency = time.Hour
	state := func() (pending, inFlight, rows int) {
		var st struct {
			N          int `json:"postRowsInFlight"`
			Workspaces []struct {
				Datasets []struct {
					PendingPosts int
					Tables       []struct{ RowCount int }
				}
			}
		}
		if err := json.Unmarshal(e.do("GET", "/_sandbox/state", nil, "").body, &st); err != nil {
			t.Fatal(err)
		}
		d := st.Workspaces[0].Datasets[0]
		return d.PendingPosts, st.N, d.Tables[0].RowCount
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+rowsPath(demo.WorkspaceSalesID, ds, "T"), http.NoBody)
	req.Header.Set("Authorization", "Bearer "+e.user)
	done := make(chan error)
	go func() {
		res, err := e.ts.Client().Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(time.Minute) // bounds a hang; the POST is held for an hour
	for p, n, _ := state(); p != 1 || n != 1; p, n, _ = state() {
		if time.Now().After(deadline) {
			t.Fatalf("the POST held by the latency: pending %d, in flight %d; want 1 and 1", p, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled POST was answered")
	}
	for p, n, rows := state(); p != 0 || n != 0 || rows != 0; p, n, rows = state() {
		if time.Now().After(deadline) {
			t.Fatalf("after the client gave up: pending %d, in flight %d, rows %d; want 0, 0, 0", p, n, rows)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
