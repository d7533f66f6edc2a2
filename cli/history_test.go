package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/outcome"
)

// historyRuns writes three runs through connector/history, a minute apart,
// and returns their ids oldest first.
func historyRuns(t *testing.T, dir string) []string {
	t.Helper()
	store := history.New(dir)
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	target := history.Target{APIBase: "https://api.powerbi.com", WorkspaceName: "Sales Analytics", WorkspaceID: "ws-1",
		DatasetName: "Orders", DatasetID: "ds-1", Table: "T"}
	runs := []struct {
		input   string
		outcome outcome.Outcome
		code    exitcode.Code
		change  func(*history.Record)
	}{
		{"orders.csv", outcome.Succeeded, 0, func(r *history.Record) {
			r.RowsWritten, r.RowsTotal, r.BatchesDone, r.BatchesTotal, r.Verified = 12345, 12345, 2, 2, true
		}},
		{"domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4", outcome.Stopped, 6, func(r *history.Record) {
			r.RowsWritten, r.RowsTotal, r.BatchesDone, r.BatchesTotal = 10000, 30000, 1, 3
			r.Retries, r.Throttled = 2, 3
			r.Waits = map[string]history.WaitTotal{"retryAfter": {Count: 3, Seconds: 95}, "postsPerMinute": {Count: 1, Seconds: 4}}
			r.Errors = []history.Error{
				{Time: start.Add(90 * time.Second), Message: "Power BI is throttling requests to this dataset", Status: 429, Code: "TooManyRequests", RequestID: "req-429-a"},
				{Time: start.Add(100 * time.Second), Message: "Power BI had an internal error (503)", Status: 503, RequestID: "req-503-b"},
			}
			r.ResumeHint = "pbiwb push --group 'Sales Analytics' --dataset Orders --table T --input domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4 --resume"
		}},
		{"orders.csv", outcome.Failed, 5, func(r *history.Record) {
			r.Errors = []history.Error{{Message: "not a push dataset", Status: 404, Code: "ItemNotFound", RequestID: "req-404-c"}}
		}},
	}
	var ids []string
	for i, r := range runs {
		at := start.Add(time.Duration(i) * time.Minute)
		store.Now = func() time.Time { return at }
		run, err := store.Start(history.Record{Input: r.input, Target: target, Mode: "replace"})
		if err != nil {
			t.Fatal(err)
		}
		store.Now = func() time.Time { return at.Add(42 * time.Second) }
		if err := run.Finish(r.outcome, r.code, r.change); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID())
	}
	return ids
}

func runHistoryCmd(t *testing.T, homeDir string, args ...string) (exitcode.Code, string, string) {
	t.Helper()
	env, out, errb := testEnv(nil)
	code := Main(context.Background(), append([]string{"--home", homeDir, "history"}, args...), env)
	return code, out.String(), errb.String()
}

func TestHistoryList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dirs, _ := home.Resolve(dir)
	code, stdout, stderr := runHistoryCmd(t, dir)
	if code != exitcode.OK || stdout != "" || !strings.Contains(stderr, "No runs recorded yet") {
		t.Errorf("empty: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := runHistoryCmd(t, dir, "--json"); code != exitcode.OK || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("empty --json: exit %d %q", code, stdout)
	}

	ids := historyRuns(t, dirs.History())
	code, stdout, stderr = runHistoryCmd(t, dir)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 runs:\n%s", stdout)
	}
	for _, h := range []string{"RUN", "WHEN", "INPUT", "TARGET", "MODE", "ROWS", "DURATION", "OUTCOME"} {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header lacks %s: %q", h, lines[0])
		}
	}
	// Newest first.
	for i, want := range []struct{ id, outcome, rows string }{
		{ids[2], "failed", "0"}, {ids[1], "stopped (3×429)", "10,000/30,000"}, {ids[0], "succeeded", "12,345"},
	} {
		l := lines[i+1]
		if !strings.HasPrefix(l, want.id) || !strings.Contains(l, want.outcome) || !strings.Contains(l, want.rows) ||
			!strings.Contains(l, "Sales Analytics / Orders / T") || !strings.Contains(l, "replace") || !strings.Contains(l, "42s") {
			t.Errorf("line %d = %q, want %+v", i+1, l, want)
		}
	}

	code, stdout, _ = runHistoryCmd(t, dir, "--last", "1")
	if code != exitcode.OK || strings.Count(strings.TrimSpace(stdout), "\n") != 1 || !strings.Contains(stdout, ids[2]) {
		t.Errorf("--last 1: exit %d\n%s", code, stdout)
	}

	code, stdout, _ = runHistoryCmd(t, dir, "--json", "--last", "2")
	var got []history.Record
	if code != exitcode.OK || json.Unmarshal([]byte(stdout), &got) != nil || len(got) != 2 || got[0].ID != ids[2] || got[1].Throttled != 3 {
		t.Errorf("--json --last 2: exit %d %+v\n%s", code, got, stdout)
	}
}

func TestHistoryDetail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dirs, _ := home.Resolve(dir)
	ids := historyRuns(t, dirs.History())

	// A unique prefix, flags after the id.
	code, stdout, stderr := runHistoryCmd(t, dir, ids[1][:len(ids[1])-2])
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, w := range []string{
		"Run", ids[1], "stopped (exit 6)",
		"domo:845305d8-da3d-4107-a9d6-13ef3f86d4a4",
		"Sales Analytics (ws-1)", "Orders (ds-1)",
		"10,000 of 30,000 written; 1 of 3 batches",
		"Retries", "2", "Throttled", "3 (429 answers)",
		"POST rows requests per minute per dataset: 1 wait, 4s in all", "Retry-After from Power BI (429): 3 waits, 1m35s in all",
		"Errors (2):", "429 TooManyRequests Power BI is throttling", "RequestId req-429-a", "503 Power BI had an internal error", "RequestId req-503-b",
		"Continue this run with:", "--resume",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("detail lacks %q:\n%s", w, stdout)
		}
	}

	code, stdout, _ = runHistoryCmd(t, dir, ids[2], "--json")
	var r history.Record
	if code != exitcode.OK || json.Unmarshal([]byte(stdout), &r) != nil || r.ID != ids[2] || r.Errors[0].RequestID != "req-404-c" {
		t.Errorf("--json detail: exit %d %+v", code, r)
	}
	// A failed run has no resume command.
	code, stdout, _ = runHistoryCmd(t, dir, ids[2])
	if code != exitcode.OK || strings.Contains(stdout, "Continue this run") || !strings.Contains(stdout, "req-404-c") {
		t.Errorf("failed run detail: exit %d\n%s", code, stdout)
	}
}

func TestHistoryUnknownOrAmbiguousID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dirs, _ := home.Resolve(dir)
	ids := historyRuns(t, dirs.History())

	// One character wrong: the run it resembles comes first.
	typo := []byte(ids[1])
	typo[len(typo)-1] ^= 1
	if string(typo) == ids[0] || string(typo) == ids[2] {
		t.Skip("the typo hit another id")
	}
	code, stdout, stderr := runHistoryCmd(t, dir, string(typo))
	if code != exitcode.Failure || stdout != "" || !strings.Contains(stderr, "closest: "+ids[1]) {
		t.Errorf("typo: exit %d, stderr %q; want 1 listing %s first", code, stderr, ids[1])
	}
	code, _, stderr = runHistoryCmd(t, dir, "2026")
	if code != exitcode.Failure || !strings.Contains(stderr, "several runs") {
		t.Errorf("ambiguous: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runHistoryCmd(t, t.TempDir(), "20261127")
	if code != exitcode.Failure || !strings.Contains(stderr, "no runs are recorded yet") {
		t.Errorf("empty history: exit %d, stderr %q", code, stderr)
	}
	for _, args := range [][]string{{"a", "b"}, {"--last", "-1"}, {"--nope"}} {
		if code, _, _ := runHistoryCmd(t, dir, args...); code != exitcode.Usage {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestHistoryCloseIDs(t *testing.T) {
	t.Parallel()
	runs := []history.Record{{ID: "20261127-100000-aaaaaa"}, {ID: "20261127-090000-bbbbbb"}, {ID: "20261126-090000-cccccc"}}
	got := histCloseIDs("20261126-090000-ccccca", runs)
	if got[0] != "20261126-090000-cccccc" {
		t.Errorf("closest %v", got)
	}
	if d := histEditDistance("kitten", "sitting"); d != 3 {
		t.Errorf("distance %d", d)
	}
}

// Run ids carry the start second and a random suffix: two runs of one second
// are still listed newest first.
func TestHistorySameSecondOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dirs, _ := home.Resolve(dir)
	store := history.New(dirs.History())
	base := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 6 {
		at := base.Add(time.Duration(i) * 100 * time.Millisecond)
		store.Now = func() time.Time { return at }
		run, err := store.Start(history.Record{Input: "in.csv", Mode: "append"})
		if err != nil {
			t.Fatal(err)
		}
		run.Finish(outcome.Succeeded, 0, nil)
		ids = append(ids, run.ID())
	}
	code, stdout, _ := runHistoryCmd(t, dir, "--json")
	var got []history.Record
	if code != exitcode.OK || json.Unmarshal([]byte(stdout), &got) != nil || len(got) != len(ids) {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	for i, r := range got {
		if r.ID != ids[len(ids)-1-i] {
			t.Errorf("position %d: %s, want %s", i, r.ID, ids[len(ids)-1-i])
		}
	}
}

// A run stopped on a POST without an answer while counting was refused:
// its details name the batches and why, and give a command for each answer
// (a plain --resume would stop again); a verified count's explanation shows.
func TestHistoryDetailUnsettled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dirs, _ := home.Resolve(dir)
	store := history.New(dirs.History())
	target := history.Target{WorkspaceName: "Sales Analytics", WorkspaceID: "ws-1", DatasetName: "Orders", DatasetID: "ds-1", Table: "T"}
	req := &history.Request{Push: cmdline.Push{Account: "demo", Input: "orders.csv", Group: "Sales Analytics", Dataset: "Orders", Table: "T", Mode: "append"}}
	stopped, err := store.Start(history.Record{Input: "orders.csv", Target: target, Mode: "append", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if err := stopped.Finish(outcome.Stopped, exitcode.Stopped, func(r *history.Record) {
		r.Unsettled = &history.Unsettled{Why: "Power BI refused to count the table's rows", Batches: []history.UnsettledBatch{{Batch: 3, FirstRow: 19_999, Rows: 9_997}}}
	}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runHistoryCmd(t, dir, stopped.ID())
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, w := range []string{
		"batch 3 (input rows 19,999–29,995) got no answer, and pbiwb cannot tell whether their rows landed: Power BI refused to count",
		"if they landed:\n  pbiwb push --account demo --input orders.csv --group 'Sales Analytics' --dataset Orders --table T --mode append --resume --assume-sent\n",
		"if they did not:\n  pbiwb push --account demo --input orders.csv --group 'Sales Analytics' --dataset Orders --table T --mode append --resume --assume-lost\n",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("detail lacks %q:\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, "Continue this run with:") {
		t.Errorf("detail offers a plain resume:\n%s", stdout)
	}

	evicted, err := store.Start(history.Record{Input: "orders.csv", Target: target, Mode: "append", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if err := evicted.Finish(outcome.Succeeded, exitcode.OK, func(r *history.Record) {
		r.Verified, r.CountNote = true, "the table keeps only the newest 200,000 rows (FIFO)"
	}); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := runHistoryCmd(t, dir, evicted.ID()); code != exitcode.OK || !strings.Contains(stdout, "the newest 200,000 rows (FIFO)") {
		t.Errorf("count note: exit %d\n%s", code, stdout)
	}
}
