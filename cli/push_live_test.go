package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/outcome"
)

// terminal is what a terminal shows of the bytes written to it: lines, a
// cursor, and the three controls the live block uses (cursor up, carriage
// return, erase below).
type terminal struct {
	mu     sync.Mutex
	lines  []string
	row    int
	writes int
}

var control = regexp.MustCompile(`^\x1b\[(\d*)([AJ])`)

func (t *terminal) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	s := string(b)
	for len(s) > 0 {
		if m := control.FindStringSubmatch(s); m != nil {
			switch m[2] {
			case "A":
				n, _ := strconv.Atoi(m[1])
				t.row = max(0, t.row-n)
			case "J":
				t.lines = t.lines[:min(t.row, len(t.lines))]
			}
			s = s[len(m[0]):]
			continue
		}
		switch s[0] {
		case '\r':
			s = s[1:]
			continue
		case '\n':
			t.row++
			s = s[1:]
			continue
		case '\x1b':
			return 0, fmt.Errorf("unexpected control sequence %q", s)
		}
		text, _, _ := strings.Cut(s, "\n")
		if i := strings.IndexAny(text, "\r\x1b"); i >= 0 {
			text = text[:i]
		}
		for len(t.lines) <= t.row {
			t.lines = append(t.lines, "")
		}
		t.lines[t.row] = text // each line is written whole
		s = s[len(text):]
	}
	return len(b), nil
}

func (t *terminal) screen() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// On a terminal, pbiwb push keeps one status block: redrawn in place, the
// wait counting down, the lines that stay printed above it, and nothing of
// it left when the summary comes.
func TestLiveBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		term := &terminal{}
		p := newPushPrinter(term, nil, pushPrinterOptions{Columns: func() int { return 100 }})
		start := time.Now()
		prog := push.Progress{RowsTotal: 1_100_000, BatchesTotal: 112, ETASeconds: 70}
		p.Observe(push.Event{Kind: push.KindPhase, Time: start, Phase: push.PhaseValidating})
		p.Observe(push.Event{Kind: push.KindPhase, Time: start, Phase: push.PhaseWriting, Progress: prog})
		for i := 1; i <= 50; i++ {
			prog.RowsWritten, prog.BatchesDone, prog.InFlight, prog.RowsPerSecond = int64(i)*10_000, i, 5, 41_200
			p.Observe(push.Event{Kind: push.KindProgress, Time: time.Now(), Progress: prog})
		}
		time.Sleep(liveRefresh)
		synctest.Wait()
		want := "Reading and checking the input\nWriting 1,100,000 rows in 112 batches\n" +
			"[██████████░░░░░░░░░░░░░░]  45%  500,000 / 1,100,000 rows\n" +
			"batch 50/112 · 5 in flight · 41,200 rows/s · ETA 1m10s"
		if got := term.screen(); got != want {
			t.Fatalf("screen:\n%s\nwant\n%s", got, want)
		}
		writes := term.writes

		// A wait: its line counts down with no event.
		prog.Wait = &push.WaitInfo{Reason: "rowsPerHour", Limit: "1,000,000 rows per hour per dataset", Seconds: 47, Until: time.Now().Add(47 * time.Second)}
		p.Observe(push.Event{Kind: push.KindWait, Time: time.Now(), Progress: prog})
		time.Sleep(10*time.Second + liveRefresh)
		synctest.Wait()
		if got := term.screen(); !strings.HasSuffix(got, "ETA 1m\nwaiting 37s: 1,000,000 rows per hour per dataset") {
			t.Errorf("after 10s of a 47s wait:\n%s", got)
		}
		if n := term.writes - writes; n < 20 {
			t.Errorf("%d redraws in 10s of countdown", n)
		}

		// A retry stays, above the block; the block is drawn once.
		p.Observe(push.Event{Kind: push.KindRetry, Time: time.Now(), Retry: &push.RetryInfo{Batch: 51, Attempt: 2, DelaySeconds: 1, Cause: "HTTP 503"}})
		if got := term.screen(); strings.Count(got, "rows/s") != 1 || !strings.Contains(got, "batches\nretrying batch 51 (attempt 2) in 1s: HTTP 503\n[") {
			t.Errorf("after a retry:\n%s", got)
		}

		prog.Wait, prog.RowsWritten, prog.BatchesDone = nil, 1_100_000, 112
		p.Observe(push.Event{Kind: push.KindSummary, Time: time.Now(), Progress: prog, Summary: &push.Summary{Outcome: outcome.Succeeded,
			RowsWritten: 1_100_000, BatchesDone: 112, Table: "T", ElapsedSeconds: 61}})
		want = "Reading and checking the input\nWriting 1,100,000 rows in 112 batches\nretrying batch 51 (attempt 2) in 1s: HTTP 503\n" +
			"Done: 1,100,000 rows in 112 batches written into T in 1m01s."
		if got := term.screen(); got != want {
			t.Errorf("at the end:\n%s\nwant\n%s", got, want)
		}
		p.close() // again, as runPush's defer does: nothing more
		if err := p.Err(); err != nil {
			t.Error(err)
		}
	})
}

// Piped, a wait is printed once, though every writer in flight reports
// it, and the sliver a writer reports as it ends is not printed.
func TestPlainWaitOnce(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	p := newPushPrinter(&out, nil, pushPrinterOptions{})
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	until := now.Add(59 * time.Second)
	wait := func(at, until time.Time) {
		w := &push.WaitInfo{Reason: "rowsPerHour", Limit: "1,000,000 rows per hour per dataset", Until: until}
		p.Observe(push.Event{Kind: push.KindWait, Time: at, Progress: push.Progress{RowsTotal: 10, Wait: w}})
	}
	wait(now, until)
	wait(now.Add(3*time.Millisecond), until.Add(3*time.Millisecond))
	wait(now.Add(5*time.Millisecond), until.Add(8*time.Millisecond))
	wait(until, until.Add(20*time.Millisecond))                     // a sliver
	wait(until.Add(time.Hour), until.Add(time.Hour+59*time.Second)) // the next hour's
	want := "waiting 59s: 1,000,000 rows per hour per dataset\nwaiting 59s: 1,000,000 rows per hour per dataset\n"
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant\n%s", out.String(), want)
	}
}
