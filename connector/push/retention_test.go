package push_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
)

// writeReadings writes n sensor readings, the columns of the demo's
// Sensor Feed table.
func writeReadings(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Timestamp,SensorId,Value\n")
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "%s,S-99,%d.5\n", start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%100)
	}
	path := filepath.Join(t.TempDir(), "readings.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The demo's Sensor Feed is a FIFO dataset pbiwb did not create, full at
// 200,000 rows, and Power BI does not say its retention. Appending to it,
// with --retention fifo or without, verifies with no false alarm: the count
// that stays at 200,000 is explained as eviction, and the plan says where
// the retention comes from.
func TestAppendToFIFODatasetPbiwbDidNotCreate(t *testing.T) {
	const n = 30_000
	for _, tt := range []struct {
		name, retention, planRetention, source string
	}{
		{"retention unknown", "", "unknown", "does not say"},
		{"retention fifo given", push.RetentionFIFO, push.RetentionFIFO, "--retention fifo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
			ctx := context.Background()
			req := push.Request{Input: writeReadings(t, n), Group: demo.WorkspaceOperations, Dataset: demo.SensorFeedDatasetName,
				Table: demo.SensorFeedTable, Mode: push.ModeAppend, Retention: tt.retention}
			plan, err := push.Prepare(ctx, env.svc, req)
			if err != nil {
				t.Fatal(err)
			}
			rep := plan.Report()
			plan.Close()
			if rep.Dataset.Retention != tt.planRetention || !strings.Contains(rep.Dataset.RetentionSource, tt.source) {
				t.Errorf("plan: retention %q (%s), want %q (%s)", rep.Dataset.Retention, rep.Dataset.RetentionSource, tt.planRetention, tt.source)
			}
			sum, err := run(t, env.svc, req, ctx)
			if err != nil || sum.ExitCode != exitcode.OK || !sum.Verified {
				t.Fatalf("append: exit %d, verified %v: %v", sum.ExitCode, sum.Verified, err)
			}
			if sum.TableRows != demo.SensorFeedRows || !strings.Contains(sum.CountNote, "the oldest 30,000 were evicted") ||
				!strings.Contains(sum.CountNote, "the newest 30,000 rows are this push's") {
				t.Errorf("the count is not explained: %d rows, %q", sum.TableRows, sum.CountNote)
			}
			if got := tableRows(t, env, demo.WorkspaceOperationsID, demo.SensorFeedDatasetName, demo.SensorFeedTable); got != demo.SensorFeedRows {
				t.Errorf("the sandbox holds %d rows", got)
			}
		})
	}
}

// A batch whose answer is lost while appending to the full FIFO table of
// unknown retention is not "someone else writing": counting cannot tell,
// and the run stops (exit 6) offering --assume-sent / --assume-lost.
func TestSettlingUnderEvictionIsNotForeignRows(t *testing.T) {
	if testing.Short() {
		t.Skip("settling waits for the row count to hold still, in real time")
	}
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	req := push.Request{Input: writeReadings(t, 30_000), Group: demo.WorkspaceOperations, Dataset: demo.SensorFeedDatasetName,
		Table: demo.SensorFeedTable, Mode: push.ModeAppend}
	sandboxtest.Fault(t, env.sb, `{"dropAfterCommitRate":1}`)
	sum, err := run(t, env.svc, req, ctx)
	sandboxtest.Fault(t, env.sb, `{}`)
	if err == nil || sum.ExitCode != exitcode.Stopped || strings.Contains(err.Error(), "someone else") ||
		!strings.Contains(err.Error(), "basicFIFO") || !strings.Contains(err.Error(), "--assume-sent") {
		t.Fatalf("want a stop (exit 6) explained by eviction, got exit %d: %v", sum.ExitCode, err)
	}
	req.Resume, req.AssumeSent = true, true
	if sum, err := run(t, env.svc, req, ctx); err != nil || sum.ExitCode != exitcode.OK || !sum.Verified {
		t.Fatalf("--assume-sent: exit %d: %v", sum.ExitCode, err)
	}
}

// A dataset pbiwb created keeps the retention pbiwb gave it, remembered in
// the home: the next push knows it although Power BI does not say it; a
// push from another home does not.
func TestRetentionIsRemembered(t *testing.T) {
	env := newSandboxEnv(t, sandbox.Options{TimeScale: 3600})
	ctx := context.Background()
	req := push.Request{Input: writeIDs(t, t.TempDir(), 100), Group: demo.WorkspaceSales, Dataset: "Kept", Table: "T", Retention: push.RetentionFIFO}
	if _, err := run(t, env.svc, req, ctx); err != nil {
		t.Fatal(err)
	}
	req.Retention, req.Mode = "", push.ModeAppend
	for _, c := range []struct {
		svc  push.Services
		want string
	}{{env.svc, push.RetentionFIFO}, {withHome(t, env.svc), "unknown"}} {
		plan, err := push.Prepare(ctx, c.svc, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.Report().Dataset.Retention; got != c.want {
			t.Errorf("retention %q, want %q", got, c.want)
		}
		plan.Close()
	}
}
