package powerbi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
)

// maxResponseBytes caps what the client reads from one response. The largest
// legitimate answer is an executeQueries result (15 MB per query; docs/sources.md, Power BI: executeQueries).
const maxResponseBytes = 32 << 20

// call is one API operation; do runs it with auth, decoding, token replay and
// retries.
type call struct {
	op         string // for people: "post rows", "list workspaces"
	method     string
	path       string // escaped, relative to the /v1.0/myorg base; or absolute when abs
	abs        bool   // path is relative to APIBase itself (sandbox endpoints)
	query      string // encoded query string, without '?'
	body       []byte // JSON request body; nil for none
	out        any    // decoded from a 2xx body when non-nil
	idempotent bool   // safe to repeat after a failure (see RetryPolicy)
	anonymous  bool   // sent without a token (sandbox-only endpoints)
}

// do runs c: it sends the request, replays it once with a fresh token when
// Power BI says the token expired, retries idempotent calls per the retry
// policy, and decodes the answer into c.out or an *Error.
func (cl *Client) do(ctx context.Context, c call) error {
	var tok string
	if !c.anonymous {
		t, err := cl.tokens.Token(ctx)
		if err != nil {
			return &TokenError{Op: c.op, Err: err}
		}
		tok = t
	}
	replayed := false
	attempt := 0
	for {
		attempt++
		status, header, body, err := cl.roundTrip(ctx, c, tok, attempt)
		if err != nil {
			if !c.idempotent || attempt >= cl.retry.Attempts || ctx.Err() != nil || errors.Is(err, cloud.ErrRedirectRefused) {
				return err
			}
			if cl.sleep(ctx, cl.backoff(attempt)) != nil {
				return err // the context ended while waiting; the failure is the news
			}
			continue
		}
		if status >= 200 && status < 300 {
			return decodeSuccess(c, status, header, body)
		}
		perr := decodeError(status, header, body)
		perr.Op, perr.Method, perr.Path = c.op, c.method, cl.displayPath(c)
		perr.AppOnly = appOnlyToken(tok)

		// A token the service calls expired is replayed once with a new one.
		// That is safe for every call, POST rows included: authentication is
		// the service's first step, so a request refused with TokenExpired was
		// never authorized to change anything and repeating it cannot
		// duplicate rows. (No source states this outright — UNCONFIRMED — but
		// a 403 from the token check with nothing stored is what the
		// documented TokenExpired answer means, and the sandbox does the same.)
		if perr.tokenExpired() && !replayed && !c.anonymous {
			replayed = true
			fresh, rerr := cl.freshToken(ctx, tok)
			if rerr != nil {
				return fmt.Errorf("%w; getting a new token failed too: %w", perr, &TokenError{Op: c.op, Err: rerr})
			}
			if fresh != tok {
				tok = fresh
				attempt-- // a replay is not a retry
				continue
			}
			return perr
		}
		if c.idempotent && attempt < cl.retry.Attempts && retryable(perr) {
			wait := perr.RetryAfter
			if wait <= 0 {
				wait = cl.backoff(attempt)
			}
			if wait <= cl.retry.MaxWait {
				if err := cl.sleep(ctx, wait); err != nil {
					return fmt.Errorf("%w (while waiting %v to retry after: %w)", err, wait.Round(time.Millisecond), perr)
				}
				continue
			}
		}
		return perr
	}
}

// freshToken asks the token source for a token other than rejected.
func (cl *Client) freshToken(ctx context.Context, rejected string) (string, error) {
	if r, ok := cl.tokens.(Refresher); ok {
		return r.Refresh(ctx, rejected)
	}
	return cl.tokens.Token(ctx)
}

func (cl *Client) backoff(attempt int) time.Duration {
	d := cl.retry.Backoff
	if d <= 0 {
		d = 500 * time.Millisecond
	}
	for i := 1; i < attempt; i++ {
		d *= 2
	}
	return d
}

// retryable reports whether an idempotent request that met e may be repeated:
// throttling and server-side failures, not a refusal.
func retryable(e *Error) bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// roundTrip sends one request and reads the whole answer. A transport failure
// is a *TransportError whose Sent field tells whether the request had been
// written completely before the failure (see TransportError).
func (cl *Client) roundTrip(ctx context.Context, c call, tok string, attempt int) (int, http.Header, []byte, error) {
	u := cl.url(c)
	start := time.Now()
	ex := Exchange{Op: c.op, Method: c.method, Path: cl.displayPath(c), Attempt: attempt}
	defer func() {
		if cl.observe != nil {
			ex.Duration = time.Since(start)
			cl.observe(ex)
		}
	}()

	// Nothing waits forever: the request is given up on once the timeout
	// passes without progress (see WithRequestTimeout). Every step of the
	// exchange counts as progress, so only a stall is cut.
	ctx, watch := stall.Start(ctx, cmp.Or(cl.timeout, DefaultRequestTimeout))
	defer watch.Stop()

	// sent is true once the request, body included, was written on the
	// connection of the latest attempt. GetConn starts each attempt: the
	// transport redials and rewrites when a reused keep-alive connection
	// turns out dead before anything was written, and a 307 starts a new
	// request to another host.
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn:              func(string) { sent.Store(false) },
		GotConn:              func(httptrace.GotConnInfo) { watch.Progress() },
		WroteHeaders:         watch.Progress,
		WroteRequest:         func(i httptrace.WroteRequestInfo) { sent.Store(i.Err == nil); watch.Progress() },
		GotFirstResponseByte: watch.Progress,
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), c.method, u, nil)
	if err != nil {
		return 0, nil, nil, &TransportError{Op: c.op, Method: c.method, Host: cl.base.Host, Path: ex.Path, Err: err}
	}
	if c.body != nil {
		// The caller may reuse c.body once this returns (the push engine
		// recycles batch buffers): wait until net/http has let go of it.
		// (rb.wait runs before watch.Stop, defers running last-first: a
		// transport that holds on to the body stalls, and is cut like any
		// other stall.)
		rb := newRequestBody(c.body)
		defer rb.wait()
		reader := func() (io.ReadCloser, error) {
			r, err := rb.reader()
			return watch.Body(r), err
		}
		req.Body, _ = reader()
		req.GetBody = reader // lets http.Client re-send it on a 307/308
		req.ContentLength = int64(len(c.body))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pbiwb")
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}

	resp, err := cl.http.Do(req)
	if err != nil {
		err = watch.Err(err)
		ex.Err = err
		// A refused redirect was answered (3xx: not carried out here) and its
		// target never asked: nothing is unknown.
		wasSent := sent.Load() && !errors.Is(err, cloud.ErrRedirectRefused)
		return 0, nil, nil, &TransportError{Op: c.op, Method: c.method, Host: failedHost(err, req.URL.Host), Path: ex.Path, Sent: wasSent, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	ex.Status = resp.StatusCode
	ex.RequestID = resp.Header.Get(HeaderRequestID)
	// An error answer is read up to one byte more than decodeError uses, so
	// that it sees the answer went on; the rest is left unread.
	limit, errorAnswer := int64(maxResponseBytes), resp.StatusCode < 200 || resp.StatusCode >= 300
	if errorAnswer {
		limit = maxErrorBytes
	}
	data, err := io.ReadAll(io.LimitReader(watch.Body(resp.Body), limit+1))
	err = watch.Err(err)
	if err == nil && int64(len(data)) > limit && !errorAnswer {
		err = fmt.Errorf("answer larger than %d MB", maxResponseBytes>>20)
	}
	if err != nil {
		// The status line arrived, so the request was processed. For a call
		// whose body we do not need, a 2xx status is the whole answer.
		if resp.StatusCode >= 200 && resp.StatusCode < 300 && c.out == nil {
			return resp.StatusCode, resp.Header, nil, nil
		}
		ex.Err = err
		return 0, nil, nil, &TransportError{Op: c.op, Method: c.method, Host: req.URL.Host, Path: ex.Path, Sent: true,
			Status: resp.StatusCode, RequestID: ex.RequestID, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	return resp.StatusCode, resp.Header, data, nil
}

func (cl *Client) url(c call) string {
	if c.abs {
		base := *cl.base
		base.Path = strings.TrimSuffix(base.Path, "/v1.0/myorg")
		return base.String() + c.path + queryPart(c.query)
	}
	return cl.base.String() + c.path + queryPart(c.query)
}

// displayPath is the request path as errors and observers show it.
func (cl *Client) displayPath(c call) string {
	if c.abs {
		return c.path + queryPart(c.query)
	}
	return cl.base.Path + c.path + queryPart(c.query)
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// decodeSuccess strips a UTF-8 byte-order mark (executeQueries answers may
// start with one) and decodes the body into c.out.
func decodeSuccess(c call, status int, _ http.Header, body []byte) error {
	if c.out == nil {
		return nil
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%s: Power BI answered %d with an empty body where JSON was expected", c.op, status)
	}
	if err := json.Unmarshal(body, c.out); err != nil {
		return fmt.Errorf("%s: Power BI's answer is not the JSON expected: %w", c.op, err)
	}
	return nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// unwrapURLError drops *url.Error's "Post \"https://...\":" prefix: the
// TransportError says the method, host and path itself.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// failedHost is the host the failing request went to: after a redirect, not
// the one first asked.
func failedHost(err error, def string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	return def
}

// encodeQuery encodes OData query options. Values use %20 for spaces (as the
// service's own examples do) rather than '+', and the '$' of option names is
// kept literal.
func encodeQuery(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(kv[i+1]), "+", "%20"))
	}
	return b.String()
}
