package push

import (
	"container/heap"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/schema"
)

func TestMinimumDuration(t *testing.T) {
	doc := schema.DocumentedLimits()
	scaled := doc
	scaled.TimeScale = 3600
	tests := []struct {
		name                 string
		limits               schema.Limits
		total, batch, before int
		want                 time.Duration
	}{
		{"nothing to push", doc, 0, 10_000, 0, 0},
		{"fits one hour and one minute", doc, 100_000, 10_000, 0, 0},
		{"3,000,000 rows: three hours' quotas", doc, 3_000_000, 10_000, 0, 2 * time.Hour},
		{"one row over the hour", doc, 1_000_001, 10_000, 0, time.Hour},
		{"posts per minute", doc, 300, 1, 0, 2 * time.Minute},
		{"large table: 120 posts per hour", doc, 200_000, 1_000, 250_000, time.Hour},
		{"table grows large mid-push", doc, 200_000, 1_000, 249_000, time.Hour},
		{"time scale", scaled, 3_000_000, 10_000, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MinimumDuration(tt.limits, tt.total, tt.batch, tt.before); got != tt.want {
				t.Errorf("MinimumDuration = %v, want %v", got, tt.want)
			}
		})
	}
	if got := MinimumDuration(doc, 10, 2_000_000, 0); got != -1 {
		t.Errorf("impossible batch: %v, want -1", got)
	}
}

func TestEstimateDurationAddsLatency(t *testing.T) {
	doc := schema.DocumentedLimits()
	// 10 batches, 5 in flight, 1s each: two rounds.
	if got := EstimateDuration(doc, 100_000, 10_000, 0, time.Second); got != 2*time.Second {
		t.Errorf("EstimateDuration = %v, want 2s", got)
	}
}

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

func (s *server) receive(at, answerAt time.Time, rows int) bool {
	pending, posts, postsHour, rowsHour := 0, 0, 0, 0
	for _, a := range s.answers {
		if a.After(at) {
			pending++
		}
	}
	for _, a := range s.arrivals {
		if at.Sub(a) < s.l.Minute() {
			posts++
		}
		if at.Sub(a) < s.l.Hour() {
			postsHour++
		}
	}
	for _, p := range s.accepted {
		if at.Sub(p.at) < s.l.Hour() {
			rowsHour += p.rows
		}
	}
	s.arrivals = append(s.arrivals, at)
	s.answers = append(s.answers, answerAt)
	if pending+1 > s.l.MaxPendingPosts || posts+1 > s.l.PostsPerMinute || rowsHour+rows > s.l.RowsPerHour ||
		(s.tableRows >= s.l.LargeTableRows && postsHour+1 > s.l.PostsPerHourLarge) {
		s.throttled++
		return false
	}
	s.accepted = append(s.accepted, simPost{at, rows})
	s.tableRows += rows
	return true
}

type simEvent struct {
	at      time.Time
	arrive  bool // arrival at the server, else the answer at the client
	permit  *Permit
	rows    int
	answer  time.Time
	refused bool
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

// TestPacerAgainstSimulatedServer pushes 3,000,000 rows in 10,000-row batches
// through the pacer into the simulated server, with request latencies between
// 50 and 800 ms that reorder answers, and wants no 429 and a total time within
// 5% of the theoretical minimum.
func TestPacerAgainstSimulatedServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits func() schema.Limits
		total  int
		batch  int
	}{
		{"documented limits", schema.DocumentedLimits, 3_000_000, 10_000},
		{"time scale 3600", func() schema.Limits { l := schema.DocumentedLimits(); l.TimeScale = 3600; return l }, 3_000_000, 10_000},
		{"small batches hit the large-table limit", schema.DocumentedLimits, 600_000, 2_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.limits()
			clock := NewFakeClock(t0)
			p, err := NewPacer(PacerConfig{Limits: l, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			srv := &server{l: l}
			rng := rand.New(rand.NewPCG(1, 2))
			// Latencies scale with the windows so the time-scaled run is as hard.
			latency := func() time.Duration {
				return time.Duration(float64(50*time.Millisecond+time.Duration(rng.Int64N(int64(750*time.Millisecond)))) / max(l.TimeScale, 1))
			}
			var q simEvents
			seq, left, posts := 0, tc.total, 0
			for left > 0 || q.Len() > 0 {
				now := clock.Now()
				for q.Len() > 0 && !q[0].at.After(now) {
					e := heap.Pop(&q).(*simEvent)
					if e.arrive {
						e.refused = !srv.receive(e.at, e.answer, e.rows)
						e.arrive, e.at = false, e.answer
						heap.Push(&q, e)
						continue
					}
					if e.refused {
						e.permit.Done(Refused)
						left += e.rows // send it again
					} else {
						e.permit.Done(Accepted)
					}
				}
				if left == 0 && q.Len() == 0 {
					break
				}
				var wakeAt time.Time
				if left > 0 {
					rows := min(tc.batch, left)
					pm, w := p.TryAcquire(rows)
					if pm != nil {
						left -= rows
						posts++
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
					t.Fatalf("stuck at %v with %d rows left", now.Sub(t0), left)
				}
				clock.Advance(wakeAt.Sub(now))
			}
			took := clock.Now().Sub(t0)
			minimum := MinimumDuration(l, tc.total, tc.batch, 0)
			ratio := minimum.Seconds() / took.Seconds()
			t.Logf("%d rows in %d POSTs: %v, minimum %v, ratio %.4f, 429s %d", srv.tableRows, posts, took, minimum, ratio, srv.throttled)
			if srv.throttled != 0 {
				t.Errorf("%d requests throttled, want 0", srv.throttled)
			}
			if srv.tableRows != tc.total {
				t.Errorf("server holds %d rows, want %d", srv.tableRows, tc.total)
			}
			if ratio < 0.95 {
				t.Errorf("took %v, more than 5%% over the minimum %v", took, minimum)
			}
			if len(p.done) > 2*(120*60+l.MaxPendingPosts)+64 {
				t.Errorf("pacer holds %d requests", len(p.done))
			}
		})
	}
}

func TestEstimateRemainingFollowsTheWindows(t *testing.T) {
	l := schema.DocumentedLimits()
	clock := NewFakeClock(t0)
	p, err := NewPacer(PacerConfig{Limits: l, Clock: clock, History: []Sent{{End: t0.Add(-20 * time.Minute), Rows: 1_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	margin := time.Hour / 1000
	if got, want := p.EstimateRemaining(10_000, 10_000, 0), 40*time.Minute+margin; got != want {
		t.Errorf("with the hour's quota spent 20 minutes ago: %v, want %v", got, want)
	}
	p.Backoff(50 * time.Minute)
	if got := p.EstimateRemaining(10_000, 10_000, 0); got != 50*time.Minute {
		t.Errorf("behind a Retry-After of 50m: %v, want 50m", got)
	}
	if got := p.EstimateRemaining(0, 10_000, 0); got != 0 {
		t.Errorf("nothing left: %v", got)
	}
}
