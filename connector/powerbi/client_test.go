package powerbi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/schema"
)

func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
}

// rotatingTokens hands out "t1" until Refresh is called, then "t2", ...
type rotatingTokens struct {
	mu        sync.Mutex
	n         int
	refreshes int
}

func (r *rotatingTokens) Token(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("t%d", r.n+1), nil
}

func (r *rotatingTokens) Refresh(_ context.Context, rejected string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := fmt.Sprintf("t%d", r.n+1); cur != rejected {
		return cur, nil // someone else already refreshed
	}
	r.refreshes++
	r.n++
	return fmt.Sprintf("t%d", r.n+1), nil
}

// plainSource hides Refresh.
type plainSource struct{ ts TokenSource }

func (p plainSource) Token(ctx context.Context) (string, error) { return p.ts.Token(ctx) }

func TestTokenExpiredReplayedOnce(t *testing.T) {
	tests := []struct {
		name       string
		headerOnly bool
		plain      bool // TokenSource without Refresher that returns the same token
		wantErr    bool
		wantPosts  int
	}{
		{name: "body code, refresher", wantPosts: 2},
		{name: "header only, refresher", headerOnly: true, wantPosts: 2},
		{name: "plain source returning the same token", plain: true, wantErr: true, wantPosts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			var stored atomic.Int32
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				body, _ := io.ReadAll(r.Body)
				if r.Header.Get("Authorization") != "Bearer t2" {
					w.Header().Set(HeaderRequestID, "r-exp")
					w.Header().Set(HeaderErrorInfo, "TokenExpired")
					w.WriteHeader(403)
					if !tt.headerOnly {
						_, _ = w.Write([]byte(bodyTokenExpired))
					}
					return
				}
				if string(body) != `{"rows":[{"a":1}]}` {
					t.Errorf("replayed body = %s", body)
				}
				stored.Add(1)
			})
			src := &rotatingTokens{}
			c.tokens = src
			if tt.plain {
				c.tokens = plainSource{src}
			}
			err := c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[{"a":1}]}`))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr && (!IsAuth(err) || !strings.Contains(Advice(err, nil), "did not give a newer one")) {
				t.Errorf("IsAuth(%v) = false or advice %q", err, Advice(err, nil))
			}
			if int(posts.Load()) != tt.wantPosts {
				t.Errorf("%d POSTs, want %d", posts.Load(), tt.wantPosts)
			}
			if !tt.wantErr && (stored.Load() != 1 || src.refreshes != 1) {
				t.Errorf("stored %d times with %d refreshes, want 1 and 1", stored.Load(), src.refreshes)
			}
		})
	}
}

func TestConcurrentExpiryRefreshesOnce(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t2" {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(bodyTokenExpired))
		}
	})
	src := &rotatingTokens{}
	c.tokens = src
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if err := c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[]}`)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if src.refreshes != 1 {
		t.Errorf("%d refreshes for 5 concurrent expired requests, want 1", src.refreshes)
	}
}

func TestTokenSourceFailure(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent without a token") })
	c.tokens = StaticToken("")
	_, err := c.Groups(context.Background(), "")
	var te *TokenError
	if !errors.As(err, &te) || !IsAuth(err) || !strings.Contains(Advice(err, nil), "nothing was written") {
		t.Fatalf("err = %v, advice %q", err, Advice(err, nil))
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		retryHdr  string
		call      func(*Client) error
		wantCalls int
		wantErr   bool
		wantWaits []time.Duration
	}{
		{name: "GET retried after 503", statuses: []int{503, 200}, wantCalls: 2,
			call: func(c *Client) error { _, err := c.Datasets(context.Background(), "g"); return err }, wantWaits: []time.Duration{time.Second}},
		{name: "GET waits Retry-After on 429", statuses: []int{429, 200}, retryHdr: "3", wantCalls: 2,
			call: func(c *Client) error { _, err := c.Datasets(context.Background(), "g"); return err }, wantWaits: []time.Duration{3 * time.Second}},
		{name: "GET gives up after Attempts", statuses: []int{500, 500, 500, 200}, wantCalls: 3, wantErr: true,
			call: func(c *Client) error { _, err := c.Datasets(context.Background(), "g"); return err }, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{name: "429 longer than MaxWait is returned", statuses: []int{429, 200}, retryHdr: "3600", wantCalls: 1, wantErr: true,
			call: func(c *Client) error { _, err := c.Datasets(context.Background(), "g"); return err }},
		{name: "POST rows never retried", statuses: []int{503, 200}, wantCalls: 1, wantErr: true,
			call: func(c *Client) error { return c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[]}`)) }},
		{name: "create dataset never retried", statuses: []int{500, 201}, wantCalls: 1, wantErr: true,
			call: func(c *Client) error {
				_, err := c.CreateDataset(context.Background(), "g", CreateDataset{Name: "x"}, "")
				return err
			}},
		{name: "400 not retried", statuses: []int{400, 200}, wantCalls: 1, wantErr: true,
			call: func(c *Client) error { _, err := c.Datasets(context.Background(), "g"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			var exchanges []Exchange
			var mu sync.Mutex
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if tt.retryHdr != "" {
					w.Header().Set(HeaderRetryAfter, tt.retryHdr)
				}
				w.WriteHeader(tt.statuses[i])
				_, _ = w.Write([]byte(`{"value":[]}`))
			}, WithRetry(RetryPolicy{Attempts: 3, MaxWait: time.Minute, Backoff: time.Second}),
				WithObserver(func(e Exchange) { mu.Lock(); exchanges = append(exchanges, e); mu.Unlock() }))
			var waits []time.Duration
			c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			err := tt.call(c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if int(n.Load()) != tt.wantCalls || len(exchanges) != tt.wantCalls {
				t.Errorf("%d calls, %d observed, want %d", n.Load(), len(exchanges), tt.wantCalls)
			}
			if fmt.Sprint(waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", waits, tt.wantWaits)
			}
			if len(exchanges) > 0 && exchanges[len(exchanges)-1].Attempt != tt.wantCalls {
				t.Errorf("last attempt numbered %d", exchanges[len(exchanges)-1].Attempt)
			}
		})
	}
}

func TestGroupsPaging(t *testing.T) {
	all := []Group{}
	for i := range 5 {
		all = append(all, Group{ID: fmt.Sprintf("id-%d", i), Name: fmt.Sprintf("W%d", i)})
	}
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprintf("server honours $top/$skip=%v", honour), func(t *testing.T) {
			var requests []string
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				requests = append(requests, r.URL.RawQuery)
				page := all
				if honour {
					top, _ := strconv.Atoi(r.URL.Query().Get("$top"))
					skip, _ := strconv.Atoi(r.URL.Query().Get("$skip"))
					page = all[min(skip, len(all)):min(skip+top, len(all))]
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"@odata.context": "x", "value": page})
			})
			c.pageSize = 2
			got, err := c.Groups(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(all) {
				t.Errorf("got %v\nwant %v (requests %q)", got, all, requests)
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	var rawPath, rawQuery string
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		rawPath, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
		_, _ = w.Write([]byte(`{"value":[]}`))
	})
	ctx := context.Background()
	if err := c.DeleteRows(ctx, "g 1", "d", "Sales #1 / ü?"); err != nil {
		t.Fatal(err)
	}
	if want := "/v1.0/myorg/groups/g%201/datasets/d/tables/Sales%20%231%20%2F%20%C3%BC%3F/rows"; rawPath != want {
		t.Errorf("path = %s\nwant   %s", rawPath, want)
	}
	if _, err := c.Groups(ctx, "contains(name,'sales & co') or name eq 'a+b'"); err != nil {
		t.Fatal(err)
	}
	if want := "$filter=contains%28name%2C%27sales%20%26%20co%27%29%20or%20name%20eq%20%27a%2Bb%27&$top=5000"; rawQuery != want {
		t.Errorf("query = %s\nwant    %s", rawQuery, want)
	}
	if err := c.DeleteRows(ctx, MyWorkspace, "d", "T"); err != nil {
		t.Fatal(err)
	}
	if rawPath != "/v1.0/myorg/datasets/d/tables/T/rows" {
		t.Errorf("My workspace path = %s", rawPath)
	}
}

func TestCreateDatasetRequest(t *testing.T) {
	var gotBody, gotQuery string
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotQuery = string(b), r.URL.RawQuery
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"@odata.context":"http://x/$metadata#datasets/$entity","id":"a119a912-fe59-4e18-87c3-6568b6866507","name":"Perf","upstreamDatasets":[],"users":[]}`))
	})
	d, err := c.CreateDataset(context.Background(), "g", CreateDataset{Name: "Perf",
		Tables: []Table{{Name: "T", Columns: []Column{{Name: "id", DataType: "Int64"}}}}}, "fifo")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"Perf","defaultMode":"Push","tables":[{"name":"T","columns":[{"name":"id","dataType":"Int64"}]}]}`; gotBody != want {
		t.Errorf("body = %s\nwant   %s", gotBody, want)
	}
	if gotQuery != "defaultRetentionPolicy=basicFIFO" {
		t.Errorf("query = %s", gotQuery)
	}
	if d.ID != "a119a912-fe59-4e18-87c3-6568b6866507" || d.DefaultRetentionPolicy != RetentionFIFO || !d.IsPush() {
		t.Errorf("dataset = %+v", d)
	}
	if _, err := c.CreateDataset(context.Background(), "g", CreateDataset{Name: "x"}, "forever"); err == nil {
		t.Error("bad retention accepted")
	}
}

func TestExecuteQueries(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    int64
		wantErr string
	}{
		{name: "count with BOM", answer: "\xEF\xBB\xBF" + `{"results":[{"tables":[{"rows":[{"[n]":42}]}]}]}`, want: 42},
		{name: "big count exact", answer: `{"results":[{"tables":[{"rows":[{"[n]":4999999999}]}]}]}`, want: 4999999999},
		{name: "empty table is blank", answer: `{"results":[{"tables":[{"rows":[{"[n]":null}]}]}]}`, want: 0},
		{name: "empty table, nulls omitted", answer: `{"results":[{"tables":[{"rows":[{}]}]}]}`, wantErr: "no column [n]"},
		{name: "result error", answer: `{"results":[{"error":{"code":"X","message":"boom"}}]}`, wantErr: "boom"},
		{name: "no rows", answer: `{"results":[{"tables":[{"rows":[]}]}]}`, wantErr: "expected one result row"},
		{name: "not a number", answer: `{"results":[{"tables":[{"rows":[{"[n]":"x"}]}]}]}`, wantErr: "not a row count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q struct {
				Queries []struct{ Query string } `json:"queries"`
			}
			c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				_ = json.NewDecoder(r.Body).Decode(&q)
				_, _ = w.Write([]byte(tt.answer))
			})
			n, err := c.CountRows(context.Background(), "g", "d", "O'Brien data")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || n != tt.want {
				t.Fatalf("CountRows = %d, %v; want %d", n, err, tt.want)
			}
			if want := `EVALUATE ROW("n", COUNTROWS('O''Brien data'))`; len(q.Queries) != 1 || q.Queries[0].Query != want {
				t.Errorf("query = %+v, want %s", q.Queries, want)
			}
		})
	}
}

func TestTopNKeys(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"results":[{"tables":[{"rows":[{"T[id]":9007199254740993,"T[name]":"a","T[when]":null}]}]}]}`))
	})
	rows, err := c.TopN(context.Background(), "g", "d", "T", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || fmt.Sprint(rows[0]["id"]) != "9007199254740993" || rows[0]["name"] != "a" || rows[0]["when"] != nil {
		t.Errorf("rows = %v", rows)
	}
	if _, err := c.TopN(context.Background(), "g", "d", "T", 0); err == nil {
		t.Error("n=0 accepted")
	}
}

func TestLimitsDocumentedOutsideSandbox(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no request expected") })
	l, err := c.Limits(context.Background())
	if err != nil || l != schema.DocumentedLimits() {
		t.Fatalf("Limits = %+v, %v", l, err)
	}
}

func TestLimitsFromSandbox(t *testing.T) {
	var auth, path string
	c, srv := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		auth, path = r.Header.Get("Authorization"), r.URL.Path
		_, _ = w.Write([]byte(`{"postsPerMinute":10,"timeScale":60}`))
	})
	c.ep.Sandbox = true
	l, err := c.Limits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := schema.DocumentedLimits()
	want.PostsPerMinute, want.TimeScale = 10, 60
	if l != want || path != "/_sandbox/limits" || auth != "" {
		t.Errorf("Limits = %+v (path %s, auth %q) from %s", l, path, auth, srv.URL)
	}
}

// deadlineOn is a context whose deadline passes when done is closed.
type deadlineOn struct {
	context.Context
	done chan struct{}
}

func (c deadlineOn) Done() <-chan struct{} { return c.done }

func (c deadlineOn) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestAmbiguousVersusRefused shows how PostRows failures are told apart:
// a request that was written completely and then lost its answer is
// ErrAmbiguous; one that never left is not.
func TestAmbiguousVersusRefused(t *testing.T) {
	body := []byte(`{"rows":[{"a":1}]}`)

	t.Run("hangs after reading the body: deadline is ambiguous", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		// The deadline passes once the server has read the whole body, however
		// long the machine takes to get there.
		ctx := deadlineOn{Context: context.Background(), done: make(chan struct{})}
		c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			close(ctx.done)
			<-release
		})
		err := c.PostRows(ctx, "g", "d", "T", body)
		if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ambiguous deadline", err)
		}
		if adv := Advice(err, nil); !strings.Contains(adv, "may or may not") || !strings.Contains(adv, "counts the table's rows") {
			t.Errorf("advice = %s", adv)
		}
	})

	t.Run("connection closed after reading the body is ambiguous", func(t *testing.T) {
		c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		err := c.PostRows(context.Background(), "g", "d", "T", body)
		var te *TransportError
		if !errors.As(err, &te) || !te.Sent || !errors.Is(err, ErrAmbiguous) {
			t.Fatalf("err = %v, want ambiguous", err)
		}
	})

	t.Run("connection refused is not ambiguous", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		c := New(cloud.Endpoints{APIBase: "http://" + addr, HTTP: &http.Client{}}, StaticToken("t"))
		err = c.PostRows(context.Background(), "g", "d", "T", body)
		var te *TransportError
		if !errors.As(err, &te) || te.Sent || errors.Is(err, ErrAmbiguous) {
			t.Fatalf("err = %v, want not sent", err)
		}
		if te.Host != addr || !strings.Contains(err.Error(), "post rows") || !strings.Contains(Advice(err, nil), "nothing was sent") {
			t.Errorf("err = %v; advice %s", err, Advice(err, nil))
		}
	})

	t.Run("deadline while the body is still being written is not ambiguous", func(t *testing.T) {
		// A server that accepts and never reads: a body larger than the socket
		// buffers cannot be written completely.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, conn)
				mu.Unlock()
			}
		}()
		defer func() {
			mu.Lock()
			for _, c := range conns {
				_ = c.Close()
			}
			mu.Unlock()
		}()
		big := []byte(`{"rows":[{"s":"` + strings.Repeat("x", 32<<20) + `"}]}`)
		c := New(cloud.Endpoints{APIBase: "http://" + ln.Addr().String(), HTTP: &http.Client{}}, StaticToken("t"))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err = c.PostRows(ctx, "g", "d", "T", big)
		var te *TransportError
		if !errors.As(err, &te) || te.Sent || errors.Is(err, ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a deadline before sending", err)
		}
	})
}

// failingRefresh's Refresh fails, as a revoked refresh token would.
type failingRefresh struct{}

func (failingRefresh) Token(context.Context) (string, error) { return "t1", nil }
func (failingRefresh) Refresh(context.Context, string) (string, error) {
	return "", errors.New("AADSTS50173: the provided grant has expired")
}

func TestRefreshFailure(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderRequestID, "r-1")
		w.WriteHeader(403)
		_, _ = w.Write([]byte(bodyTokenExpired))
	})
	c.tokens = failingRefresh{}
	err := c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[]}`))
	var te *TokenError
	var pe *Error
	if !errors.As(err, &te) || !errors.As(err, &pe) || !IsAuth(err) {
		t.Fatalf("err = %v", err)
	}
	adv := Advice(err, nil)
	if !strings.Contains(adv, "AADSTS50173") || !strings.Contains(adv, "RequestId r-1") {
		t.Errorf("advice = %s", adv)
	}
}
