package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
)

var t0 = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

// clock is a settable time for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := &clock{t: t0}
	s := New(filepath.Join(t.TempDir(), "history"))
	s.Now = c.now
	return s, c
}

func sample() Record {
	return Record{Input: "orders.csv", Mode: "replace", RowsTotal: 3_000_000, BatchesTotal: 300,
		Target: Target{APIBase: "https://api.powerbi.com", WorkspaceID: "ws", WorkspaceName: "Sales Analytics",
			DatasetID: "ds", DatasetName: "Orders", Table: "Orders"}}
}

func TestRunLifecycle(t *testing.T) {
	s, c := newStore(t)
	run, err := s.Start(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(run.ID(), "20261127-093000.000-") || len(run.ID()) != len("20261127-093000.000-abcdef") {
		t.Fatalf("id %q", run.ID())
	}
	got, err := s.Get(run.ID())
	if err != nil || got.Outcome != outcome.Running || got.ExitCode != -1 || got.PID != os.Getpid() {
		t.Fatalf("started: %+v, %v", got, err)
	}

	// Updates within a second stay in memory; the next one after it saves.
	run.Update(func(r *Record) { r.RowsWritten, r.BatchesDone = 10_000, 1 })
	if got, _ := s.Get(run.ID()); got.RowsWritten != 0 {
		t.Errorf("update saved within a second of the last save")
	}
	c.advance(time.Second)
	run.Update(func(r *Record) { r.RowsWritten, r.BatchesDone = 20_000, 2 })
	if got, _ := s.Get(run.ID()); got.RowsWritten != 20_000 {
		t.Errorf("update after a second not saved: %d rows", got.RowsWritten)
	}

	c.advance(time.Minute)
	err = run.Finish(outcome.Stopped, 6, func(r *Record) {
		r.Errors = append(r.Errors, Error{Message: "Power BI kept failing", Status: 503, RequestID: "rq-1"})
		r.ResumeHint = "pbiwb push … --resume"
		r.Waits = map[string]WaitTotal{"rowsPerHour": {Count: 1, Seconds: 41}}
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(run.ID()[:18])
	if err != nil {
		t.Fatal(err)
	}
	want := run.Record()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	if got.Outcome != outcome.Stopped || got.ExitCode != 6 || !got.End.Equal(t0.Add(time.Minute+time.Second)) ||
		got.Errors[0].RequestID != "rq-1" || got.Waits["rowsPerHour"].Seconds != 41 {
		t.Errorf("finished record %+v", got)
	}
	run.Update(func(r *Record) { r.RowsWritten = 1 }) // ignored after Finish
	if got, _ := s.Get(run.ID()); got.RowsWritten != 20_000 {
		t.Error("update after Finish changed the record")
	}
	entries, _ := os.ReadDir(s.Dir)
	if len(entries) != 1 {
		t.Errorf("%d files, want 1 (no temporary files left)", len(entries))
	}
}

func TestListAndGet(t *testing.T) {
	s, c := newStore(t)
	var ids []string
	for i := range 4 {
		run, err := s.Start(sample())
		if err != nil {
			t.Fatal(err)
		}
		run.Finish(outcome.Succeeded, 0, nil)
		ids = append(ids, run.ID())
		c.advance(time.Duration(i+1) * time.Hour)
	}
	os.WriteFile(filepath.Join(s.Dir, "20200101-000000-bad000.json"), []byte("{torn"), 0o600)

	all, err := s.List(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("%d runs, want 4 (the damaged one skipped)", len(all))
	}
	for i, r := range all {
		if r.ID != ids[3-i] {
			t.Errorf("run %d is %s, want %s (newest first)", i, r.ID, ids[3-i])
		}
	}
	if last, _ := s.List(2); len(last) != 2 || last[0].ID != ids[3] {
		t.Errorf("List(2) = %v", last)
	}

	tests := []struct {
		name, id string
		want     string
		err      string
	}{
		{"exact", ids[1], ids[1], ""},
		{"unique prefix", ids[2][:12], ids[2], ""},
		{"with .json", ids[0] + ".json", ids[0], ""},
		{"ambiguous", "20261127-", "", "matches several runs"},
		{"none", "1999", "", "no run with that id"},
		{"empty", "", "", "no run with that id"},
		{"path", "../x", "", "no run with that id"},
		{"damaged", "20200101", "", "is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Get(tt.id)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got.ID != tt.want {
				t.Fatalf("got %s, %v; want %s", got.ID, err, tt.want)
			}
		})
	}
	if _, err := s.Get("1999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("not found is %v, want ErrNotFound", err)
	}
	empty := New(filepath.Join(t.TempDir(), "none"))
	if runs, err := empty.List(10); err != nil || len(runs) != 0 {
		t.Errorf("missing dir: %v, %v", runs, err)
	}
}

// A run killed with kill -9 leaves "running"; the next read says what it was.
func TestRunningRecordsResolve(t *testing.T) {
	s, _ := newStore(t)
	run, err := s.Start(sample())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		host  string
		pid   int
		alive bool
		want  outcome.Outcome
	}{
		{"this process", "", 0, false, outcome.Running},
		{"another live process here", "", 99999, true, outcome.Running},
		{"a dead process here", "", 99999, false, outcome.Interrupted},
		{"another host", "elsewhere", 99999, false, outcome.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := New(s.Dir)
			reader.Alive = func(int) bool { return tt.alive }
			if tt.pid != 0 {
				reader.pid = tt.pid + 1 // the reader is another process
				run.Update(func(r *Record) {})
				rec := run.Record()
				rec.PID = tt.pid
				if tt.host != "" {
					rec.Host = tt.host
				}
				r2 := &Run{s: s, rec: rec}
				if err := r2.save(); err != nil {
					t.Fatal(err)
				}
			}
			got, err := reader.Get(run.ID())
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want {
				t.Errorf("outcome %q, want %q (note %q)", got.Outcome, tt.want, got.Note)
			}
			if tt.want == outcome.Interrupted && !strings.Contains(got.Note, "killed") {
				t.Errorf("note %q", got.Note)
			}
		})
	}
}

func TestProcessAlive(t *testing.T) {
	if !processAlive(os.Getpid()) {
		t.Fatal("this process reads as dead")
	}
	if processAlive(0) || processAlive(-5) {
		t.Fatal("pid 0 reads as alive")
	}
	// A child that has exited (and been waited for) reads as dead.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if processAlive(cmd.Process.Pid) {
		t.Errorf("exited child %d reads as alive", cmd.Process.Pid)
	}
}

func TestRecentPosts(t *testing.T) {
	s, c := newStore(t)
	for i, ds := range []string{"ds", "other", "ds"} {
		r := sample()
		r.Target.DatasetID = ds
		r.Posts = []Post{{End: t0.Add(time.Duration(i) * time.Minute), Rows: 10}, {End: t0.Add(-2 * time.Hour), Rows: 99}}
		run, _ := s.Start(r)
		run.Finish(outcome.Succeeded, 0, nil)
		c.advance(time.Second)
	}
	got, err := s.RecentPosts("https://api.powerbi.com", "ds", t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []Post{{End: t0, Rows: 10}, {End: t0.Add(2 * time.Minute), Rows: 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	s, c := newStore(t)
	run, _ := s.Start(sample())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				c.advance(100 * time.Millisecond)
				if err := run.Update(func(r *Record) { r.BatchesDone++ }); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	run.Finish(outcome.Succeeded, 0, nil)
	if got, _ := s.Get(run.ID()); got.BatchesDone != 400 {
		t.Errorf("batches %d, want 400", got.BatchesDone)
	}
}

// Runs started within one second keep their order: ids carry milliseconds.
func TestListOrdersRunsOfOneSecond(t *testing.T) {
	s, c := newStore(t)
	var ids []string
	for range 20 {
		run, err := s.Start(sample())
		if err != nil {
			t.Fatal(err)
		}
		run.Finish(outcome.Succeeded, 0, nil)
		ids = append(ids, run.ID())
		c.advance(7 * time.Millisecond)
	}
	got, err := s.List(3)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if want := ids[len(ids)-1-i]; r.ID != want {
			t.Errorf("List(3)[%d] = %s, want %s", i, r.ID, want)
		}
	}
}

// Records written before Outcome and ExitCode were typed load as the same
// outcome and code, and are written back with the same strings and numbers.
func TestStoredOutcomesAndCodesLoad(t *testing.T) {
	s, _ := newStore(t)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		stored string
		code   int
		want   outcome.Outcome
	}{
		{"succeeded", 0, outcome.Succeeded},
		{"failed", 5, outcome.Failed},
		{"interrupted", 130, outcome.Interrupted},
		{"stopped", 6, outcome.Stopped},
	} {
		id := fmt.Sprintf("20261127-093000.00%d-abcdef", i)
		raw := fmt.Sprintf(`{"id":%q,"start":"2026-11-27T09:30:00Z","updated":"2026-11-27T09:31:00Z","input":"orders.csv",`+
			`"target":{"table":"Orders"},"mode":"replace","outcome":%q,"exitCode":%d}`, id, tt.stored, tt.code)
		if err := os.WriteFile(filepath.Join(s.Dir, id+".json"), []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != tt.want || r.ExitCode != exitcode.Code(tt.code) {
			t.Errorf("%s: outcome %q, exit %d; want %q, %d", tt.stored, r.Outcome, r.ExitCode, tt.want, tt.code)
		}
		b, err := json.Marshal(r)
		if err != nil || !strings.Contains(string(b), fmt.Sprintf(`"outcome":%q,"exitCode":%d`, tt.stored, tt.code)) {
			t.Errorf("%s written back as %s (%v)", tt.stored, b, err)
		}
	}
}
