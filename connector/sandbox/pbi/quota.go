package pbi

import (
	"fmt"
	"time"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// quota holds a dataset's accepted POST rows requests of the last hour, for
// the sliding-window limits: rows per hour, POSTs per minute and, once the
// target table holds LargeTableRows, POSTs per hour. Only accepted requests
// count: a refused or throttled POST stores nothing and uses no quota (our
// choice; the service's accounting is UNCONFIRMED).
type quota struct {
	events []quotaEvent // oldest first, all within the last hour
}

type quotaEvent struct {
	at   time.Time
	rows int
}

// windows are the real lengths of the documented minute and hour under the
// time scale.
type windows struct{ minute, hour time.Duration }

// check reports how long a POST of n rows must wait (0: it may go now) and
// which limit holds it back. Waiting exactly that long is enough: the windows
// only shrink with time, so the longest of the per-limit waits frees all.
func (q *quota) check(now time.Time, n int, largeTable bool, lim schema.Limits, win windows) (time.Duration, string) {
	q.prune(now, win.hour)
	var wait time.Duration
	var why string
	consider := func(w time.Duration, msg string) {
		if w > wait {
			wait, why = w, msg
		}
	}
	// POSTs per minute: at most PostsPerMinute-1 may remain in the window.
	first := len(q.events)
	for first > 0 && q.events[first-1].at.After(now.Add(-win.minute)) {
		first--
	}
	if inMinute := len(q.events) - first; inMinute >= lim.PostsPerMinute {
		oldest := q.events[first+inMinute-lim.PostsPerMinute]
		consider(oldest.at.Add(win.minute).Sub(now), fmt.Sprintf(
			"You have exceeded the amount of requests allowed in the current time frame and further requests will fail: at most %d POST rows requests per minute per dataset.", lim.PostsPerMinute))
	}
	// Rows per hour: drop the oldest until the new rows fit.
	sum := 0
	for _, e := range q.events {
		sum += e.rows
	}
	if sum+n > lim.RowsPerHour {
		for _, e := range q.events {
			sum -= e.rows
			if sum+n <= lim.RowsPerHour {
				consider(e.at.Add(win.hour).Sub(now), fmt.Sprintf(
					"You are over your rows per hour limit for this dataset (%d rows per hour). Retry your push later.", lim.RowsPerHour))
				break
			}
		}
	}
	// POSTs per hour once the table is large.
	if largeTable && len(q.events) >= lim.PostsPerHourLarge {
		oldest := q.events[len(q.events)-lim.PostsPerHourLarge]
		consider(oldest.at.Add(win.hour).Sub(now), fmt.Sprintf(
			"You have exceeded the amount of requests allowed in the current time frame and further requests will fail: at most %d POST rows requests per hour per dataset once a table holds %d rows.", lim.PostsPerHourLarge, lim.LargeTableRows))
	}
	return wait, why
}

func (q *quota) record(now time.Time, n int) { q.events = append(q.events, quotaEvent{now, n}) }

func (q *quota) prune(now time.Time, hour time.Duration) {
	i := 0
	for i < len(q.events) && !q.events[i].at.After(now.Add(-hour)) {
		i++
	}
	if i > 0 {
		q.events = append(q.events[:0:0], q.events[i:]...)
	}
}
