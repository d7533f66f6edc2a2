package push_test

import (
	"context"
	"github.com/pbiwb/pbiwb/connector/field"
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

// unanswered is a transport in front of the sandbox that leaves two POST
// rows requests without an answer: the first that the sandbox stores (from
// the second POST on) has its answer dropped; a later one is taken whole
// and goes no further. Both then hang until the client gives up.
type unanswered struct {
	next            http.RoundTripper
	posts, hanged   atomic.Int32
	stored, lost    atomic.Bool // done
	storedAt, lostN int32       // the first POST numbers eligible
}

func (u *unanswered) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/rows") {
		return u.next.RoundTrip(req)
	}
	k := u.posts.Add(1)
	switch {
	case k >= u.storedAt && !u.stored.Load():
		resp, err := u.next.RoundTrip(req)
		// A POST the client gave up on already (a slow machine) is an
		// ordinary ambiguous one: the next POST gets the treatment.
		if err != nil || !u.stored.CompareAndSwap(false, true) {
			return resp, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	case k >= u.lostN && u.stored.Load() && u.lost.CompareAndSwap(false, true):
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
	hang := &unanswered{next: env.http().Transport, storedAt: 2, lostN: 4}
	env.svc.PowerBI = powerbi.New(env.ep, env.session, powerbi.WithHTTPClient(&http.Client{Transport: hang}),
		powerbi.WithRequestTimeout(time.Second))
	env.svc.Fields = timeoutFlag{} // the command line's word for the setting, as cli's face gives it
	const n = 100_000
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
	// The two POSTs may hang side by side, and one count settle both.
	if want := " got no answer: nothing arrived for 1s (the request timeout, --request-timeout); counting the table's rows"; !strings.Contains(said, want) {
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

// timeoutFlag names the request timeout as the command line does.
type timeoutFlag struct{ field.Plain }

func (timeoutFlag) Name(f field.ID) string {
	if f == field.RequestTimeout {
		return "--request-timeout"
	}
	return string(f)
}
