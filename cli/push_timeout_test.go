package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/outcome"
)

// Power BI answers every POST rows with 429 and Retry-After: 315360000 (ten
// years): the push used to print "waiting 87600h" and wait. Now it stops at
// once, exit 6, saying when Power BI will take requests again, the JSON
// summary and the history say so too, and --resume then writes every row
// exactly once.
func TestPushThrottledBeyondBudgetStops(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, sandbox.Options{})
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "Throttled", "--table", "T", "--mode", "append"}
	f.mustPush(append(target, "--input", writeIDs(t, t.TempDir(), 10))...) // the dataset exists before the fault
	f.fault(`{"throttleFor":"87600h"}`)
	const n = 25_000
	path := writeIDs(t, t.TempDir(), n)
	start := time.Now()
	code, stdout, stderr := f.run(demoPasswordEnv, pushArgs(append(target, "--input", path, "--json")...)...)
	if code != 6 {
		t.Fatalf("exit %d, want 6\n%s", code, stderr)
	}
	for _, want := range []string{
		"Power BI asked to wait 87600h before the next request (429 Too Many Requests, Retry-After): longer than --max-throttle-wait 1h allows",
		"Stopped after 0 of 25,000 rows (0 of 3 batches)",
		"To continue where it stopped, after ",
		"(when Power BI said it would take requests again): pbiwb push",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "waiting 87600h") {
		t.Errorf("it waited:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var last push.Event
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Summary == nil {
		t.Fatalf("last JSON line %q: %v", lines[len(lines)-1], err)
	}
	s := last.Summary
	if s.Outcome != outcome.Stopped || s.ExitCode != 6 || !strings.HasSuffix(s.ResumeHint, " --resume") ||
		s.ResumeAfter.Before(start.Add(87599*time.Hour)) {
		t.Errorf("summary: outcome %s, exit %d, resume after %v, hint %q", s.Outcome, s.ExitCode, s.ResumeAfter, s.ResumeHint)
	}
	recs := f.history()
	if len(recs) == 0 || recs[0].Outcome != outcome.Stopped || recs[0].ExitCode != 6 || len(recs[0].Errors) == 0 ||
		!strings.Contains(recs[0].Errors[len(recs[0].Errors)-1].Message, "longer than --max-throttle-wait 1h allows") {
		t.Errorf("history: %+v", recs[0])
	}

	f.fault(`{}`)
	if code, _, stderr := f.run(demoPasswordEnv, pushArgs(append(target, "--input", path, "--resume")...)...); code != exitcode.OK {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if got := len(f.storedRows(f.datasetID(demo.WorkspaceSales, "Throttled"), "T")); got != n+10 {
		t.Errorf("the table holds %d rows, want %d", got, n+10)
	}
}

// A Power BI that never answers: groups gives up after --request-timeout
// (with its retries) instead of hanging, and says why.
func TestGroupsRequestTimeout(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, sandbox.Options{})
	f.fault(`{"latency":"1h"}`)
	code, _, stderr := f.run(demoPasswordEnv, append(append([]string{"groups"}, demoUserFlags...), "--request-timeout", "300ms")...)
	if code == exitcode.OK || !strings.Contains(stderr, "nothing arrived for 300ms (the request timeout, --request-timeout)") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

func TestTimeoutFlagsUsage(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, sandbox.Options{})
	base := []string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "a.csv"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{pushArgs(append(base, "--request-timeout", "0")...), "--request-timeout 0s: give a positive duration"},
		{pushArgs(append(base, "--max-throttle-wait", "-1m")...), "--max-throttle-wait -1m0s: give a positive duration"},
		{pushArgs(append(base, "--max-throttle-wait", "soon")...), "max-throttle-wait"},
		{append([]string{"groups", "--request-timeout", "0"}, demoUserFlags...), "--request-timeout 0s"},
	} {
		code, _, stderr := f.run(demoPasswordEnv, tt.args...)
		if code != exitcode.Usage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, want 2 naming %q\n%s", tt.args, code, tt.want, stderr)
		}
	}
}
