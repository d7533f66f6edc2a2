package push_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// BenchmarkPush3M pushes 3,000,000 rows through the whole engine (Prepare,
// Run: pacing, checkpoint, verify) into a sandbox whose time scale makes the
// hourly quotas bind (PBIWB_BENCH_TIME_SCALE, default 3600: an hour lasts a
// second), and reports the push time against MinimumDuration (min/achieved,
// aim ≥ 0.95) and the 429s the sandbox counted (aim 0). Beside it, in the
// same run, a naive client: 10,000-row batches back to back with plain
// net/http, sleeping on a 429 for the sandbox's Retry-After.
//
//	go test -run '^$' -bench BenchmarkPush3M -benchtime 1x ./connector/push
func BenchmarkPush3M(b *testing.B) {
	const rows = 3_000_000
	scale := 3600.0
	if s := os.Getenv("PBIWB_BENCH_TIME_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatal(err)
		}
		scale = v
	}
	env := newSandboxEnv(b, sandbox.Options{TimeScale: scale})
	path := writeIDs(b, b.TempDir(), rows)
	ctx := context.Background()

	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("Bench %d", i)
		req := push.Request{Input: path, Group: demo.WorkspaceSales, Dataset: name, Table: "T"}
		plan, err := push.Prepare(ctx, env.svc, req)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := plan.Run(ctx)
		plan.Close()
		if err != nil {
			b.Fatalf("push: %v (%+v)", err, sum)
		}
		c := env.counters(b, name)
		// The yardstick is full 10,000-row batches (300 POSTs, 2 hours'
		// windows); the engine's batches (hourlyBatchRows: distinct sizes
		// for settling after kill -9, a filler closing each hour's million)
		// are 303 and need the same windows. Under a scaled clock the time
		// to send one hour's million for real (unscaled) comes on top: no
		// client can beat minimum + that.
		min10k := pacer.MinimumDuration(plan.Limits(), rows, 10_000, 0)
		b.ReportMetric(min10k.Seconds(), "minimum-10k-s")
		b.ReportMetric(sum.MinimumSeconds/sum.ElapsedSeconds, "min/achieved")
		b.ReportMetric(sum.ElapsedSeconds, "push-s")
		b.ReportMetric(sum.MinimumSeconds, "minimum-s")
		b.ReportMetric(float64(c["postRowsThrottled"]), "429s")
		b.ReportMetric(float64(sum.BatchesDone), "posts")

		naive, naive429 := naivePush(b, env, path, rows, "Naive "+strconv.Itoa(i))
		b.ReportMetric(sum.MinimumSeconds/naive.Seconds(), "naive-min/achieved")
		b.ReportMetric(naive.Seconds(), "naive-s")
		b.ReportMetric(float64(naive429), "naive-429s")
	}
}

// naivePush is what peers do: the same rows in 10,000-row batches, one
// POST after another, sleeping on a 429 for as long as the server says. It
// reads the sandbox's exact wait (X-Sandbox-Retry-After-Ms), which favours it
// over a client reading Retry-After's whole seconds.
func naivePush(b *testing.B, env *sandboxEnv, path string, rows int, name string) (time.Duration, int64) {
	b.Helper()
	ctx := context.Background()
	ds, err := env.svc.PowerBI.CreateDataset(ctx, demo.WorkspaceSalesID, powerbi.CreateDataset{Name: name,
		Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}, {Name: "label", DataType: "String"}}}}},
		powerbi.RetentionNone)
	if err != nil {
		b.Fatal(err)
	}
	url := env.sb.URL() + "/v1.0/myorg/groups/" + demo.WorkspaceSalesID + "/datasets/" + ds.ID + "/tables/T/rows"
	token := env.token(b)
	client := env.http()
	var body bytes.Buffer
	start := time.Now()
	for first := 0; first < rows; first += 10_000 {
		body.Reset()
		body.WriteString(`{"rows":[`)
		for i := first; i < min(first+10_000, rows); i++ {
			if i > first {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"id":%d,"label":"row %d"}`, i, i)
		}
		body.WriteString(`]}`)
		for {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body.Bytes()))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				wait := time.Second
				if ms, err := strconv.Atoi(resp.Header.Get(powerbi.HeaderSandboxRetry)); err == nil {
					wait = time.Duration(ms) * time.Millisecond
				} else if s, err := strconv.Atoi(resp.Header.Get(powerbi.HeaderRetryAfter)); err == nil {
					wait = time.Duration(s) * time.Second
				}
				time.Sleep(wait)
				continue
			}
			if resp.StatusCode == http.StatusForbidden { // the token lapsed (an hour is a second here)
				token = env.token(b)
				continue
			}
			if resp.StatusCode/100 != 2 {
				b.Fatalf("naive POST: %s", resp.Status)
			}
			break
		}
	}
	elapsed := time.Since(start)
	return elapsed, env.counters(b, name)["postRowsThrottled"]
}
