package push

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/outcome"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// scripts drive a Tracker through a push on a fake clock.
var scripts = map[string]func(tr *Tracker, clock *clock.Fake){
	"succeeded": func(tr *Tracker, clock *clock.Fake) {
		l := schema.DocumentedLimits()
		tr.Phase(PhaseValidating, "")
		clock.Advance(2 * time.Second)
		tr.Phase(PhaseResolving, "")
		clock.Advance(time.Second)
		tr.Phase(PhaseDeleting, "")
		clock.Advance(time.Second)
		tr.Phase(PhaseWriting, "")
		for range 5 {
			tr.Sending()
		}
		tr.Waiting(pacer.Wait{Reason: pacer.ReasonPending, Start: clock.Now()}) // not shown: it is the pace itself
		for range 5 {
			clock.Advance(100 * time.Millisecond) // throttled: only some of these print
			tr.Answered(10_000)
		}
		start := clock.Now()
		w := pacer.Wait{Reason: pacer.ReasonRowsPerHour, Limit: pacer.ReasonRowsPerHour.Describe(l), Start: start, Until: start.Add(41 * time.Second)}
		tr.Waiting(w)
		tr.Waiting(w) // a second sender waiting for the same window
		clock.Advance(41 * time.Second)
		tr.Sending()
		clock.Advance(time.Second)
		tr.Answered(0)
		tr.Retrying(RetryInfo{Batch: 6, Attempt: 2, DelaySeconds: 1.5, Cause: "HTTP 503 Service Unavailable", RequestID: "rq-503"}, false)
		clock.Advance(1500 * time.Millisecond)
		tr.Sending()
		clock.Advance(time.Second)
		tr.Answered(5_000)
		tr.Phase(PhaseVerifying, "")
		clock.Advance(time.Second)
		tr.Finish(Summary{Outcome: outcome.Succeeded, Table: "Orders", Verified: true, TableRows: 55_000, MinimumSeconds: 40})
	},
	"stopped": func(tr *Tracker, clock *clock.Fake) {
		tr.Phase(PhaseWriting, "Writing 55,000 rows in 6 batches (resumed: 2 batches already written)")
		tr.Resumed(20_000, 2)
		tr.Sending()
		clock.Advance(700 * time.Millisecond)
		tr.Answered(10_000)
		tr.Sending()
		tr.Retrying(RetryInfo{Batch: 4, Attempt: 2, DelaySeconds: 30, Cause: "HTTP 429 Too Many Requests", RequestID: "rq-429"}, true)
		start := clock.Now()
		tr.Waiting(pacer.Wait{Reason: pacer.ReasonRetryAfter, Limit: "Retry-After from Power BI (429)", Start: start, Until: start.Add(30 * time.Second)})
		clock.Advance(30 * time.Second)
		tr.Failed(ErrorInfo{Message: "Power BI kept failing: 5 attempts", Status: 500, Code: "InternalServerError", RequestID: "rq-500", Batch: 4})
		tr.Answered(0)
		tr.Finish(Summary{Outcome: outcome.Stopped, ExitCode: 6, Table: "Orders",
			ResumeHint: "pbiwb push --group 'Sales Analytics' --dataset Orders --table Orders --input orders.csv --resume"})
	},
}

// TestEventStreamGolden keeps the event stream of each script as --json
// prints it, one event a line; the cli package's printer tests read these
// files to render them.
func TestEventStreamGolden(t *testing.T) {
	for name, script := range scripts {
		t.Run(name, func(t *testing.T) {
			clock := clock.NewFake(t0)
			var out bytes.Buffer
			tr := NewTracker(clock, 55_000, 6, func(e Event) {
				b, err := json.Marshal(e)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(append(b, '\n'))
			})
			script(tr, clock)
			golden(t, filepath.Join("testdata", name+".events.jsonl"), out.Bytes())
			checkJSONLines(t, out.Bytes())
		})
	}
}

func checkJSONLines(t *testing.T, out []byte) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, line := range lines {
		var e Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d is not an event: %v", i+1, err)
		}
		if i == len(lines)-1 && (e.Kind != KindSummary || e.Summary == nil) {
			t.Errorf("last line is %q, want the summary", e.Kind)
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
func TestTrackerThroughputAndETA(t *testing.T) {
	clock := clock.NewFake(t0)
	tr := NewTracker(clock, 1_000_000, 100)
	for range 60 {
		clock.Advance(time.Second)
		tr.Sending()
		tr.Answered(1_000)
	}
	p := tr.Snapshot()
	if p.RowsPerSecond != 1_000 {
		t.Errorf("rows/s %v, want 1000 over the last 30s", p.RowsPerSecond)
	}
	if p.ETASeconds != 940 {
		t.Errorf("ETA %v, want 940s from throughput", p.ETASeconds)
	}
	tr.ETA = func(left int64) time.Duration { return time.Duration(left) * time.Millisecond }
	if p := tr.Snapshot(); p.ETASeconds != 940 {
		t.Errorf("ETA from the hook %v, want 940", p.ETASeconds)
	}
	if p.InFlight != 0 || p.BatchesDone != 60 || p.RowsWritten != 60_000 {
		t.Errorf("progress %+v", p)
	}
	if n := len(tr.samples); n > 32 {
		t.Errorf("tracker keeps %d samples, want about one per second of the window", n)
	}
}
