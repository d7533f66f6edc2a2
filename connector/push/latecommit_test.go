package push

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/writer"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// The user's report, deterministically, against a real sandbox: POSTs wait
// 1s at the server; the push is interrupted with five of them there and a
// grace too short for them; the sandbox, like a real server, still commits
// them after the client went away; a resume starts at once. Settling must
// wait for those late commits (Stability) or it sends their batches again —
// the control with no quiet period shows that it does.
func TestResumeAfterCutOffPostsAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the sandbox's latency")
	}
	for _, tt := range []struct {
		name      string
		stability writer.Stability
		dupes     bool
	}{
		{"settle once the count holds still", writer.Stability{}, false},
		{"control: settle on the first count", writer.Stability{Quiet: time.Nanosecond, Limit: time.Second}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, err := sandbox.New(sandbox.Options{TimeScale: 3600})
			if err != nil {
				t.Fatal(err)
			}
			if err := sb.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { sb.Client().CloseIdleConnections(); sb.Close() }()
			ctx := context.Background()
			ep, err := cloud.Sandbox(ctx, sb.URL())
			if err != nil {
				t.Fatal(err)
			}
			s, err := entra.New(ep, entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
				Password: demo.Password, Method: entra.MethodPassword}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := powerbi.New(ep, s)
			ds, err := c.CreateDataset(ctx, demo.WorkspaceSalesID, powerbi.CreateDataset{Name: "Late", DefaultMode: "Push",
				Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, powerbi.RetentionNone)
			if err != nil {
				t.Fatal(err)
			}
			tbl := table{c: c, group: demo.WorkspaceSalesID, dataset: ds.ID, t: "T"}
			fault := func(body string) {
				resp, err := sb.Client().Post(sb.URL()+"/_sandbox/faults", "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}

			const n, maxRows = 12, 1000
			var total int64
			for i := range n {
				total += int64(distinctBatchRows(i, maxRows, 5))
			}
			limits := fastLimits()
			limits.TimeScale = 3600
			dir := t.TempDir()
			target := testKey().Target
			target.Mode = "append"
			runJob := func(ctx context.Context, resume bool, stab writer.Stability) (Summary, error) {
				return execute(ctx, job{Limits: limits, Fingerprint: "sha256:late", Target: target, TableName: "T",
					Resume: resume, TotalRows: total, Batches: n, Batching: "test",
					Open: func(_ context.Context, from int) iter.Seq2[writer.Batch, error] {
						return func(yield func(writer.Batch, error) bool) {
							var first int64
							for i := range n {
								rows := distinctBatchRows(i, maxRows, 5)
								var b strings.Builder
								b.WriteString(`{"rows":[`)
								for r := range rows {
									if r > 0 {
										b.WriteByte(',')
									}
									fmt.Fprintf(&b, `{"id":%d}`, first+int64(r))
								}
								b.WriteString(`]}`)
								if i >= from && !yield(writer.Batch{Index: i, FirstRow: first, Rows: rows, Body: []byte(b.String())}, nil) {
									return
								}
								first += int64(rows)
							}
						}
					},
					Table: tbl, Classify: classifyPowerBI, CheckpointDir: dir, Tracker: NewTracker(nil, total, n),
					StopGrace: 50 * time.Millisecond, Stability: stab})
			}

			fault(`{"latency":"1s"}`)
			ictx, cancel := context.WithCancel(ctx)
			tr := time.AfterFunc(1500*time.Millisecond, cancel) // the second five POSTs are at the server
			defer tr.Stop()
			if _, err := runJob(ictx, false, writer.Stability{}); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted: %v", err)
			}
			fault(`{}`)
			_, err = runJob(ctx, true, tt.stability)
			time.Sleep(1200 * time.Millisecond) // every late commit has landed
			counted, cerr := c.CountRows(ctx, demo.WorkspaceSalesID, ds.ID, "T")
			if cerr != nil {
				t.Fatal(cerr)
			}
			if tt.dupes {
				if counted <= total {
					t.Fatalf("the table holds %d rows of %d with a single count (resume: %v): the sandbox did not commit the cut-off POSTs late, "+
						"so this test reproduces nothing", counted, total, err)
				}
				return
			}
			if err != nil || counted != total {
				t.Fatalf("resumed: %v; the table holds %d rows, want %d", err, counted, total)
			}
		})
	}
}
