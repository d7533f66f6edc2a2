package domo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// An export that sends its first rows and then nothing, over a real socket:
// the read is given up after the request timeout (the only bound here), as
// Domo being unreachable, not as an interrupt.
func TestExportStallIsCut(t *testing.T) {
	c := fakeDomo(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "a,b\n1,x\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c.timeout = 300 * time.Millisecond
	body, err := c.Export(context.Background(), testID)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	_, err = io.ReadAll(body)
	checkTimeout(t, err, "the export of Domo DataSet "+testID+" broke off: nothing arrived for 300ms")
}

func checkTimeout(t *testing.T, err error, want string) {
	t.Helper()
	var te *stall.TimeoutError
	if !errors.Is(err, ErrUnreachable) || !errors.As(err, &te) {
		t.Fatalf("err %v, want Domo unreachable after a request timeout", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a request timeout reads as an interrupt: %v", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err %q, want it to say %q", err, want)
	}
}

// inProcess is a Domo answering in-process, so that synctest's fake time
// drives every wait: a token at once, and export for the DataSet's rows.
func inProcess(export func(req *http.Request) (*http.Response, error)) *Client {
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/oauth/token" {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"access_token":"tok","expires_in":3599}`)), Request: req}, nil
		}
		return export(req)
	})
	return New(cloud.Endpoints{DomoBase: "https://domo.test", HTTP: &http.Client{Transport: rt}}, "client", "secret-value")
}

// slowCSV yields a line every pause, then, when stall is set, nothing more.
type slowCSV struct {
	ctx   context.Context
	lines int
	pause time.Duration
	stall bool
}

func (b *slowCSV) Read(p []byte) (int, error) {
	if b.lines == 0 && !b.stall {
		return 0, io.EOF
	}
	wait := time.After(b.pause)
	if b.lines == 0 {
		wait = nil // stalled for good
	}
	select {
	case <-wait:
	case <-b.ctx.Done():
		return 0, context.Cause(b.ctx)
	}
	b.lines--
	return copy(p, "1,x\n"), nil
}

func (b *slowCSV) Close() error { return nil }

func csvAnswer(req *http.Request, body io.ReadCloser) *http.Response {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/csv"}}, Body: body, Request: req}
}

func TestExportTimeoutBoundsEachWait(t *testing.T) {
	t.Run("a long export that keeps moving is not cut", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := inProcess(func(req *http.Request) (*http.Response, error) {
				return csvAnswer(req, &slowCSV{ctx: req.Context(), lines: 30, pause: time.Minute}), nil
			})
			body, err := c.Export(context.Background(), testID)
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			start := time.Now()
			data, err := io.ReadAll(body)
			if err != nil || strings.Count(string(data), "\n") != 30 {
				t.Fatalf("read %q, %v", data, err)
			}
			if took := time.Since(start); took != 30*time.Minute {
				t.Errorf("took %v, want 30m", took)
			}
		})
	})
	t.Run("an export that stops moving is cut after the default timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := inProcess(func(req *http.Request) (*http.Response, error) {
				return csvAnswer(req, &slowCSV{ctx: req.Context(), lines: 3, pause: time.Minute, stall: true}), nil
			})
			body, err := c.Export(context.Background(), testID)
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			start := time.Now()
			_, err = io.ReadAll(body)
			if took := time.Since(start); took != 3*time.Minute+DefaultRequestTimeout {
				t.Errorf("cut after %v, want 3m + %v", took, DefaultRequestTimeout)
			}
			checkTimeout(t, err, "broke off: nothing arrived for 2m0s")
		})
	})
	t.Run("an export that never answers is given up", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := inProcess(func(req *http.Request) (*http.Response, error) {
				<-req.Context().Done()
				return nil, context.Cause(req.Context())
			})
			start := time.Now()
			_, err := c.Export(context.Background(), testID)
			if took := time.Since(start); took != DefaultRequestTimeout {
				t.Errorf("gave up after %v, want %v", took, DefaultRequestTimeout)
			}
			checkTimeout(t, err, "cannot reach Domo to read the rows of DataSet "+testID+": nothing arrived for 2m0s")
		})
	})
	t.Run("metadata that never comes is given up", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := inProcess(func(req *http.Request) (*http.Response, error) {
				<-req.Context().Done()
				return nil, context.Cause(req.Context())
			})
			_, err := c.DataSet(context.Background(), testID)
			checkTimeout(t, err, "nothing arrived for 2m0s")
		})
	})
}
