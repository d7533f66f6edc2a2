package pbi

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// postRows appends rows to a push table, all or nothing, after the size,
// shape, type, quota and capacity checks (serveRoute has counted it pending);
// see doc.go for the order and the statuses.
func (c *call) postRows() {
	d, lim := c.ds, c.s.limits
	if wait := c.s.fault.throttleWait(c.s.cfg.Clock.Now()); wait > 0 {
		d.count(func(k *counters) { k.PostRowsThrottled++ })
		tooManyRequests(c.w, wait, "You have exceeded the amount of requests allowed in the current time frame and further requests will fail (sandbox fault injection: throttleFor).")
		return
	}
	body, ok := c.readBody(lim.MaxBytesPerPost)
	if !ok {
		d.count(func(k *counters) { k.PostRowsFailed++ })
		return
	}
	for {
		d.mu.Lock()
		t := d.table(c.table)
		var cols []*column
		if t != nil {
			cols = append(cols, t.Columns...)
		}
		vers := d.schemaVers
		d.mu.Unlock()
		if t == nil {
			d.count(func(k *counters) { k.PostRowsFailed++ })
			c.tableNotFound()
			return
		}
		p := newRowParser(body, cols, lim)
		if err := p.parse(); err != nil {
			d.count(func(k *counters) { k.PostRowsFailed++ })
			var re *rowsError
			if errors.As(err, &re) {
				badRequest(c.w, "requestMessage", "%s", re.msg)
			} else {
				badRequest(c.w, "requestMessage", "%v", err)
			}
			return
		}
		if p.n > lim.RowsPerHour { // only possible with configured limits below MaxRowsPerPost
			d.count(func(k *counters) { k.PostRowsFailed++ })
			badRequest(c.w, "requestMessage", "The request has %d rows, more than the %d rows per hour this dataset may receive. Send smaller batches.", p.n, lim.RowsPerHour)
			return
		}
		done, retry := c.commit(t, p, vers)
		if retry {
			continue // the schema changed while we parsed: parse again
		}
		if done && c.s.fault.dropAfterCommit() {
			abortConnection(c.w)
		}
		if done {
			c.w.WriteHeader(http.StatusOK)
		}
		return
	}
}

// commit appends the parsed batch under the dataset lock when the quotas and
// the table capacity allow it. retry reports a schema change since parsing.
func (c *call) commit(t *table, p *rowParser, vers int) (done, retry bool) {
	d, lim := c.ds, c.s.limits
	alive := c.st.has(d) // before d.mu: the lock order is store, then dataset
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.schemaVers != vers || d.table(c.table) != t {
		return false, true
	}
	if !alive { // deleted while the body was read
		d.Counters.PostRowsFailed++
		entityNotFound(c.w, fmt.Sprintf("Dataset %s was deleted while the rows were being sent.", d.ID))
		return false, false
	}
	now := c.s.cfg.Clock.Now()
	win := windows{minute: c.s.cfg.Clock.Real(time.Minute), hour: c.s.cfg.Clock.Real(time.Hour)}
	if wait, why := d.quota.check(now, p.n, d.hasLargeTable(lim.LargeTableRows), lim, win); wait > 0 {
		d.Counters.PostRowsThrottled++
		tooManyRequests(c.w, wait, why)
		return false, false
	}
	if d.Retention != "basicFIFO" && t.Rows+p.n > lim.MaxRowsNoRetention {
		d.Counters.PostRowsFailed++
		codeError(c.w, http.StatusBadRequest, "BadRequest",
			"Table '<pi>%s</pi>' holds %d rows; adding %d would pass the limit of %d rows per table without a retention policy. Delete rows, or use a dataset created with defaultRetentionPolicy=basicFIFO.",
			t.Name, t.Rows, p.n, lim.MaxRowsNoRetention)
		return false, false
	}
	t.fill()
	for i, col := range t.Columns {
		b := p.cols[i]
		col.nulls = append(col.nulls, b.nulls...)
		col.ints = append(col.ints, b.ints...)
		col.floats = append(col.floats, b.floats...)
		col.bools = append(col.bools, b.bools...)
		col.strs = append(col.strs, b.strs...)
	}
	t.Rows += p.n
	// FIFO keeps exactly the newest MaxRowsFIFO rows (the service keeps
	// 200,000–210,000; exact is our choice, so counts are predictable).
	if d.Retention == "basicFIFO" && t.Rows > lim.MaxRowsFIFO {
		drop := t.Rows - lim.MaxRowsFIFO
		for _, col := range t.Columns {
			col.dropFront(drop)
		}
		t.Rows -= drop
		d.Counters.RowsEvicted += drop
	}
	d.quota.record(now, p.n)
	d.Counters.PostRowsAccepted++
	d.Counters.RowsAccepted += p.n
	return true, false
}

// hasLargeTable reports whether any table of the dataset holds at least n
// rows: the documented "120 POSTs per hour per dataset if a table has
// 250,000 rows" then applies to every POST to the dataset (UNCONFIRMED
// whether only POSTs to that table count; "per dataset" suggests all).
func (d *dataset) hasLargeTable(n int) bool {
	for _, t := range d.Tables {
		if t.Rows >= n {
			return true
		}
	}
	return false
}

func (d *dataset) count(f func(*counters)) {
	d.mu.Lock()
	f(&d.Counters)
	d.mu.Unlock()
}

func (d *dataset) acquire(max int) bool {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	if d.pending >= max {
		return false
	}
	d.pending++
	return true
}

func (d *dataset) release() {
	d.pendingMu.Lock()
	d.pending--
	d.pendingMu.Unlock()
}

// abortConnection closes the connection without a response: the rows are
// stored but the client never hears so (a dropped connection after commit).
func abortConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		panic(http.ErrAbortHandler) // nothing more to write; stop the handler quietly
	}
	panic(http.ErrAbortHandler) // HTTP/2: resets the stream
}
