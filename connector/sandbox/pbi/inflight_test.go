package pbi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// A POST rows held by an injected latency shows in the state as in flight
// from its arrival, so a test can kill a client while the server holds it.
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
	e.must(t, 200, e.do("POST", "/_sandbox/faults", `{"latency":"400ms"}`, ""))
	done := make(chan resp)
	go func() { done <- e.do("POST", rowsPath(demo.WorkspaceSalesID, ds, "T"), intRows(0, 3), e.user) }()
	deadline := time.Now().Add(5 * time.Second)
	for inFlight() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the POST held by the latency never showed as in flight")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := <-done; r.status != 200 {
		t.Fatalf("POST rows: %v", r)
	}
	if n := inFlight(); n != 0 {
		t.Fatalf("after the answer, postRowsInFlight = %d, want 0", n)
	}
}
