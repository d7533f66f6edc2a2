package outcome

import (
	"encoding/json"
	"testing"
)

// The strings are stored in history files and printed by --json: a record
// written by an earlier version must read back as the same outcome.
func TestStoredStrings(t *testing.T) {
	for o, stored := range map[Outcome]string{
		Running: "running", Unknown: "unknown", Succeeded: "succeeded",
		Failed: "failed", Interrupted: "interrupted", Stopped: "stopped",
	} {
		b, err := json.Marshal(struct {
			Outcome Outcome `json:"outcome"`
		}{o})
		if err != nil || string(b) != `{"outcome":"`+stored+`"}` {
			t.Errorf("%s encodes as %s, %v", o, b, err)
		}
		var rec struct {
			Outcome Outcome `json:"outcome"`
		}
		if err := json.Unmarshal([]byte(`{"outcome":"`+stored+`"}`), &rec); err != nil || rec.Outcome != o {
			t.Errorf("%q decodes as %q, %v", stored, rec.Outcome, err)
		}
	}
}

func TestResumable(t *testing.T) {
	for _, tt := range []struct {
		o    Outcome
		want bool
	}{
		{Running, false}, {Unknown, false}, {Succeeded, false}, {Failed, false},
		{Interrupted, true}, {Stopped, true}, {"something newer", false},
	} {
		if got := tt.o.Resumable(); got != tt.want {
			t.Errorf("%q.Resumable() = %v, want %v", tt.o, got, tt.want)
		}
	}
}
