package pbi

import (
	"encoding/json"
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
