package push

import (
	"container/heap"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// t0 is when the tests' fake clocks start.
var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// server is an in-memory Power BI that enforces the documented windows as
// the service reads them: a request is stamped when it arrives and counted in
// (stamp-W, stamp]; pending requests are those arrived and not yet answered.
// It shares no code with the pacer.
type server struct {
	l         schema.Limits
	arrivals  []time.Time // every request, in arrival order
	accepted  []simPost   // accepted requests
	answers   []time.Time // answer times of arrived requests, for pending
	tableRows int
	throttled int
}

type simPost struct {
	at   time.Time
	rows int
}

// receive stamps a request arriving at at (answered at answerAt) and says
// whether it is accepted; when not, Retry-After is the time until it would
// be, as Power BI documents it ("seconds until their quota resets").
func (s *server) receive(at, answerAt time.Time, rows int) (bool, time.Duration) {
	pending := 0
	for _, a := range s.answers {
		if a.After(at) {
			pending++
		}
	}
	s.answers = append(s.answers, answerAt)
	if pending+1 > s.l.MaxPendingPosts || !s.fits(at, rows) {
		s.throttled++
		s.arrivals = append(s.arrivals, at)
		retry := time.Second
		var cands []time.Time
		for _, a := range s.arrivals {
			cands = append(cands, a.Add(s.l.Minute()), a.Add(s.l.Hour()))
		}
		sort.Slice(cands, func(i, j int) bool { return cands[i].Before(cands[j]) })
		for _, c := range cands {
			if c.After(at) && s.fits(c, rows) {
				retry = c.Sub(at)
				break
			}
		}
		return false, retry
	}
	s.arrivals = append(s.arrivals, at)
	s.accepted = append(s.accepted, simPost{at, rows})
	s.tableRows += rows
	return true, 0
}

// fits says whether one more request of rows would be within the windows at at.
func (s *server) fits(at time.Time, rows int) bool {
	posts, postsHour, rowsHour := 0, 0, 0
	for _, a := range s.arrivals {
		if d := at.Sub(a); d >= 0 && d < s.l.Minute() {
			posts++
		}
		if d := at.Sub(a); d >= 0 && d < s.l.Hour() {
			postsHour++
		}
	}
	for _, p := range s.accepted {
		if d := at.Sub(p.at); d >= 0 && d < s.l.Hour() {
			rowsHour += p.rows
		}
	}
	return posts+1 <= s.l.PostsPerMinute && rowsHour+rows <= s.l.RowsPerHour &&
		!(s.tableRows >= s.l.LargeTableRows && postsHour+1 > s.l.PostsPerHourLarge)
}

type simEvent struct {
	at      time.Time
	arrive  bool // arrival at the server, else the answer at the client
	permit  *pacer.Permit
	rows    int
	answer  time.Time
	refused bool
	retry   time.Duration
	seq     int
}

type simEvents []*simEvent

func (e simEvents) Len() int { return len(e) }
func (e simEvents) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e simEvents) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *simEvents) Push(x any)   { *e = append(*e, x.(*simEvent)) }
func (e *simEvents) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simResult is what a simulated push achieved.
type simResult struct {
	took, minimum time.Duration
	posts         int
	throttled     int
	stored        int
	pacerHeld     int
}

// simulatePush pushes total rows in batches through a pacer into the
// simulated server, as discrete events on a fake clock, with request
// latencies between 50 and 800 ms (scaled with the windows) that reorder
// answers. foreign are requests another writer made, unknown to the pacer;
// the server then throttles with a Retry-After until its quota resets.
func simulatePush(tb testing.TB, l schema.Limits, total, batch int, foreign []simPost) simResult {
	return simulatePushSized(tb, l, total, uniform(batch), pacer.MinimumDuration(l, total, batch, 0), foreign)
}

// simulatePushSized is simulatePush with batches sized by sizes (from the
// first row not yet sent) and minimum as the yardstick.
func simulatePushSized(tb testing.TB, l schema.Limits, total int, sizes batchRowsFunc, minimum time.Duration, foreign []simPost) simResult {
	clock := clock.NewFake(t0)
	p, err := pacer.New(pacer.Config{Limits: l, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	srv := &server{l: l}
	for _, f := range foreign {
		srv.arrivals = append(srv.arrivals, f.at)
		srv.accepted = append(srv.accepted, f)
		srv.tableRows += f.rows
	}
	rng := rand.New(rand.NewPCG(1, 2))
	scale := max(l.TimeScale, 1)
	latency := func() time.Duration {
		return time.Duration(float64(50*time.Millisecond+time.Duration(rng.Int64N(int64(750*time.Millisecond)))) / scale)
	}
	var q simEvents
	seq, left, posts, index := 0, total, 0, 0
	for left > 0 || q.Len() > 0 {
		now := clock.Now()
		for q.Len() > 0 && !q[0].at.After(now) {
			e := heap.Pop(&q).(*simEvent)
			if e.arrive {
				accepted, retry := srv.receive(e.at, e.answer, e.rows)
				e.refused, e.retry = !accepted, retry
				e.arrive, e.at = false, e.answer
				heap.Push(&q, e)
				continue
			}
			if e.refused {
				e.permit.Done(pacer.Refused)
				p.Backoff(e.retry)
				left += e.rows // send it again
			} else {
				e.permit.Done(pacer.Accepted)
			}
		}
		if left == 0 && q.Len() == 0 {
			break
		}
		var wakeAt time.Time
		if left > 0 {
			rows := min(sizes(index, total-left), left)
			pm, w := p.TryAcquire(rows)
			if pm != nil {
				left -= rows
				posts++
				index++
				lat := latency()
				seq++
				heap.Push(&q, &simEvent{at: now.Add(lat / 2), arrive: true, permit: pm, rows: rows, answer: now.Add(lat), seq: seq})
				continue
			}
			wakeAt = w.Until
		}
		if q.Len() > 0 && (wakeAt.IsZero() || q[0].at.Before(wakeAt)) {
			wakeAt = q[0].at
		}
		if wakeAt.IsZero() {
			tb.Fatalf("stuck at %v with %d rows left", now.Sub(t0), left)
		}
		clock.Advance(wakeAt.Sub(now))
	}
	stored := srv.tableRows
	for _, f := range foreign {
		stored -= f.rows
	}
	return simResult{took: clock.Now().Sub(t0), minimum: minimum, posts: posts,
		throttled: srv.throttled, stored: stored, pacerHeld: len(p.History())}
}

// TestPacerAgainstSimulatedServer pushes 3,000,000 rows in 10,000-row
// batches into the simulated server and wants no 429 and a total time within
// 5% of the theoretical minimum.
func TestPacerAgainstSimulatedServer(t *testing.T) {
	scaled := schema.DocumentedLimits()
	scaled.TimeScale = 3600
	for _, tc := range []struct {
		name   string
		limits schema.Limits
		total  int
		batch  int
	}{
		{"documented limits", schema.DocumentedLimits(), 3_000_000, 10_000},
		{"time scale 3600", scaled, 3_000_000, 10_000},
		{"small batches hit the large-table limit", schema.DocumentedLimits(), 600_000, 2_000},
		// The engine's batches: distinct sizes, a filler closing each hour's
		// million; the yardstick stays full 10,000-row batches.
		{"hourly batches, documented limits", schema.DocumentedLimits(), 3_000_000, 0},
		{"hourly batches, time scale 3600", scaled, 3_000_000, 0},
		{"hourly batches, 2,500,000 rows", schema.DocumentedLimits(), 2_500_000, 0},
		{"hourly batches, 1,000,001 rows", schema.DocumentedLimits(), 1_000_001, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r simResult
			if tc.batch > 0 {
				r = simulatePush(t, tc.limits, tc.total, tc.batch, nil)
			} else {
				r = simulatePushSized(t, tc.limits, tc.total, hourlyBatchRows(tc.limits), pacer.MinimumDuration(tc.limits, tc.total, 10_000, 0), nil)
			}
			ratio := r.minimum.Seconds() / r.took.Seconds()
			t.Logf("%d rows in %d POSTs: %v, minimum %v, ratio %.4f, 429s %d", r.stored, r.posts, r.took, r.minimum, ratio, r.throttled)
			if r.throttled != 0 {
				t.Errorf("%d requests throttled, want 0", r.throttled)
			}
			if r.stored != tc.total {
				t.Errorf("server holds %d rows, want %d", r.stored, tc.total)
			}
			if ratio < 0.95 {
				t.Errorf("took %v, more than 5%% over the minimum %v", r.took, r.minimum)
			}
			if r.pacerHeld > 2*(120*60+5)+64 {
				t.Errorf("pacer holds %d requests", r.pacerHeld)
			}
		})
	}
}

// Another writer shares the dataset: the pacer cannot know its requests, so
// the server throttles, and Retry-After must carry the push through without
// a storm of 429s.
func TestPacerWithAnotherWriter(t *testing.T) {
	l := schema.DocumentedLimits()
	var foreign []simPost
	for i := range 110 { // 110 tiny POSTs in the last 5.5 seconds: the minute's quota nearly spent
		foreign = append(foreign, simPost{at: t0.Add(-time.Duration(i) * 50 * time.Millisecond), rows: 1})
	}
	r := simulatePush(t, l, 200_000, 10_000, foreign)
	t.Logf("%d rows in %d POSTs: %v, 429s %d", r.stored, r.posts, r.took, r.throttled)
	if r.stored != 200_000 {
		t.Errorf("server holds %d of our rows, want 200,000", r.stored)
	}
	// Five go at once and the sixth meets the quota; the ones already in
	// flight are refused too, then everyone waits out Retry-After.
	if r.throttled == 0 || r.throttled > l.MaxPendingPosts {
		t.Errorf("%d requests throttled, want 1 to %d", r.throttled, l.MaxPendingPosts)
	}
	if r.took > l.Minute()+5*time.Second {
		t.Errorf("took %v: longer than waiting out the other writer's minute", r.took)
	}
}

// Distinct sizes alone (what the engine cut before hourlyBatchRows) make
// 3,000,000 rows 301 batches, and the 301st waits for a fourth hour window:
// the yardstick above is not met without the fillers.
func TestDistinctBatchesAloneMissTheMinimum(t *testing.T) {
	l := schema.DocumentedLimits()
	distinct := func(i, _ int) int { return distinctBatchRows(i, l.MaxRowsPerPost, l.MaxPendingPosts) }
	r := simulatePushSized(t, l, 3_000_000, distinct, pacer.MinimumDuration(l, 3_000_000, 10_000, 0), nil)
	if ratio := r.minimum.Seconds() / r.took.Seconds(); ratio > 0.7 || r.posts != 301 {
		t.Errorf("%d POSTs, ratio %.3f: want 301 POSTs about 2/3 of the speed", r.posts, ratio)
	}
	if got, want := pacer.MinimumDurationOf(l, 3_000_000, distinct, 0), 3*time.Hour; got != want {
		t.Errorf("MinimumDurationOf distinct sizes = %v, want %v", got, want)
	}
	if got, want := pacer.MinimumDurationOf(l, 3_000_000, hourlyBatchRows(l), 0), 2*time.Hour; got != want {
		t.Errorf("MinimumDurationOf hourly batches = %v, want %v", got, want)
	}
}

// BenchmarkPacerSimulated3M reports the simulated push of 3,000,000 rows
// against the theoretical minimum (ratio = minimum/achieved, aim ≥ 0.95)
// and the 429s met (aim 0).
func BenchmarkPacerSimulated3M(b *testing.B) {
	l := schema.DocumentedLimits()
	var r simResult
	for b.Loop() {
		r = simulatePush(b, l, 3_000_000, 10_000, nil)
	}
	b.ReportMetric(r.minimum.Seconds()/r.took.Seconds(), "min/achieved")
	b.ReportMetric(float64(r.throttled), "429s")
	b.ReportMetric(r.took.Seconds(), "simulated-s")
}
