package pbi

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

const sales = demo.WorkspaceSalesID

func wideTable(cols int) map[string]any {
	var cs []any
	for i := 0; i < cols; i++ {
		cs = append(cs, map[string]any{"name": fmt.Sprintf("c%d", i), "dataType": "Int64"})
	}
	return map[string]any{"name": "T", "columns": cs}
}

func TestSchemaLimits(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	path := "/v1.0/myorg/groups/" + sales + "/datasets"
	e.must(t, 201, e.do("POST", path, map[string]any{"name": "x", "tables": []any{wideTable(75)}}, e.user))
	r := e.must(t, 400, e.do("POST", path, map[string]any{"name": "x", "tables": []any{wideTable(76)}}, e.user))
	if !strings.Contains(string(r.body), "at most 75 columns") {
		t.Errorf("76 columns: %s", r.body)
	}
	tables := func(n int) []any {
		var ts []any
		for i := 0; i < n; i++ {
			ts = append(ts, map[string]any{"name": fmt.Sprintf("T%d", i), "columns": []any{map[string]any{"name": "a", "dataType": "Int64"}}})
		}
		return ts
	}
	e.must(t, 201, e.do("POST", path, map[string]any{"name": "x", "tables": tables(75)}, e.user))
	r = e.must(t, 400, e.do("POST", path, map[string]any{"name": "x", "tables": tables(76)}, e.user))
	if !strings.Contains(string(r.body), "at most 75 tables") {
		t.Errorf("76 tables: %s", r.body)
	}
}

func TestRowsPerPostAndBytes(t *testing.T) {
	lim := schema.DocumentedLimits()
	lim.MaxBytesPerPost = 1000
	e := newEnv(t, 1, lim, "")
	id := e.createDataset(t, sales, "", intTable)
	p := rowsPath(sales, id, "T")
	body := []byte(`{"rows":[` + strings.Repeat(`{"id":1},`, 100)[:899] + `]}`) // 901 bytes... pad to exactly 1000
	body = append(body[:len(body)-2], []byte(strings.Repeat(" ", 1000-len(body))+"]}")...)
	if len(body) != 1000 {
		t.Fatalf("test body is %d bytes", len(body))
	}
	e.must(t, 200, e.do("POST", p, body, e.user))
	r := e.must(t, 413, e.do("POST", p, append(body, ' '), e.user))
	if errorCode(t, r) != "RequestEntityTooLarge" {
		t.Errorf("1001 bytes: %s", r)
	}

	e = newEnv(t, 1, schema.Limits{}, "")
	id = e.createDataset(t, sales, "", intTable)
	p = rowsPath(sales, id, "T")
	e.must(t, 200, e.do("POST", p, intRows(0, 10_000), e.user))
	r = e.must(t, 400, e.do("POST", p, intRows(0, 10_001), e.user))
	if !strings.Contains(string(r.body), "at most 10000 rows per POST") {
		t.Errorf("10,001 rows: %s", r.body)
	}
}

// TestPostsPerMinute: 120 POSTs pass, the 121st answers 429 with the exact
// wait until the oldest leaves the sliding minute, at two time scales.
func TestPostsPerMinute(t *testing.T) {
	for _, tc := range []struct {
		scale       float64
		after       time.Duration // real time between the first POST and the 121st
		retryAfter  string
		retryAfterM string
	}{
		{1, 10 * time.Second, "50", "50000"},
		{60, 250 * time.Millisecond, "1", "750"}, // a minute lasts one real second
	} {
		t.Run(fmt.Sprint("scale ", tc.scale), func(t *testing.T) {
			e := newEnv(t, tc.scale, schema.Limits{}, "")
			id := e.createDataset(t, sales, "", intTable)
			p := rowsPath(sales, id, "T")
			for i := 0; i < 120; i++ {
				e.must(t, 200, e.do("POST", p, intRows(i, 1), e.user))
			}
			e.fake.Advance(tc.after)
			r := e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user))
			if r.header.Get("Retry-After") != tc.retryAfter || r.header.Get("X-Sandbox-Retry-After-Ms") != tc.retryAfterM ||
				!strings.Contains(string(r.body), "120 POST rows requests per minute") || errorCode(t, r) != "TooManyRequests" {
				t.Fatalf("121st POST: Retry-After %q, ms %q, %s", r.header.Get("Retry-After"), r.header.Get("X-Sandbox-Retry-After-Ms"), r.body)
			}
			ms := e.clock.Real(time.Minute) - tc.after
			e.fake.Advance(ms - time.Millisecond)
			r = e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user))
			if r.header.Get("X-Sandbox-Retry-After-Ms") != "1" || r.header.Get("Retry-After") != "1" {
				t.Fatalf("1 ms early: %v", r.header)
			}
			e.fake.Advance(time.Millisecond)
			e.must(t, 200, e.do("POST", p, intRows(0, 1), e.user))
		})
	}
}

// TestRowsPerHour fills the 1,000,000-row hourly quota under a time scale
// (an hour lasts 1 real second) and checks the exact Retry-After.
func TestRowsPerHour(t *testing.T) {
	e := newEnv(t, 3600, schema.Limits{}, "")
	id := e.createDataset(t, sales, "basicFIFO", intTable)
	p := rowsPath(sales, id, "T")
	batch := intRows(0, 10_000)
	for i := 0; i < 100; i++ {
		e.must(t, 200, e.do("POST", p, batch, e.user))
		e.fake.Advance(5 * time.Millisecond) // spread out: a minute lasts 16.7 ms here
	}
	// Now at t0+500ms; the first POST (t0) leaves the 1 s hour at t0+1s.
	r := e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user))
	if r.header.Get("X-Sandbox-Retry-After-Ms") != "500" || r.header.Get("Retry-After") != "1" || !strings.Contains(string(r.body), "rows per hour") {
		t.Fatalf("over the hourly quota: %v %s", r.header, r.body)
	}
	e.fake.Advance(500*time.Millisecond - time.Microsecond)
	e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user))
	e.fake.Advance(time.Microsecond)
	e.must(t, 200, e.do("POST", p, intRows(0, 10_000), e.user)) // exactly the freed 10,000
	e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user))
}

func TestPostsPerHourLargeTable(t *testing.T) {
	lim := schema.DocumentedLimits()
	lim.LargeTableRows, lim.PostsPerHourLarge = 10, 3
	e := newEnv(t, 1, lim, "")
	id := e.createDataset(t, sales, "", intTable)
	p := rowsPath(sales, id, "T")
	e.must(t, 200, e.do("POST", p, intRows(0, 10), e.user)) // the table now holds LargeTableRows
	e.fake.Advance(10 * time.Minute)
	e.must(t, 200, e.do("POST", p, intRows(0, 1), e.user))
	e.fake.Advance(10 * time.Minute)
	e.must(t, 200, e.do("POST", p, intRows(0, 1), e.user))
	e.fake.Advance(10 * time.Minute)
	r := e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user)) // a 4th within the hour
	if r.header.Get("Retry-After") != "1800" || !strings.Contains(string(r.body), "per hour per dataset once a table holds 10 rows") {
		t.Fatalf("4th POST: %v %s", r.header, r.body)
	}
	e.fake.Advance(30 * time.Minute)
	e.must(t, 200, e.do("POST", p, intRows(0, 1), e.user))
}

func TestTableCapacity(t *testing.T) {
	lim := schema.DocumentedLimits()
	lim.MaxRowsNoRetention = 25
	e := newEnv(t, 1, lim, "")
	id := e.createDataset(t, sales, "None", intTable)
	p := rowsPath(sales, id, "T")
	e.must(t, 200, e.do("POST", p, intRows(0, 20), e.user))
	e.must(t, 200, e.do("POST", p, intRows(20, 5), e.user)) // exactly the limit
	r := e.must(t, 400, e.do("POST", p, intRows(25, 1), e.user))
	if !strings.Contains(string(r.body), "limit of 25 rows per table without a retention policy") {
		t.Errorf("over capacity: %s", r.body)
	}
}

// TestFIFO fills a basicFIFO table to the documented 200,000 rows, then one
// more POST evicts exactly the oldest rows.
func TestFIFO(t *testing.T) {
	e := newEnv(t, 3600, schema.Limits{}, "")
	id := e.createDataset(t, sales, "basicFIFO", intTable)
	p := rowsPath(sales, id, "T")
	for i := 0; i < 20; i++ {
		e.must(t, 200, e.do("POST", p, intRows(i*10_000, 10_000), e.user))
	}
	e.must(t, 200, e.do("POST", p, intRows(200_000, 3), e.user))
	r := e.must(t, 200, e.do("GET", "/_sandbox/rows?dataset="+id+"&table=T", nil, ""))
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if len(lines) != 200_000 || lines[0] != `{"id":3}` || lines[len(lines)-1] != `{"id":200002}` {
		t.Fatalf("FIFO kept %d rows, first %s, last %s", len(lines), lines[0], lines[len(lines)-1])
	}
	if s := string(e.must(t, 200, e.do("GET", "/_sandbox/state", nil, "")).body); !strings.Contains(s, `"rowsEvicted":3`) {
		t.Errorf("state: %s", s)
	}
}

// blockingBody is a request body that sends its first byte, then waits.
type blockingBody struct {
	release chan struct{}
	sent    bool
}

func (b *blockingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		p[0] = '{'
		return 1, nil
	}
	<-b.release
	return copy(p, `"rows":[]}`), io.EOF
}

// TestPendingPosts holds 5 POSTs in flight; the 6th answers 429.
func TestPendingPosts(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	id := e.createDataset(t, sales, "", intTable)
	p := rowsPath(sales, id, "T")
	release := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.do("POST", p, &blockingBody{release: release}, e.user).status
		}()
	}
	deadline := time.Now().Add(time.Minute) // the POSTs stay pending: a bound for a hang, not a timing
	for {
		if strings.Contains(string(e.do("GET", "/_sandbox/state", nil, "").body), `"pendingPosts":5`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the 5 POSTs never became pending")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := e.must(t, 429, e.do("POST", p, intRows(0, 1), e.user))
	if !strings.Contains(string(r.body), "at most 5 at a time") || r.header.Get("Retry-After") != "1" {
		t.Errorf("6th: %v %s", r.header, r.body)
	}
	close(release)
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("pending POST %d: %d", i, s)
		}
	}
	e.must(t, 200, e.do("POST", p, intRows(0, 1), e.user))
}
