package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/outcome"
)

func TestRunSkipsWhatDependsOnAFailure(t *testing.T) {
	ran := map[string]bool{}
	check := func(name string, st Status, needs ...string) Check {
		return Check{Name: name, Title: "T " + name, Needs: needs, Run: func(context.Context) Result {
			ran[name] = true
			return Result{Status: st, Found: name + " found"}
		}}
	}
	checks := []Check{
		check("a", Pass),
		check("b", Fail),
		check("c", Pass, "a", "b"),
		check("d", Pass, "c"),
		check("e", Pass, "a"),
		{Name: "f", NotAsked: "not asked (pass --f)", Run: func(context.Context) Result { ran["f"] = true; return Result{} }},
		check("g", Pass, "f"),
		check("h", "", "a"), // an empty status is a pass
	}
	var streamed []string
	got := Run(context.Background(), checks, func(r Result) { streamed = append(streamed, r.Name) })
	want := []struct {
		name   string
		status Status
		found  string
	}{
		{"a", Pass, "a found"},
		{"b", Fail, "b found"},
		{"c", Skip, "skipped (needs: b)"},
		{"d", Skip, "skipped (needs: c)"},
		{"e", Pass, "e found"},
		{"f", Skip, "not asked (pass --f)"},
		{"g", Skip, "skipped (needs: f)"},
		{"h", Pass, "h found"},
	}
	if len(got) != len(want) || len(streamed) != len(want) {
		t.Fatalf("got %d results, %d streamed; want %d", len(got), len(streamed), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Status != w.status || g.Found != w.found || g.Title != "T "+w.name && w.name != "f" {
			t.Errorf("result %d = %+v, want %s %s %q", i, g, w.name, w.status, w.found)
		}
	}
	for _, n := range []string{"c", "d", "f", "g"} {
		if ran[n] {
			t.Errorf("check %s ran although it was skipped", n)
		}
	}
	if Failed(got) != 1 {
		t.Errorf("Failed = %d, want 1", Failed(got))
	}
}

func TestRunTimeoutIsReported(t *testing.T) {
	slow := Check{Name: "slow", Timeout: 20 * time.Millisecond, Run: func(ctx context.Context) Result {
		<-ctx.Done()
		return fail("no answer", "wait")
	}}
	got := Run(context.Background(), []Check{slow}, nil)
	if got[0].Status != Fail || !strings.Contains(got[0].Found, "gave up after 20ms") {
		t.Errorf("%+v", got[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got = Run(ctx, []Check{slow}, nil)
	if got[0].Status != Skip || !strings.Contains(got[0].Found, "interrupted") {
		t.Errorf("cancelled: %+v", got[0])
	}
}

// Tokens are read without verification, so any signer will do.
func TestPermissions(t *testing.T) {
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	exp := time.Now().Add(time.Hour).Unix()
	tests := []struct {
		name   string
		claims token.Claims
		status Status
		want   []string // in Found, Fix or Details
	}{
		{"both delegated scopes", token.Claims{UPN: "u@x", IDType: "user", Scope: "Dataset.ReadWrite.All Workspace.Read.All", Expires: exp},
			Pass, []string{"u@x", "Dataset.ReadWrite.All"}},
		{"workspace read-write counts", token.Claims{IDType: "user", Scope: "Workspace.ReadWrite.All dataset.readwrite.all", Expires: exp},
			Pass, nil},
		{"no dataset write", token.Claims{UPN: "u@x", IDType: "user", Scope: "Workspace.Read.All Dataset.Read.All", Expires: exp},
			Fail, []string{"Dataset.ReadWrite.All", "Grant admin consent", "API permissions"}},
		{"no scopes at all", token.Claims{IDType: "user", Expires: exp},
			Fail, []string{"no delegated permissions", "Workspace.Read.All (or Workspace.ReadWrite.All) and Dataset.ReadWrite.All"}},
		{"service principal", token.Claims{IDType: "app", Expires: exp},
			Pass, []string{"service principal", "Service principals can use Fabric APIs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Config{})
			d.token = signer.Sign(tt.claims)
			r := d.checkPermissions(context.Background())
			if r.Status != tt.status {
				t.Errorf("status %s, want %s: %+v", r.Status, tt.status, r)
			}
			all := r.Found + "\n" + r.Fix + "\n" + strings.Join(r.Details, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("lacks %q:\n%s", w, all)
				}
			}
			if d.appOnly != (tt.claims.IDType == "app") {
				t.Errorf("appOnly = %v", d.appOnly)
			}
		})
	}
	d := New(Config{})
	d.token = "not a token"
	if r := d.checkPermissions(context.Background()); r.Status != Skip {
		t.Errorf("unreadable token: %+v", r)
	}
}

func TestHistoryCheck(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	target := history.Target{APIBase: "https://x", WorkspaceName: "Sales", DatasetName: "Orders", Table: "T"}
	other := history.Target{APIBase: "https://x", WorkspaceName: "Finance", DatasetName: "Budget", Table: "T"}
	type run struct {
		ago     time.Duration
		target  history.Target
		outcome outcome.Outcome
		code    exitcode.Code
		change  func(*history.Record)
	}
	tests := []struct {
		name   string
		runs   []run // oldest first
		status Status
		want   []string
		avoid  []string
	}{
		{"empty", nil, Pass, []string{"no runs recorded yet"}, nil},
		{"healthy", []run{{2 * time.Hour, target, outcome.Succeeded, 0, func(r *history.Record) {
			r.Waits = map[string]history.WaitTotal{"rowsPerHour": {Count: 2, Seconds: 90}}
		}}}, Pass, []string{"1 run in the last 24h", "rows per hour per dataset 2× 1m30s"}, nil},
		{"throttled", []run{{time.Hour, target, outcome.Succeeded, 0, func(r *history.Record) {
			r.Throttled = 3
			r.Waits = map[string]history.WaitTotal{"retryAfter": {Count: 3, Seconds: 30}}
			r.Errors = []history.Error{{Message: "Power BI is throttling", Status: 429, Code: "TooManyRequests", RequestID: "req-429"}}
		}}}, Fail, []string{"3 throttling answers (429)", "another program", "Retry-After from Power BI (429) 3× 30s"}, nil},
		{"stopped with resume", []run{{time.Hour, target, outcome.Stopped, 6, func(r *history.Record) {
			r.ResumeHint = "pbiwb push --group Sales --resume"
			r.Errors = []history.Error{{Message: "server error", Status: 503, RequestID: "req-503"}}
		}}}, Fail, []string{"stopped (exit 6)", "pbiwb push --group Sales --resume", "RequestId req-503"}, nil},
		{"failure settled by a later success", []run{
			{3 * time.Hour, target, outcome.Failed, 5, nil},
			{time.Hour, target, outcome.Succeeded, 0, nil},
		}, Pass, []string{"later run of the same target succeeded"}, nil},
		{"a success elsewhere settles nothing", []run{
			{3 * time.Hour, target, outcome.Failed, 5, func(r *history.Record) {
				r.Errors = []history.Error{{Message: "not a push dataset", Status: 404, Code: "ItemNotFound", RequestID: "req-404"}}
			}},
			{time.Hour, other, outcome.Succeeded, 0, nil},
		}, Fail, []string{"failed (exit 5)", "req-404", "pbiwb history RUN-ID"}, nil},
		{"old failures are not recent", []run{{48 * time.Hour, target, outcome.Failed, 5, nil}},
			Pass, []string{"no runs in the last 24h (1 older run recorded)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := history.New(t.TempDir())
			for _, r := range tt.runs {
				store.Now = func() time.Time { return now.Add(-r.ago) }
				run, err := store.Start(history.Record{Input: "in.csv", Target: r.target, Mode: "replace"})
				if err != nil {
					t.Fatal(err)
				}
				if err := run.Finish(r.outcome, r.code, r.change); err != nil {
					t.Fatal(err)
				}
			}
			d := New(Config{History: store, Now: func() time.Time { return now }})
			res := d.checkHistory(context.Background())
			if res.Status != tt.status {
				t.Errorf("status %s, want %s: %+v", res.Status, tt.status, res)
			}
			all := res.Found + "\n" + res.Fix + "\n" + strings.Join(res.Details, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("lacks %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 5_000_000: "5,000,000", -12345: "-12,345"} {
		if got := format.Thousands(n); got != want {
			t.Errorf("format.Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
