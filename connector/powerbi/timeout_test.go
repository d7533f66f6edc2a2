package powerbi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// A POST rows that the server takes and never answers, over a real socket:
// the client gives up after the request timeout — the only bound here — and
// says the rows may or may not be stored (settle by counting), without
// looking like an interrupt.
func TestUnansweredPostIsAbandoned(t *testing.T) {
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done() // never answers; ends when the client hangs up
	}, WithRequestTimeout(300*time.Millisecond))
	err := c.PostRows(context.Background(), "g", "d", "T", []byte(`{"rows":[{"id":1}]}`))
	checkTimeout(t, err, true, "nothing arrived for 300ms")
}

func checkTimeout(t *testing.T, err error, sent bool, want string) {
	t.Helper()
	var te *stall.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err %v, want a request timeout", err)
	}
	if errors.Is(err, ErrAmbiguous) != sent {
		t.Errorf("errors.Is(err, ErrAmbiguous) = %v, want %v: %v", !sent, sent, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a request timeout reads as an interrupt: %v", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err %q, want it to say %q", err, want)
	}
}

// fakeTransport answers in-process, calling the trace hooks net/http's
// transport would, so that synctest's fake time drives every wait.
type fakeTransport func(req *http.Request, trace *httptrace.ClientTrace) (*http.Response, error)

func (f fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	trace := httptrace.ContextClientTrace(req.Context())
	trace.GetConn(req.URL.Host)
	trace.GotConn(httptrace.GotConnInfo{})
	return f(req, trace)
}

func fakeClient(rt fakeTransport, opts ...Option) *Client {
	ep := cloud.Endpoints{Name: "test", APIBase: "https://api.test", HTTP: &http.Client{Transport: rt}}
	return New(ep, StaticToken(testToken), append([]Option{WithRetry(RetryPolicy{})}, opts...)...)
}

// send reads the whole request body in chunks, pause apart, and reports it written.
func send(req *http.Request, trace *httptrace.ClientTrace, pause time.Duration) error {
	if req.Body != nil {
		defer req.Body.Close()
		buf := make([]byte, 4096)
		for {
			_, err := req.Body.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			select {
			case <-time.After(pause):
			case <-req.Context().Done():
				return context.Cause(req.Context())
			}
		}
	}
	trace.WroteRequest(httptrace.WroteRequestInfo{})
	return nil
}

// trickle is an answer body that yields one byte of data every pause.
type trickle struct {
	ctx   context.Context
	data  []byte
	pause time.Duration
}

func (b *trickle) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	select {
	case <-time.After(b.pause):
	case <-b.ctx.Done():
		return 0, context.Cause(b.ctx)
	}
	p[0], b.data = b.data[0], b.data[1:]
	return 1, nil
}

func (b *trickle) Close() error { return nil }

func answer(req *http.Request, trace *httptrace.ClientTrace, body io.ReadCloser) *http.Response {
	trace.GotFirstResponseByte()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: body, Request: req}
}

func TestRequestTimeoutCutsStallsOnly(t *testing.T) {
	const groups = `{"value":[{"id":"g1","name":"Sales"}]}`
	body := bytes.Repeat([]byte("x"), 40_000)
	t.Run("default timeout: an unanswered POST is given up after 2m", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := fakeClient(func(req *http.Request, trace *httptrace.ClientTrace) (*http.Response, error) {
				if err := send(req, trace, 0); err != nil {
					return nil, err
				}
				<-req.Context().Done()
				return nil, context.Cause(req.Context())
			})
			start := time.Now()
			err := c.PostRows(context.Background(), "g", "d", "T", body)
			if took := time.Since(start); took != DefaultRequestTimeout {
				t.Errorf("gave up after %v, want %v", took, DefaultRequestTimeout)
			}
			checkTimeout(t, err, true, "nothing arrived for 2m0s")
		})
	})
	t.Run("a slow upload that keeps moving is not cut", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := fakeClient(func(req *http.Request, trace *httptrace.ClientTrace) (*http.Response, error) {
				if err := send(req, trace, time.Minute); err != nil { // 10 chunks, 10 minutes
					return nil, err
				}
				return answer(req, trace, io.NopCloser(strings.NewReader(""))), nil
			})
			if err := c.PostRows(context.Background(), "g", "d", "T", body); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("a slow answer that keeps moving is not cut", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := fakeClient(func(req *http.Request, trace *httptrace.ClientTrace) (*http.Response, error) {
				send(req, trace, 0)
				return answer(req, trace, &trickle{ctx: req.Context(), data: []byte(groups), pause: time.Minute}), nil
			})
			start := time.Now()
			gs, err := c.Groups(context.Background(), "")
			if err != nil || len(gs) != 1 {
				t.Fatalf("groups %v, %v", gs, err)
			}
			if took := time.Since(start); took < time.Duration(len(groups))*time.Minute {
				t.Errorf("took %v: the answer did not trickle", took)
			}
		})
	})
	t.Run("an answer that stops coming is cut", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// Five bytes a minute apart, then nothing: cut 90s after the fifth.
			slow := fakeClient(func(req *http.Request, trace *httptrace.ClientTrace) (*http.Response, error) {
				send(req, trace, 0)
				body := &trickle{ctx: req.Context(), data: []byte(groups[:5]), pause: time.Minute}
				return answer(req, trace, struct {
					io.Reader
					io.Closer
				}{io.MultiReader(body, stalled{req.Context()}), body}), nil
			}, WithRequestTimeout(90*time.Second))
			start := time.Now()
			_, err := slow.Groups(context.Background(), "")
			if took, want := time.Since(start), 5*time.Minute+90*time.Second; took != want {
				t.Errorf("gave up after %v, want %v", took, want)
			}
			checkTimeout(t, err, true, "reading the answer: nothing arrived for 1m30s")
		})
	})
}

// stalled is a body that never yields another byte.
type stalled struct{ ctx context.Context }

func (s stalled) Read([]byte) (int, error) {
	<-s.ctx.Done()
	return 0, context.Cause(s.ctx)
}
