package push_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// unanswered is a transport in front of the sandbox that leaves chosen POST
// rows requests without an answer: stored is sent on and committed by the
// sandbox, but its answer never comes back; lost is taken whole and goes no
// further. Both then hang until the client gives up.
type unanswered struct {
	next          http.RoundTripper
	stored, lost  int // 1-based numbers of the POST rows requests
	posts, hanged atomic.Int32
}

func (u *unanswered) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/rows") {
		return u.next.RoundTrip(req)
	}
	switch int(u.posts.Add(1)) {
	case u.stored:
		resp, err := u.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	case u.lost:
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
		httptrace.ContextClientTrace(req.Context()).WroteRequest(httptrace.WroteRequestInfo{})
	default:
		return u.next.RoundTrip(req)
	}
	u.hanged.Add(1)
	<-req.Context().Done()
	return nil, context.Cause(req.Context())
}

// A POST rows that is never answered used to stall the push, silently,
// until Ctrl-C. Now the request timeout gives it up, and it is settled like
// any ambiguous POST: one that the sandbox stored counts as written, one it
// never got is sent again — every row lands exactly once. The timeout is the
// only bound on time here.
func TestUnansweredPostIsSettled(t *testing.T) {
	if testing.Short() {
		t.Skip("settling waits for the row count to hold still, in real time")
	}
	env := newSandboxEnv(t, sandbox.Options{})
	hang := &unanswered{next: env.http().Transport, stored: 2, lost: 4}
	env.svc.PowerBI = powerbi.New(env.ep, env.session, powerbi.WithHTTPClient(&http.Client{Transport: hang}),
		powerbi.WithRequestTimeout(400*time.Millisecond))
	const n = 60_000
	req := push.Request{Input: writeIDs(t, t.TempDir(), n), Group: demo.WorkspaceSales, Dataset: "Hang", Table: "T"}

	var mu sync.Mutex
	var phases []string
	obs := func(e push.Event) {
		if e.Kind == push.KindPhase && e.Phase == push.PhaseSettling {
			mu.Lock()
			phases = append(phases, e.Message)
			mu.Unlock()
		}
	}
	ctx := context.Background()
	plan, err := push.Prepare(ctx, env.svc, req)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	sum, err := plan.Run(ctx, obs)
	if err != nil || sum.ExitCode != 0 || !sum.Verified || sum.TableRows != n {
		t.Fatalf("run: %v; summary %+v", err, sum)
	}
	if h := hang.hanged.Load(); h != 2 {
		t.Fatalf("%d POSTs left unanswered, want 2: the test reproduces nothing", h)
	}
	mu.Lock()
	said := strings.Join(phases, "\n")
	mu.Unlock()
	// The two POSTs hang side by side, so one count settles both.
	if want := " got no answer: nothing arrived for 400ms (the request timeout, --request-timeout); counting the table's rows"; !strings.Contains(said, want) {
		t.Errorf("settling said:\n%s\nwant %q", said, want)
	}

	ids := sandboxtest.GetState(t, env.sb).DatasetIDs(demo.WorkspaceSales, "Hang")
	if len(ids) != 1 {
		t.Fatalf("datasets %v", ids)
	}
	seen := map[string]int{}
	for _, r := range sandboxtest.Rows(t, env.sb, ids[0], "T") {
		seen[r["id"].(interface{ String() string }).String()]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct rows, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("row %s stored %d times", id, c)
		}
	}
}
